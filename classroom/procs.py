"""How a kit process is started, proven to be the kit's, watched and stopped.

Every service runs in its own session (so the notebook's Stop button, which interrupts the
kernel's process group, leaves it alone). When it is started on behalf of a kernel or of
`make lab`, it is tied to that parent with Linux's PR_SET_PDEATHSIG, so it dies with it, even
on kill -9. Elsewhere (macOS) there is no such tie: the lab's own cleanup and
`python -m classroom down` stop the services instead.

The kit signals a process only once it has proven the process is its own: the pid's start
time matches the record, and the process carries the kit's marker for this run directory in
its environment. Redis overwrites its environment with its process title, so a Redis is proven
by what it shows instead: its port in its title, and its working directory (its `--dir`) inside
this run directory.

`stop` sends SIGTERM to the main process only, and SIGKILL to the whole group after a grace.
A Celery worker's pool children reset SIGTERM to its default action, so a TERM to the whole
group would kill the running tasks; a TERM to the main process is Celery's warm shutdown: it
lets them finish (as Celery's own supervisord example does).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import psutil

MARKER = "CLASSROOM_SERVICE"  # in a service's environment: which service it is
RUN_DIR_VAR = "CLASSROOM_RUN_DIR"  # ... and for which run directory
LOG_START = "=== "  # each start of a service appends a line "=== <time> classroom starts ..."

# psutil's create_time is the boot time (whole seconds in /proc/stat, and re-read by each
# process) plus the start ticks: two readings of one process can differ by up to a second.
START_TIME_SLACK = 1.0

PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """prctl, resolved here in the parent: a child between fork and exec must not dlopen."""
    if sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _load_prctl()

# The one registry of processes this Python process started: lets us reap them, and keep
# their exit codes.
_children: dict[int, subprocess.Popen] = {}
_exit_codes: dict[int, int] = {}


@dataclass
class ProcessRecord:
    """What the run directory remembers of one started process."""

    service: str
    pid: int
    create_time: float
    cmd: list[str]
    log: str
    parent_pid: int
    tied_to_parent: bool

    @property
    def pgid(self) -> int:
        return self.pid  # every service leads its own session and group

    def process(self) -> psutil.Process | None:
        """The live process of this record: same pid, same start time, not a zombie."""
        _reap()
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > START_TIME_SLACK:
                return None  # the pid was reused by something else
            return None if proc.status() == psutil.STATUS_ZOMBIE else proc
        except psutil.Error:
            return None

    def is_alive(self) -> bool:
        return self.process() is not None

    def owned(self, run_dir: Path) -> psutil.Process | None:
        """The live process, when it is proven to be this kit's (see the module's docstring)."""
        proc = self.process()
        if proc is None:
            return None
        if self.pid in _children:
            return proc  # our own unreaped child's pid cannot have been reused
        if is_ours(proc, run_dir, self._port()):
            return proc
        return None

    def _port(self) -> int | None:
        """The port the command line asked for (`--port N`), to prove a Redis by."""
        try:
            return int(self.cmd[self.cmd.index("--port") + 1])
        except (ValueError, IndexError):
            return None

    def parent_gone(self) -> bool:
        """Tied to a parent that has exited: it got SIGTERM and is on its way out."""
        if not self.tied_to_parent:
            return False
        try:
            return psutil.Process(self.pid).ppid() != self.parent_pid
        except psutil.Error:
            return True

    def exit_code(self) -> int | None:
        _reap()
        return _exit_codes.get(self.pid)


def is_ours(proc: psutil.Process, run_dir: Path, port: int | None = None) -> bool:
    """Does this process carry the kit's marker for this run directory? (A Redis: does it run
    in this run directory, and on `port` when given?)"""
    try:
        env = proc.environ()
    except (psutil.Error, OSError):
        env = {}
    if MARKER in env and env.get(RUN_DIR_VAR) == str(run_dir):
        return True
    return is_our_redis(proc, run_dir, port)


def is_our_redis(proc: psutil.Process, run_dir: Path, port: int | None = None) -> bool:
    """A redis-server whose working directory (its --dir) is inside this run directory, and,
    when given, that listens on this port (its process title: `redis-server 127.0.0.1:6390`)."""
    try:
        title = " ".join(proc.cmdline())
        cwd = Path(proc.cwd()).resolve()
    except (psutil.Error, OSError):
        return False
    if "redis-server" not in title:
        return False
    if port is not None and f":{port}" not in title:
        return False
    return cwd == run_dir.resolve() or run_dir.resolve() in cwd.parents


def _tie_to_parent(parent_pid: int) -> None:
    """Runs in the child between fork and exec: die when the parent dies. Only async-signal-
    safe work here: prctl was resolved at import."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def spawn(
    service: str,
    cmd: Sequence[str],
    *,
    log: Path,
    env: dict[str, str],
    cwd: Path,
    tie_to_parent: bool,
) -> ProcessRecord:
    log.parent.mkdir(parents=True, exist_ok=True)
    parent = os.getpid()
    preexec = (lambda: _tie_to_parent(parent)) if tie_to_parent and _prctl else None
    with open(log, "ab") as out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"\n{LOG_START}{stamp} classroom starts {service}: {' '.join(cmd)}\n".encode())
        out.flush()
        child = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,
        )
    _children[child.pid] = child
    try:
        created = psutil.Process(child.pid).create_time()
    except psutil.Error:
        created = time.time()
    return ProcessRecord(
        service=service,
        pid=child.pid,
        create_time=created,
        cmd=list(cmd),
        log=str(log),
        parent_pid=parent,
        tied_to_parent=tie_to_parent,
    )


def since_last_start(log_text: str) -> str:
    """The part of a log written since the service's last start (logs are appended to)."""
    marker = "\n" + LOG_START
    if marker not in log_text:
        return log_text
    return log_text.rsplit(marker, 1)[-1].split("\n", 1)[-1]


def _reap() -> None:
    for pid, child in list(_children.items()):
        code = child.poll()
        if code is not None:
            _exit_codes[pid] = code
            del _children[pid]


def group_members(pgid: int) -> list[psutil.Process]:
    """Live (non-zombie) processes in a process group."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (psutil.Error, OSError):
            continue
    return members


def running(record: ProcessRecord, run_dir: Path) -> bool:
    """Does anything of ours still run for this record: its process, or what is left of its
    group (a worker's pool children)?"""
    return record.owned(run_dir) is not None or bool(_ours_in_group(record.pgid, run_dir))


def _ours_in_group(pgid: int, run_dir: Path) -> list[psutil.Process]:
    return [p for p in group_members(pgid) if p.pid in _children or is_ours(p, run_dir)]


def exists(pid: int) -> bool:
    """A process with this pid runs: not a zombie, whose marker can no longer be read (a
    service that exited on its own a moment ago, its parent not yet told)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal(procs: Iterable[psutil.Process], sig: int) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.Error, OSError):
            proc.send_signal(sig)  # psutil checks the pid was not reused since it looked


def _gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait (bounded) for these processes to exit; return those still alive."""
    _reap()
    if not procs:
        return []
    _, alive = psutil.wait_procs(procs, timeout=max(0.0, timeout), callback=lambda p: _reap())
    _reap()
    return alive


Say = Callable[[str], None]


def stop(
    records: Sequence[ProcessRecord],
    run_dir: Path,
    *,
    timeout: float = 10.0,
    grace: Callable[[ProcessRecord], float] | None = None,
    say: Say | None = None,
) -> list[ProcessRecord]:
    """Stop the records' processes that are proven to be ours; never signal anything else.

    SIGTERM to each main process at once; after its grace (`grace(record)`, at most `timeout`),
    SIGKILL to whatever of ours is left in its group. Returns the records that needed SIGKILL.
    A record whose pid is alive but not ours (reused, or a foreign process) is left alone.
    """
    say = say or (lambda line: None)
    plan: list[tuple[ProcessRecord, list[psutil.Process]]] = []
    for record in records:
        leader = record.owned(run_dir)
        # the leader, or what is left of its group when it is gone (a worker's pool children)
        targets = [leader] if leader else _ours_in_group(record.pgid, run_dir)
        if leader is None and exists(record.pid) and not targets:
            say(
                f"· {record.service:<8} pid {record.pid} is no longer the kit's process "
                "(the pid was reused, or it lacks the kit's marker): record dropped, "
                "process left alone"
            )
        if targets:
            plan.append((record, targets))
    for _, targets in plan:
        _signal(targets, signal.SIGTERM)
    start = time.monotonic()
    killed = []
    for record, targets in plan:
        allowed = min(timeout, grace(record)) if grace else timeout
        group = _ours_in_group(record.pgid, run_dir) or targets
        if _gone(group, start + allowed - time.monotonic()):
            killed.append(record)
            _signal(_ours_in_group(record.pgid, run_dir), signal.SIGKILL)
            _gone(_ours_in_group(record.pgid, run_dir), 2.0)
    return killed


def stop_processes(found: Sequence[psutil.Process], timeout: float = 10.0) -> None:
    """Stop processes that `find_ours` proved ours, with no record to go by: SIGTERM to those
    whose parent is not among them (a worker's main process, not its pool), SIGKILL after
    `timeout` to all that are left."""
    pids = {p.pid for p in found}
    tops = []
    for proc in found:
        with contextlib.suppress(psutil.Error):
            if proc.ppid() not in pids:
                tops.append(proc)
    _signal(tops, signal.SIGTERM)
    alive = _gone(list(found), timeout)
    _signal(alive, signal.SIGKILL)
    _gone(alive, 2.0)


def find_ours(run_dir: Path) -> list[psutil.Process]:
    """Processes that a kit with this run directory started, by marker or (Redis) by its
    directory, whatever the registry says. Not this process, nor its ancestors."""
    exclude = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        exclude.update(p.pid for p in psutil.Process().parents())
    found = []
    for proc in psutil.process_iter():
        if proc.pid in exclude:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.status() != psutil.STATUS_ZOMBIE and is_ours(proc, run_dir):
                found.append(proc)
    return found


TAIL_MAX_BYTES = 16 * 1024 * 1024  # how far back `tail` reads at most, whatever `lines` asks


def tail(path: Path | str, lines: int = 20) -> str:
    """The last `lines` lines of a file, read from its end in blocks (a log of a long session
    is long; its last lines may be long too, a traceback's, say)."""
    block = 64 * 1024
    try:
        with open(path, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            start, data = end, b""
            newlines = 0
            while start > 0 and newlines <= lines and end - start < TAIL_MAX_BYTES:
                size = min(block, start)
                start -= size
                f.seek(start)
                chunk = f.read(size)
                newlines += chunk.count(b"\n")
                data = chunk + data
    except OSError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


class Registry:
    """The run directory's state file: which service runs as which process."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict[str, ProcessRecord]:
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a torn or hand-edited file: `down` still finds our processes by marker
        known = {f.name for f in fields(ProcessRecord)}
        records = {}
        for name, rec in raw.items() if isinstance(raw, dict) else ():
            try:  # a file from another version of the kit may have more, or fewer, fields
                records[name] = ProcessRecord(**{k: v for k, v in rec.items() if k in known})
            except (TypeError, AttributeError):
                continue  # unusable: `down` still finds that process by its marker
        return records

    def save(self, records: dict[str, ProcessRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(v) for k, v in records.items()}, indent=2))
        tmp.replace(self.path)  # atomic: a reader never sees half a file
