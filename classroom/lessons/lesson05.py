"""Lesson 05, inspecting results and triggering errors: a failure you cause, a result you drop."""

from __future__ import annotations

from ..clients import redis_client
from ..config import Config
from ..exercises import Incorrect, exercise, fresh, require_result, stored_result, worker_log
from ..services import worker_hostname


@exercise(
    "05",
    "q1",
    "Make add fail on the worker with a TypeError",
    "q1",
    stub="""
        # Send add with arguments that make it fail on the worker with a TypeError,
        # and keep what delay() returns.
        q1 = ____
    """,
    solution="""
        q1 = add.delay(1, "2")
    """,
    hints=[
        'Not every pair of wrong types fails: add("1", "2") returns "12", since + joins two '
        "strings. Which pair can + not join?",
        "A number and a string: + cannot add those.",
    ],
    given="from calc.tasks import add",
    wrong={
        "two strings, which + joins": 'q1 = add.delay("1", "2")',
        "the error instead of the receipt": (
            'q1 = add.delay(1, "2").get(timeout=10, propagate=False)'
        ),
    },
)
def check_q1(q1, ns):
    stored = stored_result(q1, "q1")
    if stored.name != "calc.tasks.add":
        raise Incorrect(f"that task was {stored.name}, not calc.tasks.add.")
    if stored.state == "SUCCESS":
        raise Incorrect(
            f"add{tuple(stored.args or [])} succeeded on the worker and returned "
            f"{stored.result!r}: no error at all."
        )
    if stored.state != "FAILURE" or not isinstance(stored.result, TypeError):
        raise Incorrect(f"the task ended {stored.state} with {stored.result!r}, not a TypeError.")
    if stored.worker != worker_hostname():
        raise Incorrect("that task did not run on the kit's worker.")
    lines = worker_log(q1.id, "raised unexpected")
    if not any("raised unexpected: TypeError" in text for _, text in lines):
        raise Incorrect(f"the worker log does not show {q1.id} raising a TypeError.")
    return (
        f"add{tuple(stored.args)} raised {stored.result!r} on {stored.worker}: FAILURE in "
        "Redis, and the traceback in the worker's log."
    )


@exercise(
    "05",
    "q2",
    "Forget a result you have read",
    "q2",
    stub="""
        # Run add(1, 1) on the worker and wait for its result; then make the result backend
        # forget it. Keep the AsyncResult.
        q2 = ____
    """,
    solution="""
        q2 = add.delay(1, 1)
        q2.get(timeout=10)
        q2.forget()
    """,
    hints=[
        "Three steps: send it with delay, wait with get(timeout=10), then call a method of the "
        "AsyncResult that deletes its entry from the result backend.",
        "Wait with `get(timeout=10)` before you forget: a result forgotten before the task "
        "has finished is stored again when it does.",
    ],
    given="from calc.tasks import add",
    wrong={
        "forgotten before the task finished": """
            q2 = add.delay(1, 1)
            q2.forget()
        """,
        "another task's result": """
            q2 = add.delay(1, 2)
            q2.get(timeout=10)
            q2.forget()
        """,
    },
)
def check_q2(q2, ns):
    require_result(q2, "q2")
    lines = worker_log(q2.id, "succeeded")
    ran = [text for _, text in lines if "succeeded in" in text]
    if not ran:
        raise Incorrect(
            f"the worker log shows no task {q2.id} that succeeded. Did you wait for the "
            "result before you forgot it?"
        )
    if not ran[0].startswith(f"Task calc.tasks.add[{q2.id}]") or not ran[0].endswith(": 2"):
        returned = ran[0].rsplit(": ", 1)[-1]
        raise Incorrect(
            f"the worker log shows that task returning {returned}, not 2 as add(1, 1) does."
        )
    key = f"celery-task-meta-{q2.id}"
    if redis_client(Config.from_env()).exists(key):
        raise Incorrect(
            f"Redis still holds {key}. Call q2.forget() after q2.get() has returned: "
            "forgotten before the task finished, the result is stored again when it does."
        )
    return (
        f"the worker ran it (its log says so), and {key} is gone from Redis: "
        f"AsyncResult now answers {fresh(q2).state}, 'unknown'."
    )


EXERCISES = [check_q1, check_q2]
