"""Lesson 10, periodic tasks: change the schedule beat follows from your own settings, write a
crontab that means what you say, and add to the schedule in the database while beat runs."""

from __future__ import annotations

import itertools
import re
import time
from datetime import datetime

from .. import procs
from ..config import Config
from ..exercises import Incorrect, NotAttempted, exercise
from ..workspace import local_settings_file

GIVEN_Q1 = """
from classroom import stack
from classroom.workspace import add_settings
stack.up(["beat"])
"""
ENTRY = "daily-report"
EVERY = 5  # seconds
# [2026-01-31 12:00:00,123: INFO/MainProcess] Scheduler: Sending due task daily-report (…)
_LOG_TIME = r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}): [^\]]+\] "
DATABASE_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
SESSIONS_TASK = "reports.tasks.clear_expired_sessions"
EVERY_Q3 = 3  # seconds


def _settings(text: str, restart: bool = True) -> str:
    """A learner's cell that writes this settings file (and restarts beat)."""
    return f'q1 = """\nfrom datetime import timedelta\n\n{text}\n"""\nadd_settings(q1)\n' + (
        'stack.restart("beat")\n' if restart else ""
    )


def _beat_started(cfg: Config) -> float | None:
    """When beat last started, by its own log ("beat: Starting..."), as a time.time() value:
    a process's start time from psutil can be a second off, its log's clock is not."""
    text = procs.since_last_start(procs.tail(cfg.log_file("beat"), 400))
    found = re.search(r"^\[([\d-]+ [\d:]+,\d{3}): [^\]]+\] beat: Starting", text, re.M)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _sends(cfg: Config, entry: str = ENTRY) -> list[datetime]:
    """When beat sent `entry`, since it last started, by its log."""
    sent = re.compile(_LOG_TIME + r"Scheduler: Sending due task " + re.escape(entry) + r" \(", re.M)
    text = procs.since_last_start(procs.tail(cfg.log_file("beat"), 400))
    return [datetime.strptime(m, "%Y-%m-%d %H:%M:%S,%f") for m in sent.findall(text)]


@exercise(
    "q1",
    f"Have beat send the daily report every {EVERY} seconds, from your settings",
    "q1",
    stub=f'''
        # The daily report runs at 06:00 (CELERY_BEAT_SCHEDULE in proj/settings.py). For this
        # lesson, make it run every {EVERY} seconds: write the line for your own settings file,
        # which proj/settings.py reads last (add_settings adds it there, and keeps the rest),
        # then have beat read it.
        q1 = """
        from datetime import timedelta

        # your line here
        """
        add_settings(q1)
    ''',
    solution=_settings(f'CELERY_BEAT_SCHEDULE["{ENTRY}"]["schedule"] = timedelta(seconds={EVERY})'),
    hints=[
        "Your file runs after the kit's settings, so CELERY_BEAT_SCHEDULE is already there: "
        f'change the "schedule" of its "{ENTRY}" entry to a timedelta.',
        '`CELERY_BEAT_SCHEDULE["daily-report"]["schedule"] = timedelta(seconds=5)`, then '
        '`stack.restart("beat")`: beat reads its schedule when it starts.',
    ],
    given=GIVEN_Q1,
    wrong={
        "minutes, not seconds": _settings(
            f'CELERY_BEAT_SCHEDULE["{ENTRY}"]["schedule"] = timedelta(minutes={EVERY})'
        ),
        "the old setting's name": _settings(
            "CELERYBEAT_SCHEDULE = {\n"
            f'    "{ENTRY}": {{"task": "reports.tasks.make_daily_report", '
            f'"schedule": timedelta(seconds={EVERY})}},\n}}'
        ),
        "beat not restarted": _settings(
            f'CELERY_BEAT_SCHEDULE["{ENTRY}"]["schedule"] = timedelta(seconds={EVERY})',
            restart=False,
        ),
    },
    writes_code=True,
)
def check_q1(q1, ns):
    from reports.models import DailyReport

    if not isinstance(q1, str):
        raise Incorrect("q1 should be the text of your settings file, a string.")
    if "SCHEDULE" not in q1:
        raise NotAttempted('the text of q1, below "# your line here",')
    cfg = Config.from_env()
    path = local_settings_file(cfg)
    if not path.is_file() or q1.strip() not in path.read_text():
        raise Incorrect(f"{path.name} does not hold q1: add it with add_settings(q1).")
    record = procs.Registry(cfg.state_file).load().get("beat")
    if record is None or not procs.running(record, cfg.run_dir):
        raise Incorrect("beat is not running: start it with stack.up(['beat']).")
    started_at = _beat_started(cfg)
    if started_at is None or path.stat().st_mtime > started_at:
        raise Incorrect(
            "you saved your settings after beat started, so it follows the schedule it read "
            "then. Restart it."
        )
    started = time.time()
    before = DailyReport.objects.count()
    deadline = time.monotonic() + 2.5 * EVERY + 2
    while len(_sends(cfg)) < 3 and time.monotonic() < deadline:
        time.sleep(0.25)
    sends = _sends(cfg)
    if "CELERYBEAT_SCHEDULE" in q1 and len(sends) < 2:
        raise Incorrect(
            "beat still follows the kit's schedule: CELERYBEAT_SCHEDULE is the name from "
            "before Celery 4, which the CELERY_ namespace ignores. The setting is "
            "CELERY_BEAT_SCHEDULE (beat_schedule in Celery's docs)."
        )
    if len(sends) < 2:
        waited = time.time() - started
        raise Incorrect(
            f"beat sent daily-report {len(sends)} time(s) since it started ({waited:.0f} s "
            f"watched), not every {EVERY} s. A timedelta takes seconds=…"
        )
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sends)]
    if not all(EVERY - 1.5 <= gap <= EVERY + 1.5 for gap in gaps):
        raise Incorrect(f"beat sent it {', '.join(f'{g:.1f}' for g in gaps)} s apart, not {EVERY}.")
    deadline = time.monotonic() + 10
    while DailyReport.objects.count() <= before and time.monotonic() < deadline:
        time.sleep(0.2)
    report = DailyReport.objects.first()
    if DailyReport.objects.count() <= before or report is None:
        raise Incorrect("beat sent the task, but no report was stored: is the worker running?")
    return (
        f"beat sent daily-report {len(sends)} times, {EVERY} s apart, and the worker "
        f"({report.made_by}) stored a report each time: your schedule, from your settings."
    )


@exercise(
    "q2",
    "Write the crontab for weekdays at 07:30",
    "q2",
    stub="""
        # A crontab for the report: Monday to Friday, at 07:30 (in CELERY_TIMEZONE).
        q2 = ____
    """,
    solution="""
        q2 = crontab(hour=7, minute=30, day_of_week="mon-fri")
    """,
    hints=[
        "crontab takes minute, hour and day_of_week; each field left out means 'every'.",
        "day_of_week takes names or numbers, with 0 for Sunday: 'mon-fri' or '1-5'.",
    ],
    given="from celery.schedules import crontab",
    wrong={
        "every day": "q2 = crontab(hour=7, minute=30)",
        "every minute of 7 o'clock": 'q2 = crontab(hour=7, day_of_week="mon-fri")',
        "Sunday to Thursday": 'q2 = crontab(hour=7, minute=30, day_of_week="0-4")',
    },
)
def check_q2(q2, ns):
    from celery.schedules import crontab

    if not isinstance(q2, crontab):
        raise Incorrect(f"q2 is a {type(q2).__name__}: make it with crontab(...).")
    if q2.hour != {7}:
        raise Incorrect(f"that crontab fires in the hours {sorted(q2.hour)}, not at 7 only.")
    if q2.minute != {30}:
        raise Incorrect(
            f"that crontab fires at {len(q2.minute)} minutes of 7 o'clock, not at 07:30 only: "
            "a field you leave out means every one, and minute is one."
        )
    days = {0: "Sunday", 1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday",
            5: "Friday", 6: "Saturday"}  # fmt: skip
    if q2.day_of_week != {1, 2, 3, 4, 5}:
        named = ", ".join(days[d] for d in sorted(q2.day_of_week))
        raise Incorrect(f"that crontab fires on {named}: not Monday to Friday (0 is Sunday).")
    return "07:30, Monday to Friday, and at no other minute."


GIVEN_Q3 = f"""
from classroom import stack
from classroom.workspace import add_settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask
add_settings('CELERY_BEAT_SCHEDULER = "{DATABASE_SCHEDULER}"')
stack.restart("beat")
"""  # the lesson's cell before the exercise


def _q3(fields: str, save: bool = True) -> str:
    """A learner's cell that makes (or changes) the row "sessions every 3 s"."""
    every = f"every_{EVERY_Q3}s"
    if not save:
        return (
            f"{every}, _ = IntervalSchedule.objects.get_or_create(every={EVERY_Q3}, "
            "period=IntervalSchedule.SECONDS)\n"
            f'q3 = PeriodicTask(name="sessions every {EVERY_Q3} s", {fields}, interval={every})\n'
        )
    return (
        f"{every}, _ = IntervalSchedule.objects.get_or_create({fields.split('|')[1]})\n"
        f"q3, _ = PeriodicTask.objects.update_or_create(\n"
        f'    name="sessions every {EVERY_Q3} s",\n'
        f'    defaults={{{fields.split("|")[0]}, "interval": {every}}},\n'
        ")\n"
    )


_SECONDS = f"every={EVERY_Q3}, period=IntervalSchedule.SECONDS"


@exercise(
    "q3",
    f"Add a row to beat's schedule in the database: clear expired sessions every {EVERY_Q3} s",
    "q3",
    stub=f"""
        # Beat now reads its schedule from the database, and reads it again every few seconds
        # while it runs: leave it running. Add a row that has it send the task that clears the
        # expired sessions every {EVERY_Q3} seconds. The models: an IntervalSchedule(every=…,
        # period=…) is the "every"; a PeriodicTask(name=…, task=…, interval=…) is the entry.
        # PeriodicTask.objects.update_or_create(name=…, defaults={{…}}) makes the row, or
        # changes it when you run this cell again.
        q3 = ____
    """,
    solution=_q3(f'"task": "{SESSIONS_TASK}"|{_SECONDS}'),
    hints=[
        f"Make the schedule first: IntervalSchedule.objects.get_or_create(every={EVERY_Q3}, "
        "period=IntervalSchedule.SECONDS) gives (the row, created?). Then the PeriodicTask "
        "that points at it with interval=…",
        "The task is named as the worker registers it, module and function: "
        "reports.tasks.clear_expired_sessions. update_or_create returns (the row, created?): "
        "q3 is the row.",
    ],
    given=GIVEN_Q3,
    wrong={
        "minutes, not seconds": _q3(
            f'"task": "{SESSIONS_TASK}"|every={EVERY_Q3}, period=IntervalSchedule.MINUTES'
        ),
        "the function's name only": _q3(f'"task": "clear_expired_sessions"|{_SECONDS}'),
        "made, not saved": _q3(f'task="{SESSIONS_TASK}"', save=False),
    },
    writes_code=True,
)
def check_q3(q3, ns):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if not isinstance(q3, PeriodicTask):
        raise Incorrect(
            f"q3 is a {type(q3).__name__}: make it the PeriodicTask row "
            "(update_or_create returns the row and whether it was created: take the row)."
        )
    if q3.pk is None or not PeriodicTask.objects.filter(pk=q3.pk).exists():
        raise Incorrect(
            "q3 is not in the database: PeriodicTask(...) makes an object in memory, and beat "
            "reads rows. Save it (q3.save()), or make it with PeriodicTask.objects.create or "
            "update_or_create."
        )
    q3.refresh_from_db()
    from proj.celery import app

    app.loader.import_default_modules()
    if q3.task not in app.tasks:
        raise Incorrect(
            f"no task is registered as {q3.task!r}: beat would send it, and the worker would "
            "drop it with 'Received unregistered task'. Name it as the worker lists it, "
            "module and function."
        )
    if q3.task != SESSIONS_TASK:
        raise Incorrect(f"that row sends {q3.task}, not the task that clears expired sessions.")
    if not q3.enabled:
        raise Incorrect("that row is disabled: beat skips it. Set enabled=True.")
    if q3.interval is None:
        raise Incorrect(
            "that row has no interval (a crontab, a solar or a clocked schedule instead): give it "
            f"an IntervalSchedule of {EVERY_Q3} seconds."
        )
    if (q3.interval.every, q3.interval.period) != (EVERY_Q3, IntervalSchedule.SECONDS):
        raise Incorrect(
            f"that row comes every {q3.interval.every} {q3.interval.period}, not every "
            f"{EVERY_Q3} seconds: the period is IntervalSchedule.SECONDS."
        )
    cfg = Config.from_env()
    record = procs.Registry(cfg.state_file).load().get("beat")
    if record is None or not procs.running(record, cfg.run_dir):
        raise Incorrect("beat is not running: start it with stack.up(['beat']).")
    banner = procs.since_last_start(procs.tail(cfg.log_file("beat"), 400))
    if "scheduler -> " + DATABASE_SCHEDULER.replace(":", ".") not in banner:
        raise Incorrect(
            "beat reads its schedule from CELERY_BEAT_SCHEDULE, not from the database: run the "
            "cell above that sets CELERY_BEAT_SCHEDULER, which restarts beat."
        )
    changed = q3.date_changed.timestamp() - 1  # the log's clock is to the millisecond
    # beat looks at the database every 5 s (its max interval): the first send can take that
    deadline = time.monotonic() + 5 + 3 * EVERY_Q3 + 2

    def after_change() -> list[datetime]:
        return [t for t in _sends(cfg, q3.name) if t.timestamp() >= changed]

    while len(after_change()) < 3 and time.monotonic() < deadline:
        time.sleep(0.25)
    sends = after_change()
    if len(sends) < 2:
        raise Incorrect(
            f"beat sent {q3.name!r} {len(sends)} time(s) since you saved the row. Its log says "
            "why: python -m classroom logs beat."
        )
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sends)]
    if not all(EVERY_Q3 - 1.5 <= gap <= EVERY_Q3 + 1.5 for gap in gaps):
        raise Incorrect(f"beat sent it {', '.join(f'{g:.1f}' for g in gaps)} s apart.")
    done = re.compile(_LOG_TIME + rf"Task {re.escape(SESSIONS_TASK)}\[[^\]]+\] succeeded", re.M)

    def ran() -> bool:
        log = procs.tail(cfg.log_file("worker"), 400)
        return any(
            datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f") >= sends[0] for t in done.findall(log)
        )

    deadline = time.monotonic() + 10
    while not ran() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not ran():
        raise Incorrect("beat sent the task, but no worker ran it: is the worker running?")
    return (
        f"beat read your row while it ran, and sent {q3.name!r} {len(sends)} times, "
        f"{EVERY_Q3} s apart; the worker cleared the expired sessions each time. No restart, "
        "no deploy: an edit in the database (or the admin) is enough."
    )
