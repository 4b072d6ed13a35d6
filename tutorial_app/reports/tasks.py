from celery import shared_task
from celery.utils.log import get_task_logger
from django.contrib.sessions.models import Session
from django.utils import timezone

from comments.models import Comment, MentionNotice
from gallery.models import Photo

from .models import DailyReport

logger = get_task_logger(__name__)


@shared_task(bind=True)
def make_daily_report(self):
    """Count comments, mention e-mails and thumbnails, and store the counts. Beat sends it
    (CELERY_BEAT_SCHEDULE); it takes no arguments, so that any run counts what is there."""
    report = DailyReport.objects.create(
        comments=Comment.objects.count(),
        mails=MentionNotice.objects.count(),
        thumbnails=Photo.objects.exclude(thumbnail="").count(),
        made_by=self.request.hostname or "",
    )
    logger.info("report %s: %s", report.pk, report)
    return {"report": report.pk, "comments": report.comments, "mails": report.mails,
            "thumbnails": report.thumbnails}  # fmt: skip


@shared_task
def clear_expired_sessions():
    """Delete the sessions that have expired, as `manage.py clearsessions` does; returns how
    many went."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("cleared %s expired sessions", deleted)
    return deleted
