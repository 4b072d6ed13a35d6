"""The gallery: an upload is checked before anything is saved, answers at once with its task,
and a real worker writes the thumbnail that the page then shows."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment
from kombu.exceptions import OperationalError
from PIL import Image

from classroom import samples
from classroom.web import Browser
from gallery.models import Photo
from gallery.tasks import make_thumbnail
from tests.helpers import wait_until


@pytest.fixture(scope="module")
def client():
    setup_test_environment()
    yield Client()
    teardown_test_environment()


def _noise_png(width: int, height: int) -> bytes:
    """A real PNG that does not compress: its bytes are about its pixels."""
    import os

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _originals() -> set[str]:
    folder = Path(settings.MEDIA_ROOT) / "gallery" / "originals"
    return {p.name for p in folder.glob("*")} if folder.exists() else set()


BAD_UPLOADS = {
    "not an image": ("notes.jpg", lambda: b"just some text, not a picture\n" * 20,
                     "is not an image Pillow can read"),
    "a truncated image": ("cut.jpg", lambda: samples.photo(800, 600)[:6000],
                          "is a damaged JPEG image"),
    "a decompression bomb": ("bomb.png", samples.bomb, "a decompression bomb"),
    "an oversize file": ("big.png", lambda: _noise_png(1400, 1400), "the limit is 5 MB"),
    "a wrong extension": ("photo.jpg", lambda: samples.photo(300, 200, "PNG"),
                          "is a PNG image, but its name ends in '.jpg'. Rename it to end in .png"),
    "a format not accepted": ("photo.bmp", lambda: samples.photo(300, 200, "BMP"),
                              "BMP images are not accepted"),
}  # fmt: skip


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_each_bad_upload_gets_its_own_error_and_nothing_is_kept(client, live_stack, kind):
    name, make, message = BAD_UPLOADS[kind]
    photos, files = Photo.objects.count(), _originals()
    with mock.patch.object(make_thumbnail, "delay") as delay:
        page = client.post("/gallery/", {"original": SimpleUploadedFile(name, make())})
    assert page.status_code == 400
    assert message in html.unescape(page.content.decode()), page.content.decode()[-1500:]
    delay.assert_not_called()
    assert Photo.objects.count() == photos
    assert _originals() == files


def test_a_bad_upload_answers_json_when_asked(client, live_stack):
    upload = SimpleUploadedFile("notes.png", b"not a picture")
    page = client.post("/gallery/", {"original": upload}, HTTP_ACCEPT="application/json")
    assert page.status_code == 400
    [error] = page.json()["errors"]["original"]
    assert "is not an image Pillow can read" in error["message"]
    assert error["code"] == "not_an_image"


def test_the_upload_form_is_served(client, live_stack):
    page = client.get("/gallery/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content


def test_broker_down_on_upload_answers_503_and_keeps_nothing(client, live_stack):
    photos, files = Photo.objects.count(), _originals()
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
    with mock.patch.object(make_thumbnail, "delay", side_effect=refused):
        upload = SimpleUploadedFile("sun.jpg", samples.photo(320, 240))
        page = client.post("/gallery/", {"original": upload})
    assert page.status_code == 503
    assert "Connection refused" in page.content.decode()
    assert Photo.objects.count() == photos
    assert _originals() == files


def test_an_upload_answers_at_once_and_the_worker_makes_the_thumbnail(live_stack):
    browser = Browser(live_stack.django_url)
    _, status, answer = browser.upload(
        "/gallery/", "original", "hills.jpg", samples.photo(1600, 1200), title="Hills"
    )
    assert status == 202, answer
    assert set(answer) == {"photo", "task", "status", "page"}

    def done():
        with browser.open(answer["status"]) as reply:
            info = json.loads(reply.read())
        return info if info["ready"] else None

    info = wait_until(done, timeout=15, interval=0.1)
    assert info and info["state"] == "SUCCESS", info
    made = info["result"]
    assert made["photo"] == answer["photo"] and made["size"] == settings.THUMBNAIL_SIZE
    assert (made["width"], made["height"]) == (200, 150)  # its shape kept: 4:3
    with browser.open(made["url"]) as reply:
        assert samples.size_of(reply.read()) == (200, 150)
    with browser.open(answer["page"]) as reply:
        page = reply.read().decode()
    assert made["url"] in page and "processing…" not in page


def test_the_page_polls_until_the_thumbnail_exists(client, live_stack):
    photo = Photo.objects.create(original=SimpleUploadedFile("p.jpg", samples.photo(64, 48)))
    photo.task_id = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    photo.save()
    try:
        page = client.get(photo.get_absolute_url()).content.decode()
        assert "processing…" in page and f"/tasks/{photo.task_id}/?format=json" in page
    finally:
        photo.delete_files()
        photo.delete()


def test_make_thumbnail_is_safe_to_run_twice_and_keeps_small_images_small(live_stack):
    photo = Photo.objects.create(
        original=SimpleUploadedFile("s.png", samples.photo(120, 90, "PNG"))
    )
    try:
        first = make_thumbnail.delay(photo.pk).get(timeout=10)
        second = make_thumbnail.delay(photo.pk).get(timeout=10)
        assert first == second
        assert (first["width"], first["height"]) == (120, 90)  # never enlarged
        assert [s["size"] for s in Photo.objects.get(pk=photo.pk).sizes()] == [200]
    finally:
        photo.delete_files()
        photo.delete()


def test_make_thumbnail_of_a_deleted_photo_is_a_warning_not_a_failure(live_stack):
    result = make_thumbnail.delay(10**9)
    assert result.get(timeout=10) is None
    assert result.state == "SUCCESS"
