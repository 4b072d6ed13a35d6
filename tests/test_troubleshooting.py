"""TROUBLESHOOTING.md: each entry says what you see, why, what to do, and where a lesson shows
it; the text of an error a lesson shows live is the lesson's own output, word for word."""

import json
import re

from classroom.config import ROOT

TEXT = (ROOT / "TROUBLESHOOTING.md").read_text()
ENTRIES = re.split(r"(?m)^(?=## \d+\. )", TEXT)[1:]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _slug(heading: str) -> str:  # as GitHub makes an anchor of a heading
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _outputs(notebook: str) -> str:
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    texts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
            for value in output.get("data", {}).values():
                texts.append("".join(value) if isinstance(value, list) else str(value))
    return ANSI.sub("", "\n".join(texts))


def test_every_entry_says_what_you_see_why_what_to_do_and_where():
    assert len(ENTRIES) >= 12
    for entry in ENTRIES:
        title = entry.splitlines()[0]
        for part in ("**You see**", "**Cause.**", "**Fix.**", "**Lesson:**"):
            assert part in entry, f"{title}: no {part}"


def test_the_table_links_every_entry():
    anchors = set(re.findall(r"\]\(#([^)]+)\)", TEXT))
    slugs = {_slug(entry.splitlines()[0][3:]) for entry in ENTRIES}
    assert anchors == slugs


def test_an_error_a_lesson_shows_live_is_quoted_as_the_lesson_prints_it():
    live = 0
    for entry in ENTRIES:
        lesson = re.search(r"\*\*Lesson:\*\* \[\d\d\]\((notebooks/[^)]+\.ipynb)\)", entry)
        where = " ".join(entry.split("**Lesson:**")[1].split("\n\n")[0].split())
        if not lesson or "(shown live)" not in where:
            continue
        block = re.search(r"```\n(.*?)\n```", entry, re.S)
        if block:
            live += 1
            assert block.group(1) in _outputs(lesson.group(1)), entry.splitlines()[0]
    assert live >= 5


def test_every_lesson_it_links_exists():
    for path in re.findall(r"\]\((notebooks/[^)#]+)", TEXT):
        assert (ROOT / path).exists(), path


def test_the_entries_doctor_points_at_exist():
    from classroom import doctor

    slugs = {_slug(entry.splitlines()[0][3:]) for entry in ENTRIES}
    for link in {link for _, link in doctor.SEE_BY_NAME}:
        guide, anchor = link.split("#")
        assert guide == "TROUBLESHOOTING.md" and anchor in slugs, link


def test_a_failed_doctor_check_says_where_to_read_more():
    from classroom.doctor import BROKER_DOWN, Check, render

    text = render([Check("broker answers PING", False, "redis://…", "Start it.", BROKER_DOWN)])
    assert f"    more: {BROKER_DOWN}" in text


def test_every_check_doctor_fails_points_at_an_entry(tmp_path):
    """With nothing running (a private run directory), the stack's checks fail: each says
    where to read more. So does any other check that fails, by its name."""
    from classroom import doctor
    from tests.helpers import make_private_config

    failed = [c for c in doctor.run(make_private_config(tmp_path)) if not c.ok]
    assert len(failed) >= 4  # the broker, the worker, its tasks, one worker, Flower, Django
    slugs = {_slug(entry.splitlines()[0][3:]) for entry in ENTRIES}
    for check in failed:
        assert check.see.split("#")[1] in slugs, check
    names = ["Python 3.10.1", "packages match requirements.lock", "redis-server found",
             "port 6390 (redis)", "Flower is healthy", "Django answers"]  # fmt: skip
    for name in names:
        assert doctor._with_guide(doctor.Check(name, False)).see, name
