"""Lesson 09, thumbnails: wait for any task through the app's status endpoint, within a bound,
and write a task that makes a second thumbnail size, which the worker runs."""

from __future__ import annotations

import threading
import time
import uuid

from ..config import Config
from ..exercises import (
    Incorrect,
    exercise,
    learner_function,
    learner_task,
    prediction,
)
from ..services import worker_hostname

GIVEN_Q1 = """
from classroom.config import Config
from classroom.web import Browser
cfg = Config.from_env()
browser = Browser(cfg.django_url)
"""


def _bounded(function, args: tuple, limit: float):
    """Call the learner's function in a thread: (what it returned, what it raised, seconds).
    Incorrect if it is still running after `limit` seconds: a wait without a bound."""
    outcome: dict = {}

    def run():
        start = time.monotonic()
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        call = f"wait_for_task({args[0]!r}, timeout={args[1]})"
        raise Incorrect(
            f"{call} was still waiting after {limit:.0f} s. Stop when the time is up: compare "
            "time.monotonic() with a deadline in your loop."
        )
    return outcome.get("value"), outcome.get("error"), outcome["seconds"]


def _status(task_id: str) -> str:
    return f"/tasks/{task_id}/?format=json"


@exercise(
    "q1",
    "Wait for any task, within a bound, through the status endpoint",
    "q1",
    stub="""
        # wait_for_task(status_url, timeout) asks the status endpoint (browser.json(status_url))
        # until the task is done, and returns the last answer. If the task is not done after
        # `timeout` seconds, it raises TimeoutError. The check calls it with tasks of its own.
        def wait_for_task(status_url, timeout):
            deadline = time.monotonic() + timeout
            ____

        q1 = wait_for_task
    """,
    solution="""
        def wait_for_task(status_url, timeout):
            deadline = time.monotonic() + timeout
            while True:
                info = browser.json(status_url)
                if info["ready"]:
                    return info
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not done after {timeout} s: {info['state']}")
                time.sleep(0.2)

        q1 = wait_for_task
    """,
    hints=[
        "A loop: ask, return the answer if `info['ready']` is true, raise TimeoutError if the "
        "deadline has passed, otherwise sleep a little (0.2 s) and ask again.",
        "`ready` is true for SUCCESS and for FAILURE alike: a failed task is done too. Compare "
        "`time.monotonic()` with `deadline`, and `raise TimeoutError(...)` when it has passed.",
    ],
    given=GIVEN_Q1 + "import time\n",
    wrong={
        "asks once, does not wait": """
            def wait_for_task(status_url, timeout):
                deadline = time.monotonic() + timeout
                return browser.json(status_url)

            q1 = wait_for_task
        """,
        "waits for SUCCESS only": """
            def wait_for_task(status_url, timeout):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    info = browser.json(status_url)
                    if info["state"] == "SUCCESS":
                        return info
                    time.sleep(0.2)
                raise TimeoutError(status_url)

            q1 = wait_for_task
        """,
        "returns None when the time is up": """
            def wait_for_task(status_url, timeout):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    info = browser.json(status_url)
                    if info["ready"]:
                        return info
                    time.sleep(0.2)

            q1 = wait_for_task
        """,
        "a fixed number of tries, whatever the timeout": """
            def wait_for_task(status_url, timeout):
                deadline = time.monotonic() + timeout
                for _ in range(30):
                    info = browser.json(status_url)
                    if info["ready"]:
                        return info
                    time.sleep(0.2)
                raise TimeoutError(status_url)

            q1 = wait_for_task
        """,
    },
    writes_code=True,
)
def check_q1(q1, ns):
    from calc.tasks import divide

    from .. import samples
    from ..web import Browser

    learner_function(q1, "q1", "wait_for_task")
    browser = Browser(Config.from_env().django_url)
    # 1. a task that fails, after a second of work: done, though not a success
    failing = divide.delay(1, 0)
    value, error, _ = _bounded(q1, (_status(failing.id), 8), 12)
    call = "wait_for_task(<divide(1, 0)>, timeout=8)"
    if error is not None:
        if isinstance(error, TimeoutError):
            raise Incorrect(
                f"{call} raised TimeoutError, but the task had ended FAILURE: a failure is "
                "done too. Stop when the answer's 'ready' is true, whatever the state."
            )
        raise Incorrect(f"{call} raised {type(error).__name__}: {error}")
    if not isinstance(value, dict) or "ready" not in value:
        raise Incorrect(f"{call} returned {value!r}: return the last answer, a dict.")
    if not value["ready"]:
        raise Incorrect(
            f"{call} returned while the task was still {value['state']}: ask again until "
            "its 'ready' is true."
        )
    if value["state"] != "FAILURE":
        raise Incorrect(f"{call} returned state {value['state']}, not FAILURE.")
    # 2. a thumbnail, uploaded as a user would
    _, status, answer = browser.upload(
        "/gallery/", "original", "check.jpg", samples.photo(800, 600), title="check 09.1"
    )
    if status != 202:
        raise Incorrect(f"the check's own upload was refused ({status}): {answer}")
    value, error, _ = _bounded(q1, (answer["status"], 8), 12)
    if error is not None or not isinstance(value, dict) or value.get("state") != "SUCCESS":
        raise Incorrect(
            f"for a thumbnail, wait_for_task returned {value!r} or raised {error!r}, where "
            "the task ended SUCCESS."
        )
    # 3. a task nobody sent: PENDING for ever, so the bound is all that ends the wait
    value, error, seconds = _bounded(q1, (_status(str(uuid.uuid4())), 1), 4)
    if error is None:
        raise Incorrect(
            f"for a task that never ends, wait_for_task(..., timeout=1) returned {value!r}. "
            "Raise TimeoutError when the time is up, so that nobody mistakes it for an answer."
        )
    if not isinstance(error, TimeoutError):
        raise Incorrect(
            f"when the time was up, it raised {type(error).__name__}, not TimeoutError."
        )
    if seconds > 2:
        raise Incorrect(f"with timeout=1 it gave up after {seconds:.1f} s, not about 1 s.")
    return (
        "wait_for_task returned a FAILURE and a SUCCESS once each was done, and gave up on a "
        f"task nobody sent after {seconds:.1f} s with TimeoutError: a wait with a bound."
    )


NAME = "playground.tasks.make_icon"
ICON = 64
GIVEN_Q2 = """
from proj.celery import app
from classroom import stack
from classroom.workspace import put_task
"""


def _icon_task(body: str, restart: bool = True, signature: str = "photo_id") -> str:
    """A learner's cell that puts make_icon, with this body, in tasks.py."""
    return (
        'MY_TASK = """\n'
        "from celery import shared_task\n"
        "from gallery import thumbnails\n"
        "from gallery.models import Photo\n\n\n"
        "@shared_task\n"
        f"def make_icon({signature}):\n"
        f"{body}"
        '"""\n'
        "put_task(MY_TASK)\n"
        + ('stack.restart("worker")\n' if restart else "")
        + f'q2 = "{NAME}"\n'
    )


SOLUTION_BODY = (
    "    photo = Photo.objects.filter(pk=photo_id).first()\n"
    "    if photo is None:\n"
    "        return None  # deleted before the worker got to it: nothing to do\n"
    f"    return thumbnails.make(photo, {ICON})\n"
)

# (title, width, height): the check's own photos, and the icon each must give
SHAPES = (("landscape", 300, 120), ("portrait", 90, 200), ("smaller than an icon", 40, 30))


def _expected(width: int, height: int) -> tuple[int, int]:
    scale = min(1, ICON / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@exercise(
    "q2",
    "Add a second thumbnail size, made by the worker",
    "q2",
    stub='''
        # make_icon(photo_id) writes the photo's 64-pixel thumbnail, with thumbnails.make, and
        # returns what that returns. A photo deleted before the worker gets to it is not an
        # error: return None. Write its body, have the worker load it, and name it in q2.
        MY_TASK = """
        from celery import shared_task
        from gallery import thumbnails
        from gallery.models import Photo


        @shared_task
        def make_icon(photo_id):
            ____
        """
        put_task(MY_TASK)

        q2 = ____  # the name the worker knows your task by
    ''',
    solution='''
        MY_TASK = """
        from celery import shared_task
        from gallery import thumbnails
        from gallery.models import Photo


        @shared_task
        def make_icon(photo_id):
            photo = Photo.objects.filter(pk=photo_id).first()
            if photo is None:
                return None  # deleted before the worker got to it: nothing to do
            return thumbnails.make(photo, 64)
        """
        put_task(MY_TASK)
        stack.restart("worker")
        q2 = "playground.tasks.make_icon"
    ''',
    hints=[
        "Look the photo up by its id, as make_thumbnail does (show.source('gallery/tasks.py')), "
        f"then `return thumbnails.make(photo, {ICON})`.",
        "`Photo.objects.filter(pk=photo_id).first()` is None when the row is gone. Then, as in "
        "lesson 04, restart the worker, and name the task by its module and function.",
    ],
    given=GIVEN_Q2,
    wrong={
        "takes the photo, not its id": _icon_task(
            f"    return thumbnails.make(photo, {ICON})\n", signature="photo"
        ),
        "the kit's size, not 64": _icon_task(
            SOLUTION_BODY.replace(f"photo, {ICON})", "photo, 200)")
        ),
        "returns the photo itself": _icon_task(
            "    photo = Photo.objects.get(pk=photo_id)\n"
            f"    thumbnails.make(photo, {ICON})\n"
            "    return photo\n"
        ),
        "fails when the photo is gone": _icon_task(
            f"    return thumbnails.make(Photo.objects.get(pk=photo_id), {ICON})\n"
        ),
        "the worker not restarted": _icon_task(SOLUTION_BODY, restart=False),
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.models import Photo
    from proj.celery import app

    from .. import samples

    learner_task(q2, NAME, "q2")
    photos = {
        shape: Photo.objects.create(
            title=f"check 09.2: {shape}",
            original=SimpleUploadedFile(f"{shape}.png", samples.photo(w, h, "PNG")),
        )
        for shape, w, h in SHAPES
    }
    sent = {shape: app.send_task(q2, args=(photo.pk,)) for shape, photo in photos.items()}
    for shape, width, height in SHAPES:
        result, photo = sent[shape], photos[shape]
        value = result.get(timeout=15, propagate=False)
        call = f"make_icon({photo.pk}) of a {width} × {height} photo"
        if result.state != "SUCCESS":
            if "EncodeError" in repr(value) or "not JSON serializable" in repr(value):
                raise Incorrect(
                    f"{call} ran, but its result could not go back as JSON: {value!r}. "
                    "Return what thumbnails.make returns (a dict), never a model object."
                )
            if isinstance(value, AttributeError) and "int" in str(value):
                raise Incorrect(
                    f"{call} failed: {value!r}. The message carries the photo's id, a number: "
                    "look the photo up with it, as make_thumbnail does."
                )
            raise Incorrect(f"{call} failed on the worker: {value!r}.")
        if result.result is None or not isinstance(value, dict):
            raise Incorrect(f"{call} returned {value!r}: return what thumbnails.make returns.")
        if value.get("size") != ICON:
            raise Incorrect(f"{call} made a {value.get('size')}-pixel thumbnail, not {ICON}.")
        if (value.get("width"), value.get("height")) != _expected(width, height):
            raise Incorrect(f"{call} made {value.get('width')} × {value.get('height')}.")
        if ICON not in [s["size"] for s in Photo.objects.get(pk=photo.pk).sizes()]:
            raise Incorrect(f"{call}: no {ICON}px file was written for the photo.")
    worker = app.AsyncResult(sent["landscape"].id).worker
    if worker not in (None, worker_hostname()):
        raise Incorrect("your task did not run on the kit's worker.")
    # the row is gone by the time the worker runs: not an error
    gone = Photo.objects.create(
        title="check 09.2: deleted",
        original=SimpleUploadedFile("gone.png", samples.photo(50, 40, "PNG")),
    )
    gone_id = gone.pk
    gone.delete_files()
    gone.delete()
    result = app.send_task(q2, args=(gone_id,))
    value = result.get(timeout=15, propagate=False)
    if result.state != "SUCCESS" or value is not None:
        raise Incorrect(
            f"make_icon({gone_id}) of a photo deleted before the worker got to it ended "
            f"{result.state} with {value!r}. Rows go away between the send and the run: "
            "return None when the photo is gone."
        )
    landscape = photos["landscape"]
    return (
        f"the worker ran your {q2} on {len(SHAPES)} photos of its own, and each got a "
        f"{ICON}-pixel thumbnail in its shape; a deleted photo was no error. See it on "
        f"the photo's page: /gallery/{landscape.pk}/"
    )


P1 = prediction(
    "p1",
    choices={
        "a": "it is accepted, and the worker makes a thumbnail as for any photo",
        "b": "it is accepted, and then the thumbnail task fails on the worker",
        "c": "it is refused at once (400) with a message that says what to do",
    },
    # observed: the HTTP status of the upload's answer
    happened=lambda status: {202: "a", 400: "c"}.get(status),
    expected="c",
    why=(
        "the view checks the upload before it saves anything or sends a task: the person who "
        "uploaded it is still there to read the message. A task that failed later would have "
        "nobody to tell, and would cost a worker's time on work that could never succeed."
    ),
)
