"""Test-session wiring: one shared stack on free ports, for the tests and the notebooks alike.

The shared stack lives in a temporary run directory on ports chosen at start, so `make test`
never touches a stack that `make lab` is running, nor another test session's. Its processes
are tied to this pytest process: they die with it, and `pytest_sessionfinish` stops them and
checks that nothing is left. Helpers the tests share live in tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from classroom import procs, stack
from classroom.config import Config
from classroom.isolation import isolated_config
from tests.helpers import make_private_config

_state: dict[str, object] = {}


def pytest_configure(config: pytest.Config) -> None:
    # Exported, so that nbval's kernels and any subprocess find the same stack.
    _state["cfg"] = isolated_config(Path(tempfile.mkdtemp(prefix="classroom-test-")))
    import django

    django.setup()  # once, before any test module imports a task


def shared_stack() -> Config:
    """Start the shared stack once, on first use."""
    cfg = _state["cfg"]
    if not _state.get("started"):
        stack.up(cfg=cfg, tie_to_parent=True)
        _state["started"] = True
    return cfg  # type: ignore[return-value]


NEEDS_RABBITMQ = ("14_deployment_and_rabbitmq", "14.q2", "test_rabbitmq.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Lesson 14 needs a RabbitMQ installed: without one, its items are skipped, saying what to
    install; CI installs it and sets CLASSROOM_RABBITMQ_TESTS=required, where missing fails."""
    from classroom.services import rabbitmq_installed

    if rabbitmq_installed():
        return
    reason = (
        "RabbitMQ is not installed (sudo apt-get install rabbitmq-server, brew install rabbitmq)"
    )
    if os.environ.get("CLASSROOM_RABBITMQ_TESTS") == "required":
        raise pytest.UsageError(f"{reason}, and CLASSROOM_RABBITMQ_TESTS=required")
    for item in items:
        if any(needs in item.nodeid for needs in NEEDS_RABBITMQ):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.path.suffix == ".ipynb" and item.name == "Cell 0":
        # Before each lesson, mend the stack: a lesson that restarted the worker tied it to its
        # kernel, which is gone. So the lesson's setup() reuses, and prints what it saved.
        stack.up(cfg=shared_stack(), tie_to_parent=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    cfg: Config = _state["cfg"]  # type: ignore[assignment]
    stack.down(cfg=cfg)
    left = procs.find_ours(cfg.run_dir)
    if left:
        print(f"\nkit processes left after the session: {[p.pid for p in left]}")
        session.exitstatus = 1
    elif exitstatus == 0:
        shutil.rmtree(cfg.run_dir, ignore_errors=True)
    else:
        print(f"\nthe test stack's logs are in {cfg.log_dir}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Each phase's report on its test (item.rep_call): a fixture can tell that its test failed
    (the browser tests save a screenshot then)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def live_stack() -> Config:
    """The shared stack, mended first: a lesson run by a test may have restarted the worker
    tied to its kernel, which is gone now. Costs a few ms when all is well."""
    cfg = shared_stack()
    stack.up(cfg=cfg, tie_to_parent=True)
    return cfg


@pytest.fixture
def victim() -> Iterator[psutil.Process]:
    """Somebody else's process, in a session of its own (as each kit service is): the kit must
    never signal it, whatever its records say."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True
    )
    yield psutil.Process(proc.pid)
    proc.kill()
    proc.wait(timeout=5)


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[Config]:
    """A stack of this test's own, in tmp_path on free ports. Nothing is started; whatever the
    test starts is stopped afterwards, whatever happens."""
    cfg = make_private_config(tmp_path / "kit")
    yield cfg
    stack.down(cfg=cfg)
