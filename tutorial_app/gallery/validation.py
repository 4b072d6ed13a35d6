"""What an upload must be before anything is saved: a real image, of a format we accept, whose
name says what it is, small enough in bytes and in pixels. Each failure says what to do."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

# Pillow's format name: the file name endings that go with it
FORMATS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",), "GIF": (".gif",), "WEBP": (".webp",)}


def _accepted() -> str:
    return ", ".join(FORMATS)


def check_image(upload) -> str:
    """Raise ValidationError with a clear message, or return the image's format. Reads the
    header first: a decompression bomb is refused before a single pixel is decoded."""
    limit = settings.GALLERY_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The file is {upload.size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB. "
            "Upload a smaller image, or resize it first.",
            code="too_large",
        )
    kind = "image"
    upload.seek(0)
    try:
        with Image.open(upload) as image:  # reads the header only
            kind, (width, height) = image.format, image.size
            if kind not in FORMATS:
                raise ValidationError(
                    f"{kind} images are not accepted. Upload one of: {_accepted()}.",
                    code="format",
                )
            if width * height > settings.GALLERY_MAX_PIXELS:
                raise ValidationError(
                    f"The image is {width} × {height} pixels ({width * height / 1e6:.0f} "
                    f"megapixels); the limit is {settings.GALLERY_MAX_PIXELS / 1e6:.0f}. A "
                    "small file that unpacks into that many pixels would fill the server's "
                    "memory (a decompression bomb). Upload a smaller image.",
                    code="too_many_pixels",
                )
            # decode it all, at a reduced scale where the format allows (JPEG): a truncated
            # or corrupt file fails here, and the answer still comes at once
            image.draft("RGB", (512, 512))
            image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:  # Pillow's own, far larger, limit
        raise ValidationError(
            "The image unpacks into far too many pixels (a decompression bomb). Upload a "
            "smaller image.",
            code="too_many_pixels",
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            f"{Path(upload.name).name} is not an image Pillow can read. Upload a photo: "
            f"{_accepted()}.",
            code="not_an_image",
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways of saying "broken"
        raise ValidationError(
            f"{Path(upload.name).name} is a damaged {kind} image ({exc}). It may be cut off: "
            "upload it again, or export it again from your photo program.",
            code="damaged",
        ) from None
    finally:
        upload.seek(0)
    ending = Path(upload.name).suffix.lower()
    if ending not in FORMATS[kind]:
        raise ValidationError(
            f"{Path(upload.name).name} is a {kind} image, but its name ends in "
            f"'{ending or '(nothing)'}'. Rename it to end in {FORMATS[kind][0]}.",
            code="extension",
        )
    return kind
