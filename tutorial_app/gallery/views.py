from pathlib import Path

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from proj.broker import is_broker_error

from .forms import UploadForm
from .models import Photo
from .tasks import make_thumbnail


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def index(request):
    """The upload form. A valid upload is saved and its thumbnail queued: the answer comes at
    once, with the task's id, and the worker makes the thumbnail meanwhile."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not form.is_valid():
            if _wants_json(request):
                return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
            return _page(request, form, status=400)
        upload = form.cleaned_data["original"]
        title = form.cleaned_data["title"] or Path(upload.name).stem  # as the person named it
        photo = Photo.objects.create(title=title, original=upload)
        try:
            task = make_thumbnail.delay(photo.pk)
        except Exception as exc:
            if not is_broker_error(exc):
                raise
            # Nothing half done: no photo whose thumbnail will never come.
            photo.delete_files()
            photo.delete()
            error = str(exc.__cause__ or exc).strip()
            if _wants_json(request):
                return JsonResponse({"broker_error": error}, status=503)
            return _page(request, form, status=503, broker_error=error)
        Photo.objects.filter(pk=photo.pk).update(task_id=task.id)
        if _wants_json(request):
            return JsonResponse(
                {
                    "photo": photo.pk,
                    "task": task.id,
                    "status": reverse("calc:task", args=[task.id]) + "?format=json",
                    "page": photo.get_absolute_url(),
                },
                status=202,
            )
        return redirect(photo)
    return _page(request, form)


def detail(request, pk):
    """The photo and its thumbnails. Until the thumbnail exists, the page polls the task's
    state (/tasks/<id>/?format=json) and shows it when the worker is done."""
    photo = get_object_or_404(Photo, pk=pk)
    context = {
        "photo": photo,
        "sizes": photo.sizes(),
        "status_url": photo.task_id and reverse("calc:task", args=[photo.task_id]) + "?format=json",
    }
    return render(request, "gallery/detail.html", context)


def _page(request, form, status=200, broker_error=None):
    context = {
        "form": form,
        "photos": Photo.objects.all()[:12],
        "max_mb": settings.GALLERY_MAX_UPLOAD_BYTES // 2**20,
        "broker_error": broker_error,
    }
    return render(request, "gallery/index.html", context, status=status)
