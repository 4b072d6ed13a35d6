"""Workers of the learner's own, next to the kit's: lesson 12 starts them with a command line,
as you would in a terminal, on the kit's Redis.

`start("celery -A proj worker -n thumbs@%h -Q thumbnails -c 1")` runs that command in the
kit's environment, tied to this kernel (it dies with it), recorded in the run directory (so
`python -m classroom down` stops it too), and waits, bounded, until the worker answers a ping.
A command that Celery refuses fails with Celery's own message.
"""

from __future__ import annotations

import shlex
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import procs
from .clients import inspect, worker_pings
from .config import APP_DIR, PROJECT, Config

START_TIMEOUT = 30.0  # seconds: a worker is ready in one or two; mingle with others, a few more
STOP_GRACE = 10.0  # seconds of warm shutdown, as the kit's worker gets
PREFIX = "worker:"  # its key in the run directory's registry: "worker:thumbs"


class WorkerCommandError(ValueError):
    """A command line the kit will not run, or one the worker refused; says what to do."""


@dataclass
class Worker:
    """A worker the learner started: its node name, its log, its process."""

    hostname: str  # thumbs@machine, as Flower and `celery inspect` show it
    record: procs.ProcessRecord
    cfg: Config
    broker_url: str | None = None  # when it is not the kit's Redis (-b amqp://...)

    @property
    def log_file(self) -> Path:
        return Path(self.record.log)

    def log(self, grep: str = "", lines: int = 10) -> str:
        text = procs.since_last_start(procs.tail(self.log_file, 400))
        found = [line for line in text.splitlines() if grep in line]
        return "\n".join(found[-lines:])

    def queues(self) -> list[str]:
        """The queues it reads, as it says itself."""
        answer = inspect(self.cfg, "active_queues", self.hostname) or []
        return sorted(q["name"] for q in answer)

    def stop(self) -> None:
        stop(self.hostname.split("@")[0], cfg=self.cfg)

    def kill(self) -> None:
        """SIGKILL to the whole worker, its pool too, as when a machine loses power: no warm
        shutdown, no message handed back. Only its own processes, proven the kit's."""
        import signal

        found = procs._ours_in_group(self.record.pgid, self.cfg.run_dir)
        procs._signal(found, signal.SIGKILL)
        procs._gone(found, 5.0)
        stop(self.hostname.split("@")[0], cfg=self.cfg)  # forget its record

    def __repr__(self) -> str:
        return f"<Worker {self.hostname}, pid {self.record.pid}>"


def _node_name(args: list[str]) -> str:
    """The node name the command asks for (-n / --hostname), %h expanded as Celery does."""
    name = "celery@%h"
    for i, arg in enumerate(args):
        if arg in ("-n", "--hostname") and i + 1 < len(args):
            name = args[i + 1]
        elif arg.startswith("--hostname="):
            name = arg.split("=", 1)[1]
    host = socket.gethostname()
    return name.replace("%h", host).replace("%n", host.split(".")[0])


def _broker(args: list[str]) -> str | None:
    """The broker the command names (`celery -b URL ...`, before the command), if any."""
    for i, arg in enumerate(args[: args.index("worker")] if "worker" in args else args):
        if arg in ("-b", "--broker") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--broker="):
            return arg.split("=", 1)[1]
    return None


def parse(command: str | list[str]) -> list[str]:
    """The command's arguments, checked: `celery -A proj worker ...`, nothing else."""
    args = shlex.split(command) if isinstance(command, str) else list(command)
    if not args or Path(args[0]).name != "celery":
        raise WorkerCommandError(
            f"start a worker with a `celery` command line, like `celery -A {PROJECT} worker "
            "-n thumbs@%h -Q thumbnails`: not "
            f"{shlex.join(args) or 'an empty one'}."
        )
    if "worker" not in args:
        raise WorkerCommandError(f"that command starts no worker: `celery -A {PROJECT} worker`.")
    return args


def start(
    command: str | list[str], *, cfg: Config | None = None, timeout: float = START_TIMEOUT
) -> Worker:
    """Run a worker's command line, on the kit's stack; wait until it answers a ping."""
    from .stack import _locked, _service_env, services

    cfg = cfg or Config.from_env()
    args = parse(command)
    hostname = _node_name(args)
    key = PREFIX + hostname.split("@")[0]
    if hostname == services.worker_hostname():
        raise WorkerCommandError(
            f"{hostname} is the kit's own worker's name: give yours another with -n, "
            "like -n thumbs@%h. Two workers with one name confuse Flower and `inspect`."
        )
    stop(hostname.split("@")[0], cfg=cfg)  # the same worker, started again: the old one goes
    cmd = [sys.executable, "-m", "celery", *args[1:]]
    env = _service_env(cfg, services.WORKER)
    env[procs.MARKER] = key
    with _locked(cfg):
        registry = procs.Registry(cfg.state_file)
        record = procs.spawn(
            key,
            cmd,
            log=cfg.log_dir / f"worker-{key[len(PREFIX) :]}.log",
            env=env,
            cwd=APP_DIR,
            tie_to_parent=True,
        )
        records = registry.load()
        records[key] = record
        registry.save(records)
    broker = _broker(args)
    worker = Worker(hostname, record, cfg, broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not record.is_alive():
            stop(hostname.split("@")[0], cfg=cfg)
            raise WorkerCommandError(
                f"the worker exited at once. What it said:\n{worker.log(lines=8)}"
            )
        if hostname in worker_pings(cfg, timeout=0.25, only=hostname, broker_url=broker):
            return worker
        time.sleep(0.1)
    stop(hostname.split("@")[0], cfg=cfg)
    raise WorkerCommandError(
        f"{hostname} did not answer within {timeout:.0f} s, and was stopped. Its last words:\n"
        f"{worker.log(lines=8)}"
    )


def running(cfg: Config | None = None) -> list[Worker]:
    """The learner's workers that run now."""
    cfg = cfg or Config.from_env()
    found = []
    for key, record in procs.Registry(cfg.state_file).load().items():
        if key.startswith(PREFIX) and record.owned(cfg.run_dir):
            args = record.cmd[record.cmd.index("celery") :]
            found.append(Worker(_node_name(args), record, cfg, _broker(args)))
    return found


def stop(name: str | None = None, *, cfg: Config | None = None) -> list[str]:
    """Stop the learner's worker of this name (`thumbs`), or all of them: a warm shutdown,
    with the kit's grace. Returns the names of those stopped."""
    from .stack import _locked

    cfg = cfg or Config.from_env()
    with _locked(cfg):
        registry = procs.Registry(cfg.state_file)
        records = registry.load()
        chosen = [
            r for k, r in records.items()
            if k.startswith(PREFIX) and (name is None or k == PREFIX + name)
        ]  # fmt: skip
        stopped = [r.service[len(PREFIX) :] for r in chosen if procs.running(r, cfg.run_dir)]
        procs.stop(chosen, cfg.run_dir, timeout=STOP_GRACE)
        for record in chosen:
            del records[record.service]
        registry.save(records)
    return stopped


__all__ = ["Worker", "WorkerCommandError", "running", "start", "stop"]
