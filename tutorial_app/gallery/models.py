from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse


class Photo(models.Model):
    """An uploaded image. Its thumbnails are files the worker writes beside it, one folder
    per size: gallery/200px/<id>.jpg, gallery/64px/<id>.jpg, …"""

    title = models.CharField(max_length=100, blank=True)
    original = models.ImageField(upload_to="gallery/originals/")
    # the kit's thumbnail (settings.THUMBNAIL_SIZE), set by make_thumbnail once it is written
    thumbnail = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=36, blank=True, help_text="the make_thumbnail task")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return self.title or Path(self.original.name).name

    def get_absolute_url(self):
        return reverse("gallery:detail", args=[self.pk])

    def sized_name(self, size: int) -> str:
        """Where the thumbnail that fits in size × size pixels goes, under MEDIA_ROOT."""
        return f"gallery/{size}px/{self.pk}.jpg"

    def sizes(self) -> list[dict]:
        """The thumbnails written so far, smallest first: [{"size", "url"}]."""
        root = Path(settings.MEDIA_ROOT) / "gallery"
        found = []
        for path in root.glob(f"*px/{self.pk}.jpg"):
            size = path.parent.name.removesuffix("px")
            if size.isdigit():
                found.append({"size": int(size), "url": settings.MEDIA_URL + self.sized_name(size)})
        return sorted(found, key=lambda s: s["size"])

    def delete_files(self) -> None:
        """The original and every thumbnail: nothing left on disk for a photo that is gone."""
        root = Path(settings.MEDIA_ROOT)
        for path in (root / "gallery").glob(f"*px/{self.pk}.jpg"):
            path.unlink(missing_ok=True)
        if self.original:
            self.original.delete(save=False)
