"""classroom.testing, lesson 13's runner: a learner's pytest tests run in a child process with
Celery's own fixtures, on the kit's real Redis (database 13), and it reports what ran where."""

import dataclasses
import time

import psutil
import pytest

from classroom import testing
from classroom.config import Config
from classroom.services import worker_hostname
from tests.helpers import make_private_config, wait_until


@pytest.fixture
def cfg(live_stack, tmp_path) -> Config:
    """The shared stack, with a workspace of this test's own."""
    return dataclasses.replace(live_stack, workspace=tmp_path / "workspace")


def test_a_test_on_celery_worker_runs_the_task_on_its_own_worker_not_the_kits(cfg):
    def test_add_on_a_worker(celery_worker):
        assert add.delay(2, 3).get(timeout=10) == 5  # noqa: F821 (the test file imports it)

    run = testing.run_tests(test_add_on_a_worker, cfg=cfg)

    assert run.passed, run.output
    assert [t.name for t in run.tests] == ["test_add_on_a_worker"]
    [ran] = run.tasks
    assert ran["name"] == "calc.tasks.add" and not ran["eager"]
    assert ran["hostname"] != worker_hostname()  # the test's in-process worker, not the kit's
    assert "✓ test_add_on_a_worker passed" in str(run)
    assert testing.redis_url_for_tests(cfg).endswith("/13")


def test_eager_mode_passes_a_set_result_that_fails_on_a_real_worker(cfg):
    """The bug lesson 13 shows: eager mode hands back the return value as it is."""

    @pytest.mark.celery(task_always_eager=True)
    def test_eager(celery_app, depends_on_current_app):
        assert mentioned_names.delay("@zed @alice @zed").get() == {"zed", "alice"}  # noqa: F821

    def test_on_a_worker(celery_worker):
        result = mentioned_names.delay("@zed @alice @zed")  # noqa: F821
        assert result.get(timeout=10) == {"zed", "alice"}

    eager = testing.run_tests(test_eager, broken="returns a set", cfg=cfg)
    real = testing.run_tests(test_on_a_worker, broken="returns a set", cfg=cfg)

    assert eager.passed and [t["eager"] for t in eager.tasks] == [True]
    assert not real.passed
    assert "EncodeError" in real.tests[0].message
    assert "not JSON serializable" in real.tests[0].message


def test_a_message_a_test_left_unread_is_not_run_by_the_next_tests_worker(cfg):
    def test_sends_with_no_worker():
        mentioned_names.delay("@zed")  # noqa: F821 (nobody runs it)

    def test_starts_a_worker(celery_worker):
        import time

        time.sleep(0.5)

    assert testing.run_tests(test_sends_with_no_worker, cfg=cfg).passed
    run = testing.run_tests(test_starts_a_worker, cfg=cfg)
    assert run.passed and run.tasks == []


def test_the_learners_conftest_is_written_once_and_then_left_as_they_made_it(cfg):
    def test_nothing():
        pass

    testing.run_tests(test_nothing, cfg=cfg)
    conftest = testing.learner_test_file(cfg).parent / "conftest.py"
    assert conftest.read_text() == testing.CONFTEST
    conftest.write_text(testing.CONFTEST + "\n# mine\n")
    assert testing.run_tests(test_nothing, cfg=cfg).passed
    assert conftest.read_text().endswith("# mine\n")


def test_a_function_pytest_would_not_collect_is_said_so(cfg):
    def check_nothing():
        pass

    run = testing.run_tests(check_nothing, cfg=cfg)
    assert not run.passed
    assert "must start with test_" in str(run)


def test_a_test_that_hangs_is_stopped_at_the_bound_and_leaves_no_process(cfg, monkeypatch):
    def test_hangs():
        import time

        time.sleep(60)

    monkeypatch.setattr(testing, "TIMEOUT", 3.0)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    started = time.monotonic()
    with pytest.raises(testing.PytestError, match="did not finish within 3 s"):
        testing.run_tests(test_hangs, cfg=cfg)
    assert time.monotonic() - started < 10
    wait_until(
        lambda: {p.pid for p in psutil.Process().children(recursive=True)} <= before, timeout=5
    )


def test_no_redis_is_a_clear_error_at_once(tmp_path):
    cfg = make_private_config(tmp_path / "kit")  # nothing started: its Redis port is closed

    def test_nothing():
        pass

    started = time.monotonic()
    with pytest.raises(testing.PytestError, match="python -m classroom up"):
        testing.run_tests(test_nothing, cfg=cfg)
    assert time.monotonic() - started < 3


def test_an_unknown_broken_version_and_no_test_at_all_are_clear_errors(cfg):
    def test_nothing():
        pass

    with pytest.raises(ValueError, match="returns a set"):
        testing.run_tests(test_nothing, broken="upside down", cfg=cfg)
    with pytest.raises(TypeError, match="at least one test"):
        testing.run_tests(cfg=cfg)
    with pytest.raises(TypeError, match=r"without \(\)"):
        testing.run_tests(test_nothing(), cfg=cfg)
