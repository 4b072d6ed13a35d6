"""`make student`: the lessons with outputs cleared still run, top to bottom, under nbval's lax
mode (every cell runs; only the cells that must raise may raise), and keep their exercises."""

import json
import subprocess
import sys

from classroom.authoring import student_copy
from classroom.services import rabbitmq_installed


def test_the_student_copy_has_no_outputs_and_runs_under_nbval_lax(tmp_path, live_stack):
    notebooks = student_copy(tmp_path / "student")
    lessons = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    assert len(lessons) >= 7
    if not rabbitmq_installed():  # lesson 14's second half: conftest.py skips it too
        lessons = [p for p in lessons if not p.name.startswith("14_")]
    for path in lessons:
        cells = json.loads(path.read_text())["cells"]
        assert all(c.get("outputs", []) == [] for c in cells if c["cell_type"] == "code")
        assert any("ex.q1.check()" in "".join(c["source"]) for c in cells), path.name
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the kit's strict settings
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
         "--nbval-lax", "--nbval-cell-timeout", "60", *map(str, lessons)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
