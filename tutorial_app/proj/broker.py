"""One test for "Redis is down or frozen", shared by every app's views."""

from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

BROKER_ERRORS = (OperationalError, RedisConnectionError, RedisTimeoutError)


def is_broker_error(exc: BaseException) -> bool:
    """Celery says so with kombu's OperationalError or, when the result backend notices
    first, with a RuntimeError caused by redis' ConnectionError."""
    return isinstance(exc, BROKER_ERRORS) or isinstance(exc.__cause__, BROKER_ERRORS)
