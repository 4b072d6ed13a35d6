import time

from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings

logger = get_task_logger(__name__)


@shared_task
def divide(x, y):
    """The seed's first task: slow on purpose, and it fails when y is 0."""
    logger.info("dividing %s by %s", x, y)
    time.sleep(settings.DIVIDE_SECONDS)
    return x / y


@shared_task
def add(x, y):
    """A tiny, fast task: handy for round trips and throughput."""
    return x + y


@shared_task
def count_primes(limit):
    """Work that only computes, for as long as `limit` says (lesson 15): the primes below it,
    counted the slow way, so that Python's interpreter is busy the whole time."""
    return sum(1 for n in range(2, limit) if all(n % d for d in range(2, int(n**0.5) + 1)))
