"""The notebook helpers show the real system, and only what was asked for."""

import pytest

from calc.tasks import add
from classroom import show
from tests.helpers import wait_until


@pytest.fixture
def fresh_worker(live_stack):
    """The worker, started again: what it logged since is short, whatever ran before."""
    from classroom import stack

    stack.restart("worker", cfg=live_stack, tie_to_parent=True)
    return live_stack


def test_the_log_shows_only_the_current_start_and_filters(fresh_worker):
    result = add.delay(1, 2)
    result.get(timeout=10)
    log = show.log("worker", lines=400)
    assert "=== " not in log  # the header of this start, and older starts, are left out
    assert log.count(" ready.") == 1
    # received, then succeeded: the worker's main process logs that after the result is
    # stored (the pool child stores it), so a moment after get() returns
    assert wait_until(lambda: show.log("worker", grep=result.id, lines=5).count(result.id) >= 2, 5)


def test_the_source_starts_at_an_anchor_and_says_what_is_missing():
    pytest.importorskip("IPython")
    show.source("proj/celery.py", after="app.autodiscover_tasks", lines=1)
    with pytest.raises(ValueError, match="no line containing"):
        show.source("proj/celery.py", after="not in that file")
    with pytest.raises(FileNotFoundError, match=r"No proj/no_such_file\.py"):
        show.source("proj/no_such_file.py")


def test_redis_keys_lists_a_result_with_its_ttl(live_stack):
    result = add.delay(2, 2)
    result.get(timeout=10)
    listing = show.redis_keys(f"celery-task-meta-{result.id}")
    assert f"celery-task-meta-{result.id}" in listing
    assert "string" in listing
    assert "TTL " in listing
    assert "no keys match" in show.redis_keys("no-such-key-*")


def test_the_log_from_an_anchor_starts_at_the_banner(fresh_worker):
    banner = show.log("worker", lines=3, after="-------------- ")
    assert banner.splitlines()[0].lstrip().startswith("-------------- worker@")
    assert len(banner.splitlines()) == 3
    assert show.log("worker", after="no line has this") == ""


def test_a_workspace_file_is_shown_under_its_workspace_name(live_stack):
    pytest.importorskip("IPython")
    from unittest import mock

    from classroom.config import Config

    mine = Config.from_env().workspace / "playground" / "shown.py"
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text("x = 1\n")
    try:
        with mock.patch("IPython.display.display") as display:
            show.source("playground/shown.py")
    finally:
        mine.unlink()
    shown = display.call_args.args[0].data
    assert shown.startswith("**workspace/playground/shown.py**")
    assert "  1  x = 1" in shown


def test_grep_finds_a_line_far_back_in_a_long_log(tmp_path, monkeypatch):
    """A learner's worker log grows all session (lesson 15 sends hundreds of tasks): a task
    logged thousands of lines and megabytes ago is still found, since the last start only."""
    from classroom.config import Config

    monkeypatch.setenv("CLASSROOM_RUN_DIR", str(tmp_path))
    log = Config.from_env().log_file("worker")
    log.parent.mkdir(parents=True)
    noise = "".join(
        f"[...] Task calc.tasks.add[{n:036d}] succeeded {'.' * 200}\n" for n in range(20_000)
    )
    log.write_text(
        "=== old start\nTask calc.tasks.add[wanted] received\n"
        "=== new start\nTask calc.tasks.add[wanted] received\n" + noise + "short last line\n"
    )
    assert show.log("worker", grep="[wanted]") == "Task calc.tasks.add[wanted] received"
    assert show.log("worker", after="[wanted]", lines=2).count("\n") == 1
    assert show.log("worker", lines=1) == "short last line"
