"""A lesson runs top to bottom twice in a row in the same kernel, with the same outputs.

nbval checks a first run in a fresh kernel against the committed outputs; this runs every
lesson twice in one kernel and checks the second run against them too (with the same
sanitizing), which catches lessons that depend on state they leave behind.
"""

import configparser
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from classroom.config import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SKIPPED = ("application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg", "image/svg+xml")


def _patterns() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "tests" / "sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


PATTERNS = _patterns()


def _sanitize(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _comparable(cell) -> list[tuple[str, str]]:
    """What nbval compares: stream text and every data type but widgets and images."""
    if "nbval-ignore-output" in cell.metadata.get("tags", []):
        return []
    found = []
    streams: dict[str, str] = {}  # a stream may arrive in pieces; compare it whole, as nbval does
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
        elif output["output_type"] == "error":
            found.append(("error", output["ename"]))
        else:
            for kind, value in output.get("data", {}).items():
                if kind not in SKIPPED:
                    text = value if isinstance(value, str) else "".join(value)
                    found.append((kind, _sanitize(text)))
    found += [(name, _sanitize(text)) for name, text in streams.items()]
    return sorted(found)


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_lesson_runs_twice_in_one_kernel_with_the_same_outputs(path: Path, live_stack):
    committed = nbformat.read(path, as_version=4)
    expected = [_comparable(cell) for cell in committed.cells]
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, index)
    for index, cell in enumerate(nb.cells):
        assert _comparable(cell) == expected[index], f"{path.name}, cell {index}, second run"
