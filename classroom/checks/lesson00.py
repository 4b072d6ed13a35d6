"""Lesson 00, setup check: a first task, and the name of the worker that ran it."""

from ..clients import worker_pings
from ..config import Config
from ..exercises import (
    Incorrect,
    exercise,
    ran_on_the_kit_worker,
    stored_result,
)


@exercise(
    "q1",
    "Send add(20, 22) to the worker",
    "q1",
    stub="""
        # Send add(20, 22) to the worker, and keep what delay() returns.
        q1 = ____
    """,
    solution="""
        q1 = add.delay(20, 22)
    """,
    hints=[
        "`add.delay(x, y)` sends the task and returns at once.",
        "Keep the object that delay() returns: it is the receipt, not the sum.",
    ],
    given="from calc.tasks import add",
    wrong={
        "called directly, in the notebook": "q1 = add(20, 22)",
        "the arguments swapped": "q1 = add.delay(22, 20)",
    },
)
def check_q1(q1, ns):
    stored = stored_result(q1, "q1", "delay()")
    ran_on_the_kit_worker(stored, "calc.tasks.add", [20, 22])
    return f"add(20, 22) ran on {stored.worker}, which stored {stored.result} in Redis."


@exercise(
    "q2",
    "Name the worker that answers",
    "q2",
    stub="""
        # Ask the workers who is there, and keep the name of the one that answers.
        q2 = ____
    """,
    solution="""
        replies = add.app.control.ping(timeout=1)  # [{'worker@host': {'ok': 'pong'}}]
        q2 = list(replies[0])[0]
    """,
    hints=[
        "The doctor's output above names it; so does `add.app.control.ping(timeout=1)`.",
        "ping returns a list of {name: reply} dictionaries: take the first key of the first one.",
    ],
    given="from calc.tasks import add",
    wrong={
        "the whole ping reply": "q2 = add.app.control.ping(timeout=1)",
        "a guessed name": 'q2 = "worker@localhost"',
    },
)
def check_q2(q2, ns):
    if not isinstance(q2, str):
        raise Incorrect(f"q2 is a {type(q2).__name__}; it should be a name, like 'worker@host'.")
    answering = worker_pings(Config.from_env(), timeout=1.0)
    if q2 not in answering:
        raise Incorrect(
            f"no worker called {q2!r} answers a ping now. Ask the workers rather than guess: "
            "ping them, and read the name from the reply."
        )
    return f"{q2} answers: it is the worker that runs your tasks."
