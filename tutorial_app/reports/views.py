from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings
from django.shortcuts import render
from django_celery_beat.models import PeriodicTask

from .models import DailyReport

DATABASE_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"


def describe(schedule) -> str:
    """A schedule from CELERY_BEAT_SCHEDULE, as a person reads it."""
    if isinstance(schedule, crontab):
        fields = (schedule._orig_minute, schedule._orig_hour, schedule._orig_day_of_month,
                  schedule._orig_month_of_year, schedule._orig_day_of_week)  # fmt: skip
        return f"crontab {' '.join(str(f) for f in fields)} (minute hour day month weekday)"
    if isinstance(schedule, timedelta | int | float):
        seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else schedule
        return f"every {seconds:g} s"
    return str(schedule)


def index(request):
    """The schedule beat follows (from settings or the database), and the reports it asked for."""
    schedule = [
        {"name": name, "task": entry["task"], "schedule": describe(entry["schedule"])}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    ]
    database = [
        {
            "entry": entry,
            "schedule": entry.interval or entry.crontab or entry.solar or entry.clocked,
        }
        for entry in PeriodicTask.objects.select_related(
            "interval", "crontab", "solar", "clocked"
        ).order_by("name")
    ]
    context = {
        "reports": DailyReport.objects.all()[:20],
        "schedule": schedule,
        "database": database,
        "from_database": getattr(settings, "CELERY_BEAT_SCHEDULER", "") == DATABASE_SCHEDULER,
    }
    return render(request, "reports/index.html", context)
