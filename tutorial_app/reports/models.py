from django.db import models


class DailyReport(models.Model):
    """What the site did, counted by the make_daily_report task that beat schedules."""

    created = models.DateTimeField(auto_now_add=True)
    comments = models.PositiveIntegerField()
    mails = models.PositiveIntegerField(help_text="mention e-mails sent")
    thumbnails = models.PositiveIntegerField()
    made_by = models.CharField(max_length=100, blank=True, help_text="the worker that counted")

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M:%S}: {self.comments} comments"
