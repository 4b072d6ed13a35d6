"""The kit's pytest plugin for lesson 13 (`pytest -p classroom.pytest_plugin`), next to the
conftest.py that classroom.testing writes: it records what happened, for classroom.testing,
and swaps in a broken version of mentioned_names when a check asks for one.
"""

import json
import os

from celery.signals import after_task_publish, task_prerun

_tests: list[dict] = []
_tasks: list[dict] = []
_sent: list[str] = []  # the names of the tasks sent to a broker


@task_prerun.connect
def _record_task(sender=None, task=None, **_):
    request = task.request
    if sender.name == "celery.ping":  # celery_worker's own, to see that the worker is up
        return
    _tasks.append(
        {"name": sender.name, "hostname": request.hostname, "eager": bool(request.is_eager)}
    )


@after_task_publish.connect
def _record_sent(sender=None, **_):
    if sender != "celery.ping":
        _sent.append(sender)


def pytest_configure(config):
    broken = os.environ.get("CLASSROOM_BROKEN")
    if broken:
        import comments.tasks
        from classroom.testing import BROKEN

        comments.tasks.parse_mentions = BROKEN[broken][1]


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        if report.when != "call" and any(t["name"] == report.head_line for t in _tests):
            return  # a teardown error after a failure: the failure says enough
        message = ""
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash else str(report.longrepr).strip().splitlines()[-1]
            message = message.strip().splitlines()[0]  # not pytest's "Use -v to get more diff"
        outcome = report.outcome if report.when == "call" else "error"
        _tests.append({"name": report.head_line, "outcome": outcome, "message": message})


def pytest_sessionfinish(session):
    path = os.environ.get("CLASSROOM_TEST_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump({"tests": _tests, "tasks": _tasks, "sent": _sent}, out)
