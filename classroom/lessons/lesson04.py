"""Lesson 04, defining tasks and calling delay: start a task later, and send one by name."""

from __future__ import annotations

import re

from ..exercises import (
    Incorrect,
    exercise,
    ran_on_the_kit_worker,
    stored_result,
    worker_log,
)


@exercise(
    "04",
    "q1",
    "Start divide(9, 3) two seconds from now",
    "q1",
    stub="""
        # Send divide(9, 3) so that the worker starts it no sooner than 2 seconds after you
        # send it, and keep what you get back.
        q1 = ____
    """,
    solution="""
        q1 = divide.apply_async((9, 3), countdown=2)
    """,
    hints=[
        "`delay` takes no options, `apply_async` does. Its arguments go in one tuple: "
        "`divide.apply_async((9, 3), ...)`.",
        "`countdown=2` means: not before 2 seconds from now. `eta=` does the same with a "
        "datetime: `eta=datetime.now(timezone.utc) + timedelta(seconds=2)`.",
    ],
    given="from calc.tasks import divide",
    wrong={
        "sent at once": "q1 = divide.delay(9, 3)",
        "a countdown too short": "q1 = divide.apply_async((9, 3), countdown=1)",
    },
)
def check_q1(q1, ns):
    stored = stored_result(q1, "q1", "apply_async()")
    ran_on_the_kit_worker(stored, "calc.tasks.divide", [9, 3])
    if stored.state == "FAILURE":
        raise Incorrect(f"divide failed on the worker: {stored.result!r}.")
    lines = worker_log(q1.id, "succeeded")
    received = next((t for t, text in lines if text.endswith("received")), None)
    done = next(((t, text) for t, text in lines if "succeeded in" in text), None)
    if received is None or done is None:
        raise Incorrect(
            f"the worker log has no 'received' and 'succeeded' lines for {q1.id}. "
            "Look at show.log('worker')."
        )
    # "... succeeded in 1.003s: 3.0": the task's own runtime, so the rest is the wait before it
    runtime = float(re.search(r"succeeded in ([\d.]+)s", done[1]).group(1))
    waited = (done[0] - received).total_seconds() - runtime
    if waited < 1.9:
        raise Incorrect(
            f"the worker started it {max(waited, 0):.1f} s after it received it, not 2 s or "
            "more. Ask for a later start."
        )
    return (
        f"the worker received it at once, held it for {waited:.1f} s until it was due, then "
        "ran it: a countdown delays the start, not the send."
    )


@exercise(
    "04",
    "q2",
    "Send a task by its name alone",
    "q2",
    stub="""
        # The worker knows its tasks by name. Send calc.tasks.divide with the arguments 10 and 4
        # by its name alone, without importing divide, and keep what you get back.
        q2 = ____
    """,
    solution="""
        q2 = app.send_task("calc.tasks.divide", args=(10, 4))
    """,
    hints=[
        "The Celery app (`from proj.celery import app`) has a method that sends a task by "
        "name: `app.send_task(name, args=...)`.",
        '`app.send_task("calc.tasks.divide", args=(10, 4))`',
    ],
    given="from proj.celery import app",
    wrong={
        "a name the worker does not know": 'q2 = app.send_task("divide", args=(10, 4))',
        "the arguments swapped": 'q2 = app.send_task("calc.tasks.divide", args=(4, 10))',
    },
)
def check_q2(q2, ns):
    stored = stored_result(q2, "q2", "send_task()")
    ran_on_the_kit_worker(stored, "calc.tasks.divide", [10, 4])
    if stored.state != "SUCCESS" or stored.result != 2.5:
        raise Incorrect(f"the task ended {stored.state} with {stored.result!r}, not 2.5.")
    return (
        f"{stored.worker} found calc.tasks.divide by its name and stored 2.5: a name is all a "
        "message carries."
    )


EXERCISES = [check_q1, check_q2]
