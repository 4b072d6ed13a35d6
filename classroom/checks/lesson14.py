"""Lesson 14, deployment and RabbitMQ: write a health check that can fail, and start a worker
on the kit's RabbitMQ. The checks run the learner's command lines against the real workers."""

from __future__ import annotations

import os
import subprocess

from ..config import APP_DIR, Config
from ..exercises import Incorrect, exercise, learner_command, prediction
from ..services import worker_hostname

GIVEN_Q1 = ""
GIVEN_Q2 = """
from classroom import stack, workers
from classroom.config import Config
cfg = Config.from_env()
stack.up(["rabbitmq"])
"""
NAME = "rabbit"


def _health(command: str, name: str, cfg: Config) -> tuple[int, str]:
    """Run the health check as a container would (a shell, $NAME set): exit code, output."""
    env = {**os.environ, **cfg.env(), "NAME": name}
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command], cwd=APP_DIR, env=env,
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return 124, "it did not finish within 30 s: give `inspect` a --timeout"
    return done.returncode, (done.stdout + done.stderr).strip()


@exercise(
    "q1",
    "A health check: exit 0 when this worker answers, not 0 when it does not",
    "q1",
    stub="""
        # The command a container runs to know that ITS worker is alive. The worker's name is
        # in the shell variable $NAME (compose: worker@$HOSTNAME).
        q1 = "celery ____"
    """,
    solution='q1 = "celery -A proj inspect ping -d $NAME --timeout 5"',
    hints=[
        "`celery inspect ping` asks workers to answer; its exit code says whether any did. "
        "-d (--destination) asks only the one you name.",
        "celery -A proj inspect ping -d $NAME --timeout 5",
    ],
    wrong={
        "any worker": 'q1 = "celery -A proj inspect ping --timeout 5"',
        "-A after inspect": 'q1 = "celery inspect -A proj ping -d $NAME"',
    },
    writes_code=True,
)
def check_q1(q1, ns):
    learner_command(q1, "q1")
    cfg = Config.from_env()
    code, said = _health(q1, worker_hostname(), cfg)
    if code != 0:
        last = "\n".join(said.splitlines()[-4:])
        raise Incorrect(f"it fails while the kit's worker is fine (exit {code}):\n{last}")
    host = worker_hostname().split("@")[1]
    code, said = _health(q1, f"gone@{host}", cfg)
    if code == 0:
        raise Incorrect(
            f"it passes for gone@{host}, a worker that does not exist: another worker "
            "answered. A container would look healthy while its own worker is dead. Name it."
        )
    return (
        "exit 0 while the kit's worker answers, and not 0 for a worker that is gone: a health "
        "check that can fail. Docker restarts, or stops sending work to, what fails it."
    )


def _amqp_app(cfg: Config):
    """An app that sends through the kit's RabbitMQ, results in the kit's Redis."""
    from celery import Celery

    app = Celery("rabbit-sender", set_as_current=False)
    # the environment's CELERY_BROKER_URL (the kit's Redis) would win over `broker=`
    app.conf.update(
        broker_url=cfg.amqp_url, broker_read_url=cfg.amqp_url, broker_write_url=cfg.amqp_url,
        result_backend=cfg.redis_url, broker_connection_timeout=2,
        broker_connection_retry_on_startup=False,
    )  # fmt: skip
    return app


@exercise(
    "q2",
    "A worker on RabbitMQ: named rabbit, with the kit's RabbitMQ as its broker",
    "q2",
    stub="""
        # Like 12.1's, a worker's command line: this one on RabbitMQ, at cfg.amqp_url.
        q2 = f"celery ____"
    """,
    solution='q2 = f"celery -A proj -b {cfg.amqp_url} worker -n rabbit@%h -c 1"',
    hints=[
        "-b (--broker) names the broker, and wins over the settings' CELERY_BROKER_URL. Like "
        "-A, it is an option of `celery` itself: before `worker`.",
        'f"celery -A proj -b {cfg.amqp_url} worker -n rabbit@%h -c 1"',
    ],
    given=GIVEN_Q2,
    wrong={
        "no -b": 'q2 = "celery -A proj worker -n rabbit@%h -c 1"',
        "-b after worker": 'q2 = f"celery -A proj worker -b {cfg.amqp_url} -n rabbit@%h -c 1"',
        "Redis's URL": 'q2 = f"celery -A proj -b {cfg.redis_url} worker -n rabbit@%h -c 1"',
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from .. import workers

    learner_command(q2, "q2")
    cfg = Config.from_env()
    try:
        worker = workers.start(q2, cfg=cfg, timeout=12)
    except workers.WorkerCommandError as exc:
        raise Incorrect(f"that worker did not start: {exc}") from None
    if not worker.hostname.startswith(f"{NAME}@"):
        worker.stop()
        raise Incorrect(f"your worker is called {worker.hostname}: name it {NAME}@%h with -n.")
    if worker.broker_url is None:
        worker.stop()
        raise Incorrect(
            "your worker reads the kit's Redis, the broker of the settings: name RabbitMQ's "
            "URL with -b, before `worker` (it was stopped)."
        )
    if not worker.broker_url.startswith("amqp://"):
        worker.stop()
        raise Incorrect(
            f"your worker's broker is {worker.broker_url}, not RabbitMQ: cfg.amqp_url, which "
            "starts with amqp:// (it was stopped)."
        )
    app = _amqp_app(cfg)
    for x in (1, 2, 3):
        sent = app.send_task("calc.tasks.add", (x, x))
        try:
            sent.get(timeout=10)
        except Exception as exc:
            raise Incorrect(
                f"add({x}, {x}), sent through RabbitMQ, did not come back: {exc}"
            ) from None
        ran_on = app.AsyncResult(sent.id).worker
        if ran_on != worker.hostname:
            raise Incorrect(f"add({x}, {x}), sent through RabbitMQ, ran on {ran_on}.")
    return (
        f"{worker.hostname} reads the kit's RabbitMQ, and ran the three tasks the check sent "
        "through it; their results came back through Redis, the result backend."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "never: the worker took the message, and died with it",
        "b": "in an hour, when the broker's visibility timeout runs out, as with Redis",
        "c": "at once, as soon as a worker reads the queue again",
    },
    # observed: seconds from the restarted worker's start to the task's SUCCESS (None: never)
    happened=lambda seconds: (
        ("c" if seconds < 60 else "b")
        if isinstance(seconds, int | float) and not isinstance(seconds, bool)
        else None
    ),
    expected="c",
    why=(
        "RabbitMQ knows which connection holds each unacknowledged message. When that "
        "connection closes, with the process that held it, the broker puts the message back "
        "in the queue at once. Redis has no such link: its messages wait for the visibility "
        "timeout. The task had acks_late, so it was still unacknowledged while it ran; "
        "without acks_late, it would have been acknowledged when it started, and lost."
    ),
)
