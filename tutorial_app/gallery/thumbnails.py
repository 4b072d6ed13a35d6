"""The image work itself, shared by the kit's make_thumbnail and the tasks you write."""

import os
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps


def make(photo, size: int) -> dict:
    """Write the thumbnail of `photo` that fits in size × size pixels, keeping its shape, and
    never larger than the original. Safe to run twice: the second run writes the same file.
    Returns what a task can send back as JSON: {"photo", "size", "url", "width", "height"}."""
    name = photo.sized_name(size)
    target = Path(settings.MEDIA_ROOT) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(photo.original.path) as image:
        image.draft("RGB", (size, size))  # JPEG: decode at a smaller scale, much faster
        image = ImageOps.exif_transpose(image)  # a phone's portrait photo stays upright
        image.thumbnail((size, size))
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        image.convert("RGB").save(partial, "JPEG", quality=85)
        partial.replace(target)  # all or nothing: a page never shows half a thumbnail
        width, height = image.size
    url = settings.MEDIA_URL + name
    return {"photo": photo.pk, "size": size, "url": url, "width": width, "height": height}
