"""Pictures for the gallery's lessons and tests, drawn with Pillow: the same bytes every time,
so that a lesson's outputs do not change from one run to the next."""

from __future__ import annotations

import io


def photo(width: int = 1600, height: int = 1200, fmt: str = "JPEG", **save) -> bytes:
    """A landscape (sky, sun, hills) of that size, saved in that format."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    sky = Image.new("RGB", (width, height), (90, 160, 230))
    image = Image.blend(sky, image, 0.25)
    draw = ImageDraw.Draw(image)
    r = min(width, height) // 8
    draw.ellipse(
        (width * 0.7 - r, height * 0.25 - r, width * 0.7 + r, height * 0.25 + r),
        fill=(255, 210, 80),
    )
    for n, colour in enumerate(((60, 130, 60), (40, 100, 45))):
        top = height * (0.55 + 0.12 * n)
        draw.polygon(
            [
                (0, height),
                (0, top),
                (width * 0.35, top - height * 0.15),
                (width * 0.8, top),
                (width, top - height * 0.05),
                (width, height),
            ],
            fill=colour,
        )
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def bomb(width: int = 6000, height: int = 6000) -> bytes:
    """A PNG of a few kB that unpacks into width × height pixels: a decompression bomb."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()


def size_of(data: bytes) -> tuple[int, int]:
    """(width, height) of an image's bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size
