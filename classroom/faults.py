"""Faults a lesson causes on purpose, and only to the kit's own processes: the pool process
that runs a task, killed as the kernel's out-of-memory killer would."""

from __future__ import annotations

import os
import signal
import time

import psutil

from . import procs
from .clients import inspect
from .config import Config
from .services import worker_hostname


class FaultError(RuntimeError):
    """The fault could not be caused safely; the message says why."""


def kill_task_process(task_id: str, cfg: Config | None = None, timeout: float = 5.0) -> int:
    """SIGKILL the pool process of the kit's worker that runs `task_id`, and return its pid.
    Waits (bounded) for the task to be running; refuses any process not proven the kit's: a
    child of the kit's worker, carrying the kit's marker for this run directory."""
    cfg = cfg or Config.from_env()
    deadline = time.monotonic() + timeout
    while True:
        active = inspect(cfg, "active", worker_hostname()) or []
        running = [t for t in active if t.get("id") == task_id]
        if running or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if not running:
        raise FaultError(
            f"the kit's worker is not running task {task_id} (waited {timeout:.0f} s)."
        )
    pid = running[0]["worker_pid"]
    record = procs.Registry(cfg.state_file).load().get("worker")
    try:
        proc = psutil.Process(pid)
        proven = (
            record is not None and proc.ppid() == record.pid and procs.is_ours(proc, cfg.run_dir)
        )
    except psutil.Error:
        proven = False
    if not proven:
        raise FaultError(
            f"process {pid} is not proven a pool process of the kit's worker: not killed."
        )
    os.kill(pid, signal.SIGKILL)
    return pid
