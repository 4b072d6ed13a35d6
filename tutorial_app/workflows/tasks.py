"""Lesson 11's workflows: the building blocks of Celery's own canvas examples (add is the seed's,
in calc.tasks), a pitfall on purpose, an error callback; and lesson 15's count_primes."""

from celery import shared_task
from celery.utils.log import get_task_logger

from calc.tasks import add

logger = get_task_logger(__name__)


@shared_task
def mul(x, y):
    """x times y: with add, enough for a chain, (2 + 2) × 4."""
    return x * y


@shared_task
def xsum(numbers):
    """The sum of a list: a chord's callback gets its group's results as one list."""
    return sum(numbers)


@shared_task
def sum_then_double(x, y):
    """Lesson 11's pitfall, on purpose: a task that sends another and waits for its result.
    The worker refuses (RuntimeError): a chain, add.s(x, y) | mul.s(2), does it right."""
    total = add.delay(x, y).get(timeout=10)
    return total * 2


@shared_task
def record_failure(request, exc, traceback):
    """An error callback (link_error). With these three arguments, the worker whose task failed
    calls it at once, in the same process: `request` is the failed task's, `exc` its error."""
    logger.error("record_failure: %s[%s] raised %r", request.task, request.id, exc)


@shared_task
def count_primes(limit):
    """Work that only computes, for as long as `limit` says (lesson 15): the primes below it,
    counted the slow way, so that Python's interpreter is busy the whole time."""
    return sum(1 for n in range(2, limit) if all(n % d for d in range(2, int(n**0.5) + 1)))
