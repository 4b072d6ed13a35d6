"""`make lab` as a student meets it: one stack that survives kernel restarts, and a Ctrl-C that
stops what the lab started (letting a running task finish), and nothing else."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import psutil
import pytest

from classroom import procs, stack
from tests.helpers import (
    Lab,
    kit_processes,
    make_private_config,
    run_cli,
    send,
    wait_for_state,
    wait_until,
)


@pytest.fixture
def lab_cfg(tmp_path):
    cfg = make_private_config(tmp_path / "kit", DIVIDE_SECONDS="3")
    yield cfg
    stack.down(cfg=cfg)


def _run_in_kernel(client, code: str) -> None:
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_services_a_kernel_restarts_belong_to_the_lab_and_survive_a_kernel_restart(lab_cfg):
    from jupyter_client.manager import start_new_kernel

    lab = Lab(lab_cfg)
    manager, client = start_new_kernel(kernel_name="python3", env={**os.environ, **lab_cfg.env()})
    try:
        # lesson 05's sequence: Redis restarted from the kernel restarts its clients too
        _run_in_kernel(
            client,
            "from classroom.lesson import setup\nfrom classroom import stack\n"
            "setup()\nstack.down(['redis'])\nstack.up()\n",
        )
        assert "■ redis    stopped" in lab.output  # the lab's terminal says what happened
        client.stop_channels()
        manager.restart_kernel(now=True)  # Kernel › Restart
        # services tied to the old kernel would get SIGTERM now and be gone within seconds
        wait_until(lambda: not stack.healthy(stack.status(lab_cfg)), 5, interval=0.25)
        statuses = stack.status(lab_cfg)
        assert stack.healthy(statuses), statuses
        lab_pid = lab.proc.pid
        records = procs.Registry(lab_cfg.state_file).load()
        assert {r.parent_pid for r in records.values()} == {lab_pid}
        task_id = send(lab_cfg, "calc.tasks.add", 2, 3)
        assert wait_for_state(lab_cfg, task_id, {"SUCCESS"}, 15).get("result") == 5
    finally:
        manager.shutdown_kernel(now=True)
        lab.close()


def test_ctrl_c_lets_a_running_task_finish_and_spares_what_is_not_the_kits(lab_cfg, victim):
    lab = Lab(lab_cfg)
    task_id = send(lab_cfg, "calc.tasks.divide", 1, 2)
    assert wait_for_state(lab_cfg, task_id, {"STARTED"}, 10)["status"] == "STARTED"
    # a stale record, as the lab itself would write it, that names somebody else's process
    registry = procs.Registry(lab_cfg.state_file)
    records = registry.load()
    records["beat"] = procs.ProcessRecord(
        "beat", victim.pid, victim.create_time(), ["celery", "beat"], "", lab.proc.pid, True
    )
    registry.save(records)

    assert lab.ctrl_c() == 0, lab.output
    assert victim.is_running() and victim.status() != psutil.STATUS_ZOMBIE
    assert kit_processes(lab_cfg) == set(), lab.output
    stack.up(["redis"], cfg=lab_cfg)  # the result, kept in Redis's append-only file
    meta = wait_for_state(lab_cfg, task_id, {"SUCCESS", "FAILURE"}, 5)
    assert meta["status"] == "SUCCESS", (meta, lab.output)


def test_ctrl_c_leaves_running_what_the_lab_found_running(lab_cfg):
    run_cli(lab_cfg, "up", "redis")
    lab = Lab(lab_cfg)
    assert "✓ redis    running" in lab.output
    assert lab.ctrl_c() == 0, lab.output
    states = {s.name: s.state for s in stack.status(lab_cfg)}
    assert states == {
        "redis": "ready", "worker": "stopped", "beat": "stopped",
        "flower": "stopped", "django": "stopped",
    }  # fmt: skip
    assert "Still running, as `python -m classroom up` started them: redis" in lab.output


def test_a_workspace_that_cannot_be_written_stops_the_lab_before_it_starts(lab_cfg, tmp_path):
    """As when Docker's bind mount makes a missing workspace/ as root: a clear error first,
    not a failed save in the middle of a lesson, and nothing started."""
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    cfg = dataclasses.replace(lab_cfg, workspace=blocker / "workspace")
    done = subprocess.run(
        [sys.executable, "-m", "classroom", "lab", "--no-browser"],
        env={**os.environ, **cfg.env()}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{blocker / 'workspace'} is not writable here (Not a directory" in done.stderr
    assert "chmod -R a+rwX notebooks workspace" in done.stderr
    assert "Starting" not in done.stdout
    assert not kit_processes(cfg)
