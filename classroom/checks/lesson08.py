"""Lesson 08, tasks and transactions: send a task only once the transaction that made its row
has committed, for one comment and for a batch."""

from __future__ import annotations

import time
from contextlib import contextmanager

from ..exercises import Incorrect, exercise, learner_function, prediction

TASK = "comments.tasks.send_mention_emails"
GIVEN = """
import functools
import time
from django.db import transaction
from comments.models import Comment
from comments.tasks import send_mention_emails
"""


class _Rollback(Exception):
    """Raised by the check inside a block, to roll it back."""


@contextmanager
def _publishes():
    """Every send_mention_emails this process publishes meanwhile: [(comment id, whether it
    was sent inside a transaction that had not committed yet)]."""
    from celery.signals import before_task_publish
    from django.db import connection

    seen: list[tuple[object, bool]] = []

    def record(sender=None, body=None, **_):
        if sender == TASK:
            args = body[0] if isinstance(body, tuple | list) else ()
            seen.append((args[0] if args else None, connection.in_atomic_block))

    before_task_publish.connect(record, weak=False)
    try:
        yield seen
    finally:
        before_task_publish.disconnect(record)


def _wait_for_emails(comment_id: int, count: int, timeout: float = 10.0) -> list:
    from comments.mail import outbox

    deadline = time.monotonic() + timeout
    while len(outbox(comment_id)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return outbox(comment_id)


def _sent_inside(seen, what: str) -> None:
    early = [pk for pk, inside in seen if inside]
    if early:
        raise Incorrect(
            f"{what}: the task for comment {early[0]} was sent inside the transaction, before "
            "the commit. A worker can run it before the row exists (you saw it above). Send it "
            "once the transaction commits: delay_on_commit, or transaction.on_commit."
        )


def _call(function, what: str, *args):
    """The learner's function, inside a transaction of the check's own that goes on working for
    a moment after it returns (the rest of a request), then commits."""
    from django.db import transaction
    from kombu.exceptions import EncodeError

    try:
        with transaction.atomic():
            made = function(*args)
            time.sleep(0.3)
    except EncodeError as exc:
        raise Incorrect(
            f"{what}: sending failed when the transaction committed: {exc}. A message carries "
            "JSON: send the comment's id, comment.pk."
        ) from None
    except Exception as exc:
        raise Incorrect(f"{what} raised {type(exc).__name__}: {exc}") from None
    return made


def _rolled_back(function, *args) -> list:
    """What the learner's function publishes inside a transaction that rolls back."""
    from django.db import transaction

    with _publishes() as seen:
        try:
            with transaction.atomic():
                function(*args)
                raise _Rollback
        except _Rollback:
            pass
    return seen


def _emailed(comment, users: set[str], what: str) -> None:
    messages = _wait_for_emails(comment.pk, len(users))
    got = sorted(m["To"].split("@")[0] for m in messages)
    if got != sorted(users):
        raise Incorrect(
            f"{what}: the worker e-mailed {', '.join(got) or 'nobody'} about comment "
            f"{comment.pk}, not {', '.join(sorted(users))}."
        )


@exercise(
    "q1",
    "Send the e-mails once the comment is committed",
    "q1",
    stub="""
        # post_comment(author, text) saves a comment and has the worker e-mail the people it
        # mentions, but only once the comment is committed: the check calls it inside a
        # transaction, as a view with ATOMIC_REQUESTS runs. Replace ____ with that line.
        def post_comment(author, text):
            comment = Comment.objects.create(author=author, text=text)
            ____
            return comment

        q1 = post_comment
    """,
    solution="""
        def post_comment(author, text):
            comment = Comment.objects.create(author=author, text=text)
            send_mention_emails.delay_on_commit(comment.pk)
            return comment

        q1 = post_comment
    """,
    hints=[
        "Django runs a function once the current transaction commits: "
        "`transaction.on_commit(function)`. Celery's Django tasks have a shortcut for it.",
        "`send_mention_emails.delay_on_commit(comment.pk)`, or "
        "`transaction.on_commit(functools.partial(send_mention_emails.delay, comment.pk))`.",
    ],
    given=GIVEN,
    wrong={
        "delay, inside the transaction": """
            def post_comment(author, text):
                comment = Comment.objects.create(author=author, text=text)
                send_mention_emails.delay(comment.pk)
                return comment

            q1 = post_comment
        """,
        "the comment itself, not its id": """
            def post_comment(author, text):
                comment = Comment.objects.create(author=author, text=text)
                send_mention_emails.delay_on_commit(comment)
                return comment

            q1 = post_comment
        """,
        "sent before the comment is saved": """
            def post_comment(author, text):
                comment = Comment(author=author, text=text)
                send_mention_emails.delay_on_commit(comment.pk)
                comment.save()
                return comment

            q1 = post_comment
        """,
    },
    writes_code=True,
)
def check_q1(q1, ns):
    from comments.models import Comment

    learner_function(q1, "q1", "post_comment")
    cases = (
        ("Lunch, @alice?", {"alice"}),
        ("@bob and @carol: the report is late", {"bob", "carol"}),
    )
    for text, users in cases:
        what = f"post_comment('sam', {text!r})"
        with _publishes() as seen:
            comment = _call(q1, what, "sam", text)
        if not isinstance(comment, Comment):
            raise Incorrect(f"{what} returned {comment!r}: return the comment.")
        _sent_inside(seen, what)
        if [pk for pk, _ in seen] != [comment.pk]:
            raise Incorrect(
                f"{what} sent the task for {[pk for pk, _ in seen] or 'nothing'}, not once for "
                f"comment {comment.pk}. Save the comment first: it has no id before."
            )
        _emailed(comment, users, what)
    sent = _rolled_back(q1, "sam", "Never mind, @alice")
    if sent:
        raise Incorrect(
            "inside a transaction that rolled back, post_comment still sent a task: for a "
            "comment that never existed."
        )
    return (
        "each comment's task was sent after its commit, the worker e-mailed exactly the people "
        "it mentions, and a rolled-back comment sent nothing: on_commit forgets its callbacks "
        "when the transaction rolls back."
    )


@exercise(
    "q2",
    "A batch of comments, all or nothing, each e-mailed once",
    "q2",
    stub="""
        # post_many(author, texts) saves every comment in one transaction (all or none), and,
        # once it commits, has the worker e-mail each comment's mentions: one task per comment.
        def post_many(author, texts):
            with transaction.atomic():
                comments = [Comment.objects.create(author=author, text=t) for t in texts]
                for comment in comments:
                    ____
            return comments

        q2 = post_many
    """,
    solution="""
        def post_many(author, texts):
            with transaction.atomic():
                comments = [Comment.objects.create(author=author, text=t) for t in texts]
                for comment in comments:
                    send_mention_emails.delay_on_commit(comment.pk)
            return comments

        q2 = post_many
    """,
    hints=[
        "The same line as in 08.1, once per comment. If you write a lambda for on_commit, "
        "think about when it reads `comment`.",
        "A lambda reads `comment` when it runs, after the loop: by then, the last comment. "
        "`delay_on_commit(comment.pk)` (or `functools.partial`) takes the id now.",
    ],
    given=GIVEN,
    wrong={
        "a lambda that reads the loop's variable later": """
            def post_many(author, texts):
                with transaction.atomic():
                    comments = [Comment.objects.create(author=author, text=t) for t in texts]
                    for comment in comments:
                        transaction.on_commit(lambda: send_mention_emails.delay(comment.pk))
                return comments

            q2 = post_many
        """,
        "delay, inside the transaction": """
            def post_many(author, texts):
                with transaction.atomic():
                    comments = [Comment.objects.create(author=author, text=t) for t in texts]
                    for comment in comments:
                        send_mention_emails.delay(comment.pk)
                return comments

            q2 = post_many
        """,
        "one task for the first comment only": """
            def post_many(author, texts):
                with transaction.atomic():
                    comments = [Comment.objects.create(author=author, text=t) for t in texts]
                    send_mention_emails.delay_on_commit(comments[0].pk)
                return comments

            q2 = post_many
        """,
    },
    writes_code=True,
)
def check_q2(q2, ns):
    learner_function(q2, "q2", "post_many")
    texts = ["@alice, lunch?", "Any news, @bob?", "@carol and @alice: done"]
    users = [{"alice"}, {"bob"}, {"carol", "alice"}]
    what = f"post_many('sam', {texts!r})"
    with _publishes() as seen:
        comments = _call(q2, what, "sam", texts)
    if not isinstance(comments, list) or len(comments) != len(texts):
        raise Incorrect(f"{what} returned {comments!r}: return the list of comments.")
    _sent_inside(seen, what)
    ids = [c.pk for c in comments]
    sent = [pk for pk, _ in seen]
    if sorted(sent) != sorted(ids):
        twice = sorted({pk for pk in sent if sent.count(pk) > 1})
        missing = [pk for pk in ids if pk not in sent]
        if twice and missing:
            raise Incorrect(
                f"the tasks went to comments {sent}: comment {twice[0]} {sent.count(twice[0])} "
                f"times, and {missing} never. Each callback read the loop's variable when it "
                "ran, after the loop: the last comment. Take the id when you register it."
            )
        raise Incorrect(f"tasks were sent for comments {sent}, not once for each of {ids}.")
    for comment, wanted in zip(comments, users, strict=True):
        _emailed(comment, wanted, what)
    if _rolled_back(q2, "sam", ["Hi @bob", "Hi @carol"]):
        raise Incorrect(
            "a batch that rolled back still sent tasks, for comments that never existed."
        )
    return (
        f"{len(texts)} comments committed together, then one task each, each e-mailing the "
        "right people; a rolled-back batch sent nothing."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "it e-mails alice, as always",
        "b": "it finds no such comment, and e-mails nobody",
        "c": "it waits for the transaction to commit, then e-mails alice",
    },
    # observed: who the task e-mailed, "nobody" or the usernames joined by ", "
    happened=lambda emailed: {"nobody": "b", "alice": "a"}.get(emailed),
    expected="b",
    why=(
        "the worker reads the database through its own connection, and a row is visible to "
        "other connections only once its transaction commits. The task was sent, and ran, "
        "while the comment existed only inside this notebook's transaction. Nothing waits: "
        "Celery and Redis know nothing of Django's transactions."
    ),
)
