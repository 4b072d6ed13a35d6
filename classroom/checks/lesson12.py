"""Lesson 12, routing and scaling: start a worker of your own on a queue of its own, with a
command line, and route a task to it from your settings. The checks ask the real workers what
they read and ran."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config import APP_DIR, Config
from ..exercises import Incorrect, NotAttempted, exercise, fresh, learner_command, wait_for
from ..services import worker_hostname
from ..workspace import local_settings_file

GIVEN_Q1 = """
from classroom import workers
"""
GIVEN_Q2 = """
from classroom import workers
from classroom.workspace import add_settings
workers.start("celery -A proj worker -n thumbs@%h -Q thumbnails -c 1")
"""
QUEUE = "thumbnails"
NAME = "thumbs"


def _command(flags: str) -> str:
    return f'q1 = "celery -A proj worker {flags}"'


@exercise(
    "q1",
    "Start a worker of your own: named thumbs, reading only the thumbnails queue, one process",
    "q1",
    stub="""
        # The command line you would type in a terminal; the check runs it for you, on the
        # kit's Redis, and asks the worker what it reads.
        q1 = "celery -A proj worker ____"
    """,
    solution=_command(f"-n {NAME}@%h -Q {QUEUE} -c 1"),
    hints=[
        "Three options: -n names the worker (name@%h, %h is this machine), -Q lists the queues "
        "it reads, -c sets how many processes run tasks.",
        f"celery -A proj worker -n {NAME}@%h -Q {QUEUE} -c 1",
    ],
    given=GIVEN_Q1,
    wrong={
        "-A after worker": f'q1 = "celery worker -A proj -n {NAME}@%h -Q {QUEUE} -c 1"',
        "no -Q": _command(f"-n {NAME}@%h -c 1"),
        "the default queue too": _command(f"-n {NAME}@%h -Q {QUEUE},celery -c 1"),
        "no -n": _command(f"-Q {QUEUE} -c 1"),
        "four processes": _command(f"-n {NAME}@%h -Q {QUEUE} -c 4"),
    },
    writes_code=True,
)
def check_q1(q1, ns):
    from .. import workers
    from ..clients import inspect

    learner_command(q1, "q1")
    cfg = Config.from_env()
    try:
        worker = workers.start(q1, cfg=cfg)
    except workers.WorkerCommandError as exc:
        raise Incorrect(f"that worker did not start: {exc}") from None
    host = worker_hostname().split("@")[1]
    if not worker.hostname.startswith(f"{NAME}@"):
        workers.stop(worker.hostname.split("@")[0], cfg=cfg)
        raise Incorrect(
            f"your worker is called {worker.hostname}: name it {NAME}@%h with -n (it was stopped)."
        )
    queues = worker.queues()
    if queues != [QUEUE]:
        workers.stop(NAME, cfg=cfg)
        if "celery" in queues:
            raise Incorrect(
                f"your worker reads {queues}: celery is the default queue, the kit's worker's, "
                f"so yours would take its tasks too. -Q {QUEUE} alone (it was stopped)."
            )
        raise Incorrect(f"your worker reads {queues}, not {QUEUE} alone (it was stopped).")
    stats = inspect(cfg, "stats", worker.hostname) or {}
    processes = stats.get("pool", {}).get("max-concurrency")
    if processes != 1:
        raise Incorrect(f"your worker runs {processes} processes, not 1: -c 1.")
    from calc.tasks import add

    for x in (1, 2, 3):
        result = wait_for(add.apply_async((x, x), queue=QUEUE), 10)
        if fresh(result).worker != f"{NAME}@{host}":
            raise Incorrect(f"add({x}, {x}), sent to {QUEUE}, ran on {fresh(result).worker}.")
    return (
        f"{worker.hostname} runs: it reads {QUEUE} alone, with one process, and ran the three "
        f"tasks the check sent to {QUEUE}. It runs until the kernel stops, or workers.stop()."
    )


def _routes(text: str) -> str:
    return f'q2 = """\n{text}\n"""\nadd_settings(q2)'


def _call(cfg: Config, task: str, args: list, settings: str) -> str:
    """Send a task by name from a new process, `celery -A proj call`, as a web server started
    now would, with `settings` as its only local settings (not what earlier tries left in the
    file: a later line wins there). Returns the task id."""
    workspace = Path(tempfile.mkdtemp(prefix="classroom-check-"))
    (workspace / "local_settings.py").write_text(settings)
    env = {**os.environ, **cfg.env(), "CLASSROOM_WORKSPACE": str(workspace)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "proj", "call", task,
             f"--args={json.dumps(args)}"],
            cwd=APP_DIR, env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise Incorrect("`celery call` did not finish within 30 s: is Redis running?") from None
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Incorrect("with your settings, Django could not start:\n" + "\n".join(last))
    return done.stdout.strip().splitlines()[-1]


def _where_is(cfg: Config, task_id: str) -> str | None:
    """The Redis list (queue) that holds a message with this task id, if any; the check's own
    message is taken out of it, so that nothing is left waiting for ever."""
    from ..clients import redis_client

    client = redis_client(cfg)
    try:
        for key in client.scan_iter(count=1000):
            if client.type(key) != b"list":
                continue
            for raw in client.lrange(key, 0, -1):
                if task_id.encode() in raw:
                    client.lrem(key, 0, raw)
                    return key.decode()
    finally:
        client.close()
    return None


@exercise(
    "q2",
    "Route make_thumbnail to the thumbnails queue from your settings, and nothing else",
    "q2",
    stub="""
        # One setting, in your own settings file: make_thumbnail goes to the thumbnails queue,
        # every other task stays on the default one.
        q2 = \"\"\"
        # your setting here
        \"\"\"
        add_settings(q2)
    """,
    solution=_routes(
        'CELERY_TASK_ROUTES = {"gallery.tasks.make_thumbnail": {"queue": "thumbnails"}}'
    ),
    hints=[
        "CELERY_TASK_ROUTES maps a task's full name (module and function) to where it goes: "
        '{"queue": "..."}.',
        'CELERY_TASK_ROUTES = {"gallery.tasks.make_thumbnail": {"queue": "thumbnails"}}',
    ],
    given=GIVEN_Q2,
    wrong={
        "no CELERY_ prefix": _routes(
            'TASK_ROUTES = {"gallery.tasks.make_thumbnail": {"queue": "thumbnails"}}'
        ),
        "the short name": _routes(
            'CELERY_TASK_ROUTES = {"make_thumbnail": {"queue": "thumbnails"}}'
        ),
        "a queue nobody reads": _routes(
            'CELERY_TASK_ROUTES = {"gallery.tasks.make_thumbnail": {"queue": "thumbnail"}}'
        ),
        "every task": _routes('CELERY_TASK_ROUTES = {"*": {"queue": "thumbnails"}}'),
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from celery.result import AsyncResult

    if not isinstance(q2, str):
        raise Incorrect("q2 should be the text of your setting, a string.")
    if "ROUTES" not in q2:
        raise NotAttempted('the text of q2, below "# your setting here",')
    cfg = Config.from_env()
    path = local_settings_file(cfg)
    if not path.is_file() or q2.strip() not in path.read_text():
        raise Incorrect(f"{path.name} does not hold q2: add it with add_settings(q2).")
    host = worker_hostname().split("@")[1]
    thumbs = f"{NAME}@{host}"
    for photo in (0, -1):  # no such photo: the task says so, and returns None at once
        task_id = _call(cfg, "gallery.tasks.make_thumbnail", [photo], q2)
        result = AsyncResult(task_id)
        try:
            result.get(timeout=6, propagate=False)
        except Exception:
            queue = _where_is(cfg, task_id)
            raise Incorrect(
                f"nobody ran make_thumbnail: it waited in the queue {queue!r}, which no worker "
                f"reads (yours reads {QUEUE!r}). The check took its message out."
            ) from None
        if result.worker != thumbs:
            if "CELERY_TASK_ROUTES" not in q2:
                raise Incorrect(
                    f"make_thumbnail ran on {result.worker}, not {thumbs}: a setting without "
                    "the CELERY_ prefix is ignored, and everything went to the default queue."
                )
            raise Incorrect(
                f"make_thumbnail ran on {result.worker}, not {thumbs}: a route's key is the "
                "task's full name, module and function, as the worker's log lists it."
            )
    other = AsyncResult(_call(cfg, "calc.tasks.add", [2, 2], q2))
    wait_for(other, 10)
    if other.worker != worker_hostname():
        raise Incorrect(
            f"add went to {other.worker} too: route make_thumbnail alone, and leave the rest on "
            "the default queue, for the kit's worker."
        )
    return (
        f"a process started now (celery call, as a web server would) sent make_thumbnail to "
        f"{QUEUE}, where {thumbs} ran it, and add to the default queue, where the kit's worker "
        "ran it. The sender routes: the worker only reads the queues it is given."
    )
