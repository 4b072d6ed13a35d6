"""Helpers the tests share. Fixtures live in conftest.py; no test imports another test."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from unittest import mock

from classroom import procs
from classroom.clients import redis_client
from classroom.config import APP_DIR, Config
from classroom.ports import free_port

T = TypeVar("T")


def make_private_config(tmp: Path, **extra_env: str) -> Config:
    """A stack of its own: this run directory, free ports. Nothing is started."""
    return Config(
        run_dir=tmp.resolve(),
        redis_port=free_port(),
        flower_port=free_port(),
        django_port=free_port(),
        lab_port=free_port(),
        amqp_port=free_port(),
        amqp_ui_port=free_port(),
        epmd_port=free_port(),
        amqp_dist_port=free_port(),
        extra_env=dict(extra_env),
    )


def wait_until(probe: Callable[[], T], timeout: float, interval: float = 0.05) -> T:
    """Poll until `probe()` is truthy (returned), or give its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def kit_processes(cfg: Config) -> set[int]:
    """Every live process of this stack: the recorded groups plus whatever is proven ours."""
    found = {p.pid for p in procs.find_ours(cfg.run_dir)}
    for record in procs.Registry(cfg.state_file).load().values():
        found.update(p.pid for p in procs.group_members(record.pgid))
    return found


def kit_processes_after(cfg: Config, seconds: float) -> set[int]:
    """The stack's processes once they have had `seconds` to exit (PDEATHSIG is SIGTERM)."""
    wait_until(lambda: not kit_processes(cfg), seconds, interval=0.1)
    return kit_processes(cfg)


def run_cli(cfg: Config, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m classroom <args>` for `cfg`'s stack, as a learner types it; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "classroom", *args],
        env={**os.environ, **cfg.env()},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def run_client(cfg: Config, code: str, timeout: float = 60) -> dict:
    """Run `code` in a fresh Python configured for `cfg`'s stack; it prints one JSON line last.

    A separate process, because the Celery app reads its broker URL once, at import.
    """
    prelude = "import json, time\nimport django\ndjango.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env={**os.environ, **cfg.env()},
        cwd=APP_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def client_app(cfg: Config):
    """A Celery app that talks to `cfg`'s stack (not the test session's).

    Celery prefers CELERY_BROKER_URL and CELERY_RESULT_BACKEND from the environment, which
    name the session's stack: a bare app made under `cfg`'s values keeps them."""
    from celery import Celery

    with mock.patch.dict(os.environ, {k: v for k, v in cfg.env().items() if k != "PATH"}):
        app = Celery("tests", broker=cfg.redis_url, backend=cfg.redis_url, set_as_current=False)
        app.conf.update(broker_connection_retry_on_startup=False, broker_connection_timeout=1)
        try:
            yield app
        finally:
            app.close()


def send(cfg: Config, name: str, *args) -> str:
    """Send a task by name to `cfg`'s stack; return its id."""
    with client_app(cfg) as app:
        return app.send_task(name, args).id


def stored(cfg: Config, task_id: str) -> dict:
    """The task's meta as the result backend holds it in `cfg`'s Redis ({} before any)."""
    raw = redis_client(cfg, timeout=2.0).get(f"celery-task-meta-{task_id}")
    return json.loads(raw) if raw else {}


def wait_for_state(cfg: Config, task_id: str, states: set[str], timeout: float) -> dict:
    """The stored meta once its status is one of `states` (or the last one seen)."""
    wait_until(lambda: stored(cfg, task_id).get("status") in states, timeout)
    return stored(cfg, task_id)


def post_divide(browser, base: str, x, y):
    """Submit the demo app's calc form as a browser does: page, CSRF token, POST."""
    page = browser.open(f"{base}/", timeout=5).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "x": x, "y": y}).encode()
    request = urllib.request.Request(f"{base}/", data=data, headers={"Referer": f"{base}/"})
    return browser.open(request, timeout=5)


READY = "The Celery teaching kit is ready."


class Lab:
    """`python -m classroom lab --no-browser` on a private stack, its output collected."""

    def __init__(self, cfg, env: dict[str, str] | None = None):
        self.cfg = cfg
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "classroom", "lab", "--no-browser"],
            env={**os.environ, **cfg.env(), **(env or {})},
            cwd=APP_DIR.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        assert wait_until(lambda: READY in self.output or self.proc.poll() is not None, 90)
        assert READY in self.output, self.output

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def ctrl_c(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.ctrl_c()

    @property
    def url(self) -> str:
        """The address the lab printed, with its token."""
        found = re.search(r"JupyterLab\s+(http://\S+)", self.output)
        assert found, self.output
        return found[1]
