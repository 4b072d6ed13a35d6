"""How a kit process is started, watched and stopped.

Every service runs in its own session (so the notebook's Stop button, which interrupts the
kernel's process group, leaves it alone) and, when it is started on behalf of a kernel or of
`make lab`, is tied to that parent with PR_SET_PDEATHSIG, so it dies with it, even on kill -9.
`stop` ends the whole process group: SIGTERM first, SIGKILL after a bound.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import psutil

PR_SET_PDEATHSIG = 1

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

    def is_alive(self) -> bool:
        _reap()
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.05:
                return False  # the pid was reused by something else
            return proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

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


def _tie_to_parent(parent_pid: int) -> None:
    """Runs in the child between fork and exec: die when the parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: `down` and the lab's own cleanup still stop it
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
    preexec = (
        (lambda: _tie_to_parent(parent)) if tie_to_parent and sys.platform == "linux" else None
    )
    with open(log, "ab") as out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"\n=== {stamp} classroom starts {service}: {' '.join(cmd)}\n".encode())
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


def _reap() -> None:
    for pid, child in list(_children.items()):
        code = child.poll()
        if code is not None:
            _exit_codes[pid] = code
            del _children[pid]


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command may contain spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        _reap()
        if not group_members(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def stop(
    records: Sequence[ProcessRecord],
    timeout: float = 10.0,
    grace: Callable[[ProcessRecord], float] | None = None,
) -> None:
    """SIGTERM every record's group at once, then SIGKILL whatever is left after its grace
    period (`grace(record)`, at most `timeout`)."""
    live = [r for r in records if r.is_alive() or group_members(r.pgid)]
    for record in live:
        _signal_group(record.pgid, signal.SIGTERM)
    start = time.monotonic()
    for record in live:
        allowed = min(timeout, grace(record)) if grace else timeout
        if not _wait_group_gone(record.pgid, max(0.0, start + allowed - time.monotonic())):
            _signal_group(record.pgid, signal.SIGKILL)
            _wait_group_gone(record.pgid, 2.0)


MARKER = "CLASSROOM_SERVICE"


def find_marked(run_dir: Path) -> list[int]:
    """Pids of processes that a kit with this run directory started (they carry a marker)."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            env = proc.environ()
        except (psutil.Error, OSError):
            continue
        if MARKER in env and env.get("CLASSROOM_RUN_DIR") == str(run_dir):
            found.append(proc.pid)
    return found


def tail(path: Path | str, lines: int = 20) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


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
