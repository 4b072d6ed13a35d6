"""Lesson 01, why background tasks: offload the mention e-mails, send them only once, and write
the fast version of the view's work."""

import time

from celery.result import AsyncResult

from ..exercises import Incorrect, exercise, fresh, learner_function, wait_for
from ..services import worker_hostname

TASK = "comments.tasks.send_mention_emails"
GIVEN = """
import django
django.setup()  # in the notebook, setup() did this
from comments.models import Comment
from comments.tasks import send_mention_emails
"""


def _ran_on_the_worker(result, what: str) -> AsyncResult:
    """The task as the result backend stored it, once it is done; Incorrect if it is not
    send_mention_emails, or if it did not run on the kit's worker."""
    stored = fresh(wait_for(result))
    if stored.name != TASK:
        raise Incorrect(f"{what} was the task {stored.name}, not {TASK}.")
    if stored.worker != worker_hostname():
        raise Incorrect(f"{what} did not run on the kit's worker.")
    if stored.state != "SUCCESS":
        raise Incorrect(f"{what} ended in {stored.state}: {stored.result!r}.")
    return stored


def _direct_call(name: str) -> Incorrect:
    return Incorrect(
        f"{name} is a list of usernames: what send_mention_emails(...) returns when you call it. "
        "A call runs it right here, in this process, as the slow view does. Send it to the "
        "worker with .delay(...)."
    )


def _emails_for(comment_id) -> dict[str, list[str]]:
    """Who sent each address its e-mails about one comment, from the outbox on disk."""
    from comments.mail import outbox

    senders: dict[str, list[str]] = {}
    for message in outbox(comment_id):
        senders.setdefault(message["To"], []).append(message["X-Sent-By"])
    return senders


@exercise(
    "q1",
    "Have the worker send a comment's mention e-mails",
    "q1",
    stub="""
        # This comment mentions alice and carol. Have the worker (not this notebook) send
        # their e-mails, and keep what you get back.
        comment = Comment.objects.create(author="sam", text="Lunch at noon, @alice and @carol?")
        q1 = ____
    """,
    solution="""
        comment = Comment.objects.create(author="sam", text="Lunch at noon, @alice and @carol?")
        q1 = send_mention_emails.delay(comment.pk)
    """,
    hints=[
        "A task's .delay(...) takes the same arguments as the task. This one takes the "
        "comment's primary key, not the comment.",
        "Not the comment itself, and not a plain call: the task's .delay(...), with the key.",
    ],
    given=GIVEN,
    inputs=("comment",),
    wrong={
        "called directly, in the notebook": """
            comment = Comment.objects.create(author="sam", text="Lunch at noon, @alice and @carol?")
            q1 = send_mention_emails(comment.pk)
        """,
        "about another comment": """
            other = Comment.objects.create(author="sam", text="Coffee, @bob?")
            comment = Comment.objects.create(author="sam", text="Lunch at noon, @alice and @carol?")
            q1 = send_mention_emails.delay(other.pk)
        """,
    },
)
def check_q1(q1, ns):
    if isinstance(q1, list) and all(isinstance(name, str) for name in q1):
        raise _direct_call("q1")
    if not isinstance(q1, AsyncResult):
        raise Incorrect(f"q1 is a {type(q1).__name__}. Keep what .delay(...) returns.")
    stored = _ran_on_the_worker(q1, "that task")
    comment = ns["comment"]
    comment_id = (stored.args or [None])[0]
    if str(comment_id) != str(getattr(comment, "pk", None)):
        raise Incorrect(
            f"that task was about comment {comment_id}, not about `comment` (pk {comment.pk})."
        )
    emails = _emails_for(comment_id)
    wanted = {"alice@example.com", "carol@example.com"}
    if set(emails) != wanted:
        got = ", ".join(sorted(emails)) or "nobody"
        raise Incorrect(f"the outbox has e-mails about that comment to {got}, not alice and carol.")
    others = {sender for found in emails.values() for sender in found} - {stored.worker}
    if others:
        raise Incorrect(
            f"those e-mails were sent by {', '.join(sorted(others))}, not by the worker. Run "
            "the exercise's cell again (it makes a new comment), with .delay(...)."
        )
    return (
        f"{stored.worker} sent the e-mails to {' and '.join(sorted(emails))}, and this notebook "
        "did not wait for them."
    )


@exercise(
    "q2",
    "Run the task twice: each person gets one e-mail",
    "q2",
    stub="""
        # A new comment that mentions bob. Send its mention e-mails twice, as two tasks on
        # the worker, and keep both results: q2 = [first, second]
        twice = Comment.objects.create(author="sam", text="Thanks @bob!")
        q2 = ____
    """,
    solution="""
        twice = Comment.objects.create(author="sam", text="Thanks @bob!")
        first = send_mention_emails.delay(twice.pk)
        second = send_mention_emails.delay(twice.pk)
        q2 = [first, second]
    """,
    hints=[
        "Call send_mention_emails.delay(twice.pk) two times, and keep each AsyncResult.",
        "Two separate .delay(...) calls give two tasks; one AsyncResult put in the list twice "
        "is still one task.",
    ],
    given=GIVEN,
    wrong={
        "one task, twice in the list": """
            twice = Comment.objects.create(author="sam", text="Thanks @bob!")
            once = send_mention_emails.delay(twice.pk)
            q2 = [once, once]
        """,
        "two different comments": """
            twice = Comment.objects.create(author="sam", text="Thanks @bob!")
            other = Comment.objects.create(author="sam", text="Thanks @bob!")
            q2 = [send_mention_emails.delay(twice.pk), send_mention_emails.delay(other.pk)]
        """,
        "called directly, twice": """
            twice = Comment.objects.create(author="sam", text="Thanks @bob!")
            q2 = [send_mention_emails(twice.pk), send_mention_emails(twice.pk)]
        """,
    },
)
def check_q2(q2, ns):
    if not isinstance(q2, list | tuple) or len(q2) != 2:
        raise Incorrect("q2 should be a list of two results: [first, second].")
    if any(isinstance(r, list) for r in q2):
        raise _direct_call("one of them")
    if not all(isinstance(r, AsyncResult) for r in q2):
        raise Incorrect("both items of q2 should be what .delay(...) returns.")
    if q2[0].id == q2[1].id:
        raise Incorrect("that is one task twice in the list; send the task two times.")
    first, second = (_ran_on_the_worker(r, "a task in q2") for r in q2)
    if first.args != second.args:
        raise Incorrect(
            f"the two tasks were about different comments ({first.args[0]} and "
            f"{second.args[0]}); send the same comment twice."
        )
    comment_id = first.args[0]
    emails = _emails_for(comment_id)
    if not emails:
        raise Incorrect(f"comment {comment_id} mentions nobody who gets e-mails; mention @bob.")
    twice_sent = [address for address, senders in emails.items() if len(senders) > 1]
    if twice_sent:  # the task is not idempotent after all: a bug in the demo app
        raise Incorrect(f"{', '.join(twice_sent)} got more than one e-mail about that comment.")
    sent = list(first.result or []) + list(second.result or [])
    if len(sent) != len(emails):
        raise Incorrect(
            f"your two tasks sent {len(sent)} e-mail(s) between them, but the outbox has "
            f"{len(emails)} about that comment: some were sent before. Run the exercise's cell "
            "again: it makes a new comment."
        )
    return (
        f"two tasks ran, and {', '.join(sorted(emails))} got one e-mail, not two: one run sent "
        f"it (it returned {first.result or second.result}), the other found the MentionNotice "
        f"and sent nothing (it returned {second.result if first.result else first.result})."
    )


# Three comments, as three people would post them: who each one should e-mail.
POSTS = (
    ("ana", "Hi @alice!", {"alice@example.com"}),
    ("ben", "@bob and @carol: the report is ready.", {"bob@example.com", "carol@example.com"}),
    ("cy", "No mentions in this one.", set()),
)
WAIT = 15.0  # seconds for the worker to send a comment's e-mails


def _post_comment(line: str) -> str:
    """A learner's post_comment, with this line where the e-mails get sent."""
    return (
        "def post_comment(author, text):\n"
        "    comment = Comment.objects.create(author=author, text=text)\n"
        f"    {line}\n"
        "    return comment\n"
        "\n"
        "q3 = post_comment\n"
    )


@exercise(
    "q3",
    "Write the fast version of the view's work",
    "q3",
    stub="""
        # What the slow view does: save the comment, and send its e-mails before it answers.
        # Write the fast version: save it, have the worker send the e-mails, and return the
        # comment at once. The check posts three comments with your function.
        def post_comment(author, text):
            comment = Comment.objects.create(author=author, text=text)
            ____
            return comment

        q3 = post_comment
    """,
    solution="""
        def post_comment(author, text):
            comment = Comment.objects.create(author=author, text=text)
            send_mention_emails.delay(comment.pk)
            return comment

        q3 = post_comment
    """,
    hints=[
        "One line: the task that sends a comment's e-mails, sent to the worker.",
        "As in exercise 01.1: the task's .delay(...), with what a message can carry.",
    ],
    given=GIVEN,
    wrong={
        "the e-mails sent right here": _post_comment("send_mention_emails(comment.pk)"),
        "the comment itself in the message": _post_comment("send_mention_emails.delay(comment)"),
        "the receipt returned, not the comment": _post_comment(
            "return send_mention_emails.delay(comment.pk)"
        ),
    },
    writes_code=True,
)
def check_q3(q3, ns):
    from comments.models import Comment

    learner_function(q3, "q3", "post_comment")
    posted = []
    for author, text, wanted in POSTS:
        began = time.perf_counter()
        try:
            comment = q3(author, text)
        except Exception as exc:
            raise Incorrect(
                f"post_comment({author!r}, {text!r}) raised {type(exc).__name__}: {exc}. A "
                "message is JSON: it carries numbers and strings, such as a comment's pk, "
                "not the comment."
                if "serializ" in str(exc)
                else f"post_comment({author!r}, {text!r}) raised {type(exc).__name__}: {exc}."
            ) from None
        took = time.perf_counter() - began
        if not isinstance(comment, Comment) or comment.pk is None:
            raise Incorrect(
                f"post_comment returned {type(comment).__name__}, not the saved comment: the "
                "view shows the comment it saved."
            )
        if comment.text != text:
            raise Incorrect(f"post_comment saved {comment.text!r}, not the text it was given.")
        posted.append((comment, wanted, took))
    worker = worker_hostname()
    for comment, wanted, _ in posted:
        deadline = time.monotonic() + WAIT
        while set(emails := _emails_for(comment.pk)) != wanted and time.monotonic() < deadline:
            time.sleep(0.1)
        if set(emails) != wanted:
            got = ", ".join(sorted(emails)) or "nobody"
            raise Incorrect(
                f"comment {comment.pk} ({comment.text!r}) e-mailed {got} within {WAIT:.0f} s, "
                f"not {', '.join(sorted(wanted)) or 'nobody'}."
            )
        senders = {s for found in emails.values() for s in found} - {worker}
        if senders:
            raise Incorrect(
                f"the e-mails about {comment.text!r} were sent by {', '.join(sorted(senders))}, "
                "before post_comment returned: the slow way. Send them from the worker."
            )
    slowest = max(took for _, _, took in posted)
    return (
        f"three comments posted, each in at most {slowest * 1000:.0f} ms, and {worker} "
        "e-mailed alice, bob and carol after your function had returned."
    )
