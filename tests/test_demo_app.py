"""The demo app from a browser's side: a form that sends divide(x, y), and its result page."""

import time
import urllib.request
from http.cookiejar import CookieJar

import pytest

from tests.helpers import post_divide


@pytest.fixture
def browser():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def test_the_form_sends_divide_and_the_task_page_shows_its_result(live_stack, browser):
    response = post_divide(browser, live_stack.django_url, 6, 3)
    task_url = response.geturl()
    assert "/tasks/" in task_url
    deadline = time.monotonic() + 15
    while True:
        page = browser.open(task_url + "?format=json", timeout=5).read().decode()
        if '"ready": true' in page or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert '"state": "SUCCESS"' in page
    assert '"result": 2.0' in page


def test_bad_input_is_a_form_error_and_sends_nothing(live_stack, browser):
    response = post_divide(browser, live_stack.django_url, "six", 3)
    page = response.read().decode()
    assert "/tasks/" not in response.geturl()
    assert "Enter a number." in page
