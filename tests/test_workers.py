"""classroom.workers, lesson 12's workers of the learner's own: started from a command line on
the kit's stack, answering, stopped warm, and never outliving the kernel or `down`."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from celery.result import AsyncResult

from calc.tasks import add
from classroom import procs, stack, workers
from classroom.clients import worker_pings
from classroom.config import ROOT
from classroom.services import worker_hostname
from comments.tasks import export_comments
from tests.helpers import wait_until

HOST = worker_hostname().split("@")[1]


@pytest.fixture
def cfg(live_stack):
    yield live_stack
    workers.stop(cfg=live_stack)


def _gone(pid: int, timeout: float = 10) -> bool:
    return wait_until(lambda: not psutil.pid_exists(pid) or _zombie(pid), timeout=timeout)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def test_a_worker_started_from_a_command_line_reads_its_queue_and_runs_its_tasks(cfg):
    worker = workers.start("celery -A proj worker -n side@%h -Q side -c 1", cfg=cfg)

    assert worker.hostname == f"side@{HOST}"
    assert worker.queues() == ["side"]
    sent = add.apply_async((2, 3), queue="side")
    assert sent.get(timeout=10) == 5
    assert AsyncResult(sent.id).worker == worker.hostname
    assert [w.hostname for w in workers.running(cfg)] == [worker.hostname]

    assert workers.stop("side", cfg=cfg) == ["side"]
    assert _gone(worker.record.pid)
    assert "worker:side" not in procs.Registry(cfg.state_file).load()
    assert workers.running(cfg) == []


def test_stopping_a_worker_lets_its_running_task_finish(cfg):
    worker = workers.start("celery -A proj worker -n warm@%h -Q warm -c 1", cfg=cfg)
    running = export_comments.apply_async((1,), queue="warm")
    wait_until(lambda: AsyncResult(running.id).state == "STARTED" or running.ready(), timeout=10)

    worker.stop()

    assert running.get(timeout=10) == "exported after 1 s"


def test_starting_the_same_name_again_replaces_the_first(cfg):
    first = workers.start("celery -A proj worker -n twice@%h -Q twice -c 1", cfg=cfg)
    second = workers.start("celery -A proj worker -n twice@%h -Q twice -c 1", cfg=cfg)

    assert _gone(first.record.pid)
    assert second.record.is_alive()
    assert [w.record.pid for w in workers.running(cfg)] == [second.record.pid]


def test_a_command_celery_refuses_fails_with_celerys_own_words_and_leaves_nothing(cfg):
    before = procs.Registry(cfg.state_file).load()
    with pytest.raises(workers.WorkerCommandError, match="No such option '-A'"):
        workers.start("celery worker -A proj -n wrong@%h", cfg=cfg)
    assert procs.Registry(cfg.state_file).load().keys() == before.keys()
    assert not any("wrong@" in " ".join(p.cmdline()) for p in procs.find_ours(cfg.run_dir))


@pytest.mark.parametrize(
    "command, says",
    [
        ("rm -rf /tmp/nothing", "with a `celery` command line"),
        ("celery -A proj status", "starts no worker"),
        ("", "an empty one"),
        ("celery -A proj worker -n worker@%h", "the kit's own worker's name"),
    ],
)
def test_a_command_that_is_not_a_new_worker_is_refused_before_anything_runs(cfg, command, says):
    with pytest.raises(workers.WorkerCommandError, match=says):
        workers.start(command, cfg=cfg)
    assert workers.running(cfg) == []
    assert worker_hostname() in worker_pings(cfg, timeout=1)  # the kit's, left alone


def test_down_stops_the_learners_workers_too(private_stack):
    cfg = private_stack
    stack.up(["redis"], cfg=cfg)
    worker = workers.start("celery -A proj worker -n mine@%h -Q mine -c 1", cfg=cfg)

    stack.down(cfg=cfg)

    assert _gone(worker.record.pid)
    assert procs.find_ours(cfg.run_dir) == []


def test_a_learners_worker_dies_with_the_kernel_that_started_it(cfg):
    script = (
        "import time\n"
        "from classroom import workers\n"
        "w = workers.start('celery -A proj worker -n orphan@%h -Q orphan -c 1')\n"
        "print(w.record.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, **cfg.env()}
    kernel = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        pid = int(kernel.stdout.readline())
        kernel.send_signal(signal.SIGKILL)
        kernel.wait(5)
        assert _gone(pid, timeout=15)
    finally:
        if kernel.poll() is None:
            kernel.kill()
        kernel.stdout.close()
    time.sleep(0.1)
    assert not any("orphan@" in " ".join(p.cmdline()) for p in procs.find_ours(cfg.run_dir))
