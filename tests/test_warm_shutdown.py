"""A restart or a stop lets the worker finish what it runs (Celery's warm shutdown), and a task
cut off after the grace is named, never silently lost."""

from __future__ import annotations

import pytest

from classroom import stack
from tests.helpers import make_private_config, run_cli, send, wait_for_state

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
