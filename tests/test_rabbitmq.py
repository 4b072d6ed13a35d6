"""The kit's own RabbitMQ (lesson 14): started on ports of its own, on loopback only, with its
data in the run directory; stopped with nothing left; never one the kit did not start."""

import socket
import time

import psutil
import pytest

from classroom import procs, stack, workers
from classroom.errors import PortInUse
from tests.helpers import make_private_config


@pytest.fixture
def cfg(tmp_path):
    cfg = make_private_config(tmp_path / "kit")
    yield cfg
    workers.stop(cfg=cfg)
    stack.down(cfg=cfg)


def _listening(pids: set[int]) -> list[str]:
    found = []
    for conn in psutil.net_connections("inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            found.append(conn.laddr.ip)
    return found


def test_the_kits_rabbitmq_listens_on_loopback_only_and_leaves_nothing(cfg):
    stack.up(["rabbitmq"], cfg=cfg)
    ours = {p.pid for p in procs.find_ours(cfg.run_dir)}

    addresses = _listening(ours)
    assert addresses and set(addresses) <= {"127.0.0.1", "::1"}, addresses
    assert (cfg.rabbitmq_dir / "mnesia").is_dir()  # its data: in the run directory
    assert {s.name for s in stack.status(cfg) if s.ok} == {"epmd", "rabbitmq"}

    stack.down(["rabbitmq"], cfg=cfg)  # and the epmd it needed
    assert procs.find_ours(cfg.run_dir) == []
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                   for pid in ours)  # fmt: skip


def test_a_worker_on_rabbitmq_runs_what_is_sent_through_it(cfg, monkeypatch):
    from celery import Celery

    # the environment's (the session stack's) would win over this stack's
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    stack.up(["redis", "rabbitmq"], cfg=cfg)
    worker = workers.start(f"celery -A proj -b {cfg.amqp_url} worker -n rabbit@%h -c 1", cfg=cfg)
    app = Celery("sender", set_as_current=False)
    app.conf.update(broker_url=cfg.amqp_url, broker_read_url=cfg.amqp_url,
                    broker_write_url=cfg.amqp_url, result_backend=cfg.redis_url)  # fmt: skip
    sent = app.send_task("calc.tasks.add", (2, 3))
    assert sent.get(timeout=15) == 5
    assert app.AsyncResult(sent.id).worker == worker.hostname


def test_a_program_on_the_amqp_port_is_refused_by_name_and_left_alone(cfg):
    squatter = socket.create_server(("127.0.0.1", cfg.amqp_port))
    try:
        started = time.monotonic()
        with pytest.raises(PortInUse, match=str(cfg.amqp_port)):
            stack.up(["rabbitmq"], cfg=cfg)
        assert time.monotonic() - started < 5
        assert squatter.fileno() != -1  # still ours, still open
    finally:
        squatter.close()
