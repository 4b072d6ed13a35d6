from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from proj.broker import is_broker_error

from .forms import CommentForm
from .models import Comment
from .tasks import send_mention_emails


def index(request):
    """The comment form. Posting saves the comment and queues its mention e-mails: the page
    comes back at once, and the worker sends them."""
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        comment = form.save()
        try:
            send_mention_emails.delay(comment.pk)
        except Exception as exc:
            if not is_broker_error(exc):
                raise
            # Nothing half done: no comment without its e-mails. The form keeps the text.
            comment.delete()
            return _page(request, form, status=503, broker_error=str(exc.__cause__ or exc))
        return redirect(comment)
    return _page(request, form)


@require_POST
def post_slow(request):
    """The same form, the slow way: the mention e-mails go out inside the request, one SMTP
    round trip after another, and only then does the page come back."""
    form = CommentForm(request.POST)
    if form.is_valid():
        comment = form.save()
        send_mention_emails(comment.pk)  # a plain call: it runs here, in the web process
        return redirect(comment)
    return _page(request, form)


def detail(request, pk):
    comment = get_object_or_404(Comment, pk=pk)
    mentioned = [user.username for user in comment.mentioned_users()]
    notified = sorted(comment.notices.values_list("user__username", flat=True))
    context = {
        "comment": comment,
        "mentioned": mentioned,
        "notified": notified,
        "unknown": comment.unknown_mentions(),
    }
    return render(request, "comments/detail.html", context)


def _page(request, form, status=200, broker_error=None):
    context = {
        "form": form,
        "comments": Comment.objects.all()[:10],
        "broker_error": broker_error and broker_error.strip(),
    }
    return render(request, "comments/index.html", context, status=status)
