from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.functions import Lower
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

    def _mentions(self):
        """[(name as written, the user it names or None)], each name once. Names match in any
        case (@Alice is alice), as people type them; an exact match wins over another case."""
        names = parse_mentions(self.text)
        lowered = {name.lower() for name in names}
        users = (
            get_user_model()
            .objects.annotate(lowered=Lower("username"))
            .filter(lowered__in=lowered, is_active=True)
            .exclude(email="")
            .order_by("pk")
        )
        exact = {user.username: user for user in users}
        any_case = {}
        for user in users:
            any_case.setdefault(user.username.lower(), user)
        return [(name, exact.get(name) or any_case.get(name.lower())) for name in names]

    def mentioned_users(self):
        """The users the text mentions, each once, in order; names of nobody are left out
        (unknown_mentions lists them)."""
        users = [user for _, user in self._mentions() if user is not None]
        return list({user.pk: user for user in users}.values())

    def unknown_mentions(self):
        """The @names that match no user who can get an e-mail, as written."""
        return [name for name, user in self._mentions() if user is None]


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
