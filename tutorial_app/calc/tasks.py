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
