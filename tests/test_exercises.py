"""Every exercise check can fail: its stub fails it, and its solution passes it, live."""

import importlib
import json
import pkgutil

import pytest

import classroom.lessons
from classroom.config import ROOT
from classroom.exercises import Exercise, ____

LESSONS = sorted(
    m.name for m in pkgutil.iter_modules(classroom.lessons.__path__) if m.name.startswith("lesson")
)
EXERCISES: list[Exercise] = [
    e for name in LESSONS for e in importlib.import_module(f"classroom.lessons.{name}").EXERCISES
]
IDS = [f"{e.lesson}.{e.name}" for e in EXERCISES]


def _run(exercise: Exercise, code: str) -> dict:
    namespace = {"____": ____, "__name__": "__main__"}
    exec(exercise.given, namespace)
    exec(code, namespace)
    return namespace


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_stub_fails_its_check(exercise, live_stack):
    outcome = exercise.evaluate(_run(exercise, exercise.stub))
    assert not outcome.passed
    assert outcome.status == "not attempted"
    assert "Not attempted yet" in str(outcome)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_solution_passes_its_check(exercise, live_stack):
    outcome = exercise.evaluate(_run(exercise, exercise.solution_code))
    assert outcome.passed, str(outcome)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_a_wrong_type_of_answer_is_incorrect_not_a_crash(exercise, live_stack):
    outcome = exercise.evaluate({exercise.answer: object()})
    assert outcome.status == "incorrect"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_lesson_shows_the_stub_and_checks_it(exercise):
    notebook = next((ROOT / "notebooks").glob(f"{exercise.lesson}_*.ipynb"))
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]]
    assert any(exercise.stub in cell for cell in cells), f"{notebook.name} lacks the stub"
    assert any(f"ex.{exercise.name}.check()" in cell for cell in cells)


def test_every_lesson_has_at_least_two_exercises():
    for name in LESSONS:
        module = importlib.import_module(f"classroom.lessons.{name}")
        assert len(module.EXERCISES) >= 2, name
