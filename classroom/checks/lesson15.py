"""Lesson 15, performance measured live: time a task's round trip, and send tasks whose results
nobody needs without storing them. The checks watch what was sent, what the worker ran and what
Redis kept, so that a figure copied from an output cannot pass."""

from __future__ import annotations

import re
import time
from numbers import Real
from unittest import mock

from ..clients import redis_client
from ..config import Config
from ..exercises import Incorrect, exercise, learner_function, prediction, worker_log
from ..services import worker_hostname

GIVEN = """
import time

from calc.tasks import add
from comments.tasks import export_comments
from workflows.tasks import count_primes
"""

# (task, args, what the worker returns): the check's own calls of round_trip
CASES_Q1 = (
    ("calc.tasks.add", (2, 3), 5),
    ("comments.tasks.export_comments", (1,), "exported after 1 s"),
    ("workflows.tasks.count_primes", (1000,), 168),
)


def _sending_spy(sent: list):
    """Celery.send_task, recording what it returns: every way of sending a task goes through
    it (delay, apply_async, send_task)."""
    from celery import Celery

    original = Celery.send_task

    def send_task(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        sent.append(result)
        return result

    return mock.patch.object(Celery, "send_task", send_task)


@exercise(
    "q1",
    "Time a task's round trip",
    "q1",
    stub="""
        # Write round_trip(task, *args): it sends the task with those arguments to the worker,
        # waits for its result, and returns how many seconds all that took. The check calls it
        # with several tasks, a quick one and a slow one.
        def round_trip(task, *args):
            started = time.perf_counter()
            ____
            return time.perf_counter() - started

        q1 = round_trip
    """,
    solution="""
        def round_trip(task, *args):
            started = time.perf_counter()
            task.delay(*args).get(timeout=10)
            return time.perf_counter() - started

        q1 = round_trip
    """,
    hints=[
        "Start the clock, send the task (`delay`), wait for its result (`.get(timeout=...)`), "
        "and stop the clock: in that order, all inside the function.",
        "`task.delay(*args).get(timeout=10)` between the two clock readings.",
    ],
    given=GIVEN,
    wrong={
        "the send alone": """
            def round_trip(task, *args):
                started = time.perf_counter()
                task.delay(*args)
                return time.perf_counter() - started

            q1 = round_trip
        """,
        "a call in this process": """
            def round_trip(task, *args):
                started = time.perf_counter()
                task(*args)
                return time.perf_counter() - started

            q1 = round_trip
        """,
        "milliseconds": """
            def round_trip(task, *args):
                started = time.perf_counter()
                task.delay(*args).get(timeout=10)
                return (time.perf_counter() - started) * 1000

            q1 = round_trip
        """,
        "the result, not the time": """
            def round_trip(task, *args):
                return task.delay(*args).get(timeout=10)

            q1 = round_trip
        """,
    },
    writes_code=True,
)
def check_q1(q1, ns):
    from celery import current_app
    from celery.result import AsyncResult

    learner_function(q1, "q1", "round_trip")
    timed = []
    for name, args, value in CASES_Q1:
        task = current_app.tasks[name]
        call = f"round_trip({task.__name__}, {', '.join(map(repr, args))})"
        sent: list = []
        started = time.perf_counter()
        try:
            with _sending_spy(sent):
                seconds = q1(task, *args)
        except Exception as exc:
            raise Incorrect(f"{call} raised {type(exc).__name__}: {exc}") from None
        took = time.perf_counter() - started
        if not sent:
            raise Incorrect(
                f"{call} sent nothing to the broker: calling the task runs it here, in this "
                "process. Send it to the worker (delay), then wait for its result."
            )
        if len(sent) > 1:
            raise Incorrect(f"{call} sent {len(sent)} tasks: send one, and time it.")
        stored = AsyncResult(sent[0].id)
        if not stored.ready():
            raise Incorrect(
                f"{call} returned before the worker had run the task: you timed the send "
                "alone. Wait for the result (.get(timeout=...)) before you stop the clock."
            )
        if stored.state != "SUCCESS" or stored.result != value:
            raise Incorrect(f"{call}: the worker's task ended {stored.state}, {stored.result!r}.")
        if isinstance(seconds, bool) or not isinstance(seconds, Real):
            raise Incorrect(f"{call} returned {seconds!r}: return the seconds, a number.")
        if seconds == value:
            raise Incorrect(
                f"{call} returned {seconds!r}, the task's result: return the seconds it took."
            )
        if seconds > took + 0.01:
            raise Incorrect(
                f"{call} returned {seconds:.3g}, but the whole call took {took:.3f} s: "
                "seconds, as time.perf_counter() counts them, not milliseconds."
            )
        low = 1.0 if name.endswith("export_comments") else 0.0  # it sleeps 1 s on the worker
        if seconds <= low:
            raise Incorrect(
                f"{call} returned {seconds:.3f} s, but the task alone takes {low:g} s or "
                "more: start the clock before you send, stop it when the result is back."
            )
        if stored.worker != worker_hostname():
            raise Incorrect(f"{call} did not run on the kit's worker.")
        timed.append(f"{task.__name__} {seconds * 1000:.0f} ms")
    return (
        f"your function timed {len(CASES_Q1)} round trips through the worker "
        f"({', '.join(timed)}), each from the send to the result being back."
    )


COUNT_Q2 = 20
_SUCCEEDED = re.compile(r"succeeded in \S+s: (.*)$")  # 0.0004s, or 3.1e-05s


def _ended(task_id: str, timeout: float = 15.0) -> str | None:
    """The worker log's line that ends this task (succeeded, or raised), waited for, bounded:
    with no result stored, the log is where a task's end shows."""
    deadline = time.monotonic() + timeout
    while True:
        for _, text in worker_log(task_id, "succeeded", timeout=0):
            if "succeeded in" in text or " raised " in text:
                return text
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


@exercise(
    "q2",
    "Send tasks without storing their results",
    "q2",
    stub=f"""
        # Nobody reads these results: send add(i, i) for i in range({COUNT_Q2}), each without
        # storing its result in Redis, and keep what sending gives you back: a list of
        # {COUNT_Q2}.
        q2 = ____
    """,
    solution=f"""
        q2 = [add.apply_async((i, i), ignore_result=True) for i in range({COUNT_Q2})]
    """,
    hints=[
        "Sending options go to `apply_async`, not `delay`: `delay` hands every keyword to "
        "the task itself.",
        "`add.apply_async((i, i), ignore_result=True)`, once for each i, gathered in a list.",
    ],
    given=GIVEN,
    wrong={
        "results stored": f"q2 = [add.delay(i, i) for i in range({COUNT_Q2})]",
        "signatures, never sent": (
            f"q2 = [add.s(i, i).set(ignore_result=True) for i in range({COUNT_Q2})]"
        ),
        "then waited for": (
            f"q2 = [add.apply_async((i, i), ignore_result=True).get(timeout=5) "
            f"for i in range({COUNT_Q2})]"
        ),
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from celery.result import AsyncResult

    if not isinstance(q2, list | tuple) or len(q2) != COUNT_Q2:
        raise Incorrect(f"q2 should be a list of {COUNT_Q2}: what each apply_async returned.")
    from celery.canvas import Signature

    odd = next((sent for sent in q2 if not isinstance(sent, AsyncResult)), "")
    if isinstance(odd, Signature):
        raise Incorrect(
            f"q2 holds {odd!r}, a signature: a task described, not sent (lesson 11). Send "
            "each one: apply_async returns what q2 should hold."
        )
    if odd is None:
        raise Incorrect(
            "q2 holds None: .get() on a task whose result is not stored has nothing to wait "
            "for, and gives None at once. Keep what apply_async returns."
        )
    if odd != "":
        raise Incorrect(f"q2 holds {odd!r}, not what sending returns (an AsyncResult).")
    ends = [_ended(sent.id) for sent in q2]
    for i, (sent, text) in enumerate(zip(q2, ends, strict=True)):
        if text is None:
            raise Incorrect(
                f"the worker's log has no end for q2[{i}] ({sent.id}) after 15 s: is the "
                "worker running? Look at show.log('worker')."
            )
        if " raised " in text:
            raise Incorrect(f"the worker could not run q2[{i}]: {text.split(' raised ', 1)[1]}")
    redis = redis_client(Config.from_env())
    stored = [s for s in q2 if redis.exists(f"celery-task-meta-{s.id}")]
    if stored:
        raise Incorrect(
            f"Redis holds the results of {len(stored)} of them (celery-task-meta-<id> keys), "
            "kept for a day by default: ask for none."
        )
    for i, text in enumerate(ends):
        ran = _SUCCEEDED.search(text)
        if ran is None or ran.group(1) != repr(i + i):
            raise Incorrect(f"q2[{i}] did not return add({i}, {i}) = {i + i} on the worker: {text}")
    return (
        f"the worker ran all {COUNT_Q2} (its log says so) and Redis kept none of their "
        "results: one write and a day of memory saved per task."
    )


def _times_a_ping(ratio) -> str | None:
    if isinstance(ratio, bool) or not isinstance(ratio, Real):
        return None
    return "a" if ratio < 2 else "b" if ratio < 10 else "c"


P1 = prediction(
    "p1",
    choices={
        "a": "about as long as one PING: Redis is the only stop on the way",
        "b": "a few times a PING",
        "c": "tens of times a PING, or more",
    },
    # observed: the median round trip divided by the median PING
    happened=lambda ratio: _times_a_ping(ratio),
    expected="c",
    why=(
        "a PING is one request to Redis and its answer. A round trip is many: the message is "
        "serialized and pushed; the worker pops it, decodes it, hands it to a pool process "
        "through a pipe, runs it, stores the result, and publishes that it is done; your "
        "process hears of it and fetches the result. The task's own code is the smallest part."
    ),
)
