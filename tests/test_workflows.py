"""Lesson 11's workflows on a real worker: what the worker stored is what the picture draws."""

import re
import time

import pytest
from celery import chain, chord, group
from celery.exceptions import ChordError
from celery.result import AsyncResult

from calc.tasks import add, divide
from classroom.plots import workflow_stages
from classroom.services import worker_hostname
from tests.helpers import wait_until
from workflows.tasks import mul, record_failure, xsum

pytestmark = pytest.mark.usefixtures("live_stack")


def _calls(stages):
    return [[(m.name.rsplit(".", 1)[-1], tuple(m.args)) for m in stage] for stage in stages]


def test_a_chain_passes_each_result_on_and_links_back_through_parent():
    sent = chain(add.s(2, 2), mul.s(4), add.s(1)).delay()
    assert sent.get(timeout=15) == 17
    stages = workflow_stages(sent)
    assert _calls(stages) == [[("add", (2, 2))], [("mul", (4, 4))], [("add", (16, 1))]]
    assert {m.worker for stage in stages for m in stage} == {worker_hostname()}


def test_a_chord_hands_the_groups_results_to_its_callback_as_one_list():
    sent = chord(mul.s(i, i) for i in range(1, 5))(xsum.s())
    assert sent.get(timeout=15) == 30
    header, body = workflow_stages(sent)
    assert sorted(m.args[0] for m in header) == [1, 2, 3, 4]
    assert _calls([body]) == [[("xsum", ([1, 4, 9, 16],))]]


def test_group_then_a_task_becomes_a_chord():
    sent = (group(add.s(i, i) for i in range(3)) | xsum.s()).delay()
    assert sent.get(timeout=15) == 6
    assert len(workflow_stages(sent)[0]) == 3


def test_a_failed_member_fails_the_chord_and_its_callback_never_runs():
    sent = chord([add.s(1, 1), divide.s(1, 0)])(xsum.s())
    assert wait_until(lambda: AsyncResult(sent.id).state == "FAILURE", timeout=20, interval=0.1)
    callback = AsyncResult(sent.id)
    assert isinstance(callback.result, ChordError)
    assert "ZeroDivisionError" in str(callback.result)
    assert callback.name is None  # stored by the worker that failed it, never run itself
    with pytest.raises(ZeroDivisionError):  # get() raises the group's error first
        sent.get(timeout=5)


def test_link_error_is_called_by_the_worker_with_the_failed_request(live_stack):
    failing = divide.s(1, 0).set(link_error=record_failure.s()).delay()
    failing.get(timeout=15, propagate=False)
    told = re.compile(
        rf"record_failure: calc\.tasks\.divide\[{failing.id}\] raised ZeroDivisionError"
    )
    log = live_stack.log_file("worker")
    assert wait_until(lambda: told.search(log.read_text()), timeout=5), log.read_text()[-2000:]


def test_a_chord_needs_a_result_backend(monkeypatch, live_stack):
    from celery import Celery

    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)  # it wins over the app's own
    app = Celery("no_backend", broker=live_stack.redis_url, set_as_current=False)
    header = [app.signature("workflows.tasks.mul", (1, 1))]
    before = time.monotonic()
    with pytest.raises(NotImplementedError, match="Starting chords requires a result backend"):
        chord(header, app.signature("workflows.tasks.xsum"), app=app).delay()
    assert time.monotonic() - before < 1  # refused before anything is sent


def test_waiting_for_a_task_inside_a_task_is_refused_on_the_worker():
    from workflows.tasks import sum_then_double

    sent = sum_then_double.delay(2, 3)
    with pytest.raises(RuntimeError, match=r"Never call result\.get\(\) within a task!"):
        sent.get(timeout=15)
    assert (chain(add.s(2, 3), mul.s(2)).delay().get(timeout=15)) == 10  # the chain that fixes it
