from django.conf import settings
from django.shortcuts import render

from .models import DailyReport


def index(request):
    """The reports beat asked for, newest first, and the schedule that asks."""
    schedule = [
        {"name": name, "task": entry["task"], "schedule": entry["schedule"]}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    ]
    context = {"reports": DailyReport.objects.all()[:20], "schedule": schedule}
    return render(request, "reports/index.html", context)
