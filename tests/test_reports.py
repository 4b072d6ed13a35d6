"""The reports app: the two periodic tasks, on a real worker, and a real beat that sends both
on a schedule a learner's settings file shortened."""

from __future__ import annotations

import re
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
from tests.helpers import make_private_config, wait_until


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
