"""For lesson authors: `make notebooks` executes every lesson against a private stack and
normalizes it, so that the committed outputs are exactly what nbval checks in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from . import stack
from .config import DEFAULT_PORTS, ROOT, Config
from .isolation import isolated_config

NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 60


# One kernel name in every lesson, as JupyterLab writes it: opening a lesson changes nothing.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def as_a_learner_sees_it(text: str, cfg: Config) -> str:
    """The authoring stack's ports and paths, as a learner's `make lab` shows them: the
    default ports, `.run/` for the run directory, paths relative to the kit."""
    for port, default in (
        (cfg.redis_port, DEFAULT_PORTS["REDIS_PORT"]),
        (cfg.flower_port, DEFAULT_PORTS["FLOWER_PORT"]),
        (cfg.django_port, DEFAULT_PORTS["DJANGO_PORT"]),
        (cfg.lab_port, DEFAULT_PORTS["LAB_PORT"]),
        (cfg.amqp_port, DEFAULT_PORTS["AMQP_PORT"]),
        (cfg.amqp_ui_port, DEFAULT_PORTS["AMQP_UI_PORT"]),
    ):
        text = re.sub(rf"((?:127\.0\.0\.1|localhost):|port ){port}\b", rf"\g<1>{default}", text)
    text = text.replace(str(cfg.workspace), "workspace").replace(str(cfg.run_dir), ".run")
    return text.replace(str(ROOT) + os.sep, "").replace(str(ROOT), ".")


def _rewrite(output, cfg: Config) -> None:
    for key in ("text", "evalue", "traceback"):
        if key in output:
            value = output[key]
            output[key] = (
                [as_a_learner_sees_it(v, cfg) for v in value]
                if isinstance(value, list)
                else as_a_learner_sees_it(value, cfg)
            )
    for kind, value in output.get("data", {}).items():
        if kind.startswith("text/"):
            output["data"][kind] = (
                [as_a_learner_sees_it(v, cfg) for v in value]
                if isinstance(value, list)
                else as_a_learner_sees_it(value, cfg)
            )


def normalize(nb, cfg: Config | None = None) -> None:
    """No widget state, no timing metadata: the diff of a re-run shows only real changes.
    With the authoring stack's `cfg`, outputs show what a learner will see (ports, paths)."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    count = 0
    for cell in nb.cells:
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
                output.get("metadata", {}).pop("application/vnd.jupyter.widget-view+json", None)
                if cfg is not None:
                    _rewrite(output, cfg)


# The time a lesson asks of a learner, estimated from what it holds: it has not been timed with
# learners yet. Teaching: its words read at READING_WPM, and CELL_SECONDS to run each code cell
# and read the output. Exercises: EXERCISE_MINUTES each (more when the learner writes code or
# configuration that the worker runs), a minute a prediction, and their words.
READING_WPM = 120
CELL_SECONDS = 20
EXERCISE_MINUTES = {True: 8, False: 4}  # writes_code: minutes
PREDICTION_MINUTES = 1
_AN_EXERCISE = re.compile(r"(?m)^(?=### (?:📝|🔮))")


def lesson_minutes(nb, number: str) -> tuple[int, int]:
    """(teaching, exercises): whole minutes, estimated (see READING_WPM)."""
    from .exercises import exercises

    words = {"teaching": 0, "exercises": 0}
    cells = {"teaching": 0, "exercises": 0}
    part = "teaching"
    for cell in nb.cells:
        pieces = _AN_EXERCISE.split(cell.source) if cell.cell_type == "markdown" else [cell.source]
        for n, piece in enumerate(pieces):
            if cell.cell_type == "markdown":  # an exercise: its heading, and the code below it
                exercise = n > 0 or piece.startswith(("### 📝", "### 🔮"))
                part = "exercises" if exercise else "teaching"
            words[part] += len(re.findall(r"\w+", piece))
        if cell.cell_type == "code":
            cells[part] += 1
    found = exercises(number)
    teaching = words["teaching"] / READING_WPM + cells["teaching"] * CELL_SECONDS / 60
    doing = words["exercises"] / READING_WPM + PREDICTION_MINUTES * len(found.predictions)
    doing += sum(EXERCISE_MINUTES[e.writes_code] for e in found)
    return round(teaching), round(doing)


def time_line(teaching: int, doing: int) -> str:
    return (
        f"**Time:** about {teaching + doing} minutes: {teaching} teaching, {doing} exercises "
        "(estimated from its length, not yet timed with learners). "
    )


_TIME = re.compile(r"\*\*Time:\*\*.*?(?=\*\*You need:\*\*)", re.S)
_README_ROW = re.compile(r"^(\| \[(\d\d) [^|]*\]\(notebooks/[^)]*\) \|[^|]*\| )[^|]*(\|)$", re.M)


def sync_times(paths: list[Path]) -> None:
    """Write each lesson's estimated minutes into its header, and into the lesson tables of
    the README and INSTRUCTOR.md."""
    import nbformat

    minutes = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        number = path.name[:2]
        minutes[number] = lesson_minutes(nb, number)
        head = nb.cells[0]
        head.source = _TIME.sub(time_line(*minutes[number]), head.source, count=1)
        nbformat.write(nb, path)
    for doc in TIMED_DOCS:  # their lesson tables: | [NN Title](notebooks/…) | … | minutes |
        text = _README_ROW.sub(
            lambda m: (
                f"{m.group(1)}{sum(minutes[m.group(2)])} ({minutes[m.group(2)][0]} + "
                f"{minutes[m.group(2)][1]}) {m.group(3)}"
                if m.group(2) in minutes
                else m.group(0)
            ),
            doc.read_text(),
        )
        doc.write_text(text)


TIMED_DOCS = (ROOT / "README.md", ROOT / "INSTRUCTOR.md")


STUDENT = ROOT / "student"


def student_copy(dest: Path = STUDENT) -> Path:
    """The lessons with every output cleared, for a workshop where learners run each cell
    themselves (`make student`). The exercises' hints and solutions stay where they are, in
    `ex.qN.hint()` and `ex.qN.solution()`. Returns the copy's notebooks folder."""
    import nbformat

    target = dest / "notebooks"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in sorted(target.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, path)
    return target


def execute(paths: list[Path]) -> None:
    import nbformat
    from nbclient import NotebookClient

    cfg = isolated_config(Path(tempfile.mkdtemp(prefix="classroom-notebooks-")))
    try:
        stack.up(cfg=cfg, echo=print)
        for path in paths:
            print(f"executing {path}", flush=True)
            stack.up(cfg=cfg)  # mend what the previous lesson's kernel took down with it
            nb = nbformat.read(path, as_version=4)
            NotebookClient(
                nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()  # fmt: skip
            normalize(nb, cfg)
            nbformat.write(nb, path)
    finally:
        stack.down(cfg=cfg)
        shutil.rmtree(cfg.run_dir, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--student"]:
        print(f"the lessons, outputs cleared: {student_copy().relative_to(ROOT)}/")
        sys.exit(0)
    times_only = "--times" in sys.argv[1:]
    named = [Path(p).resolve() for p in sys.argv[1:] if p != "--times"]
    chosen = named or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not times_only:
        execute(chosen)
    sync_times(chosen)
