"""Lesson 13: run a learner's pytest tests from the notebook, with Celery's own fixtures
(`celery.contrib.pytest`) and a worker on the kit's real Redis.

`run_tests(test_a, test_b)` writes the functions into `workspace/tests/test_lesson13.py`, runs
pytest on that file in a child process (bounded, tied to this kernel), and returns what
happened: each test's outcome, and each task that ran, where and how (on a worker, or eagerly).
The tests directory gets the conftest.py a Django project needs for that (CONFTEST, written
once: yours to change), and the child loads the kit's recorder, `classroom/pytest_plugin.py`.

The broken versions of `mentioned_names` below are what lesson 13's checks run a learner's tests
against: a test that passes with one of them does not test that behaviour.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .procs import _prctl, _tie_to_parent

# what the test file starts with: the names lesson 13's tests use
HEADER = '''\
"""Written by classroom.testing.run_tests from your notebook: edit the notebook, not this file
(the next run_tests rewrites it)."""

import pytest

from calc.tasks import add
from comments.tasks import mentioned_names
'''
CONFTEST = '''\
"""What a Django project's tests need to run tasks on a real worker with Celery's fixtures."""

import os

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
django.setup()  # the tasks modules import models: Django first

pytest_plugins = ("celery.contrib.pytest",)  # celery_app, celery_worker, … (Celery's own)


@pytest.fixture(scope="session")
def celery_config():
    """The test app's settings: a real Redis, in a database of its own (the kit's number 13)."""
    url = os.environ["CLASSROOM_TEST_REDIS_URL"]
    return {"broker_url": url, "result_backend": url}
'''
TIMEOUT = 90.0  # seconds for one pytest run: a few tests, each with a worker of its own
# the database of the kit's Redis that tests use, so that the kit's worker never takes a test's
# task, nor a test's worker one of the lesson's
TEST_DB = 13

MENTION = re.compile(r"(?<![\w.+@-])@([\w+-]+(?:\.[\w+-]+)*)")  # comments/mentions.py's

# name → (what is wrong with it, the broken parse_mentions)
BROKEN = {
    "returns nothing": ("returns None", lambda text: None),
    "returns a set": (
        "returns a set, which cannot travel as JSON",
        lambda text: set(MENTION.findall(text)),
    ),
    "counts e-mail addresses": (
        "takes the domain of an e-mail address (bob@example.com) for a mention",
        lambda text: list(dict.fromkeys(re.findall(r"@([\w+-]+(?:\.[\w+-]+)*)", text))),
    ),
    "keeps repeats": (
        "lists a name twice when it is mentioned twice",
        lambda text: MENTION.findall(text),
    ),
    "sorts the names": (
        "sorts the names instead of keeping the order they come in",
        lambda text: sorted(dict.fromkeys(MENTION.findall(text))),
    ),
}


class PytestError(RuntimeError):
    """pytest could not run the tests at all; the message says why and what to do."""


@dataclass
class Outcome:
    name: str
    outcome: str  # "passed", "failed" or "error" (a fixture failed)
    message: str = ""  # the error's last line, for a failure

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass
class PytestRun:
    """What one pytest run did: the tests' outcomes, and the tasks that ran during it."""

    tests: list[Outcome] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)  # {"name", "hostname", "eager"}
    sent: list[str] = field(default_factory=list)  # the names of the tasks sent to a broker
    output: str = ""  # pytest's own, for when the summary is not enough

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(t.passed for t in self.tests)

    def __str__(self) -> str:
        if not self.tests:
            return "pytest collected no test: a test's name must start with test_."
        lines = []
        for test in self.tests:
            mark = "✓" if test.passed else "✗"
            lines.append(f"{mark} {test.name} {test.outcome}")
            if test.message:
                lines.append(textwrap.indent(test.message, "    "))
        for task in self.tasks:
            where = "eagerly, in the test's own thread" if task["eager"] else "on a worker"
            lines.append(f"  ran {task['name']} {where}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


def redis_url_for_tests(cfg: Config) -> str:
    """The kit's Redis, in the database kept for tests."""
    return re.sub(r"(/\d+)?$", f"/{TEST_DB}", cfg.redis_url, count=1)


def learner_test_file(cfg: Config | None = None) -> Path:
    path = (cfg or Config.from_env()).workspace / "tests" / "test_lesson13.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def source_of(test) -> str:
    """A test function's source, as written in its cell."""
    if not callable(test) or not hasattr(test, "__code__"):
        raise TypeError(f"{test!r} is not a function: pass the test itself, without ().")
    try:
        return textwrap.dedent(inspect.getsource(test))
    except (OSError, TypeError):
        raise TypeError(
            f"the source of {test.__name__} cannot be found: define it with def in a cell."
        ) from None


def module_source(*tests) -> str:
    return HEADER + "".join(f"\n\n{source_of(test)}" for test in tests)


def run_tests(*tests, broken: str | None = None, cfg: Config | None = None) -> PytestRun:
    """Write these test functions into the learner's test file and run pytest on it.
    `broken` names a version of mentioned_names (BROKEN) to run the tests against instead."""
    cfg = cfg or Config.from_env()
    if not tests:
        raise TypeError("run_tests needs at least one test function: run_tests(test_something)")
    path = learner_test_file(cfg)
    path.write_text(module_source(*tests))
    conftest = path.parent / "conftest.py"
    if not conftest.exists():
        conftest.write_text(CONFTEST)
    return run_pytest(path, broken=broken, cfg=cfg)


def run_pytest(path: Path, *, broken: str | None = None, cfg: Config | None = None) -> PytestRun:
    """pytest on one file, in a child process that dies with this one, bounded by TIMEOUT."""
    cfg = cfg or Config.from_env()
    if broken is not None and broken not in BROKEN:
        raise ValueError(f"no broken version {broken!r}: choose one of {', '.join(BROKEN)}")
    env = dict(os.environ, **cfg.env())
    url = redis_url_for_tests(cfg)
    # The environment wins over any app's settings, a test app's too: left as the kit sets it,
    # every app would use database 0, where the kit's worker would take the tests' tasks.
    env.update(CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url, CLASSROOM_TEST_REDIS_URL=url)
    _empty(url)
    env.pop("CLASSROOM_BROKEN", None)
    if broken:
        env["CLASSROOM_BROKEN"] = broken
    with tempfile.TemporaryDirectory(prefix="classroom-tests-") as tmp:
        report = Path(tmp) / "report.json"
        env["CLASSROOM_TEST_REPORT"] = str(report)
        cmd = [
            sys.executable, "-m", "pytest", str(path), "-q", "--no-header",
            "-p", "classroom.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-W", "ignore::DeprecationWarning",
            "--rootdir", str(path.parent), "--confcutdir", str(path.parent), "-c", os.devnull,
        ]  # fmt: skip
        parent = os.getpid()
        child = subprocess.Popen(
            cmd,
            cwd=path.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=(lambda: _tie_to_parent(parent)) if _prctl else None,
        )
        try:
            output, _ = child.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)  # its own session: pytest and nothing else
            child.communicate()
            raise PytestError(
                f"the tests did not finish within {TIMEOUT:.0f} s, and were stopped. Does a "
                "test wait for a result without a timeout, .get() with no timeout=?"
            ) from None
        if not report.exists():
            raise PytestError("pytest stopped before running any test:\n" + _last_lines(output, 15))
        data = json.loads(report.read_text())
    return PytestRun([Outcome(**t) for t in data["tests"]], data["tasks"], data["sent"], output)


def _empty(url: str) -> None:
    """Drop the messages a test left unread in the tests' queue (sent with no worker to run
    them), so that the next test's worker does not run them: that queue and nothing else."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:  # kombu's Redis transport: one list per priority step (0, 3, 6, 9)
        client.delete("celery", *(f"celery\x06\x16{step}" for step in (3, 6, 9)))
    except redis.ConnectionError:
        raise PytestError(
            f"Redis is not running at {url}: run `python -m classroom up`, then try again."
        ) from None
    finally:
        client.close()


def _last_lines(text: str, n: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-n:])


__all__ = [
    "BROKEN",
    "PytestRun",
    "learner_test_file",
    "redis_url_for_tests",
    "run_pytest",
    "run_tests",
]
