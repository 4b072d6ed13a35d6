"""Lesson 06, monitoring with Flower: a failure as Flower recorded it, and a running worker's pool
grown by a remote-control command."""

from __future__ import annotations

import textwrap
import time

from ..clients import inspect
from ..config import Config
from ..exercises import Incorrect, exercise, started_on_the_worker, stored_result, wait_for
from ..services import worker_hostname

# The cell of the lesson that reads Flower's API, verbatim (a test holds the notebook to it). The
# tests run it before exercise 06.1, and the check reads Flower with it.
FLOWER_API = textwrap.dedent(
    """
    import json
    import time
    import urllib.error
    import urllib.request

    from celery import states


    def flower(path):
        \"\"\"One page of Flower's HTTP API, as Python data.\"\"\"
        with urllib.request.urlopen(cfg.flower_url + path, timeout=5) as response:
            return json.load(response)


    def flower_task(task_id, timeout=5.0):
        \"\"\"Flower's record of one task, once Flower has heard that it finished.\"\"\"
        deadline = time.monotonic() + timeout
        while True:
            try:
                info = flower(f"/api/task/info/{task_id}")
            except urllib.error.HTTPError:  # 404: Flower has not heard of it yet
                info = {}
            if info.get("state") in states.READY_STATES or time.monotonic() > deadline:
                return info
            time.sleep(0.1)
    """
).strip()


def _flower_record(task_id: str) -> dict:
    """Flower's record of a task, once it has heard the task finished (bounded): read by the
    lesson's own cell, FLOWER_API, so that the check and the notebook share one source."""
    cfg = Config.from_env()
    api: dict = {"cfg": cfg}
    exec(FLOWER_API, api)
    try:
        return api["flower_task"](task_id)
    except OSError:  # not an HTTP error: Flower itself does not answer
        raise Incorrect(
            f"Flower does not answer at {cfg.flower_url}. Run `python -m classroom doctor`, "
            "or `stack.up()` in the notebook."
        ) from None


# Only the worker's events carry these to Flower; the result backend never knows them.
EVENT_TIMES = ("received", "started", "failed")


@exercise(
    "q1",
    "Find a failure as Flower recorded it",
    "q1",
    stub="""
        # Send a task that fails on the worker, and keep what delay() returns in `failing`.
        # Then keep Flower's record of it in q1: what Flower's API answers, not the
        # AsyncResult, and not the result backend.
        failing = ____
        q1 = ____
    """,
    solution="""
        failing = divide.delay(1, 0)
        failing.get(timeout=10, propagate=False)
        q1 = flower_task(failing.id)
    """,
    hints=[
        "divide(1, 0) fails on the worker. flower_task, defined above, asks Flower's API for "
        "one task's record.",
        "Keep the whole record, the dict: it holds what only Flower heard, such as when the "
        "worker received the task.",
    ],
    wrong={
        "a task that succeeds": """
            failing = divide.delay(4, 2)
            failing.get(timeout=10)
            q1 = flower_task(failing.id)
        """,
        "the state alone": """
            failing = divide.delay(1, 0)
            failing.get(timeout=10, propagate=False)
            q1 = flower_task(failing.id)["state"]
        """,
        "the result backend's record, not Flower's": """
            failing = divide.delay(1, 0)
            failing.get(timeout=10, propagate=False)
            q1 = failing.backend.get_task_meta(failing.id)
        """,
        "another task's record": """
            failing = divide.delay(1, 0)
            other = divide.delay(2, 0)
            other.get(timeout=10, propagate=False)
            q1 = flower_task(other.id)
        """,
    },
    inputs=("failing",),
    # the lesson's setup() gives it cfg
    given=(
        "from calc.tasks import divide\n"
        "from classroom.config import Config\n"
        "cfg = Config.from_env()\n" + FLOWER_API
    ),
)
def check_q1(q1, ns):
    if isinstance(q1, str):
        raise Incorrect(
            f"q1 is {q1!r}, one value. Keep Flower's whole record of the task: the dict, "
            "with what only Flower heard."
        )
    if not isinstance(q1, dict):
        raise Incorrect("q1 should be Flower's record of the task: a dict, as its API answers.")
    failing = ns["failing"]
    stored = stored_result(failing, "failing")
    if stored.state != "FAILURE":
        raise Incorrect(
            f"{stored.name} ended {stored.state} in the result backend: that task did not fail. "
            "Send one that raises on the worker."
        )
    if stored.worker != worker_hostname():
        raise Incorrect("that task did not run on the kit's worker.")
    if "status" in q1 and "received" not in q1:
        raise Incorrect(
            "that is the result backend's record (status, result, traceback). It never knows "
            "when the worker received or started the task: only the worker's events say that, "
            "and Flower listens to them. Ask Flower."
        )
    info = _flower_record(failing.id)
    if not info:
        raise Incorrect(
            f"Flower has no record of {failing.id}. It hears of tasks through the worker's "
            "events: was Flower running when you sent it? Send it again."
        )
    if q1.get("uuid") != failing.id:
        raise Incorrect(f"q1 is Flower's record of another task ({q1.get('uuid')}), not `failing`.")
    changed = [k for k in ("state", *EVENT_TIMES) if q1.get(k) != info.get(k)]
    if changed:
        raise Incorrect(
            f"q1's {', '.join(changed)} differ from what Flower says now ({info['state']}). "
            "Ask again, once Flower has heard that the task finished: flower_task waits for it."
        )
    took = (info["failed"] - info["received"]) * 1000
    return (
        f"Flower recorded {info['name']}{info['args']} as {info['state']} on {info['worker']}, "
        f"with {info['exception']}, {took:.0f} ms after the worker received it: times that "
        "only the worker's events carry."
    )


GOAL = 3  # processes: the kit starts the worker with 2 (-c 2)
WAIT = 5.0  # seconds for a grown pool's new process to start


def _processes(cfg: Config, name: str, at_least: int) -> list[int] | None:
    """The worker's pool processes, once there are `at_least` (bounded), or None if it does not
    answer. A pool grows a moment after it says it will."""
    deadline = time.monotonic() + WAIT
    while True:
        stats = inspect(cfg, "stats", name)
        if stats is None:
            return None
        processes = stats["pool"]["processes"]
        if time.monotonic() > deadline:
            return processes
        if len(processes) >= at_least:
            time.sleep(0.5)  # a pool grown by more than asked may still be starting some
            stats = inspect(cfg, "stats", name)
            return None if stats is None else stats["pool"]["processes"]
        time.sleep(0.2)


def _starts(results) -> list[float]:
    """When the worker started each task, in seconds on its clock, from its log."""
    starts = []
    for result in results:
        started = started_on_the_worker(result.id)
        if started is None:
            raise Incorrect(f"the worker log does not show {result.id} succeeding.")
        starts.append(started.timestamp())
    return starts


@exercise(
    "q2",
    "Give the running worker one more process",
    "q2",
    stub="""
        # The worker runs 2 tasks at once: its pool has 2 processes. Without restarting it,
        # make it run 3 at once: send it the remote-control command that grows its pool, and
        # keep the worker's reply.
        q2 = ____
    """,
    solution="""
        q2 = app.control.pool_grow(1, destination=[worker], reply=True)
    """,
    hints=[
        "`celery -A proj control --list` lists the commands that change a running worker; "
        "from Python, each is a method of `app.control`. One of them grows the pool.",
        "Grow it by one, and ask for the answer: without `reply=True`, a command returns "
        "None at once, and you can't tell whether any worker heard it.",
    ],
    wrong={
        "grown by 3, to 5": """
            q2 = app.control.pool_grow(3, destination=[worker], reply=True)
        """,
        "sent without asking for a reply": """
            q2 = app.control.pool_grow(1, destination=[worker])
        """,
        "a question, not a command": """
            q2 = app.control.inspect([worker], timeout=1).stats()
        """,
        "sent to a worker that does not exist": """
            q2 = app.control.pool_grow(1, destination=["nobody@nowhere"], reply=True)
        """,
    },
    given="""
        from proj.celery import app

        from classroom import stack
        from classroom.services import worker_hostname

        worker = worker_hostname()
        stack.restart("worker")  # as the lesson left it: 2 processes
    """,
    writes_code=True,
)
def check_q2(q2, ns):
    from calc.tasks import divide

    name = worker_hostname()
    if q2 is None:
        raise Incorrect(
            "q2 is None: a command sent without reply=True returns nothing, so you can't know "
            "that the worker heard it. Ask for its reply."
        )
    if isinstance(q2, dict):
        raise Incorrect(
            "q2 is a dict of answers: inspect() asks a worker questions. A command that "
            "changes the worker is a method of app.control itself."
        )
    if not isinstance(q2, list) or not all(isinstance(r, dict) for r in q2):
        raise Incorrect("q2 should be the worker's reply: a list like [{worker: {'ok': ...}}].")
    replies = {w: answer for reply in q2 for w, answer in reply.items()}
    if name not in replies:
        raise Incorrect(
            f"{name} did not reply: the command reached no worker of that name. Send it to "
            "`worker`, or to every worker."
        )
    cfg = Config.from_env()
    processes = _processes(cfg, name, GOAL)
    if processes is None:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    if len(processes) != GOAL:
        raise Incorrect(
            f"the worker's pool has {len(processes)} processes, not {GOAL}. To start again from "
            '2, restart the worker: stack.restart("worker").'
        )
    # three one-second tasks, all at once: they start together when there are 3 processes
    results = [divide.delay(6, 3) for _ in range(GOAL)]
    for result in results:
        wait_for(result)
    starts = _starts(results)
    if max(starts) - min(starts) > 0.6:
        raise Incorrect(
            f"{GOAL} tasks did not run at the same time: they started "
            f"{max(starts) - min(starts):.1f} s apart."
        )
    return (
        f"{name} answered {replies[name]}, and now runs {GOAL} tasks at once: three divides, "
        "started together. Its stats' max-concurrency still says 2, what it was started with: "
        "count the processes instead. A restart brings it back to its -c."
    )
