"""A preflight for students and instructors: one line per check, and the fix for each ✗."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path

from . import clients, ports, procs, services
from .config import EXPECTED_TASKS, LOCK_FILE, ROOT, Config
from .errors import FolderNotWritable, RedisNotFound
from .workspace import check_learner_folders

MIN_PYTHON = (3, 11)
KEY_PACKAGES = (
    "celery", "kombu", "redis", "flower", "Django", "django-celery-beat", "jupyterlab",
    "ipywidgets", "nbval", "pillow",
)  # fmt: skip


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    see: str = ""  # the TROUBLESHOOTING.md entry about this failure, when there is one


# TROUBLESHOOTING.md's entries, by what a failed check points at
GUIDE = "TROUBLESHOOTING.md"
BROKER_DOWN = f"{GUIDE}#1-delay-fails-or-hangs-when-redis-is-down"
PENDING = f"{GUIDE}#7-a-task-stays-pending"
UNREGISTERED = f"{GUIDE}#3-received-unregistered-task"
# every other check, by the start of its name
SEE_BY_NAME = (
    ("Python ", f"{GUIDE}#14-the-kit-needs-python-311-or-newer"),
    ("packages match", f"{GUIDE}#17-packages-do-not-match-requirementslock"),
    ("redis-server", f"{GUIDE}#16-no-redis-server-found"),
    ("port ", f"{GUIDE}#13-port--is-already-in-use"),
    ("broker answers", BROKER_DOWN),
    ("Celery worker answers", PENDING),
    ("the demo app's tasks", UNREGISTERED),
    ("exactly one worker", PENDING),
    ("notebooks and workspace", f"{GUIDE}#23--is-not-writable-here"),
    ("Flower", f"{GUIDE}#18-flower-or-django-does-not-answer"),
    ("Django", f"{GUIDE}#18-flower-or-django-does-not-answer"),
)


def _with_guide(check: Check) -> Check:
    """A failed check points at its TROUBLESHOOTING.md entry."""
    if check.ok or check.see:
        return check
    see = next((link for start, link in SEE_BY_NAME if check.name.startswith(start)), "")
    return replace(check, see=see)


def _rel(path: Path | str) -> str:
    path = Path(path)
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check(
        f"Python {version}",
        ok,
        fix="" if ok else "Install Python 3.11 or newer, then run `make lab` again.",
    )


def _locked_versions() -> dict[str, str]:
    pins = {}
    for line in LOCK_FILE.read_text().splitlines() if LOCK_FILE.exists() else []:
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def check_packages() -> Check:
    pins = _locked_versions()
    found, wrong = [], []
    for name in KEY_PACKAGES:
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        want = pins.get(name.lower())
        if want and want != have:
            wrong.append(f"{name} {have} (lock: {want})")
        else:
            found.append(f"{name} {have}")
    if wrong:
        return Check(
            "packages match requirements.lock",
            False,
            ", ".join(wrong),
            "Run `make lab` (it reinstalls from the lock), or "
            "`.venv/bin/pip install -r requirements.lock`.",
        )
    return Check("packages match requirements.lock", True, ", ".join(found))


def check_redis_binary(cfg: Config) -> Check:
    if cfg.external_redis_url:
        return Check("redis-server", True, f"not needed: CLASSROOM_REDIS_URL={cfg.redis_url}")
    try:
        binary = services.find_redis_server()
    except RedisNotFound as exc:
        return Check("redis-server found", False, "", str(exc))
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=5
        ).stdout
        version = re.search(r"v=(\S+)", out)
        detail = f"{version.group(1) if version else '?'} at {_rel(binary)}"
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("redis-server runs", False, f"{binary}: {exc}", "Reinstall with `make lab`.")
    return Check("redis-server found", True, detail)


def check_folders(cfg: Config) -> Check:
    name = "notebooks and workspace can be written"
    try:
        check_learner_folders(cfg)
    except FolderNotWritable as exc:
        return Check(name, False, "", str(exc))
    return Check(name, True)


def check_ports(cfg: Config) -> list[Check]:
    registry = procs.Registry(cfg.state_file).load()
    records = {n: r for n, r in registry.items() if r.owned(cfg.run_dir)}  # proven ours
    checks = []
    for svc in services.ALL.values():
        port = svc.port(cfg)
        if port is None or (svc.name not in services.DEFAULT and svc.name not in records):
            continue  # an optional service (RabbitMQ) is checked when it runs
        name = f"port {port} ({svc.name})"
        record = records.get(svc.name)
        if record:
            checks.append(Check(name, True, f"ours: pid {record.pid}"))
        elif not ports.in_use(port):
            checks.append(Check(name, True, "free"))
        else:
            holder = ports.holder(port) or "another program"
            checks.append(
                Check(
                    name,
                    False,
                    f"held by {holder}, not by the kit",
                    f"Stop that program, or use another port: {svc.port_env}=<free port> make lab",
                )
            )
    if "JPY_PARENT_PID" not in os.environ:  # from a kernel, the lab port is the lab's own
        checks.append(_check_lab_port(cfg))
    return checks


def _check_lab_port(cfg: Config) -> Check:
    name = f"port {cfg.lab_port} (JupyterLab)"
    if not ports.in_use(cfg.lab_port):
        return Check(name, True, "free")
    holder = ports.holder(cfg.lab_port) or "another program"
    if "jupyter" in ports.command_line(cfg.lab_port):
        return Check(name, True, f"JupyterLab is running ({holder})")
    fix = "Stop that program, or use another port: LAB_PORT=<free port> make lab"
    return Check(name, False, f"held by {holder}", fix)


def check_stack(cfg: Config) -> list[Check]:
    up_fix = "Run `python -m classroom up` (or `make lab`)."
    checks = []
    broker_ok = clients.redis_ping(cfg, timeout=1.0)
    checks.append(
        Check(
            "broker answers PING",
            broker_ok,
            cfg.redis_url,
            "" if broker_ok else f"Redis is not answering at {cfg.redis_url}. {up_fix}",
            "" if broker_ok else BROKER_DOWN,
        )
    )
    expected_worker = services.worker_hostname()
    workers = clients.worker_pings(cfg, timeout=1.0) if broker_ok else []
    worker_log = _rel(cfg.log_file("worker"))
    worker_ok = expected_worker in workers
    checks.append(
        Check(
            "Celery worker answers ping",
            worker_ok,
            expected_worker if worker_ok else "no answer",
            ""
            if worker_ok
            else f"{up_fix} If it still fails, read its log: `python -m classroom logs worker` "
            f"({worker_log}).",
            "" if worker_ok else PENDING,
        )
    )
    registered: list[str] = []
    if worker_ok:
        registered = clients.inspect(cfg, "registered", expected_worker) or []
    missing = [t for t in EXPECTED_TASKS if t not in registered]
    checks.append(
        Check(
            "the demo app's tasks are registered",
            worker_ok and not missing,
            ", ".join(EXPECTED_TASKS)
            if worker_ok and not missing
            else f"missing: {', '.join(missing)}",
            ""
            if worker_ok and not missing
            else "Start the worker (`python -m classroom up`); after editing a tasks.py, restart "
            "it: `python -m classroom restart worker`.",
            "" if worker_ok and not missing else UNREGISTERED,
        )
    )
    one = len(workers) == 1
    checks.append(
        Check(
            "exactly one worker consumes the queue",
            one,
            f"{len(workers)} answered: {', '.join(workers) or 'none'}",
            ""
            if one
            else (
                up_fix
                if not workers
                else "Stop the extra workers (a `celery worker` left running in a terminal? "
                "Ctrl-C it), so that lessons see one worker."
            ),
            "" if one else PENDING,
        )
    )
    for svc, label in ((services.FLOWER, "Flower is healthy"), (services.DJANGO, "Django answers")):
        ok = svc.probe(cfg)
        checks.append(
            Check(
                label,
                ok,
                svc.address(cfg) or "",
                "" if ok else f"{up_fix} Log: `python -m classroom logs {svc.name}`.",
            )
        )
    return checks


def run(cfg: Config | None = None) -> list[Check]:
    cfg = cfg or Config.from_env()
    checks = [
        check_python(),
        check_packages(),
        check_redis_binary(cfg),
        check_folders(cfg),
        *check_ports(cfg),
        *check_stack(cfg),
    ]
    return [_with_guide(c) for c in checks]


def render(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        mark = "✓" if check.ok else "✗"
        detail = f"  — {check.detail}" if check.detail else ""
        lines.append(f"{mark} {check.name}{detail}")
        if not check.ok and check.fix:
            lines.append(f"    fix: {check.fix}")
        if not check.ok and check.see:
            lines.append(f"    more: {check.see}")
    failed = sum(not c.ok for c in checks)
    lines.append("all checks passed" if not failed else f"{failed} of {len(checks)} checks failed")
    return "\n".join(lines)


def to_json(checks: list[Check]) -> str:
    return json.dumps(
        {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}, indent=2
    )
