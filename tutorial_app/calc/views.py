from celery.result import AsyncResult
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from proj.broker import is_broker_error

from .forms import DivideForm
from .tasks import divide


def index(request):
    """A form that sends divide(x, y) to the worker and answers at once."""
    form = DivideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = divide.delay(form.cleaned_data["x"], form.cleaned_data["y"])
        except Exception as exc:
            if not is_broker_error(exc):
                raise
            # The broker is down: say so plainly instead of a 500 page.
            context = {"form": form, "broker_error": str(exc.__cause__ or exc).strip()}
            return render(request, "calc/index.html", context, status=503)
        return redirect(reverse("calc:task", args=[result.id]))
    return render(request, "calc/index.html", {"form": form})


def _describe(task_id):
    result = AsyncResult(task_id)
    info = {"id": task_id, "state": result.state, "ready": result.ready()}
    if result.successful():
        info["result"] = result.result
    elif result.failed():
        info["error"] = repr(result.result)
        info["traceback"] = result.traceback
    return info


def task_detail(request, task_id):
    """What the result backend knows about any task, by its id: a page that refreshes itself
    until the task is done, or JSON (`?format=json`, or a request that accepts JSON)."""
    try:
        info = _describe(task_id)
    except Exception as exc:
        if not is_broker_error(exc):
            raise
        context = {"broker_error": str(exc.__cause__ or exc).strip()}
        return render(request, "calc/task.html", context, status=503)
    if request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    ):
        return JsonResponse(info)
    return render(request, "calc/task.html", {"task": info})
