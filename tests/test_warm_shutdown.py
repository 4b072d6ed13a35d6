"""A restart or a stop lets the worker finish what it runs (Celery's warm shutdown), and a task
cut off after the grace is named, never silently lost."""

from __future__ import annotations

import pytest

from classroom import stack
from classroom.clients import redis_client
from tests.helpers import (
    client_app,
    make_private_config,
    run_cli,
    send,
    stored,
    wait_for_state,
    wait_until,
)

SECONDS = 3  # how long divide() runs here: well inside the worker's stop grace


@pytest.fixture
def slow_stack(tmp_path):
    cfg = make_private_config(tmp_path / "kit", DIVIDE_SECONDS=str(SECONDS))
    stack.up(["redis", "worker"], cfg=cfg)
    yield cfg
    stack.down(cfg=cfg)


def _running_divide(cfg) -> str:
    task_id = send(cfg, "calc.tasks.divide", 1, 2)
    assert wait_for_state(cfg, task_id, {"STARTED"}, timeout=10)["status"] == "STARTED"
    return task_id


def test_a_task_running_during_restart_worker_ends_success(slow_stack):
    task_id = _running_divide(slow_stack)
    run_cli(slow_stack, "restart", "worker")
    meta = wait_for_state(slow_stack, task_id, {"SUCCESS", "FAILURE"}, timeout=10)
    assert meta["status"] == "SUCCESS", meta
    assert meta["result"] == 0.5


def test_a_task_running_during_down_ends_success(slow_stack):
    task_id = _running_divide(slow_stack)
    stack.down(cfg=slow_stack)
    stack.up(["redis"], cfg=slow_stack)  # the result, kept in Redis's append-only file
    meta = wait_for_state(slow_stack, task_id, {"SUCCESS", "FAILURE"}, timeout=5)
    assert meta["status"] == "SUCCESS", meta


def test_a_task_longer_than_the_grace_is_named_as_cut_off(slow_stack):
    task_id = _running_divide(slow_stack)
    said: list[str] = []
    stack.down(["worker"], cfg=slow_stack, timeout=0.5, echo=said.append)
    cut = [line for line in said if "cut off" in line]
    assert cut, said
    assert f"calc.tasks.divide[{task_id}]" in cut[0]
    assert "send them again" in cut[0]


def test_a_revoked_task_stays_revoked_across_a_restart(slow_stack):
    """A countdown's message waits in the worker's memory, and in Redis's `unacked`; a restart
    hands it back to the next worker, which discards it only if it remembers the revoke (the
    kit's worker keeps revoked ids in --statedb). Lesson 07's checks revoke the retries that
    their wrong answers leave waiting: without that file they ran again, retried for ever."""
    log = slow_stack.log_file("worker")
    with client_app(slow_stack) as app:
        task_id = app.send_task("calc.tasks.add", (1, 2), countdown=60).id
        assert wait_until(lambda: f"add[{task_id}] received" in log.read_text(), timeout=10)
        app.control.revoke(task_id)
        assert wait_until(lambda: f"revoked: {task_id}" in log.read_text(), timeout=10)
    stack.restart("worker", cfg=slow_stack)
    discarded = f"Discarding revoked task: calc.tasks.add[{task_id}]"
    assert wait_until(lambda: discarded in log.read_text(), timeout=20), log.read_text()[-2000:]
    unacked = redis_client(slow_stack, timeout=2.0).hvals("unacked")
    assert not any(task_id.encode() in message for message in unacked)
    assert stored(slow_stack, task_id).get("status") == "REVOKED"
