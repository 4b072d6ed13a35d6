"""Lesson 06, monitoring with Flower: a failure as Flower recorded it, and the worker's pool."""

from __future__ import annotations

import json
import textwrap
import time
import urllib.error
import urllib.request

from ..clients import inspect
from ..config import Config
from ..exercises import Incorrect, ____, exercise, stored_result
from ..services import worker_hostname

# The cell of the lesson that reads Flower's API; the tests run it before exercise 06.1.
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


def _flower_record(task_id: str, timeout: float = 5.0) -> dict:
    """Flower's record of a task, once it has heard the task finished (bounded)."""
    url = f"{Config.from_env().flower_url}/api/task/info/{task_id}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                info = json.load(response)
        except urllib.error.HTTPError:  # 404: Flower has not heard of this task (yet)
            info = {}
        except OSError:
            raise Incorrect(
                f"Flower does not answer at {url.split('/api')[0]}. Run `python -m classroom "
                "doctor`, or `stack.up()` in the notebook."
            ) from None
        if info.get("state") in ("SUCCESS", "FAILURE", "REVOKED") or time.monotonic() > deadline:
            return info
        time.sleep(0.1)


@exercise(
    "06",
    "q1",
    "Find a failure as Flower recorded it",
    "q1",
    stub="""
        # Send a task that fails on the worker, and keep what delay() returns in `failing`.
        # Then ask Flower's API (not the AsyncResult) which state Flower recorded for it.
        failing = ____
        q1 = ____
    """,
    solution="""
        failing = divide.delay(1, 0)
        failing.get(timeout=10, propagate=False)
        q1 = flower_task(failing.id)["state"]
    """,
    hints=[
        "divide(1, 0) fails on the worker. Then flower_task(failing.id), defined above, "
        "returns Flower's record of it: a dict, like /api/task/info/<id> answers.",
        'Keep the value under "state" in that record.',
    ],
    wrong={
        "a task that succeeds": """
            failing = divide.delay(4, 2)
            failing.get(timeout=10)
            q1 = flower_task(failing.id)["state"]
        """,
        "the state the notebook saw at once, not Flower's": """
            failing = divide.delay(1, 0)
            q1 = failing.state
        """,
    },
    # the lesson's setup() gives it cfg
    given=(
        "from calc.tasks import divide\n"
        "from classroom.config import Config\n"
        "cfg = Config.from_env()\n" + FLOWER_API
    ),
)
def check_q1(q1, ns):
    if not isinstance(q1, str):
        raise Incorrect(
            "q1 should be the state alone, a string like 'SUCCESS': the value under "
            '"state" in Flower\'s record of the task.'
        )
    failing = ns.get("failing", ____)
    if failing is ____:
        raise Incorrect("`failing` is still ____: keep in it what delay() returns.")
    stored = stored_result(failing, "failing")
    if stored.state != "FAILURE":
        raise Incorrect(
            f"{stored.name} ended {stored.state} in the result backend: that task did not fail. "
            "Send one that raises on the worker."
        )
    if stored.worker != worker_hostname():
        raise Incorrect("that task did not run on the kit's worker.")
    info = _flower_record(failing.id)
    if not info:
        raise Incorrect(
            f"Flower has no record of {failing.id}. It hears of tasks through the worker's "
            "events: was Flower running when you sent it? Send it again."
        )
    if q1 != info["state"]:
        raise Incorrect(
            f"Flower recorded another state for that task than {q1!r}. Read q1 from Flower's "
            "record, after Flower has heard that the task finished."
        )
    return (
        f"Flower recorded {info['name']}{info['args']} as {info['state']} on {info['worker']}, "
        f"with {info['exception']}: the same story as the result backend, told by events."
    )


@exercise(
    "06",
    "q2",
    "Ask the worker how many tasks it runs at once",
    "q2",
    stub="""
        # Ask the running worker, from the command line or with inspect(), how many tasks it
        # can run at the same time: its pool's max-concurrency. Keep that number.
        q2 = ____
    """,
    solution="""
        replies = app.control.inspect(timeout=1).stats()  # {worker name: its stats}
        q2 = replies[worker]["pool"]["max-concurrency"]
    """,
    hints=[
        "`celery -A proj inspect stats` or `app.control.inspect(timeout=1).stats()` answer "
        "{worker: stats}. Look for the 'pool' section.",
        "In the worker's stats, the 'pool' section has the number: its max-concurrency.",
    ],
    wrong={
        "the prefetch count": """
            replies = app.control.inspect(timeout=1).stats()
            q2 = replies[worker]["prefetch_count"]
        """,
        "the pool's processes, not their number": """
            replies = app.control.inspect(timeout=1).stats()
            q2 = replies[worker]["pool"]["processes"]
        """,
    },
    given="""
        from proj.celery import app

        from classroom.services import worker_hostname

        worker = worker_hostname()
    """,
)
def check_q2(q2, ns):
    if isinstance(q2, bool) or not isinstance(q2, int):
        raise Incorrect("q2 should be a whole number, like 4: how many tasks at once.")
    cfg = Config.from_env()
    name = worker_hostname()
    stats = inspect(cfg, "stats", name)
    if not stats:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    pool = stats["pool"]
    expected = pool["max-concurrency"]
    if q2 == expected:
        kind = pool["implementation"].split(".")[-1].split(":")[0]  # "...prefork:TaskPool"
        return (
            f"{name} runs a {kind} pool of {expected} processes: at most {expected} tasks at "
            f"once. The kit starts it with `-c {expected}` (--concurrency); without -c, a "
            "worker starts one process per CPU."
        )
    if q2 == stats.get("prefetch_count"):
        raise Incorrect(
            f"{q2} is the prefetch count: how many messages the worker reserves ahead "
            "(4 per process). Look in the 'pool' section instead."
        )
    raise Incorrect(
        f"{q2} is not the pool's max-concurrency. Ask the worker rather than guess: the "
        "number depends on how it was started."
    )


EXERCISES = [check_q1, check_q2]
