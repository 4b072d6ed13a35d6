"""Where the kit lives, which ports it uses, and the environment its services share."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "tutorial_app"
PROJECT = "proj"  # the Django project package, as in `celery -A proj worker`
WORKER_NAME = "worker@%h"
# The tasks the demo app must register; doctor checks that the worker knows each of them.
EXPECTED_TASKS = (
    "calc.tasks.add",
    "calc.tasks.divide",
    "comments.tasks.send_mention_emails",
    "gallery.tasks.make_thumbnail",
)
LOCK_FILE = ROOT / "requirements.lock"

LOOPBACK = "127.0.0.1"

DEFAULT_PORTS = {
    "REDIS_PORT": 6390, "FLOWER_PORT": 5555, "DJANGO_PORT": 8000, "LAB_PORT": 8888,
    # RabbitMQ, optional (lesson 14): AMQP, its management UI, Erlang's port mapper (epmd) and
    # its distribution port. Not the ports of a system RabbitMQ (5672, 4369, 25672: Debian's
    # starts as soon as it is installed), so that the kit never meets one it did not start. The
    # UI keeps RabbitMQ's usual 15672: a system node has no UI unless someone enabled it.
    "AMQP_PORT": 5682, "AMQP_UI_PORT": 15672, "EPMD_PORT": 4379, "AMQP_DIST_PORT": 25682,
}  # fmt: skip


def _port(env: dict[str, str], name: str) -> int:
    raw = env.get(name, str(DEFAULT_PORTS[name]))
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a port number; set it to 1024-65535.") from None
    if not 1024 <= port <= 65535:
        raise ValueError(f"{name}={port} is outside 1024-65535; choose another port.")
    return port


def _address(raw: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise ValueError(
            f"CLASSROOM_LISTEN={raw!r} is not an IP address. Leave it unset (127.0.0.1, this "
            "machine only); inside a container, 0.0.0.0."
        ) from None


@dataclass(frozen=True)
class Config:
    """One kit instance: its run directory and ports. Tests make their own."""

    run_dir: Path
    redis_port: int = DEFAULT_PORTS["REDIS_PORT"]
    flower_port: int = DEFAULT_PORTS["FLOWER_PORT"]
    django_port: int = DEFAULT_PORTS["DJANGO_PORT"]
    lab_port: int = DEFAULT_PORTS["LAB_PORT"]
    amqp_port: int = DEFAULT_PORTS["AMQP_PORT"]
    amqp_ui_port: int = DEFAULT_PORTS["AMQP_UI_PORT"]
    epmd_port: int = DEFAULT_PORTS["EPMD_PORT"]
    amqp_dist_port: int = DEFAULT_PORTS["AMQP_DIST_PORT"]
    # A Redis somebody else runs (docker-compose, an instructor's server): used, never started,
    # stopped or wiped by the kit.
    external_redis_url: str | None = None
    worker_concurrency: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    # The learner's own code (workspace/playground/tasks.py), which the worker imports: outside
    # the kit's source, and per stack, so that a test run never overwrites a learner's work.
    # By default, in the run directory; `make lab`'s is workspace/ at the top of the kit.
    workspace: Path = None  # type: ignore[assignment]
    # Where Flower, Django and JupyterLab listen: loopback, always, on a laptop. Inside a
    # container (docker-compose.yml's lab), 0.0.0.0, so that the ports compose publishes (on the
    # host's loopback) reach them: CLASSROOM_LISTEN.
    listen: str = LOOPBACK

    def __post_init__(self) -> None:
        if self.workspace is None:
            object.__setattr__(self, "workspace", self.run_dir / "workspace")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        run_dir = Path(env.get("CLASSROOM_RUN_DIR", ROOT / ".run")).resolve()
        return cls(
            run_dir=run_dir,
            redis_port=_port(env, "REDIS_PORT"),
            flower_port=_port(env, "FLOWER_PORT"),
            django_port=_port(env, "DJANGO_PORT"),
            lab_port=_port(env, "LAB_PORT"),
            amqp_port=_port(env, "AMQP_PORT"),
            amqp_ui_port=_port(env, "AMQP_UI_PORT"),
            epmd_port=_port(env, "EPMD_PORT"),
            amqp_dist_port=_port(env, "AMQP_DIST_PORT"),
            external_redis_url=env.get("CLASSROOM_REDIS_URL") or None,
            workspace=Path(env.get("CLASSROOM_WORKSPACE") or ROOT / "workspace").resolve(),
            listen=_address(env.get("CLASSROOM_LISTEN") or LOOPBACK),
        )

    @property
    def redis_url(self) -> str:
        return self.external_redis_url or f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def amqp_url(self) -> str:
        """The kit's RabbitMQ, for Celery (RabbitMQ lets guest in from this machine only)."""
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}//"

    @property
    def rabbitmq_ui_url(self) -> str:
        return f"http://127.0.0.1:{self.amqp_ui_port}"

    @property
    def rabbitmq_dir(self) -> Path:
        return self.run_dir / "rabbitmq"

    @property
    def flower_url(self) -> str:
        return f"http://127.0.0.1:{self.flower_port}"

    @property
    def django_url(self) -> str:
        return f"http://127.0.0.1:{self.django_port}"

    @property
    def lab_url(self) -> str:
        return f"http://127.0.0.1:{self.lab_port}/lab"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def redis_dir(self) -> Path:
        return self.run_dir / "redis"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def flower_db(self) -> Path:
        """Flower's saved task history (it adds its own suffixes)."""
        return self.run_dir / "flower-state"

    @property
    def db_path(self) -> Path:
        return self.run_dir / "db.sqlite3"

    def log_file(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"

    def env(self) -> dict[str, str]:
        """What every service (and a lesson's kernel) needs to find the same stack."""
        bin_dir = str(Path(sys.executable).parent)
        path = os.environ.get("PATH", "")
        return {
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_RESULT_BACKEND": self.redis_url,
            "DJANGO_SETTINGS_MODULE": f"{PROJECT}.settings",
            "DJANGO_DB_PATH": str(self.db_path),
            # where the demo app's e-mails go (comments/mail.py): one file per message
            "DJANGO_EMAIL_DIR": str(self.run_dir / "emails"),
            # the gallery's uploads and thumbnails
            "DJANGO_MEDIA_ROOT": str(self.run_dir / "media"),
            "CLASSROOM_RUN_DIR": str(self.run_dir),
            "CLASSROOM_WORKSPACE": str(self.workspace),
            "REDIS_PORT": str(self.redis_port),
            "FLOWER_PORT": str(self.flower_port),
            "DJANGO_PORT": str(self.django_port),
            "LAB_PORT": str(self.lab_port),
            "AMQP_PORT": str(self.amqp_port),
            "AMQP_UI_PORT": str(self.amqp_ui_port),
            "EPMD_PORT": str(self.epmd_port),
            "AMQP_DIST_PORT": str(self.amqp_dist_port),
            **({"CLASSROOM_REDIS_URL": self.external_redis_url} if self.external_redis_url else {}),
            **({"CLASSROOM_LISTEN": self.listen} if self.listen != LOOPBACK else {}),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(APP_DIR)]),
            # The venv's celery and python first, whoever started us.
            "PATH": bin_dir + (os.pathsep + path if path else ""),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
