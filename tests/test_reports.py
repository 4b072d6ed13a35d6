"""The reports app: the two periodic tasks, on a real worker, and a real beat that sends both
on a schedule a learner's settings file shortened."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment
from django.utils import timezone

from classroom import stack
from classroom.services import worker_hostname
from comments.models import Comment, MentionNotice
from gallery.models import Photo
from reports.models import DailyReport
from reports.tasks import clear_expired_sessions, make_daily_report
from tests.helpers import make_private_config, run_client, wait_until


@pytest.fixture(scope="module")
def client():
    setup_test_environment()
    yield Client()
    teardown_test_environment()


def test_the_daily_report_counts_on_the_worker_what_the_database_holds(live_stack):
    expected = (
        Comment.objects.count(),
        MentionNotice.objects.count(),
        Photo.objects.exclude(thumbnail="").count(),
    )
    made = make_daily_report.delay().get(timeout=15)
    report = DailyReport.objects.get(pk=made["report"])
    assert (report.comments, report.mails, report.thumbnails) == expected
    assert report.made_by == worker_hostname()


def test_clearing_sessions_deletes_the_expired_ones_only(live_stack):
    keep, drop = SessionStore(), SessionStore()
    keep.create()
    drop.create()
    Session.objects.filter(pk=drop.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    deleted = clear_expired_sessions.delay().get(timeout=15)
    assert deleted >= 1
    assert not Session.objects.filter(pk=drop.session_key).exists()
    assert Session.objects.filter(pk=keep.session_key).exists()


def test_the_reports_page_shows_the_schedule_and_the_reports(client, live_stack):
    make_daily_report.delay().get(timeout=15)
    page = client.get("/reports/").content.decode()
    assert (
        "reports.tasks.make_daily_report" in page and "reports.tasks.clear_expired_sessions" in page
    )
    assert "<td>" + worker_hostname() + "</td>" in page


@pytest.fixture
def quick_beat(tmp_path):
    """A stack of its own with beat, whose schedule the learner's settings file shortened."""
    cfg = make_private_config(tmp_path / "kit")
    settings = cfg.workspace / "local_settings.py"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        'CELERY_BEAT_SCHEDULE["daily-report"]["schedule"] = 1.0\n'
        'CELERY_BEAT_SCHEDULE["clear-expired-sessions"]["schedule"] = 1.0\n'
    )
    stack.up(["redis", "worker", "beat", "django"], cfg=cfg)  # django: its migrations
    yield cfg
    stack.down(cfg=cfg)


def test_beat_sends_both_periodic_tasks_and_the_worker_runs_them(quick_beat):
    names = ("reports.tasks.make_daily_report", "reports.tasks.clear_expired_sessions")

    def done() -> bool:
        log = quick_beat.log_file("worker").read_text()
        return all(re.search(rf"Task {re.escape(n)}\[[^\]]+\] succeeded", log) for n in names)

    assert wait_until(done, timeout=20, interval=0.2), quick_beat.log_file("beat").read_text()
    beat_log = quick_beat.log_file("beat").read_text()
    assert "Sending due task daily-report" in beat_log
    assert "Sending due task clear-expired-sessions" in beat_log


def test_the_reports_page_shows_both_schedules_and_links_the_admin(client, live_stack):
    page = client.get("/reports/").content.decode()
    assert "crontab 0 6 * * * (minute hour day month weekday)" in page  # not a crontab's repr
    assert "In the database" in page
    assert 'href="/admin/django_celery_beat/periodictask/"' in page
    assert client.get("/admin/login/").status_code == 200


def test_the_admin_refuses_a_wrong_password_with_a_clear_error(live_stack):
    from classroom.web import Browser

    with pytest.raises(PermissionError, match="did not accept 'nobody'"):
        Browser(live_stack.django_url).login("nobody", "not-a-password")


@pytest.fixture
def database_beat(tmp_path):
    """A stack of its own whose beat runs django-celery-beat's DatabaseScheduler, chosen from
    the learner's settings file as lesson 10 does."""
    cfg = make_private_config(tmp_path / "kit")
    settings = cfg.workspace / "local_settings.py"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        'CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"\n'
    )
    # beat and Django start together, with one migrate between them (the tables beat reads)
    stack.up(["redis", "worker", "beat", "django"], cfg=cfg)
    yield cfg
    stack.down(cfg=cfg)


def test_beat_follows_database_rows_added_and_disabled_in_the_admin_while_it_runs(database_beat):
    from classroom import procs
    from classroom.web import Browser

    cfg = database_beat
    beat_log = cfg.log_file("beat")
    assert "scheduler -> django_celery_beat.schedulers.DatabaseScheduler" in beat_log.read_text()
    beat_pid = procs.Registry(cfg.state_file).load()["beat"].pid
    names = run_client(
        cfg,
        "from django_celery_beat.models import PeriodicTask\n"
        "print(json.dumps(list(PeriodicTask.objects.values_list('name', flat=True))))",
    )
    assert {"clear-expired-sessions", "daily-report"} <= set(names)  # copied from settings

    # a row added while beat runs: sent, every second, and run by the worker
    run_client(
        cfg,
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
        "every, _ = IntervalSchedule.objects.get_or_create(every=1, period='seconds')\n"
        "PeriodicTask.objects.create(name='sessions every 1 s', interval=every,\n"
        "    task='reports.tasks.clear_expired_sessions')\n"
        "from django.contrib.auth import get_user_model\n"
        "get_user_model().objects.create_superuser('admin', password='kit-test-admin')\n"
        "print('{}')\n",
    )
    sent = "Sending due task sessions every 1 s (reports.tasks.clear_expired_sessions)"
    assert wait_until(lambda: beat_log.read_text().count(sent) >= 2, timeout=15), (
        beat_log.read_text()
    )
    ran = re.compile(r"Task reports\.tasks\.clear_expired_sessions\[[^\]]+\] succeeded")
    assert wait_until(lambda: ran.search(cfg.log_file("worker").read_text()), timeout=10)

    # the admin's "Disable selected tasks": beat stops sending it, with no restart
    browser = Browser(cfg.django_url)
    changelist = "/admin/django_celery_beat/periodictask/"
    browser.login("admin", "kit-test-admin")
    found = re.search(r'periodictask/(\d+)/change/">sessions every 1 s<', browser.page(changelist))
    assert found, "the admin does not list the row"
    changes = beat_log.read_text().count("DatabaseScheduler: Schedule changed.")
    browser.submit(changelist, action="disable_tasks", _selected_action=found[1], index="0")
    assert (
        run_client(
            cfg,
            "from django_celery_beat.models import PeriodicTask\n"
            "print(json.dumps(PeriodicTask.objects.get(name='sessions every 1 s').enabled))",
        )
        is False
    )
    assert wait_until(
        lambda: beat_log.read_text().count("DatabaseScheduler: Schedule changed.") > changes,
        timeout=10,  # beat looks every 5 s
    )
    before = beat_log.read_text().count(sent)
    time.sleep(3)
    assert beat_log.read_text().count(sent) == before
    assert procs.Registry(cfg.state_file).load()["beat"].pid == beat_pid


def test_the_notebook_writes_rows_while_beat_writes_them_without_database_is_locked(
    database_beat,
):
    """Beat's DatabaseScheduler writes to SQLite every few seconds, as the notebook does in
    lesson 10. A transaction that reads and then writes could not wait for beat's lock, and
    failed at once with "database is locked" (about 3 in 1,000 writes, measured); the settings'
    IMMEDIATE transactions take the lock first and wait for it."""
    outcome = run_client(
        database_beat,
        "import time\n"
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
        "every, _ = IntervalSchedule.objects.get_or_create(every=1, period='seconds')\n"
        "for i in range(4):\n"
        "    PeriodicTask.objects.update_or_create(name=f'fast {i}',\n"
        "        defaults={'task': 'calc.tasks.add', 'args': '[1, 1]', 'interval': every})\n"
        "errors, n, end = [], 0, time.monotonic() + 6\n"
        "while time.monotonic() < end:\n"
        "    n += 1\n"
        "    try:\n"
        "        PeriodicTask.objects.update_or_create(name=f'churn {n % 5}',\n"
        "            defaults={'task': 'calc.tasks.add', 'args': '[2, 2]', 'interval': every})\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "print(json.dumps({'writes': n, 'errors': errors}))\n",
    )
    assert outcome["errors"] == [], outcome["errors"][:3]
    assert outcome["writes"] > 100, outcome  # it did write, many times
