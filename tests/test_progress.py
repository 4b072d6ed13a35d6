"""A learner's progress is recorded by check(), hint() and solution(), and shown by
`python -m classroom progress` (a table, or JSON for an instructor)."""

import json
import multiprocessing

from classroom import progress
from classroom.exercises import ____, exercises
from tests.helpers import make_private_config, run_cli


def _row(rows, key):
    return next(r for r in rows if r["exercise"] == key)


def test_checks_hints_and_solutions_are_recorded_and_shown(tmp_path):
    cfg = make_private_config(tmp_path)
    progress.record("04.1", "check", "not attempted", cfg=cfg)  # not a try
    progress.record("04.1", "hint", cfg=cfg)
    progress.record("04.1", "check", "incorrect", cfg=cfg)
    progress.record("04.1", "check", "correct", cfg=cfg)
    progress.record("04.1", "check", "incorrect", cfg=cfg)  # solved stays solved
    progress.record("05.2", "check", "incorrect", cfg=cfg)
    progress.record("05.2", "solution", cfg=cfg)
    rows = progress.table(cfg)
    assert _row(rows, "04.1") | {"title": ""} == {
        "exercise": "04.1", "title": "", "state": "solved", "tries": 3, "hints": 1,
        "solution_seen": False, "writes_code": False,
    }  # fmt: skip
    assert _row(rows, "05.2")["state"] == "tried" and _row(rows, "05.2")["solution_seen"]
    assert _row(rows, "06.2")["state"] == "not tried"
    assert len(rows) >= sum(
        len(list(exercises(n))) for n in ("00", "01", "02", "03", "04", "05", "06")
    )
    text = progress.render(rows)
    assert "✓ 04.1" in text and "✗ 05.2" in text and "(saw the solution)" in text
    assert "○ 06.2" in text and "1 of " in text


def test_the_command_line_shows_it_and_gives_it_as_json(tmp_path):
    cfg = make_private_config(tmp_path)
    progress.record("00.1", "check", "correct", cfg=cfg)
    assert "✓ 00.1" in run_cli(cfg, "progress").stdout
    rows = json.loads(run_cli(cfg, "progress", "--json").stdout)
    assert _row(rows, "00.1")["state"] == "solved"


def test_a_check_in_a_notebook_records_its_outcome(tmp_path, monkeypatch):
    cfg = make_private_config(tmp_path)
    monkeypatch.setenv("CLASSROOM_RUN_DIR", str(cfg.run_dir))
    ex = exercises("03")
    # check() reads the answer from its caller's globals, as from a notebook's
    for answer, status in (
        (____, "not attempted"),
        ("TASK_DEFAULT_QUEUE", "incorrect"),
        ("CELERY_TASK_DEFAULT_QUEUE", "correct"),
    ):
        monkeypatch.setitem(globals(), "q1", answer)
        assert ex.q1.check().status == status
    assert _row(progress.table(cfg), "03.1") | {"title": ""} == {
        "exercise": "03.1", "title": "", "state": "solved", "tries": 2, "hints": 0,
        "solution_seen": False, "writes_code": False,
    }  # fmt: skip


def _check_many(run_dir, times):
    from classroom.config import Config

    cfg = Config(run_dir=run_dir)
    for _ in range(times):
        progress.record("02.1", "check", "incorrect", cfg=cfg)


def test_kernels_checking_at_once_lose_no_record(tmp_path):
    cfg = make_private_config(tmp_path)
    workers = [
        multiprocessing.Process(target=_check_many, args=(cfg.run_dir, 25)) for _ in range(4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert _row(progress.table(cfg), "02.1")["tries"] == 100


def test_a_run_directory_that_cannot_be_written_loses_the_record_not_the_check(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    cfg = make_private_config(blocked)
    progress.record("00.1", "check", "correct", cfg=cfg)  # no error
    assert _row(progress.table(cfg), "00.1")["state"] == "not tried"
