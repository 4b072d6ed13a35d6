"""doctor: a ✓ for a healthy stack, and a ✗ with its fix for what is stopped."""

import json
import os
import subprocess
import sys

import pytest

from classroom import doctor, stack
from tests.helpers import make_private_config


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    cfg = make_private_config(tmp_path_factory.mktemp("doctor"))
    stack.up(cfg=cfg)
    yield cfg
    stack.down(cfg=cfg)


def _by_name(checks):
    return {c.name: c for c in checks}


def test_doctor_passes_on_a_healthy_stack(cfg):
    checks = doctor.run(cfg)
    assert [c.name for c in checks if not c.ok] == []
    names = _by_name(checks)
    assert "calc.tasks.divide" in names["the demo app's tasks are registered"].detail
    assert names["exactly one worker consumes the queue"].ok


def test_doctor_reports_a_stopped_worker_with_its_fix(cfg):
    stack.down(["worker"], cfg=cfg)
    try:
        checks = _by_name(doctor.run(cfg))
        worker = checks["Celery worker answers ping"]
        assert not worker.ok
        assert "python -m classroom up" in worker.fix
        assert not checks["exactly one worker consumes the queue"].ok
        assert checks["broker answers PING"].ok
    finally:
        stack.up(cfg=cfg)


def test_doctor_reports_a_stopped_redis_with_its_fix(cfg):
    stack.down(["redis"], cfg=cfg)
    try:
        checks = _by_name(doctor.run(cfg))
        broker = checks["broker answers PING"]
        assert not broker.ok
        assert f"127.0.0.1:{cfg.redis_port}" in broker.fix
        assert "python -m classroom up" in broker.fix
    finally:
        stack.up(cfg=cfg)


def test_doctor_cli_exits_non_zero_and_reports_json_for_instructors(cfg):
    stack.down(["django"], cfg=cfg)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "classroom", "doctor", "--json"],
            env={**os.environ, **cfg.env()}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        stack.up(cfg=cfg)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["ok"] is False
    failed = [c for c in report["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["Django answers"]
    assert "python -m classroom logs django" in failed[0]["fix"]


def test_doctor_says_when_the_workspace_cannot_be_written_and_where_to_read(tmp_path):
    """An instructor's preflight catches it before the workshop, as `make lab` would."""
    import dataclasses

    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    private = make_private_config(tmp_path / "kit")
    check = doctor.check_folders(dataclasses.replace(private, workspace=blocker / "ws"))
    assert not check.ok
    assert "is not writable here (Not a directory" in check.fix
    assert doctor._with_guide(check).see == "TROUBLESHOOTING.md#23--is-not-writable-here"
    assert doctor.check_folders(private).ok
