"""Lesson 02, broker and result backend: read a queued message, find a stored result, and
configure a Celery app of your own that the worker serves."""

import json
import os
from contextlib import contextmanager
from urllib.parse import urlsplit

from ..clients import redis_client
from ..config import Config
from ..exercises import Incorrect, NotAttempted, ____, exercise
from ..services import worker_hostname

GIVEN = """
from classroom.config import Config
cfg = Config.from_env()  # in the notebook, cfg = setup()
import json
import redis
from calc.tasks import add
from classroom import stack
client = redis.Redis.from_url(cfg.redis_url)
"""


def _client():
    return redis_client(Config.from_env(), timeout=2.0)


def _stored(task_id: str) -> dict | None:
    raw = _client().get(f"celery-task-meta-{task_id}")
    return json.loads(raw) if raw else None


@exercise(
    "q1",
    "Read a queued message",
    "q1",
    stub="""
        # With the worker stopped, send add(7, 8), read its message from the `celery` list
        # (without removing it), and keep its delivery tag: a value your AsyncResult does not
        # have, only the broker's copy of the message.
        stack.down(["worker"])
        message = add.delay(7, 8)
        q1 = ____
    """,
    solution="""
        stack.down(["worker"])
        message = add.delay(7, 8)
        raw = client.lindex("celery", 0)  # the newest message is on the left
        q1 = json.loads(raw)["properties"]["delivery_tag"]
    """,
    hints=[
        "`client.lindex('celery', 0)` reads the newest message without removing it.",
        "The message is JSON: parse it. The task's own facts are in its headers; the broker's "
        "are in its properties.",
    ],
    given=GIVEN,
    wrong={
        "the task id, which the AsyncResult has too": """
            stack.down(["worker"])
            message = add.delay(7, 8)
            q1 = json.loads(client.lindex("celery", 0))["headers"]["id"]
        """,
        "the whole raw message": """
            stack.down(["worker"])
            message = add.delay(7, 8)
            q1 = client.lindex("celery", 0).decode()
        """,
        "the properties, not the tag in them": """
            stack.down(["worker"])
            message = add.delay(7, 8)
            q1 = json.loads(client.lindex("celery", 0))["properties"]
        """,
        "read after the worker took it": """
            stack.down(["worker"])
            message = add.delay(7, 8)
            q1 = json.loads(client.lindex("celery", 0))["properties"]["delivery_tag"]
            stack.up()
            message.get(timeout=10)
        """,
    },
)
def check_q1(q1, ns):
    if isinstance(q1, dict):
        raise Incorrect("q1 is a dict: keep the one value you need from it, the tag.")
    if not isinstance(q1, str):
        raise Incorrect(f"q1 is a {type(q1).__name__}; it should be the delivery tag, a string.")
    if q1.lstrip().startswith("{"):
        raise Incorrect("q1 is the whole message. Parse it, and look in its properties.")
    queued = {}  # delivery tag: headers, for each message in the queue
    for raw in _client().lrange("celery", 0, -1):
        message = json.loads(raw)
        queued[message.get("properties", {}).get("delivery_tag")] = message.get("headers", {})
    if q1 in {headers.get("id") for headers in queued.values()} or _stored(q1):
        raise Incorrect(
            "that is the task id: your AsyncResult knows it (`message.id`) without asking the "
            "broker. Look for what only the broker's copy has: its properties."
        )
    if q1 not in queued:
        raise Incorrect(
            f"no message in the `celery` list has the delivery tag {q1!r}. If a worker took "
            "it already, run the exercise's cell again: it stops the worker first."
        )
    headers = queued[q1]
    if headers.get("task") != "calc.tasks.add" or headers.get("argsrepr") != "(7, 8)":
        raise Incorrect(
            f"that message is {headers.get('task')}{headers.get('argsrepr')}, not "
            "calc.tasks.add(7, 8)."
        )
    return (
        "that is the delivery tag of add(7, 8), waiting in Redis: the broker's handle for this "
        "one delivery. A worker acknowledges the message by this tag; from the moment a "
        "worker takes it until that ack, Redis keeps it in the `unacked` hash under this key."
    )


@exercise(
    "q2",
    "Find a stored result",
    "q2",
    stub="""
        # Run add(1, 1), wait for it, and keep the name of the Redis key that holds its result.
        result = add.delay(1, 1)
        result.get(timeout=10)
        q2 = ____
    """,
    solution="""
        result = add.delay(1, 1)
        result.get(timeout=10)
        q2 = f"celery-task-meta-{result.id}"
    """,
    hints=[
        "The result backend keeps each result under a key made of a prefix and the task id.",
        "Look at `client.keys('celery-task-meta-*')`, or build it from `result.id`.",
    ],
    given=GIVEN,
    wrong={
        "the task id alone": """
            result = add.delay(1, 1)
            result.get(timeout=10)
            q2 = result.id
        """,
        "the key of another task": """
            result = add.delay(1, 1)
            result.get(timeout=10)
            other = add.delay(2, 2)
            other.get(timeout=10)
            q2 = f"celery-task-meta-{other.id}"
        """,
    },
)
def check_q2(q2, ns):
    if not isinstance(q2, str):
        raise Incorrect(f"q2 is a {type(q2).__name__}; it should be a key name, a string.")
    raw = _client().get(q2)
    if raw is None:
        hint = (
            " That is a task id: the key has a prefix."
            if _client().exists(f"celery-task-meta-{q2}")
            else " Key names look like celery-task-meta-<id>."
        )
        raise Incorrect(f"Redis has no key {q2!r}.{hint}")
    try:
        meta = json.loads(raw)
    except ValueError:
        raise Incorrect(f"{q2!r} exists, but it is not a task result.") from None
    if not isinstance(meta, dict) or meta.get("status") != "SUCCESS" or meta.get("result") != 2:
        raise Incorrect(f"{q2!r} holds {meta!r}; look for the result of add(1, 1).")
    ttl = _client().ttl(q2)
    return f"Redis keeps that result, 2, for about {round(ttl / 3600)} hours more (its TTL)."


GIVEN_Q3 = """
from celery import Celery
from classroom.config import Config
cfg = Config.from_env()  # in the notebook, cfg = setup()
"""
INPUTS = ((2, 3), (10, -4), (0, 0))


def _app(broker: str | None, backend: str | None) -> str:
    """A learner's cell that builds an app with these URLs (None leaves one out)."""
    options = "".join(
        f", {key}={value}" for key, value in (("broker", broker), ("backend", backend)) if value
    )
    return f'q3 = Celery("mine"{options}, set_as_current=False)'


KIT = 'f"redis://127.0.0.1:{cfg.redis_port}/0"'


def _where(url, what: str, cfg: Config) -> None:
    """Incorrect unless `url` is the kit's Redis, database 0. Decided from the URL alone, so
    that the check never connects to a server that is not the kit's."""
    if url is ____:
        raise NotAttempted('`Celery("mine", broker=____, backend=____)`')
    if not url:
        default = "RabbitMQ on localhost:5672 (amqp://guest@localhost//)"
        raise Incorrect(
            f"your app has no {what} URL."
            + (f" Without one, Celery's default broker is {default}." if what == "broker" else "")
        )
    if not isinstance(url, str):
        raise Incorrect(f"the {what} URL should be a string like 'redis://host:port/db'.")
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise Incorrect(f"the {what} URL {url!r} is not a redis:// URL.")
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise Incorrect(f"the {what} URL names the host {parts.hostname!r}, not this machine.")
    if parts.port != cfg.redis_port:
        raise Incorrect(
            f"the {what} URL names port {parts.port or 6379}: not the kit's Redis, which listens "
            "on cfg.redis_port. (6379 is Redis's usual port; the kit keeps off it, so as never "
            "to touch a Redis of yours.)"
        )
    if (parts.path.strip("/") or "0") != "0":
        raise Incorrect(
            f"the {what} URL names database {parts.path.strip('/')}. A Redis server holds "
            "numbered databases (16 by default), and the worker uses 0: "
            + (
                "your messages would wait there, and no worker would ever take them."
                if what == "broker"
                else "it stores its results there, not where your app would look."
            )
        )


# Celery reads these from the environment before it reads the app's own configuration, and
# the kit sets both in a lesson's kernel (so that proj/settings.py finds its Redis).
ENVIRONMENT = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


@contextmanager
def _only_the_app():
    """While the check runs the learner's app, its own URLs, not the kernel's environment."""
    saved = {name: os.environ.pop(name) for name in ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@exercise(
    "q3",
    "Configure a Celery app by hand, and have the worker serve it",
    "q3",
    stub="""
        # A Celery app of your own, with no Django settings: give it the kit's Redis as its
        # broker and as its result backend, database 0 for both, as the worker has. Write the
        # URLs yourself: host 127.0.0.1, port cfg.redis_port.
        q3 = Celery("mine", broker=____, backend=____, set_as_current=False)
    """,
    solution="""
        url = f"redis://127.0.0.1:{cfg.redis_port}/0"
        q3 = Celery("mine", broker=url, backend=url, set_as_current=False)
    """,
    hints=[
        "A Redis URL reads `redis://host:port/database`.",
        "The broker carries the message to the worker, and the backend brings the result "
        "back: both are the same Redis here, in the same database.",
    ],
    given=GIVEN_Q3,
    wrong={
        "no result backend": _app(KIT, None),
        "no broker": _app(None, KIT),
        "Redis's usual port": _app('"redis://127.0.0.1:6379/0"', '"redis://127.0.0.1:6379/0"'),
        "another database": _app(
            'f"redis://127.0.0.1:{cfg.redis_port}/1"', 'f"redis://127.0.0.1:{cfg.redis_port}/1"'
        ),
    },
    writes_code=True,
)
def check_q3(q3, ns):
    from celery import Celery

    if not isinstance(q3, Celery):
        raise Incorrect("q3 should be a Celery app: what Celery(...) returns.")
    cfg = Config.from_env()
    # what the app was given, not the environment's CELERY_BROKER_URL (see ENVIRONMENT)
    broker = q3.conf.first("broker_url", "broker_host")
    backend = q3.conf.first("result_backend", "CELERY_RESULT_BACKEND")
    _where(broker, "broker", cfg)
    if backend is ____:
        raise NotAttempted('`Celery("mine", broker=..., backend=____)`')
    if not backend:
        raise Incorrect(
            "your app has no result backend: it can send tasks, but AsyncResult.get() raises "
            "NotImplementedError ('No result backend is configured'), the DisabledBackend."
        )
    _where(backend, "result backend", cfg)
    # Through the learner's app, on its own URLs: send by name, read the results back
    with _only_the_app():
        sent = {args: q3.send_task("calc.tasks.add", args=args) for args in INPUTS}
        for args, result in sent.items():
            value = result.get(timeout=10, propagate=False)
            if result.state != "SUCCESS" or value != sum(args):
                raise Incorrect(f"add{args} ended {result.state} with {value!r}, not {sum(args)}.")
        first = q3.AsyncResult(sent[INPUTS[0]].id)
        first.get(timeout=10, propagate=False)
    if first.worker != worker_hostname():
        raise Incorrect("those tasks did not run on the kit's worker.")
    return (
        f"your app sent add{INPUTS[0]}, add{INPUTS[1]} and add{INPUTS[2]} through the broker; "
        f"{first.worker} ran them, and your app read {', '.join(str(sum(a)) for a in INPUTS)} "
        "back from the result backend. Two URLs are all a Celery app needs."
    )
