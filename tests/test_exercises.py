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


WITH_WRONG = [e for e in EXERCISES if e.wrong_answers]


@pytest.mark.parametrize("exercise", WITH_WRONG, ids=[f"{e.lesson}.{e.name}" for e in WITH_WRONG])
def test_each_declared_wrong_answer_is_incorrect_with_its_own_message(exercise, live_stack):
    messages = {}
    for what, code in exercise.wrong_answers.items():
        outcome = exercise.evaluate(_run(exercise, code))
        # "error" would mean the check crashed on a plausible answer: a bug in the check
        assert outcome.status == "incorrect", f"{what}: {outcome}"
        messages[what] = outcome.message
    assert len(set(messages.values())) == len(messages), messages  # each says what is wrong
    for message in messages.values():
        assert exercise.solution_code not in message  # no wrong answer is told the solution


def test_a_check_that_crashes_says_it_is_a_bug_in_the_check_not_incorrect():
    from classroom.exercises import exercise as declare

    @declare("99", "q1", "A check with a bug", "q1", stub="q1 = ____", solution="q1 = 1", hints=[])
    def broken(q1, ns):
        return {}["no such key"]

    outcome = broken.evaluate({"q1": 1})
    assert outcome.status == "error"
    assert not outcome.passed
    assert "bug in the kit's check" in str(outcome)
    assert "KeyError" in str(outcome)


def test_every_exercise_declares_at_least_two_plausible_wrong_answers():
    few = [f"{e.lesson}.{e.name}" for e in EXERCISES if len(e.wrong_answers) < 2]
    assert few == []


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


def test_hints_lead_up_to_the_answer_and_say_when_there_are_no_more(capsys):
    exercise = EXERCISES[0]
    total = len(exercise.hints)
    exercise.hint(1)
    first = capsys.readouterr().out
    assert f"Hint 1/{total}" in first
    assert exercise.solution_code not in first
    exercise.hint(total + 1)
    past = capsys.readouterr().out
    assert f"are {total} hints" in past
    assert f"ex.{exercise.name}.solution()" in past
    exercise.solution()
    assert exercise.solution_code in capsys.readouterr().out


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_last_hint_is_not_the_solution_itself(exercise):
    assert exercise.solution_code.strip() not in exercise.hints[-1]
