"""Flower keeps its task history across the kit's restarts (--persistent, in the run dir)."""

from __future__ import annotations

import json
import urllib.request

from classroom import stack
from tests.helpers import send, wait_for_state, wait_until


def _flower_tasks(cfg) -> dict:
    try:
        with urllib.request.urlopen(f"{cfg.flower_url}/api/tasks", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return {}


def test_flowers_task_list_survives_a_restart_of_flower_and_of_redis(private_stack):
    cfg = private_stack
    stack.up(["redis", "worker", "flower"], cfg=cfg)

    def a_task_flower_saw() -> str | None:
        """Flower hears of tasks through events, once it listens: its web page answers a
        moment before its event receiver has connected, so send again until it sees one."""
        task_id = send(cfg, "calc.tasks.add", 20, 22)
        assert wait_for_state(cfg, task_id, {"SUCCESS"}, 15)["result"] == 42
        return task_id if wait_until(lambda: task_id in _flower_tasks(cfg), 3) else None

    task_id = wait_until(a_task_flower_saw, 20)
    assert task_id, "Flower never saw a task in 20 s"

    stack.restart("flower", cfg=cfg)
    assert task_id in _flower_tasks(cfg)

    stack.down(["redis"], cfg=cfg)
    stack.up(cfg=cfg)  # a fresh Redis restarts the worker and Flower too, as in lesson 05
    record = _flower_tasks(cfg).get(task_id, {})
    assert record.get("state") == "SUCCESS", record
    assert record.get("name") == "calc.tasks.add"
