"""Lesson 07's failures, on real workers: retries, a pool process killed mid-task, and a whole
worker killed mid-task, with and without late acknowledgement (acks_late)."""

from __future__ import annotations

import json
import os
import signal
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest

from classroom import faults, procs, stack
from classroom.clients import redis_client
from comments import flaky
from comments.tasks import export_comments, export_comments_safely, notify
from tests.helpers import make_private_config, send, stored, wait_for_state, wait_until


def test_the_flaky_server_drops_the_first_attempts_then_delivers():
    with pytest.raises(SMTPServerDisconnected, match=r"attempt 2 for ada@example\.com"):
        flaky.deliver("ada@example.com", fail_times=2, attempt=1)
    assert flaky.deliver("ada@example.com", 2, attempt=2).endswith("on attempt 3")
    with pytest.raises(ValueError, match="not an e-mail address"):
        flaky.deliver("ada", 0, attempt=0)


def test_notify_retries_a_dropped_connection_and_gives_up_after_three(live_stack):
    recovers, never, bad = (
        notify.delay("ada@example.com", 2),
        notify.delay("bob@example.com", 5),
        notify.delay("not-an-address", 0),
    )
    assert recovers.get(timeout=20) == "delivered to ada@example.com on attempt 3"
    assert isinstance(never.get(timeout=20, propagate=False), SMTPServerDisconnected)
    assert "attempt 4" in str(never.result)
    assert isinstance(bad.get(timeout=10, propagate=False), ValueError)
    log = live_stack.log_file("worker").read_text()
    assert log.count(f"notify[{bad.id}] retry:") == 0
    assert log.count(f"notify[{never.id}] retry:") == 3


def test_a_late_acked_task_whose_process_is_killed_runs_again(live_stack):
    result = export_comments_safely.delay(1)
    faults.kill_task_process(result.id)
    assert result.get(timeout=30) == "exported after 1 s"
    log = live_stack.log_file("worker").read_text()
    assert log.count(f"export_comments_safely[{result.id}] received") == 2


def test_an_early_acked_task_whose_process_is_killed_is_lost(live_stack):
    result = export_comments.delay(2)
    faults.kill_task_process(result.id)
    error = result.get(timeout=30, propagate=False)
    assert type(error).__name__ == "WorkerLostError" and "SIGKILL" in str(error)
    log = live_stack.log_file("worker").read_text()
    assert log.count(f"export_comments[{result.id}] received") == 1


def test_kill_task_process_refuses_a_task_that_is_not_running(live_stack):
    with pytest.raises(faults.FaultError, match="is not running task nope"):
        faults.kill_task_process("nope", timeout=0.5)


def test_kill_task_process_never_signals_a_process_that_is_not_the_kits(live_stack, victim):
    """Whatever the worker's answer says, a pid that is not a pool process of the kit's worker
    is refused, and lives."""
    active = [{"id": "t1", "worker_pid": victim.pid}]
    with (
        mock.patch.object(faults, "inspect", return_value=active),
        pytest.raises(faults.FaultError, match="not proven"),
    ):
        faults.kill_task_process("t1")
    assert victim.is_running() and victim.status() != "zombie"


@pytest.fixture
def short_visibility(tmp_path):
    """A stack of its own whose Redis hands an unacknowledged message out again after 3 s."""
    cfg = make_private_config(tmp_path / "kit", REDIS_VISIBILITY_TIMEOUT="3")
    stack.up(["redis", "worker"], cfg=cfg)
    yield cfg
    stack.down(cfg=cfg)


def _kill_the_whole_worker(cfg) -> None:
    """SIGKILL the kit's worker and its pool, as a machine that loses power would."""
    record = procs.Registry(cfg.state_file).load()["worker"]
    assert procs.running(record, cfg.run_dir)
    os.killpg(record.pgid, signal.SIGKILL)
    assert wait_until(lambda: not procs.group_members(record.pgid), timeout=5)


def test_a_whole_worker_killed_mid_task_late_acked_is_redelivered_early_acked_is_lost(
    short_visibility,
):
    cfg = short_visibility
    safe = send(cfg, "comments.tasks.export_comments_safely", 2)
    lost = send(cfg, "comments.tasks.export_comments", 2)
    for task_id in (safe, lost):
        assert wait_for_state(cfg, task_id, {"STARTED"}, timeout=10)["status"] == "STARTED"
    _kill_the_whole_worker(cfg)
    # Redis still holds the late-acked message, and only that one, in its unacked hash
    held = [json.loads(m)[0] for m in redis_client(cfg).hvals("unacked")]
    assert [m["headers"]["id"] for m in held] == [safe]
    stack.up(["worker"], cfg=cfg)
    meta = wait_for_state(cfg, safe, {"SUCCESS"}, timeout=30)
    assert meta["status"] == "SUCCESS", meta
    assert stored(cfg, lost)["status"] == "STARTED"  # nobody will ever run it again
    assert redis_client(cfg).hlen("unacked") == 0
