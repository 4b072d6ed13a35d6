"""Lesson 02, broker and result backend: read a queued message, find a stored result."""

import json

from ..clients import redis_client
from ..config import Config
from ..exercises import Incorrect, exercise

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


def _queued_ids() -> dict[str, dict]:
    messages = {}
    for raw in _client().lrange("celery", 0, -1):
        headers = json.loads(raw).get("headers", {})
        messages[headers.get("id")] = headers
    return messages


def _stored(task_id: str) -> dict | None:
    raw = _client().get(f"celery-task-meta-{task_id}")
    return json.loads(raw) if raw else None


@exercise(
    "02",
    "q1",
    "Read a queued message",
    "q1",
    stub="""
        # With the worker stopped, send add(7, 8), read its message from the `celery` list
        # (without removing it), and keep the task id that its headers carry.
        stack.down(["worker"])
        message = add.delay(7, 8)
        q1 = ____
        stack.up()
    """,
    solution="""
        stack.down(["worker"])
        message = add.delay(7, 8)
        raw = client.lindex("celery", 0)  # the newest message is on the left
        q1 = json.loads(raw)["headers"]["id"]
        stack.up()
    """,
    hints=[
        "`client.lindex('celery', 0)` reads the newest message without removing it.",
        "The message is JSON: parse it, and look in its headers.",
    ],
    given=GIVEN,
    wrong={
        "the whole raw message": """
            stack.down(["worker"])
            message = add.delay(7, 8)
            q1 = client.lindex("celery", 0).decode()
            stack.up()
        """,
        "the message's headers, not the id in them": """
            stack.down(["worker"])
            message = add.delay(7, 8)
            q1 = json.dumps(json.loads(client.lindex("celery", 0))["headers"])
            stack.up()
        """,
    },
)
def check_q1(q1, ns):
    if not isinstance(q1, str):
        raise Incorrect(f"q1 is a {type(q1).__name__}; it should be the task id, a string.")
    if q1.lstrip().startswith("{"):
        try:
            parsed = json.loads(q1)
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict) and "headers" in parsed:
            raise Incorrect("q1 is the whole message. Parse it, and look in its headers.")
        raise Incorrect("q1 is a JSON object. Keep only the task id: one value in the headers.")
    queued = _queued_ids()
    if q1 in queued:
        headers = queued[q1]
        task, args = headers.get("task"), headers.get("argsrepr")
    else:
        stored = _stored(q1)  # the worker may have run it since
        if stored is None:
            raise Incorrect(
                f"no message with id {q1!r} is in the `celery` list, and Redis has no result "
                "for it either. Read the id from the message's headers."
            )
        task, args = stored.get("name"), repr(tuple(stored.get("args") or ()))
    if task != "calc.tasks.add" or args != "(7, 8)":
        raise Incorrect(f"that message is {task}{args}, not calc.tasks.add(7, 8).")
    return "that is the id of add(7, 8): the message waited in Redis until a worker took it."


@exercise(
    "02",
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


EXERCISES = [check_q1, check_q2]
