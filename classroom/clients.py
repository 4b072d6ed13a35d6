"""Clients of a running stack, for lessons, checks, the doctor and the runtime: a Redis client,
and a bare Celery app that pings and inspects the workers. Each fails fast when the broker is
down."""

from __future__ import annotations

from functools import cache
from typing import Any

from .config import Config


def redis_client(cfg: Config, timeout: float = 0.5):
    import redis

    return redis.Redis.from_url(
        cfg.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
    )


def redis_ping(cfg: Config, timeout: float = 0.5) -> bool:
    import redis

    try:
        return bool(redis_client(cfg, timeout).ping())
    except (redis.RedisError, OSError):
        return False


@cache
def control_app(broker_url: str):
    """A bare Celery app for remote control (ping, inspect): no Django, fails fast."""
    from celery import Celery

    app = Celery("classroom-control", broker=broker_url, backend=None, set_as_current=False)
    app.conf.update(
        # Celery prefers a CELERY_BROKER_URL from the environment to `broker=`; these two win
        # over it, so that a test or a bench can watch a stack other than the environment's.
        broker_read_url=broker_url,
        broker_write_url=broker_url,
        broker_connection_timeout=0.5,
        broker_connection_retry_on_startup=False,
        broker_transport_options={
            "max_retries": 0,
            "socket_connect_timeout": 0.5,
            "socket_timeout": 2,
            # a ping's replies are collected in 0.1 s steps, not kombu's default 1 s
            "polling_interval": 0.05,
            "brpop_timeout": 0.1,
        },
        task_publish_retry_policy={"max_retries": 0},
    )
    return app


def worker_pings(
    cfg: Config, timeout: float = 1.0, only: str | None = None, broker_url: str | None = None
) -> list[str]:
    """Names of the workers that answer a ping on this stack's broker (or on `broker_url`: a
    worker hears remote control on its own broker, RabbitMQ's for lesson 14's).

    Without `only` this waits the whole timeout (any number of workers may answer); with it,
    it returns at the first reply, in milliseconds.
    """
    from kombu.exceptions import OperationalError

    app = control_app(broker_url or cfg.redis_url)
    try:
        # a fresh connection each time: a late reply to an earlier ping can't be mistaken
        with app.connection_for_write() as conn:
            replies = app.control.ping(
                timeout=timeout,
                connection=conn,
                destination=[only] if only else None,
                limit=1 if only else None,
            )
    except (OperationalError, OSError):
        return []
    return sorted(name for reply in replies for name in reply)


def inspect(cfg: Config, method: str, worker: str, timeout: float = 1.0, **arguments) -> Any:
    """One worker's answer to `celery inspect <method>` (registered, stats, active, ...), or
    None when it does not answer. Returns at the first reply."""
    from kombu.exceptions import OperationalError

    app = control_app(cfg.redis_url)
    try:
        with app.connection_for_write() as conn:
            asked = app.control.inspect([worker], timeout=timeout, connection=conn, limit=1)
            reply = getattr(asked, method)(**arguments) or {}
    except (OperationalError, OSError):
        return None
    return reply.get(worker)
