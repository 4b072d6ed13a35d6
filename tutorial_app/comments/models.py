from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

from .mentions import parse_mentions


class Comment(models.Model):
    author = models.CharField(max_length=50)
    text = models.TextField(max_length=2000, help_text="Mention people with @alice, @bob, …")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.author}: {self.text[:40]}"

    def get_absolute_url(self):
        return reverse("comments:detail", args=[self.pk])

    def mentioned_users(self):
        """The existing users the text mentions, each once; unknown names are ignored."""
        names = parse_mentions(self.text)
        found = get_user_model().objects.filter(username__in=names, is_active=True)
        by_name = {user.username: user for user in found.exclude(email="")}
        return [by_name[name] for name in names if name in by_name]


class MentionNotice(models.Model):
    """One e-mail about one comment to one user. The unique constraint is what makes
    send_mention_emails safe to run twice: the second run finds the row and sends nothing."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_notice_per_mention")
        ]

    def __str__(self):
        return f"comment {self.comment_id} → {self.user}"
