"""Start, check and stop the local stack: Redis, a Celery worker, beat, Flower and Django.

From a notebook:  `from classroom import stack; stack.up()`.
From a terminal:  `python -m classroom up | down | status | logs | reset`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import clients, lablink, ports, procs, services
from .config import APP_DIR, Config
from .errors import (
    BrokerUnavailable,
    ClassroomError,
    PortInUse,
    RabbitMQNotFound,
    ServiceFailed,
)
from .services import ALL, DEFAULT, Service

START_TIMEOUT = float(os.environ.get("CLASSROOM_START_TIMEOUT", "30"))
STOP_TIMEOUT = 10.0
LOCK_TIMEOUT = 60.0

Echo = Callable[[str], None] | None


def _silent(line: str) -> None:
    pass


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: str  # ready | not answering | stopped | external | unreachable
    pid: int | None
    address: str | None
    log: Path

    @property
    def ok(self) -> bool:
        return self.state in ("ready", "external")


class Statuses(list):
    """What `up` and `status` return: a list of ServiceStatus that reads well in a notebook.
    `started` names what this call started (the rest it found running)."""

    started: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "\n".join(
            f"{'✓' if s.ok else '·'} {s.name:<7} {s.state:<14} {s.address or ''}" for s in self
        )

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


@contextmanager
def _locked(cfg: Config) -> Iterator[None]:
    """One `up`/`down` at a time per run directory (a kernel and `make lab` may race)."""
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    with open(cfg.run_dir / "lock", "w") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ClassroomError(
                        f"Another `classroom` command has held {cfg.run_dir / 'lock'} for "
                        f"{LOCK_TIMEOUT:.0f} s. Wait for it, or stop it and run "
                        "`python -m classroom down`."
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _validate(names: Iterable[str]) -> list[str]:
    """The names as a list, or a clear error for the first unknown one."""
    names = list(names)
    unknown = [n for n in names if n not in ALL]
    if unknown:
        raise ValueError(f"Unknown service {unknown[0]!r}; the services are: {', '.join(ALL)}.")
    return names


def _with_dependencies(names: Iterable[str] | None, beat: bool = False) -> list[str]:
    """What `up` starts: the names (or the default services), and Redis when one needs it."""
    wanted = _validate(DEFAULT if names is None else names)
    if beat and "beat" not in wanted:
        wanted.append("beat")
    if any(ALL[n].needs_redis for n in wanted) and "redis" not in wanted:
        wanted.insert(0, "redis")
    for needed in {d for n in list(wanted) for d in ALL[n].needs}:
        if needed not in wanted:
            wanted.append(needed)
    return sorted(wanted, key=list(ALL).index)  # dependency order: redis first


def _service_env(cfg: Config, svc: Service) -> dict[str, str]:
    own = svc.env(cfg) if svc.env else {}
    return {**os.environ, **cfg.env(), **svc.extra_env, **own, procs.MARKER: svc.name}


def _live_records(cfg: Config, say: Callable[[str], None] | None = None):
    """The registry's records whose process is alive and proven to be the kit's. A record
    whose pid now belongs to another process is dropped with a line saying so."""
    live: dict[str, procs.ProcessRecord] = {}
    for name, record in procs.Registry(cfg.state_file).load().items():
        if record.owned(cfg.run_dir):
            live[name] = record
        elif say and record.is_alive():
            say(
                f"· {name:<8} pid {record.pid} is not the kit's process (it lacks the kit's "
                "marker for this run directory): record dropped, process left alone"
            )
        elif say and procs.exists(record.pid):
            say(
                f"· {name:<8} pid {record.pid} was reused by another process since the kit "
                "started it: record dropped, process left alone"
            )
    return live


def up(
    names: Iterable[str] | None = None,
    *,
    beat: bool = False,
    cfg: Config | None = None,
    tie_to_parent: bool = True,
    timeout: float = START_TIMEOUT,
    echo: Echo = None,
    reconnect: bool = False,
) -> Statuses:
    """Start what is missing, reuse what is healthy, and wait (bounded) until all are ready.

    tie_to_parent: the services die with this Python process (a kernel, `make lab`, a test
    session). The command line's `up` passes False, and `down` stops them.
    reconnect: when Redis starts again, leave the worker and beat running, to reconnect by
    themselves (their back-off: 2 s, 4 s, 6 s... up to 30 s apart). By default the kit restarts
    them, not to make you wait. Flower is restarted either way: its back-off doubles unbounded.
    """
    cfg = cfg or Config.from_env()
    wanted = _with_dependencies(names, beat)
    say = echo or _silent
    lab = lablink.find(cfg)
    if lab:  # under `make lab`, the lab starts them: they outlive this kernel
        lab.ask("up", say, names=wanted, timeout=timeout, reconnect=reconnect)
        return status(cfg)
    with _locked(cfg):
        started = _up_locked(cfg, wanted, tie_to_parent, timeout, say, reconnect)
    result = status(cfg)
    result.started = tuple(started)
    return result


def _up_locked(
    cfg: Config,
    wanted: list[str],
    tie_to_parent: bool,
    timeout: float,
    say: Callable[[str], None],
    reconnect: bool = False,
) -> list[str]:
    registry = procs.Registry(cfg.state_file)
    records = _live_records(cfg, say)
    registry.save(records)

    if "rabbitmq" in wanted and not services.rabbitmq_installed():
        raise RabbitMQNotFound()  # before anything starts: its epmd would be left alone
    if cfg.external_redis_url and "redis" in wanted:
        if not clients.redis_ping(cfg, timeout=1.0):
            raise BrokerUnavailable(cfg.redis_url, "the Redis that CLASSROOM_REDIS_URL names")
        say(f"✓ redis    external  {cfg.redis_url}")
        wanted = [n for n in wanted if n != "redis"]

    to_start: list[Service] = []
    for name in wanted:
        svc = ALL[name]
        record = records.get(name)
        if record and record.parent_gone():  # dying with the kernel that started it
            _stop(cfg, [record], STOP_TIMEOUT, say)
            del records[name]
            record = None
        if record and svc.probe(cfg):
            say(f"✓ {name:<8} running   {svc.address(cfg) or ''} (pid {record.pid})")
            continue
        if record:  # ours and alive, but not answering: start it afresh
            say(f"… {name:<8} not answering: restarting it")
            _stop(cfg, [record], STOP_TIMEOUT, say)
            del records[name]
        to_start.append(svc)

    if any(s.name == "redis" for s in to_start):
        # A fresh Redis: clients of the old one may sit in a reconnect back-off of up to
        # 30 s. Restart them now rather than make the learner wait.
        for name in ("flower",) if reconnect else ("worker", "beat", "flower"):
            if name in records and all(s.name != name for s in to_start):
                _stop(cfg, [records.pop(name)], STOP_TIMEOUT, say)
                to_start.append(ALL[name])
        to_start.sort(key=lambda s: list(ALL).index(s.name))
    registry.save(records)

    for svc in to_start:
        port = svc.port(cfg)
        if port and ports.in_use(port):
            raise PortInUse(svc.name, port, svc.port_env or "", ports.holder(port))

    _start(cfg, to_start, records, registry, tie_to_parent, timeout, say)
    return [s.name for s in to_start]


def _start(
    cfg: Config,
    to_start: list[Service],
    records: dict[str, procs.ProcessRecord],
    registry: procs.Registry,
    tie_to_parent: bool,
    timeout: float,
    say: Callable[[str], None],
) -> None:
    pending = list(to_start)
    preparing: dict[str, procs.ProcessRecord] = {}
    starting: dict[str, float] = {}
    redis_ready = all(s.name != "redis" for s in to_start)
    names_starting = {s.name for s in to_start}
    ready: set[str] = set()
    t0 = time.monotonic()
    deadline = t0 + timeout

    def spawn(svc: Service, cmd: list[str], tie: bool) -> procs.ProcessRecord:
        return procs.spawn(
            svc.name,
            cmd,
            log=cfg.log_file(svc.name),
            env=_service_env(cfg, svc),
            cwd=APP_DIR,
            tie_to_parent=tie,
        )

    while pending or preparing or starting:
        for svc in list(pending):
            if svc.needs_redis and not redis_ready:
                continue
            if any(n in names_starting and n not in ready for n in svc.needs):
                continue
            pending.remove(svc)
            if svc.prepare:
                # services with the same preparation (beat and Django: migrate) share one run
                cmd = svc.prepare(cfg)
                shared = next((r for r in preparing.values() if r.cmd == cmd), None)
                preparing[svc.name] = shared or spawn(svc, cmd, True)
            else:
                records[svc.name] = spawn(svc, svc.command(cfg), tie_to_parent)
                registry.save(records)
                starting[svc.name] = time.monotonic()

        for name, record in list(preparing.items()):
            code = record.exit_code()
            if code is None:
                continue
            del preparing[name]
            if code != 0:
                log = cfg.log_file(name)
                cmd = " ".join(Path(a).name if "/" in a else a for a in record.cmd[1:])
                raise ServiceFailed(name, f"could not start: `{cmd}` exited with {code}", log,
                                    procs.tail(log))  # fmt: skip
            svc = ALL[name]
            records[name] = spawn(svc, svc.command(cfg), tie_to_parent)
            registry.save(records)
            starting[name] = time.monotonic()

        for name in list(starting):
            svc, record = ALL[name], records[name]
            log = cfg.log_file(name)
            if not record.is_alive():
                code = record.exit_code()
                why = f"exited during start-up (exit code {code})" if code is not None else "died"
                del records[name]
                registry.save(records)
                raise ServiceFailed(name, why, log, procs.tail(log))
            if svc.probe(cfg):
                took = time.monotonic() - starting.pop(name)
                say(f"✓ {name:<8} started   {svc.address(cfg) or ''} (ready in {took:.1f} s)")
                ready.add(name)
                if name == "redis":
                    redis_ready = True

        if time.monotonic() > deadline:
            name = next(iter(starting or preparing or {s.name: 0 for s in pending}))
            log = cfg.log_file(name)
            raise ServiceFailed(
                name, f"did not become ready within {timeout:.0f} s", log, procs.tail(log)
            )
        if pending or preparing or starting:
            time.sleep(0.03)


def down(
    names: Iterable[str] | None = None,
    *,
    cfg: Config | None = None,
    timeout: float = STOP_TIMEOUT,
    echo: Echo = None,
) -> list[str]:
    """Stop the kit's processes (all of them, or the named ones). Returns what was stopped.

    Only processes proven to be this kit's are signalled (see `procs`). A worker gets a warm
    shutdown: its running tasks finish within its grace, and any it had to cut off are named.
    """
    cfg = cfg or Config.from_env()
    say = echo or _silent
    targets = _validate(ALL if names is None else names)
    # what a stopped service needed, and nothing else does (RabbitMQ's epmd)
    for needed in {d for n in targets for d in ALL[n].needs}:
        if needed not in targets:
            targets.append(needed)
    lab = lablink.find(cfg)
    if lab:
        lab.ask("down", say, names=None if names is None else targets, timeout=timeout)
        return [s.name for s in status(cfg) if s.name in targets and s.pid is None]
    with _locked(cfg):
        stopped = _down_locked(cfg, targets, timeout, say, sweep=names is None)
    for name in stopped:
        say(f"■ {name:<8} stopped")
    if not stopped:
        say("nothing was running")
    return stopped


def _down_locked(
    cfg: Config, targets: list[str], timeout: float, say: Callable[[str], None], sweep: bool
) -> list[str]:
    registry = procs.Registry(cfg.state_file)
    records = registry.load()
    # everything: the learner's own workers too (classroom.workers, "worker:<name>")
    chosen = [r for n, r in records.items() if n in targets or (sweep and n not in ALL)]
    # what really runs; a stale record is only dropped (procs.stop says so), never "stopped"
    running = [r.service for r in chosen if procs.running(r, cfg.run_dir)]
    # clients first, so that a worker's warm shutdown can still reach Redis
    last = ("redis", "epmd")  # what the others talk to, while they stop
    _stop(cfg, [r for r in chosen if r.service not in last], timeout, say)
    _stop(cfg, [r for r in chosen if r.service in last], timeout, say)
    for record in chosen:
        del records[record.service]
    registry.save(records)
    if sweep:
        # whatever of ours the registry lost track of: marked processes, and a Redis whose
        # --dir is in this run directory
        strays = procs.find_ours(cfg.run_dir)
        if strays:
            say(f"· stopping {len(strays)} process(es) of this run directory with no record")
            procs.stop_processes(strays, timeout)
    return running


def _grace(record: procs.ProcessRecord) -> float:
    svc = ALL.get(record.service.split(":")[0])  # "worker:thumbs", a learner's: a worker's
    return svc.stop_grace if svc else STOP_TIMEOUT


def _stop(
    cfg: Config, records: list[procs.ProcessRecord], timeout: float, say: Callable[[str], None]
) -> None:
    # What each worker is running now: named if its grace runs out and they are cut off.
    running: dict[int, list[dict]] = {}
    for record in records:
        if record.service == "worker" and record.owned(cfg.run_dir) and clients.redis_ping(cfg):
            worker = services.worker_hostname()
            running[record.pid] = clients.inspect(cfg, "active", worker, timeout=0.5) or []
    killed = procs.stop(records, cfg.run_dir, timeout=timeout, grace=_grace, say=say)
    for record in killed:
        cut = running.get(record.pid)
        if cut:
            tasks = ", ".join(f"{t.get('name')}[{t.get('id')}]" for t in cut)
            # printed even when the caller asked for no output: a lost task is never silent
            line = (
                f"✗ {record.service:<8} was still running {len(cut)} task(s) when its "
                f"{min(timeout, _grace(record)):.0f} s grace ended; cut off: {tasks}. "
                "They will not finish (without acks_late their messages are gone): send them "
                "again."
            )
            if say is _silent:
                print(line, file=sys.stderr)
            else:
                say(line)
    # A process can be gone a moment before the kernel closes its listening socket: wait
    # (briefly) so that a restart right after this does not find its own port taken.
    deadline = time.monotonic() + 3.0
    for record in records:
        port = ALL[record.service].port(cfg) if record.service in ALL else None
        while port and ports.in_use(port) and time.monotonic() < deadline:
            time.sleep(0.02)


def restart(
    name: str, *, cfg: Config | None = None, echo: Echo = None, tie_to_parent: bool = True
) -> Statuses:
    """Stop one service and start it again (a worker must restart to see edited tasks).

    One lock is held across the stop and the start: nobody starts it in between."""
    cfg = cfg or Config.from_env()
    say = echo or _silent
    [name] = _validate([name])
    lab = lablink.find(cfg)
    if lab:
        lab.ask("restart", say, name=name)
        return status(cfg)
    with _locked(cfg):
        for stopped in _down_locked(cfg, [name], STOP_TIMEOUT, say, sweep=False):
            say(f"■ {stopped:<8} stopped")
        wanted = _with_dependencies([name])
        started = _up_locked(cfg, wanted, tie_to_parent, START_TIMEOUT, say)
    result = status(cfg)
    result.started = tuple(started)
    return result


OPTIONAL = ("epmd", "rabbitmq")  # not part of the stack the lessons need


def status(cfg: Config | None = None) -> Statuses:
    cfg = cfg or Config.from_env()
    records = _live_records(cfg)
    result = []
    for name, svc in ALL.items():
        record = records.get(name)
        if record is None and name in OPTIONAL:
            continue  # RabbitMQ (lesson 14) is listed while it runs only
        if name == "redis" and cfg.external_redis_url:
            state = "external" if clients.redis_ping(cfg) else "unreachable"
        elif record is None:
            state = "stopped"
        else:
            state = "ready" if svc.probe(cfg) else "not answering"
        pid = record.pid if record else None
        result.append(ServiceStatus(name, state, pid, svc.address(cfg), cfg.log_file(name)))
    return Statuses(result)


def healthy(statuses: list[ServiceStatus]) -> bool:
    """Every default service answers (beat is optional)."""
    return all(s.ok for s in statuses if s.name in DEFAULT)


LOGGED = (*ALL, "lab")  # the services, and JupyterLab under `make lab`


def logs(name: str, lines: int = 40, *, cfg: Config | None = None) -> str:
    if name not in LOGGED:
        raise ValueError(f"No log called {name!r}; the logs are: {', '.join(LOGGED)}.")
    cfg = cfg or Config.from_env()
    return procs.tail(cfg.log_file(name), lines)


def reset(*, cfg: Config | None = None, echo: Echo = None) -> None:
    """Stop everything and wipe the kit's own state: its Redis data, database, logs."""
    cfg = cfg or Config.from_env()
    say = echo or _silent
    down(cfg=cfg, echo=echo)
    if cfg.external_redis_url:
        say(f"the external Redis {cfg.redis_url} was left as it is: the kit wipes only its own")
    with _locked(cfg):
        # only what the kit itself writes there: the run directory may be one the user chose
        for path in (cfg.redis_dir, cfg.log_dir, cfg.state_file, cfg.db_path):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        for saved in (
            *cfg.run_dir.glob("celerybeat-schedule*"),
            *cfg.run_dir.glob("flower-state*"),
        ):
            saved.unlink()
    say(f"wiped {cfg.run_dir}")
