"""The kit signals only processes it can prove are its own: a stale record never kills."""

from __future__ import annotations

import psutil
import pytest

from classroom import procs, stack
from tests.helpers import kit_processes


def _plant(cfg, service: str, victim: psutil.Process, offset: float) -> None:
    """A record that names the victim's pid: as after a reboot or a reused pid (offset), or
    with the very same start time (no offset)."""
    registry = procs.Registry(cfg.state_file)
    records = registry.load()
    records[service] = procs.ProcessRecord(
        service=service,
        pid=victim.pid,
        create_time=victim.create_time() + offset,
        cmd=["celery", "worker"],
        log=str(cfg.log_file(service)),
        parent_pid=0,
        tied_to_parent=False,
    )
    registry.save(records)


def _alive(proc: psutil.Process) -> bool:
    return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE


CASES = pytest.mark.parametrize(
    "offset", [100.0, 0.0], ids=["start-time-differs", "start-time-equal-no-marker"]
)


@CASES
@pytest.mark.parametrize("service", ["worker", "redis"])
def test_down_and_reset_leave_a_process_named_by_a_stale_record_alone(
    private_stack, victim, offset, service
):
    said: list[str] = []
    _plant(private_stack, service, victim, offset)
    stack.down(cfg=private_stack, echo=said.append)
    assert _alive(victim)
    assert any(f"pid {victim.pid}" in line and "left alone" in line for line in said), said
    assert not any("stopped" in line for line in said), said  # dropped, not "stopped"

    _plant(private_stack, service, victim, offset)
    stack.reset(cfg=private_stack, echo=said.append)
    assert _alive(victim)
    assert not private_stack.state_file.exists()


@CASES
def test_up_drops_a_stale_record_says_so_and_starts_its_own(private_stack, victim, offset):
    said: list[str] = []
    _plant(private_stack, "redis", victim, offset)
    statuses = stack.up(["redis"], cfg=private_stack, echo=said.append)
    assert {s.name: s.state for s in statuses}["redis"] == "ready"
    assert any(f"pid {victim.pid}" in line and "record dropped" in line for line in said), said
    assert procs.Registry(private_stack.state_file).load()["redis"].pid != victim.pid
    stack.down(cfg=private_stack)
    assert _alive(victim)


def test_down_with_a_lost_registry_still_stops_the_kits_redis_and_worker(private_stack):
    stack.up(["redis", "worker"], cfg=private_stack)
    assert kit_processes(private_stack)
    private_stack.state_file.unlink()  # lost: deleted by hand, or a crash mid-write
    said: list[str] = []
    stack.down(cfg=private_stack, echo=said.append)
    assert kit_processes(private_stack) == set()
    assert any("no record" in line for line in said), said


def test_a_redis_of_another_run_directory_is_not_ours(private_stack, tmp_path):
    from tests.helpers import make_private_config

    other = make_private_config(tmp_path / "other")
    stack.up(["redis"], cfg=other)
    try:
        redis_pid = procs.Registry(other.state_file).load()["redis"].pid
        proc = psutil.Process(redis_pid)
        assert procs.is_our_redis(proc, other.run_dir, other.redis_port)
        assert not procs.is_our_redis(proc, other.run_dir, other.redis_port + 1)
        assert procs.is_ours(proc, other.run_dir, other.redis_port)
        assert not procs.is_ours(proc, other.run_dir, other.redis_port + 1)
        record = procs.Registry(other.state_file).load()["redis"]
        assert record._port() == other.redis_port  # what `owned` proves a Redis record by
        assert not procs.is_ours(proc, private_stack.run_dir)
        stack.down(cfg=private_stack)  # sweeps its own run directory only
        assert _alive(proc)
    finally:
        stack.down(cfg=other)


def test_a_service_that_just_exited_is_not_called_a_foreign_process(tmp_path):
    """A zombie (a service that exited on its own, its parent not yet told) has no marker left
    to read: `down` must not say its pid was reused, nor signal it."""
    import subprocess

    from tests.helpers import wait_until

    child = subprocess.Popen(["true"])  # not the kit's: procs does not reap it
    try:
        zombie = psutil.Process(child.pid)
        assert wait_until(lambda: zombie.status() == psutil.STATUS_ZOMBIE, timeout=10)
        record = procs.ProcessRecord(
            service="worker", pid=child.pid, create_time=zombie.create_time(), cmd=["celery"],
            log=str(tmp_path / "worker.log"), parent_pid=0, tied_to_parent=False,
        )  # fmt: skip
        lines: list[str] = []
        assert procs.stop([record], tmp_path, timeout=1.0, say=lines.append) == []
        assert lines == []
    finally:
        child.wait(timeout=10)
