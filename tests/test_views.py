"""The demo app's views, branch by branch, with Django's test client: milliseconds, no server.

A view's answer to a broker error is tested here with the error Celery really raises, put in
the place of `delay`; the same page against a real stopped Redis is in test_broker_down.py.
"""

from __future__ import annotations

from unittest import mock

import pytest
from celery.result import AsyncResult
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from calc.tasks import divide
from comments.tasks import send_mention_emails

REFUSED = "Error 111 connecting to 127.0.0.1:6390. Connection refused."


def _result_backend_refused() -> RuntimeError:
    """What delay() raises when the result backend notices first: a RuntimeError caused by
    redis' ConnectionError."""
    try:
        raise RuntimeError("Retry limit exceeded") from RedisConnectionError(REFUSED)
    except RuntimeError as exc:
        return exc


BROKER_ERRORS = pytest.mark.parametrize(
    "error",
    [OperationalError(REFUSED), _result_backend_refused()],
    ids=["kombu-operational-error", "result-backend-runtime-error"],
)


@pytest.fixture(scope="module")
def client():
    setup_test_environment()  # the test client's host, 'testserver', is allowed
    yield Client()
    teardown_test_environment()


def test_the_calc_page_shows_the_form(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b"divide.delay(x, y)" in page.content


def test_bad_input_is_a_form_error_and_sends_nothing(client):
    with mock.patch.object(divide, "delay") as delay:
        page = client.post("/", {"x": "six", "y": "3"})
    assert page.status_code == 200
    assert b"Enter a number." in page.content
    delay.assert_not_called()


def test_good_input_sends_divide_and_redirects_to_the_task_page(client):
    with mock.patch.object(divide, "delay", return_value=AsyncResult("t-123")) as delay:
        page = client.post("/", {"x": "6", "y": "3"})
    delay.assert_called_once_with(6.0, 3.0)
    assert page.status_code == 302
    assert page["Location"] == "/tasks/t-123/"


@BROKER_ERRORS
def test_the_calc_form_answers_503_with_the_fix_when_the_broker_is_down(client, error):
    with mock.patch.object(divide, "delay", side_effect=error):
        page = client.post("/", {"x": "1", "y": "2"})
    assert page.status_code == 503
    assert b"The broker did not answer" in page.content
    assert b"Connection refused" in page.content
    assert b"python -m classroom up" in page.content


def test_an_error_that_is_not_the_brokers_is_not_disguised_as_one(client):
    with (
        mock.patch.object(divide, "delay", side_effect=ZeroDivisionError("a bug")),
        pytest.raises(ZeroDivisionError),
    ):
        client.post("/", {"x": "1", "y": "2"})


@BROKER_ERRORS
def test_the_task_page_answers_503_when_the_backend_is_down(client, error):
    with mock.patch("calc.views.AsyncResult", side_effect=error):
        page = client.get("/tasks/t-123/")
    assert page.status_code == 503
    assert b"python -m classroom up" in page.content


@BROKER_ERRORS
def test_the_comment_form_answers_503_keeps_the_text_and_saves_nothing(client, live_stack, error):
    from comments.models import Comment

    before = Comment.objects.count()
    with mock.patch.object(send_mention_emails, "delay", side_effect=error):
        page = client.post("/comments/", {"author": "sam", "text": "Lunch at noon, @alice?"})
    assert page.status_code == 503
    assert b"The broker did not answer" in page.content
    assert b"Lunch at noon, @alice?" in page.content  # to send again
    assert Comment.objects.count() == before  # no comment without its e-mails
