"""The demo app and Flower in a real browser, as a student uses them: Debian's chromium, driven
by Playwright. A failure leaves a screenshot in the test stack's run directory.

Skipped where Playwright or chromium is missing (a laptop's `make test`), with the command that
installs them; `.ci/run` installs both and sets CLASSROOM_BROWSER_TESTS=required, so that in CI
a missing browser fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from classroom import samples

CHROMIUM = os.environ.get("CLASSROOM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    *("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"),
    *("--disable-component-update", "--disable-sync", "--no-first-run"),
]
INSTALL = (
    "install them with `.venv/bin/pip install -r requirements-browser.txt` and Debian's "
    "`apt-get install chromium` (or set CLASSROOM_CHROMIUM to a Chromium binary)"
)


def _missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}"
    return None


@pytest.fixture(scope="module")
def chromium():
    missing = _missing()
    if missing:
        if os.environ.get("CLASSROOM_BROWSER_TESTS") == "required":
            pytest.fail(f"{missing}: the browser tests are required here; {INSTALL}.")
        pytest.skip(f"{missing}: {INSTALL}.")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="classroom-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True
        )
        context.set_default_timeout(15_000)  # every wait in a page has a bound
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(chromium, live_stack, request) -> Iterator:
    """A tab; what the page logged as an error is checked after the test, and a failed test
    leaves its screenshot in the run directory."""
    tab = chromium.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: (
            msg.type == "error" and "status of 400" not in msg.text and errors.append(msg.text)
        ),
    )
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = live_stack.run_dir / "screenshots"
        folder.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", request.node.name)
        shot = folder / f"{name}.png"
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    tab.close()
    assert errors == [], errors


def test_the_calc_form_shows_a_result_and_a_failure_with_its_traceback(page, live_stack):
    page.goto(live_stack.django_url + "/")
    page.fill("#id_x", "1")
    page.fill("#id_y", "0")
    page.click("button[type=submit]")
    # the task page refreshes itself until the worker is done
    page.wait_for_selector(".state.FAILURE")
    assert "ZeroDivisionError" in page.inner_text("pre")
    page.goto(live_stack.django_url + "/")
    page.fill("#id_x", "6")
    page.fill("#id_y", "3")
    page.click("button[type=submit]")
    page.wait_for_selector(".state.SUCCESS")
    assert "Result: 2.0" in page.inner_text("body")


def test_a_comment_mentions_alice_and_the_page_shows_her_e_mailed(page, live_stack):
    page.goto(live_stack.django_url + "/comments/")
    page.fill("#id_author", "sam")
    page.fill("#id_text", "Lunch, @Alice and @zed? <b>bold</b><script>alert(1)</script>")
    page.click("text=Post (the worker sends the e-mails)")
    page.wait_for_selector("text=E-mailed: alice.")  # the page refreshes until it is sent
    body = page.inner_text("body")
    assert "Not e-mailed: @zed" in body
    # the comment's HTML is text, not markup: escaped, never run
    assert "<b>bold</b><script>alert(1)</script>" in page.inner_text("blockquote")
    assert page.locator("blockquote b").count() == 0


def test_an_upload_shows_processing_then_the_workers_thumbnail(page, live_stack, tmp_path):
    photo = tmp_path / "hills.jpg"
    photo.write_bytes(samples.photo(2400, 1800))
    page.goto(live_stack.django_url + "/gallery/")
    page.set_input_files("#id_original", str(photo))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/gallery/\d+/$"))
    thumbnail = page.wait_for_selector("img[alt='thumbnail, 200 px']")
    assert thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [200, 150]
    assert page.inner_text("h2") == "hills"


def test_a_bad_upload_shows_its_error_in_the_form(page, live_stack, tmp_path):
    fake = tmp_path / "hills.jpg"
    fake.write_bytes(samples.photo(300, 200, "PNG"))
    page.goto(live_stack.django_url + "/gallery/")
    page.set_input_files("#id_original", str(fake))
    page.click("button[type=submit]")
    assert "is a PNG image, but its name ends in '.jpg'" in page.inner_text(".error")


def test_flower_lists_the_worker_and_a_task_sent_from_python(page, live_stack):
    from calc.tasks import divide

    sent = divide.delay(8, 0)
    sent.get(timeout=15, propagate=False)
    page.goto(live_stack.flower_url + "/workers")
    page.wait_for_selector("text=worker@")
    page.goto(live_stack.flower_url + "/tasks")
    row = page.wait_for_selector(f"tr:has-text('{sent.id}')")
    assert "FAILURE" in row.inner_text()
    page.goto(f"{live_stack.flower_url}/task/{sent.id}")
    page.wait_for_selector("text=ZeroDivisionError")


@pytest.fixture
def lab(chromium, tmp_path):
    """`make lab`'s JupyterLab, on a stack of its own. It never saves a notebook: autosave is
    off in a settings folder of its own, so that a run in the browser leaves the lessons as
    they are committed."""
    import subprocess
    import sys

    from classroom import stack
    from classroom.config import ROOT
    from tests.helpers import Lab, make_private_config

    settings = tmp_path / "lab-settings"
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    cfg = make_private_config(tmp_path / "kit")
    # the lessons trusted, as a learner's own lab trusts what it ran: JupyterLab renders a
    # widget (the TaskMonitor) only in a trusted notebook, and falls back to its static copy
    data = {"JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data")}
    lessons = sorted(str(p) for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", *lessons],
        env={**os.environ, **data}, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    # and its layout kept apart too: a lab restores the tabs of the last one, from the user's
    # own folder otherwise
    workspaces = {"JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces")}
    lab = Lab(cfg, env={"JUPYTERLAB_SETTINGS_DIR": str(settings), **data, **workspaces})
    try:
        yield lab
    finally:
        lab.close()
        stack.down(cfg=cfg)


@pytest.mark.parametrize("lesson", ["04_defining_tasks", "10_periodic_tasks", "11_workflows"])
def test_a_lesson_runs_all_in_jupyterlab_with_no_error_but_its_own(chromium, lab, request, lesson):
    """Run > Run All Cells, as a student does: every cell runs, the only errors are the ones
    the lesson raises on purpose, and in lesson 04 the TaskMonitor widget (the one rendered in
    the page, not the kernel's copy) reaches SUCCESS."""
    import nbformat

    from classroom.config import ROOT

    lesson = f"notebooks/{lesson}.ipynb"
    committed = nbformat.read(ROOT / lesson, as_version=4)
    code_cells = sum(c.cell_type == "code" for c in committed.cells)
    on_purpose = [
        o.ename
        for c in committed.cells
        if "raises-exception" in c.metadata.get("tags", [])
        for o in c.outputs
        if o.output_type == "error"
    ]
    tab = chromium.new_page()
    crashes: list[str] = []
    tab.on("pageerror", lambda exc: crashes.append(str(exc)))
    try:
        tab.goto(lab.url.replace("notebooks/00_setup_check.ipynb", lesson))
        tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # the kernel connected and idle, as the status bar says: a Run All clicked before that
        # runs nothing (seen on a loaded machine)
        tab.wait_for_selector(".jp-StatusBar-Widget:has-text('Python 3 (ipykernel) | Idle')",
                              timeout=90_000)  # fmt: skip
        tab.click(".lm-MenuBar-itemLabel:text-is('Run')")
        tab.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        tab.wait_for_function(
            "sel => /\\[(\\*|\\d+)\\]/.test(document.querySelector(sel).textContent)",
            arg=".jp-CodeCell .jp-InputPrompt",
            timeout=60_000,
        )  # the first cell started: [*] or [1]
        if "04_" in lesson:
            # the monitor's own widget, rendered by ipywidgets in the page, shows the task done
            tab.wait_for_selector(
                ".jp-OutputArea-output .widget-html-content:has-text('SUCCESS')",
                timeout=120_000,
            )
        # every code cell ran: each prompt holds a number, none is still [*] or empty
        tab.wait_for_function(
            """n => {
              const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
              return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""",
            arg=code_cells,
            timeout=240_000,
        )
        errors = tab.eval_on_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            "nodes => nodes.map(n => n.textContent)",
        )
        tracebacks = [e for e in errors if "Traceback" in e or "Error" in e.split("\n", 1)[0]]
        assert len(tracebacks) == len(on_purpose), tracebacks
        for name, text in zip(on_purpose, tracebacks, strict=True):
            assert name in text, (name, text)
        assert crashes == []
    except Exception:
        # what stopped Run All: the first output with a traceback, as the page shows it
        stderr = tab.eval_on_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            "nodes => nodes.map(n => n.textContent)",
        )
        print("errors in the page:", [e[-1500:] for e in stderr])
        widgets = tab.eval_on_selector_all(
            ".jp-OutputArea-output",
            "nodes => nodes.filter(n => n.textContent.includes('Queue'))"
            ".map(n => n.outerHTML.slice(0, 600))",
        )
        print("outputs in the page:", [w for w in widgets if "Queue" in w or "Workers" in w])
        shot = lab.cfg.run_dir / "screenshots" / f"{request.node.name}.png"
        shot.parent.mkdir(exist_ok=True)
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        raise
    finally:
        tab.close(run_before_unload=False)


def test_the_reports_page_and_the_admins_periodic_tasks_as_a_staff_user_sees_them(page, live_stack):
    """Lesson 10's pages: the schedules on /reports/, then the admin's log-in and its list of
    periodic tasks (django-celery-beat), clicked through as a person does."""
    import secrets
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth import get_user_model
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    def make_rows() -> str:
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(username="browser-admin")
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        every, _ = IntervalSchedule.objects.get_or_create(every=30, period="seconds")
        PeriodicTask.objects.update_or_create(
            name="browser test row",
            defaults={"task": "reports.tasks.clear_expired_sessions", "interval": every},
        )
        return password

    # Playwright's sync API runs an event loop in this thread, where Django refuses its ORM
    with ThreadPoolExecutor(1) as pool:
        password = pool.submit(make_rows).result(timeout=30)
    page.goto(live_stack.django_url + "/reports/")
    body = page.inner_text("body")
    assert "crontab 0 6 * * * (minute hour day month weekday)" in body
    assert "browser test row" in body and "every 30 seconds" in body
    page.click("text=Django's admin")
    page.fill("#id_username", "browser-admin")
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    assert page.url.endswith("/admin/django_celery_beat/periodictask/")
    assert page.locator("#result_list a", has_text="browser test row").count() == 1
