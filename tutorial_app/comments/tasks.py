import os
import time
from smtplib import SMTPServerDisconnected

from celery import shared_task
from celery.utils.log import get_task_logger
from django.core.mail import EmailMessage

from . import flaky
from .mentions import parse_mentions
from .models import Comment, MentionNotice

logger = get_task_logger(__name__)


@shared_task(bind=True)
def send_mention_emails(self, comment_id):
    """E-mail each user that a comment @mentions; returns the usernames e-mailed.

    Safe to run twice: a MentionNotice row claims each (comment, user) pair before its e-mail
    goes out, so a second run (a retry, a message delivered twice) finds it and skips.
    """
    try:
        comment = Comment.objects.get(pk=comment_id)
    except Comment.DoesNotExist:
        logger.warning("comment %s does not exist: no e-mail to send", comment_id)
        return []
    # on a worker, its name; called directly (the slow view), the process that called it
    sent_by = self.request.hostname or f"pid {os.getpid()} (a direct call)"
    sent = []
    for user in comment.mentioned_users():
        notice, claimed = MentionNotice.objects.get_or_create(comment=comment, user=user)
        if not claimed:
            logger.info("comment %s: %s was e-mailed already", comment_id, user.username)
            continue
        try:
            mention_email(comment, user, sent_by).send()
        except Exception:
            notice.delete()  # not sent after all: a later run may try again
            raise
        logger.info("comment %s: e-mailed %s", comment_id, user.username)
        sent.append(user.username)
    return sent


def mention_email(comment, user, sent_by):
    return EmailMessage(
        subject=f"{comment.author} mentioned you in a comment",
        body=f"Hi {user.username},\n\n{comment.author} wrote:\n\n{comment.text}\n",
        to=[user.email],
        headers={"X-Comment-Id": str(comment.pk), "X-Sent-By": sent_by},
    )


# Lesson 07, when tasks fail ---------------------------------------------------------------


@shared_task(bind=True, max_retries=3)
def notify(self, address, fail_times=0):
    """Send one notice through the flaky SMTP server, retrying a dropped connection a second
    later, three times at most. A bad address is not retried: it would fail the same way."""
    try:
        return flaky.deliver(address, fail_times, attempt=self.request.retries)
    except SMTPServerDisconnected as exc:
        logger.warning("%s: %s; retrying", address, exc)
        raise self.retry(exc=exc, countdown=1) from None


@shared_task
def export_comments(seconds):
    """A long export (it sleeps): acknowledged when it starts, Celery's default."""
    time.sleep(seconds)
    return f"exported after {seconds} s"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def export_comments_safely(seconds):
    """The same export, acknowledged only when done: if the process running it dies, the
    message goes back to the queue and another process runs it again. Safe, because it is
    idempotent: it writes nothing a second run would duplicate."""
    time.sleep(seconds)
    return f"exported after {seconds} s"


# Lesson 13, testing Celery code ----------------------------------------------------------


@shared_task
def mentioned_names(text):
    """The @names a draft comment mentions, each once, in order: what the comment form could
    show while you type. A list, so that it travels as JSON; a set would not."""
    return parse_mentions(text)
