"""up, up again, status, down, and no orphans: on a private stack of real processes."""

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from classroom import procs, stack
from classroom.clients import redis_client
from tests.helpers import kit_processes, kit_processes_after, make_private_config


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory):
    cfg = make_private_config(tmp_path_factory.mktemp("lifecycle"))
    yield cfg
    stack.down(cfg=cfg)


@pytest.fixture
def cfg(module_stack):
    """The module's stack, up: each test passes alone, and in any order."""
    stack.up(cfg=module_stack)
    return module_stack


def _pids(cfg):
    return {s.name: s.pid for s in stack.status(cfg) if s.pid}


def test_up_starts_every_default_service_and_reports_it_healthy(cfg):
    statuses = stack.up(cfg=cfg)
    assert stack.healthy(statuses)
    by_name = {s.name: s for s in statuses}
    assert {n for n, s in by_name.items() if s.state == "ready"} == {
        "redis", "worker", "flower", "django",
    }  # fmt: skip
    assert by_name["beat"].state == "stopped"


def test_up_again_reuses_the_running_services(cfg):
    before = _pids(cfg)
    stack.up(cfg=cfg)
    assert _pids(cfg) == before


def test_every_service_listens_on_loopback_only(cfg):
    pids = set()
    for pid in _pids(cfg).values():
        pids.update(p.pid for p in procs.group_members(pid))
    listening = [
        c.laddr
        for c in psutil.net_connections(kind="tcp")
        if c.pid in pids and c.status == psutil.CONN_LISTEN
    ]
    assert listening, "the stack should listen somewhere"
    assert {addr.ip for addr in listening} == {"127.0.0.1"}


def test_cli_status_exits_zero_when_healthy_and_one_when_not(cfg):
    env = {**os.environ, **cfg.env()}
    ok = subprocess.run([sys.executable, "-m", "classroom", "status"], env=env,
                        capture_output=True, text=True, timeout=30)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✓ worker" in ok.stdout
    stack.down(["flower"], cfg=cfg)
    bad = subprocess.run([sys.executable, "-m", "classroom", "status"], env=env,
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert bad.returncode == 1
    assert "flower  stopped" in bad.stdout
    stack.up(cfg=cfg)


def test_a_restarted_redis_keeps_queued_tasks(cfg):
    stack.down(["worker"], cfg=cfg)
    redis_client(cfg).lpush("lifecycle-probe", "kept")
    stack.down(["redis"], cfg=cfg)
    stack.up(cfg=cfg)
    assert redis_client(cfg).lrange("lifecycle-probe", 0, -1) == [b"kept"]
    redis_client(cfg).delete("lifecycle-probe")


def test_down_stops_everything_and_leaves_no_process(cfg):
    stack.up(cfg=cfg, beat=True)
    assert kit_processes(cfg)
    stopped = stack.down(cfg=cfg)
    assert set(stopped) == {"redis", "worker", "beat", "flower", "django"}
    assert kit_processes(cfg) == set()
    assert not stack.healthy(stack.status(cfg))


PARENT = """
import sys
from classroom import stack
from classroom.config import Config
cfg = Config(run_dir=__import__("pathlib").Path(sys.argv[1]), redis_port=int(sys.argv[2]),
             flower_port=int(sys.argv[3]), django_port=int(sys.argv[4]))
stack.up(cfg=cfg)
print("up", flush=True)
sys.stdin.read()  # wait to be killed, as a kernel does
"""


def test_services_die_with_a_killed_parent_like_a_kernel(private_stack):
    cfg = private_stack
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(cfg.run_dir), str(cfg.redis_port),
         str(cfg.flower_port), str(cfg.django_port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert parent.stdout.readline().strip() == "up"
        assert stack.healthy(stack.status(cfg))
        kit = kit_processes(cfg)
        assert len(kit) >= 5  # redis, worker + its pool, flower, django
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        assert kit_processes_after(cfg, seconds=15) == set()
    finally:
        parent.kill()
        parent.wait(timeout=5)


@pytest.mark.parametrize("verb", [stack.up, stack.down, stack.restart])
def test_unknown_service_is_a_clear_error(private_stack, verb):
    with pytest.raises(ValueError, match=r"Unknown service 'wroker'.*redis, worker, beat"):
        verb(["wroker"] if verb is not stack.restart else "wroker", cfg=private_stack)
    assert kit_processes(private_stack) == set()


def test_services_started_from_a_real_kernel_outlive_the_cell_and_die_with_the_kernel(
    private_stack,
):
    from jupyter_client.manager import start_new_kernel

    cfg = private_stack
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        code = (
            "from pathlib import Path\n"
            "from classroom import stack\n"
            "from classroom.config import Config\n"
            f"cfg = Config(run_dir=Path({str(cfg.run_dir)!r}), redis_port={cfg.redis_port}, "
            f"flower_port={cfg.flower_port}, django_port={cfg.django_port})\n"
            "print(stack.healthy(stack.up(cfg=cfg)))"
        )
        reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
        time.sleep(1.0)  # a service tied to a finished thread, not the kernel, would be gone now
        assert stack.healthy(stack.status(cfg))
        kernel_pid = manager.provisioner.pid
        os.kill(kernel_pid, signal.SIGKILL)
        assert kit_processes_after(cfg, seconds=15) == set()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_state_file_from_another_version_or_torn_is_read_without_crashing(tmp_path):
    state = tmp_path / "state.json"
    good = {
        "service": "redis", "pid": 1, "create_time": 0.0, "cmd": [], "log": "",
        "parent_pid": 0, "tied_to_parent": False,
    }  # fmt: skip
    state.write_text(
        json.dumps({"redis": {**good, "added_later": 1}, "worker": {"service": "worker"}})
    )
    assert list(procs.Registry(state).load()) == ["redis"]
    state.write_text('{"redis": {"serv')
    assert procs.Registry(state).load() == {}


def test_rabbitmq_missing_is_a_clear_error_before_anything_starts(private_stack, monkeypatch):
    from classroom import services
    from classroom.errors import RabbitMQNotFound

    def missing():
        raise RabbitMQNotFound()

    monkeypatch.setattr(services, "find_rabbitmq_server", missing)
    with pytest.raises(RabbitMQNotFound, match="apt-get install rabbitmq-server"):
        stack.up(["rabbitmq"], cfg=private_stack)
    assert procs.find_ours(private_stack.run_dir) == []  # not even its epmd
