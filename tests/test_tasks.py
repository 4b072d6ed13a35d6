"""The seed's first steps, through a real worker on the shared stack."""

import pytest
from celery.result import AsyncResult

from calc.tasks import add, divide
from classroom.services import worker_hostname
from workflows.tasks import count_primes

pytestmark = pytest.mark.usefixtures("live_stack")


def test_divide_runs_on_the_worker_and_returns_its_quotient():
    result = divide.delay(1, 2)
    assert result.get(timeout=15) == 0.5
    fresh = AsyncResult(result.id)  # what the result backend stored, not the local object
    assert fresh.state == "SUCCESS"
    assert fresh.name == "calc.tasks.divide"
    assert fresh.args == [1, 2]
    assert fresh.worker == worker_hostname()  # it ran on the worker, not in this process


def test_divide_by_zero_is_a_failure_with_its_traceback():
    result = divide.delay(1, 0)
    with pytest.raises(ZeroDivisionError):
        result.get(timeout=15)
    assert result.state == "FAILURE"
    assert isinstance(result.result, ZeroDivisionError)
    assert "ZeroDivisionError" in result.traceback
    assert "return x / y" in result.traceback


def test_delay_returns_before_the_task_has_run():
    result = divide.delay(4, 2)
    assert result.state in ("PENDING", "STARTED")  # divide sleeps; we did not wait for it
    assert result.get(timeout=15) == 2


def test_add_round_trip():
    assert add.delay(2, 3).get(timeout=10) == 5


@pytest.mark.parametrize("limit, primes", [(2, 0), (3, 1), (10, 4), (100, 25), (1000, 168)])
def test_count_primes_counts_the_primes_below_its_limit(limit, primes):
    assert count_primes(limit) == primes  # a direct call: the function itself


def test_count_primes_runs_on_the_worker():
    assert count_primes.delay(100).get(timeout=10) == 25
