"""Every exercise check can fail: its stub fails it, and its solution passes it, live."""

import json
import linecache

import pytest

from classroom.config import ROOT, Config
from classroom.exercises import Exercise, ____, exercises, lesson_numbers

LESSONS = lesson_numbers()
EXERCISES: list[Exercise] = [e for number in LESSONS for e in exercises(number)]
IDS = [f"{e.lesson}.{e.name}" for e in EXERCISES]


@pytest.fixture(scope="module", autouse=True)
def _leave_the_shared_stack_as_the_lessons_expect():
    """Exercises change the worker (a setting, a grown pool): the lessons that run after these
    tests, on the same stack, start from the kit's defaults again."""
    yield
    from classroom import stack, workers
    from classroom.workspace import local_settings_file

    cfg = Config.from_env()
    local_settings_file(cfg).unlink(missing_ok=True)
    workers.stop(cfg=cfg)  # 12.1 and 14.2 start workers of the learner's
    stack.down(["rabbitmq"], cfg=cfg)  # 14.2 starts it
    stack.down(["beat"], cfg=cfg)  # 10.1 starts it, with a schedule every few seconds
    if any(s.name == "worker" and s.ok for s in stack.status(cfg=cfg)):
        stack.restart("worker", cfg=cfg, tie_to_parent=True)


@pytest.fixture(autouse=True)
def _no_learner_worker_outlives_its_test():
    """12.1, 12.2 and 14.2 start workers of the learner's: the next exercise's check must see
    the kit's worker alone, as a learner who ran lesson 12 to its end does."""
    yield
    from classroom import workers

    workers.stop(cfg=Config.from_env())


def _run(exercise: Exercise, code: str) -> dict:
    """Run the given code, then the answer, as a notebook's cells: like IPython, keep each
    cell's source in linecache, where inspect.getsource finds a function's (lesson 13's checks
    read the learner's tests that way)."""
    namespace = {"____": ____, "__name__": "__main__"}
    for number, source in enumerate((exercise.given, code)):
        filename = f"<cell {exercise.key}.{number}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
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
    outcome = exercise.evaluate({name: object() for name in (exercise.answer, *exercise.inputs)})
    assert outcome.status == "incorrect"


WITH_INPUTS = [e for e in EXERCISES if e.inputs]


@pytest.mark.parametrize("exercise", WITH_INPUTS, ids=[f"{e.lesson}.{e.name}" for e in WITH_INPUTS])
def test_an_input_still_the_placeholder_is_not_attempted(exercise):
    for name in exercise.inputs:
        namespace = {n: object() for n in (exercise.answer, *exercise.inputs)}
        namespace[name] = ____
        outcome = exercise.evaluate(namespace)
        assert outcome.status == "not attempted"
        assert f"`{name} = ____`" in str(outcome)


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

    @declare("q1", "A bug", "q1", stub="q1 = ____", solution="q1 = 1", hints=[], lesson="99")
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
    for number in LESSONS:
        assert len(list(exercises(number))) >= 2, number


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


PREDICTIONS = [p for number in LESSONS for p in exercises(number).predictions.values()]
P_IDS = [f"{p.lesson}.{p.name}" for p in PREDICTIONS]


def _observed_as(prediction, letter):
    """An observation that `happened` reads as `letter` (tried over a few plausible shapes)."""
    candidates = [(1, 0), (0, 1), (0, 0), "Good morning, Ada!", "Hello, Ada!", "FAILURE",
                  "PENDING", None, 202, 400, "nobody", "alice", True, False, 2.5]  # fmt: skip
    return next(o for o in candidates if prediction.happened(o) == letter)


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=P_IDS)
def test_a_prediction_is_revealed_against_what_happened(prediction, capsys):
    seen = _observed_as(prediction, prediction.expected)
    prediction.reveal(____, seen)
    assert "No prediction yet" in capsys.readouterr().out
    prediction.reveal(prediction.expected, seen)
    assert "✓ You predicted" in capsys.readouterr().out
    for other in set(prediction.choices) - {prediction.expected}:
        prediction.reveal(other, seen)
        out = capsys.readouterr().out
        assert f"✗ You predicted ({other})" in out and "**Why:**" in out
    prediction.reveal("zz", seen)
    assert "should be one letter" in capsys.readouterr().out


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=P_IDS)
def test_a_prediction_never_explains_what_did_not_happen(prediction, capsys):
    # what happened is read from the run: another outcome is reported, not explained away
    others = [o for o in prediction.choices if o != prediction.expected]
    try:
        seen = _observed_as(prediction, others[0])
    except StopIteration:
        seen = object()  # an observation that matches no choice
    prediction.reveal(prediction.expected, seen)
    out = capsys.readouterr().out
    assert "is not what this lesson expects" in out and "✓" not in out


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=P_IDS)
def test_the_lesson_asks_for_the_prediction_before_it_runs_the_cell(prediction):
    notebook = next((ROOT / "notebooks").glob(f"{prediction.lesson}_*.ipynb"))
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]]
    asked = next(i for i, c in enumerate(cells) if f"{prediction.answer} = ____" in c)
    revealed = next(i for i, c in enumerate(cells) if f"ex.{prediction.name}.reveal(" in c)
    assert asked < revealed
    assert all(text in cells[asked - 1] for text in prediction.choices.values())


def test_the_flower_code_a_check_uses_is_the_code_the_lesson_shows():
    from classroom.checks.lesson06 import FLOWER_API

    notebook = next((ROOT / "notebooks").glob("06_*.ipynb"))
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"]]
    assert FLOWER_API in cells


def test_from_lesson_01_on_each_lesson_has_the_learner_write_code_the_worker_runs():
    assert [n for n in LESSONS if n >= "01" and not any(e.writes_code for e in exercises(n))] == []


def test_each_lesson_header_the_readme_and_the_instructors_guide_say_its_minutes():
    import nbformat

    from classroom.authoring import TIMED_DOCS, lesson_minutes, time_line

    docs = {doc.name: doc.read_text() for doc in TIMED_DOCS}
    for number in LESSONS:
        path = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
        teaching, doing = lesson_minutes(nbformat.read(path, as_version=4), number)
        assert time_line(teaching, doing) in "".join(
            json.loads(path.read_text())["cells"][0]["source"]
        ), f"{path.name}: run `python -m classroom.authoring --times`"
        for name, text in docs.items():
            assert f"| {teaching + doing} ({teaching} + {doing}) |" in text, (name, number)
