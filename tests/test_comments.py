"""The @mention story: a comment e-mails the users it mentions, from the request or a worker."""

import email
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from classroom import stack
from classroom.services import worker_hostname
from comments.mentions import parse_mentions
from tests.helpers import run_client

TEXT = "Lunch at noon, @alice and @bob?"


def _outbox(cfg, comment_id):
    """The e-mails about one comment, read from the files the e-mail backend wrote."""
    messages = [email.message_from_bytes(p.read_bytes()) for p in _email_dir(cfg).glob("*.eml")]
    return [m for m in messages if m["X-Comment-Id"] == str(comment_id)]


def _email_dir(cfg) -> Path:
    return cfg.run_dir / "emails"


def _post_comment(browser, base, text, path="/comments/"):
    """Post the comment form like a browser; (seconds, the response)."""
    page = browser.open(f"{base}/comments/", timeout=5).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "author": "sam", "text": text}
    start = time.perf_counter()
    response = browser.open(base + path, data=urllib.parse.urlencode(form).encode(), timeout=10)
    body = response.read().decode()
    return time.perf_counter() - start, response, body


def _comment_id(response) -> int:
    match = re.search(r"/comments/(\d+)/$", response.geturl())
    assert match, f"not redirected to the comment's page: {response.geturl()}"
    return int(match.group(1))


def _wait_for_emails(cfg, comment_id, count, timeout=15.0):
    deadline = time.monotonic() + timeout
    while len(_outbox(cfg, comment_id)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return _outbox(cfg, comment_id)


def _comment_count(cfg) -> int:
    code = "from comments.models import Comment\nprint(json.dumps(Comment.objects.count()))"
    return run_client(cfg, code)


@pytest.fixture
def browser():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def test_mentions_are_usernames_each_once_in_the_order_they_appear():
    text = "@bob, thanks! And @alice.smith: ask @bob and @carol-2 (@alice.smith again)."
    assert parse_mentions(text) == ["bob", "alice.smith", "carol-2"]


def test_an_email_address_or_a_lone_at_sign_mentions_nobody():
    assert parse_mentions("write to bob@example.com, or @ me") == []


def test_only_existing_users_are_mentioned_in_any_case_and_the_others_are_named(live_stack):
    mentioned, unknown = run_client(
        live_stack,
        """
        from comments.models import Comment
        comment = Comment(author="sam", text="@nobody @alice @bob @ALICE @Carol @Zed")
        print(json.dumps([
            [user.username for user in comment.mentioned_users()], comment.unknown_mentions()
        ]))
        """,
    )
    assert mentioned == ["alice", "bob", "carol"]  # each once; @Carol is carol
    assert unknown == ["nobody", "Zed"]  # as written


def test_the_comment_page_names_who_was_not_e_mailed_and_why(live_stack, browser):
    _, response, page = _post_comment(browser, live_stack.django_url, "Hi @zed and @Alice")
    assert "Mentioned: alice." in page
    assert "Not e-mailed: @zed" in page and "no user of that name here" in page
    assert "mentions nobody" not in page
    emails = _wait_for_emails(live_stack, _comment_id(response), 1)
    assert [m["To"] for m in emails] == ["alice@example.com"]


def test_the_task_sends_each_email_once_however_often_it_runs(live_stack):
    outcome = run_client(
        live_stack,
        """
        from comments.models import Comment, MentionNotice
        from comments.tasks import send_mention_emails
        comment = Comment.objects.create(author="sam", text="Lunch, @alice and @bob?")
        first = send_mention_emails.delay(comment.pk).get(timeout=15)
        # twice more, at the same time: two worker processes race for the same claims
        racing = [send_mention_emails.delay(comment.pk) for _ in range(2)]
        again = [r.get(timeout=15) for r in racing]
        notices = MentionNotice.objects.filter(comment=comment).count()
        print(json.dumps({"id": comment.pk, "first": first, "again": again, "notices": notices}))
        """,
    )
    assert sorted(outcome["first"]) == ["alice", "bob"]
    assert outcome["again"] == [[], []]
    assert outcome["notices"] == 2
    emails = _outbox(live_stack, outcome["id"])
    assert sorted(m["To"] for m in emails) == ["alice@example.com", "bob@example.com"]
    assert {m["X-Sent-By"] for m in emails} == {worker_hostname()}


def test_a_comment_deleted_before_its_task_runs_sends_nothing(live_stack):
    sent = run_client(
        live_stack,
        """
        from comments.models import Comment
        from comments.tasks import send_mention_emails
        comment = Comment.objects.create(author="sam", text="@alice, never mind")
        pk = comment.pk
        comment.delete()
        print(json.dumps(send_mention_emails.delay(pk).get(timeout=15)))
        """,
    )
    assert sent == []


def test_the_slow_view_sends_the_emails_before_it_answers(live_stack, browser):
    seconds, response, _ = _post_comment(browser, live_stack.django_url, TEXT, "/comments/slow/")
    emails = _outbox(live_stack, _comment_id(response))  # no waiting: they are already sent
    assert sorted(m["To"] for m in emails) == ["alice@example.com", "bob@example.com"]
    assert all("a direct call" in m["X-Sent-By"] for m in emails)
    assert seconds >= 0.6  # two e-mails at SMTP_LATENCY_SECONDS (0.3 s) each


def test_the_background_view_answers_faster_and_the_worker_sends_the_emails(live_stack, browser):
    slow, _, _ = _post_comment(browser, live_stack.django_url, TEXT, "/comments/slow/")
    fast, response, _ = _post_comment(browser, live_stack.django_url, TEXT)
    # compared, not against a clock: the slow view sleeps 0.6 s, the fast one only queues
    assert fast < slow / 2, (fast, slow)
    emails = _wait_for_emails(live_stack, _comment_id(response), 2)
    assert sorted(m["To"] for m in emails) == ["alice@example.com", "bob@example.com"]
    assert {m["X-Sent-By"] for m in emails} == {worker_hostname()}


@pytest.mark.parametrize("path", ["/comments/", "/comments/slow/"])
def test_an_empty_comment_is_a_form_error_and_sends_nothing(live_stack, browser, path):
    before = _comment_count(live_stack)
    _, response, page = _post_comment(browser, live_stack.django_url, "   ", path)
    assert response.status == 200
    assert response.geturl().endswith(path)  # not redirected to a new comment
    assert "This field is required." in page
    assert _comment_count(live_stack) == before


def test_the_comment_form_answers_503_and_keeps_nothing_when_redis_is_down(private_stack):
    cfg = private_stack
    stack.up(["redis", "django"], cfg=cfg)
    stack.down(["redis"], cfg=cfg)
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with pytest.raises(urllib.error.HTTPError) as caught:
        _post_comment(browser, cfg.django_url, TEXT)
    assert caught.value.code == 503
    page = caught.value.read().decode()
    assert "The broker did not answer" in page
    assert "python -m classroom up" in page
    assert "Lunch at noon" in page  # the form keeps the text, to send again
    assert _comment_count(cfg) == 0
