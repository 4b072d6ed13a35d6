"""Lesson 05, inspecting results and triggering errors: a failure you cause, a result you drop,
and a task of yours that fails on purpose."""

from __future__ import annotations

from ..clients import inspect, redis_client
from ..config import Config
from ..exercises import (
    Incorrect,
    exercise,
    fresh,
    prediction,
    read_by_the_worker,
    require_result,
    stored_result,
    worker_log,
)
from ..services import worker_hostname
from ..workspace import tasks_file


@exercise(
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


GIVEN_Q3 = """
from proj.celery import app
from classroom import stack
from classroom.workspace import put_task
"""
NAME = "playground.tasks.checked_divide"
MESSAGE = "b must not be zero"


def _task(guard: str, restart: bool = True) -> str:
    """A learner's cell that puts checked_divide, with this guard for b == 0, in tasks.py."""
    return (
        'MY_TASK = """\n'
        "from celery import shared_task\n\n\n"
        "@shared_task\n"
        "def checked_divide(a, b):\n"
        f"{guard}"
        "    return a / b\n"
        '"""\n'
        "put_task(MY_TASK)\n"
        + ('stack.restart("worker")\n' if restart else "")
        + f'q3 = app.send_task("{NAME}", args=(1, 0))\n'
    )


RAISE = f'    if b == 0:\n        raise ValueError("{MESSAGE}")\n'


@exercise(
    "q3",
    "Write a task that fails on purpose, with a clear error",
    "q3",
    stub='''
        # checked_divide(a, b) returns a / b. For b == 0, it must fail on the worker with a
        # ValueError that says "b must not be zero" (not ZeroDivisionError). Write the missing
        # line, have the worker load your task, then send checked_divide(1, 0) by its name.
        MY_TASK = """
        from celery import shared_task


        @shared_task
        def checked_divide(a, b):
            if b == 0:
                ____
            return a / b
        """
        put_task(MY_TASK)  # adds checked_divide to your tasks.py, and keeps the rest

        q3 = ____
    ''',
    solution='''
        MY_TASK = """
        from celery import shared_task


        @shared_task
        def checked_divide(a, b):
            if b == 0:
                raise ValueError("b must not be zero")
            return a / b
        """
        put_task(MY_TASK)  # adds checked_divide to your tasks.py, and keeps the rest
        stack.restart("worker")
        q3 = app.send_task("playground.tasks.checked_divide", args=(1, 0))
    ''',
    hints=[
        'A task fails when it raises: `raise SomeError("message")`. What it returns, '
        "whatever it says, is a success.",
        "Restart the worker after put_task, as in lesson 04, then send the task by its full "
        "name with app.send_task(name, args=...).",
    ],
    given=GIVEN_Q3,
    wrong={
        "an error returned, not raised": _task(
            f'    if b == 0:\n        return "error: {MESSAGE}"\n'
        ),
        "no guard: ZeroDivisionError": _task(""),
        "a ValueError that says nothing": _task("    if b == 0:\n        raise ValueError()\n"),
        "the worker not restarted": _task(RAISE, restart=False),
    },
    writes_code=True,
)
def check_q3(q3, ns):
    from proj.celery import app

    stored = stored_result(q3, "q3", "send_task()")
    cfg = Config.from_env()
    path = tasks_file(cfg)
    registered = inspect(cfg, "registered", worker_hostname())
    if registered is None:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    if NAME not in registered:
        raise Incorrect(
            f"the worker has no task {NAME}: {stored.result!r}. Did it start after you wrote "
            "your tasks.py?"
        )
    read_by_the_worker(path, cfg)
    if stored.name != NAME or list(stored.args or []) != [1, 0]:
        raise Incorrect(f"q3 was {stored.name}{tuple(stored.args or [])}, not {NAME}(1, 0).")
    # the check's own inputs: one that must fail, two that must not
    cases = {(1, 0): None, (8, 2): 4.0, (0, 5): 0.0}
    sent = {args: app.send_task(NAME, args=args) for args in cases}
    for args, result in sent.items():
        value = result.get(timeout=10, propagate=False)
        call = f"checked_divide{args}"
        if cases[args] is not None:
            if result.state != "SUCCESS" or value != cases[args]:
                raise Incorrect(f"{call} ended {result.state} with {value!r}, not {cases[args]}.")
            continue
        if result.state == "SUCCESS":
            raise Incorrect(
                f"{call} ended SUCCESS, returning {value!r}: whatever a task returns is a "
                "success. To fail, it must raise."
            )
        if not isinstance(value, ValueError):
            raise Incorrect(f"{call} failed with {value!r}, not a ValueError.")
        if MESSAGE not in str(value):
            raise Incorrect(
                f'{call} raised {value!r}: say why in its message, "{MESSAGE}", for '
                "whoever reads the failure."
            )
        if "raise ValueError" not in (result.traceback or ""):
            raise Incorrect(f"the traceback stored for {call} does not show your raise.")
    lines = worker_log(sent[(1, 0)].id, "raised unexpected")
    if not any(f"raised unexpected: ValueError('{MESSAGE}')" in text for _, text in lines):
        raise Incorrect("the worker's log does not show your ValueError.")
    return (
        f"checked_divide(8, 2) and (0, 5) succeeded, and (1, 0) ended FAILURE with "
        f"ValueError('{MESSAGE}'): the state, the error and its traceback, stored in Redis, "
        "and logged by the worker."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "an error: no task has that id",
        "b": "'FAILURE'",
        "c": "'PENDING'",
        "d": "None",
    },
    happened=lambda state: {"FAILURE": "b", "PENDING": "c", None: "d"}.get(state),
    expected="c",
    why=(
        "the result backend answers PENDING for any id it has no entry for. It cannot tell "
        "a task still in the queue from one that was never sent, a mistyped id or an "
        "expired result: PENDING means 'I don't know'."
    ),
)
