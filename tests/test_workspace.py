"""The learner's own files: put_task keeps what it does not replace, refuses rather than break a
file, and proj/settings.py reads local_settings.py last."""

import os
import subprocess
import sys

import pytest

from classroom.config import APP_DIR
from classroom.workspace import (
    WorkspaceError,
    add_settings,
    local_settings_file,
    put_task,
    tasks_file,
)

FIRST = '''\
"""My tasks."""
from celery import shared_task


@shared_task
def shout(text):
    return text.upper() + "!"


@shared_task(bind=True)
def whoami(self):
    return self.request.hostname
'''


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSROOM_WORKSPACE", str(tmp_path / "workspace"))
    from classroom.config import Config

    return Config.from_env()


def test_put_task_adds_a_function_and_keeps_the_rest(cfg):
    path = tasks_file(cfg)
    path.write_text(FIRST)
    put_task("from celery import shared_task\nimport math\n\n\n@shared_task\ndef root(x):\n"
             "    return math.sqrt(x)\n", cfg)  # fmt: skip
    text = path.read_text()
    assert FIRST.split('"""My tasks."""\n')[1] in text  # shout and whoami, untouched
    assert text.count("from celery import shared_task") == 1
    assert "import math" in text
    assert text.rstrip().endswith("return math.sqrt(x)")
    compile(text, str(path), "exec")


def test_put_task_replaces_a_function_of_the_same_name_with_its_decorator(cfg):
    path = tasks_file(cfg)
    path.write_text(FIRST)
    put_task('@shared_task(name="loud")\ndef shout(text):\n    return text.upper() + "!!!"\n', cfg)
    text = path.read_text()
    assert text.count("def shout") == 1
    assert '@shared_task(name="loud")\ndef shout(text):\n    return text.upper() + "!!!"' in text
    assert 'return text.upper() + "!"\n' not in text
    assert "def whoami(self):" in text  # the function below it is kept


def test_put_task_writes_nothing_when_the_file_does_not_parse(cfg):
    path = tasks_file(cfg)
    path.write_text("def broken(:\n    pass\n")
    with pytest.raises(WorkspaceError, match=r"your tasks.py is not valid Python \(line 1"):
        put_task("def f():\n    return 1\n", cfg)
    assert path.read_text() == "def broken(:\n    pass\n"  # the learner's file, as it was


def test_put_task_writes_nothing_when_the_new_code_does_not_parse(cfg):
    path = tasks_file(cfg)
    path.write_text(FIRST)
    with pytest.raises(WorkspaceError, match="the code you wrote is not valid Python"):
        put_task("def f(:\n", cfg)
    with pytest.raises(WorkspaceError, match="defines no function"):
        put_task("x = 1\n", cfg)
    assert path.read_text() == FIRST


def _django_setting(workspace, name: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{name})"],
        env={
            **os.environ,
            "CLASSROOM_WORKSPACE": str(workspace),
            "PYTHONPATH": str(APP_DIR),
            "DJANGO_SETTINGS_MODULE": "proj.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return (done.stdout + done.stderr).strip()


def test_local_settings_are_read_last_and_their_errors_name_the_file(tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    assert _django_setting(workspace, "CELERY_TASK_TRACK_STARTED") == "True"
    (workspace / "local_settings.py").write_text("CELERY_TASK_TRACK_STARTED = False\n")
    assert _django_setting(workspace, "CELERY_TASK_TRACK_STARTED") == "False"
    (workspace / "local_settings.py").write_text("\nCELERY_X = (\n")
    error = _django_setting(workspace, "CELERY_X")
    assert "local_settings.py" in error and "line 2" in error and "SyntaxError" in error


def test_add_settings_keeps_what_the_file_holds_and_adds_once(cfg):
    path = local_settings_file(cfg)
    path.write_text("CELERY_WORKER_PREFETCH_MULTIPLIER = 1\n")
    line = 'CELERY_BEAT_SCHEDULE["daily-report"]["schedule"] = 5.0'
    add_settings(line, cfg)
    add_settings(line, cfg)  # a cell run twice
    assert path.read_text() == f"CELERY_WORKER_PREFETCH_MULTIPLIER = 1\n\n{line}\n"


def test_add_settings_refuses_what_is_not_python_and_writes_nothing(cfg):
    path = local_settings_file(cfg)
    path.write_text("A = 1\n")
    with pytest.raises(WorkspaceError, match="not valid Python"):
        add_settings("B = = 2", cfg)
    assert path.read_text() == "A = 1\n"
