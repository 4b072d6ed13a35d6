"""Exercises with check / hint / solution, in the spirit of Kaggle's learntools.

In a lesson:

    from classroom.exercises import exercises, ____
    ex = exercises("04")
    q1 = ____            # the learner replaces ____ with an answer
    ex.q1.check()        # ✓ correct, ✗ incorrect (and why), or ○ not attempted yet
    ex.q1.hint()         # ex.q1.hint(2) for the next one
    ex.q1.solution()

A check verifies the real system (the result in Redis, the worker that ran it, its log), not
just a value. Each exercise keeps its stub and its solution side by side, and the tests run
both: the stub must fail its check, the solution must pass it.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import procs
from .config import Config
from .services import worker_hostname


class _Placeholder:
    """`____`: what a learner replaces with an answer."""

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()


class NotAttempted(Exception):
    """The answer is still the placeholder. A check may say where: NotAttempted("`f(...)`")."""


class Incorrect(Exception):
    """The answer is wrong; the message says why, and what to look at."""


@dataclass(frozen=True)
class Outcome:
    status: str  # "correct" | "incorrect" | "not attempted" | "error" (a bug in the check)
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        if self.status == "not attempted":
            return f"○ {self.message}"
        if self.status == "error":
            return f"⚠ {self.message}"
        mark = "✓ Correct" if self.passed else "✗ Not yet"
        return f"{mark}: {self.message}" if self.message else mark

    def _repr_markdown_(self) -> str:
        colour = {
            "correct": "green", "incorrect": "#b91c1c", "not attempted": "#6b7280",
            "error": "#b45309",
        }  # fmt: skip
        return f'<span style="color:{colour[self.status]}">{self}</span>'

    __repr__ = __str__


@dataclass
class Exercise:
    """One exercise: what to do, its stub and solution (code), its check, its hints."""

    lesson: str
    name: str  # q1, q2, ...
    title: str
    answer: str  # the variable the learner sets
    stub: str
    solution_code: str
    checker: Callable[[Any, dict[str, Any]], str]
    hints: list[str] = field(default_factory=list)
    # what the lesson's earlier cells have already run (imports, names): the tests run it first
    given: str = ""
    # plausible wrong answers, {what the learner got wrong: code}: each must be "incorrect",
    # with a message of its own (tests/test_exercises.py feeds every one)
    wrong_answers: dict[str, str] = field(default_factory=dict)
    # the other variables the learner sets, besides the answer: the check reads them from ns
    inputs: tuple[str, ...] = ()
    # the learner writes or changes code or configuration that the real worker then runs
    writes_code: bool = False

    @property
    def label(self) -> str:
        return f"📝 Exercise {self.lesson}.{self.name[1:]}"

    def evaluate(self, namespace: dict[str, Any]) -> Outcome:
        """The check, against an explicit namespace (tests use this)."""
        value = namespace.get(self.answer, ____)
        try:
            if value is ____:
                raise NotAttempted
            for name in self.inputs:
                if namespace.get(name, ____) is ____:
                    raise NotAttempted(f"`{name} = ____`")
            message = self.checker(value, namespace)
        except NotAttempted as exc:
            where = str(exc) or f"`{self.answer} = ____`"
            return Outcome(
                "not attempted",
                f"Not attempted yet. Replace ____ in {where} with your answer, run that cell, "
                f"then this one. Stuck? ex.{self.name}.hint()",
            )
        except Incorrect as exc:
            hint = f" A hint: ex.{self.name}.hint()" if self.hints else ""
            return Outcome("incorrect", f"{exc}{hint}")
        except Exception as exc:  # the check should have said "incorrect" itself: a bug
            return Outcome(
                "error",
                f"The check itself failed ({type(exc).__name__}: {exc}). That is a bug in the "
                f"kit's check, not a verdict on your answer: tell your instructor, and try "
                f"ex.{self.name}.solution() to compare.",
            )
        return Outcome("correct", message or "")

    @property
    def key(self) -> str:
        return f"{self.lesson}.{self.name[1:]}"  # "04.1", as the headings number them

    def check(self) -> Outcome:
        """Check the answer in the notebook that calls this (and record it: progress)."""
        from . import progress

        caller = inspect.currentframe().f_back
        outcome = self.evaluate(caller.f_globals if caller else {})
        progress.record(self.key, "check", outcome.status)
        return outcome

    def hint(self, n: int = 1) -> None:
        from . import progress

        progress.record(self.key, "hint")
        if not self.hints:
            _show(f"No hint for this one: try `ex.{self.name}.solution()`.")
            return
        total = len(self.hints)
        if n > total:
            _show(
                f"There {'is only one hint' if total == 1 else f'are {total} hints'} for this "
                f"exercise, and you have seen them: `ex.{self.name}.hint({total})` shows the "
                f"last again, and `ex.{self.name}.solution()` shows a solution."
            )
            return
        n = max(1, n)
        more = f"  (next: `ex.{self.name}.hint({n + 1})`)" if n < total else ""
        _show(f"💡 **Hint {n}/{total}:** {self.hints[n - 1]}{more}")

    def solution(self) -> None:
        from . import progress

        progress.record(self.key, "solution")
        _show(f"💡 A solution to {self.label}:\n\n```python\n{self.solution_code}\n```")


def _show(text: str) -> None:
    """Markdown in a notebook, as check()'s outcome is; the plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None  # type: ignore[assignment]
    if get_ipython is None or get_ipython() is None:
        print(text)
        return
    display(Markdown(text))


@dataclass
class Prediction:
    """Predict, then run: the learner writes down what will happen (a letter), the next cell
    runs it on the real system, and `reveal` says what happened and why.

    What happened is read from the run, never assumed: `happened` turns what the cell observed
    into the letter of the choice it matches (None if none does)."""

    lesson: str
    name: str  # p1, p2, ...
    answer: str  # the variable that holds the learner's letter
    choices: dict[str, str]  # letter: what might happen
    happened: Callable[[Any], str | None]
    expected: str  # the letter the kit's versions of Celery and Redis give
    why: str

    def reveal(self, predicted: Any, observed: Any) -> None:
        letter = self.happened(observed)
        if letter is None or letter != self.expected:
            what = f"({letter}) {self.choices[letter]}" if letter else f"{observed!r}"
            _show(
                f"⚠ What happened, {what}, is not what this lesson expects "
                f"({self.expected}). The explanation below may not hold for your versions: "
                "tell your instructor."
            )
            return
        result = f"({letter}) {self.choices[letter]}"
        if predicted is ____:
            head = f"○ No prediction yet (`{self.answer}` is still ____). What happened: {result}."
        elif not isinstance(predicted, str) or predicted.strip().lower() not in self.choices:
            head = (
                f"`{self.answer}` should be one letter: {', '.join(self.choices)}. "
                f"What happened: {result}."
            )
        elif predicted.strip().lower() == letter:
            head = f"✓ You predicted {result}, and that is what happened."
        else:
            guess = predicted.strip().lower()
            head = f"✗ You predicted ({guess}) {self.choices[guess]}. What happened: {result}."
        _show(f"{head}\n\n**Why:** {self.why}")


def prediction(
    name: str,
    *,
    choices: dict[str, str],
    happened: Callable[[Any], str | None],
    expected: str,
    why: str,
    lesson: str | None = None,
) -> Prediction:
    """A predict-then-run question of the lesson whose checks module defines it."""
    lesson = lesson or _lesson_of(inspect.currentframe().f_back.f_globals["__name__"])
    return Prediction(lesson, name, name, choices, happened, expected, why)


class ExerciseSet:
    """The exercises of one lesson, as attributes: ex.q1, ex.q2, ..., and its predictions,
    ex.p1, ..."""

    def __init__(self, number: str, items: list[Exercise], predictions: list[Prediction] = ()):
        self.number = number
        self.items = {e.name: e for e in items}
        self.predictions = {p.name: p for p in predictions}

    def __getattr__(self, name: str) -> Exercise | Prediction:
        found = {**self.__dict__["items"], **self.__dict__["predictions"]}
        try:
            return found[name]
        except KeyError:
            raise AttributeError(
                f"Lesson {self.number} has no exercise {name!r}; it has {', '.join(found)}."
            ) from None

    def __iter__(self):
        return iter(self.items.values())

    def __repr__(self) -> str:
        lines = [f"Lesson {self.number} exercises:"]
        lines += [f"  ex.{e.name}: {e.title}" for e in self]
        return "\n".join(lines)


def lesson_numbers() -> list[str]:
    """The lessons that have exercises: "00", "01", ..., one per classroom/checks/lessonNN.py."""
    import pkgutil

    from . import checks

    found = pkgutil.iter_modules(checks.__path__)
    return sorted(m.name[len("lesson") :] for m in found if m.name.startswith("lesson"))


def exercises(lesson: str) -> ExerciseSet:
    """The exercises of a lesson: exercises("04"), from classroom/checks/lesson04.py. Every
    Exercise and Prediction defined in that module belongs to it: no list is kept by hand."""
    try:
        module = importlib.import_module(f"classroom.checks.lesson{lesson}")
    except ModuleNotFoundError:
        raise ValueError(f"No exercises for lesson {lesson!r}.") from None
    found = list(vars(module).values())

    def in_order(kind):
        return sorted((v for v in found if isinstance(v, kind)), key=lambda v: int(v.name[1:]))

    return ExerciseSet(lesson, in_order(Exercise), in_order(Prediction))


def _lesson_of(module: str) -> str:
    """classroom.checks.lesson04 -> "04": a lesson's checks live in the module of its number."""
    match = re.fullmatch(r".*\.lesson(\d+)", module)
    if not match:
        raise ValueError(
            f"{module} is not a lesson's checks module (classroom/checks/lessonNN.py): pass "
            "lesson='NN'."
        )
    return match.group(1)


def exercise(
    name: str,
    title: str,
    answer: str,
    *,
    stub: str,
    solution: str,
    hints: list[str],
    given: str = "",
    wrong: dict[str, str] | None = None,
    inputs: tuple[str, ...] = (),
    writes_code: bool = False,
    lesson: str | None = None,
):
    """Decorator: the function below is the check; it returns a message or raises Incorrect.
    `wrong` declares plausible wrong answers, {what is wrong: code}, that the tests feed it.
    `inputs` names the other variables the learner sets: the check finds them in `ns`, and an
    input still ____ is "not attempted", as the answer is.
    The lesson is the number of the module it is in (classroom/checks/lesson04.py: "04")."""

    def wrap(checker: Callable[[Any, dict[str, Any]], str]) -> Exercise:
        return Exercise(
            lesson or _lesson_of(checker.__module__),
            name,
            title,
            answer,
            textwrap.dedent(stub).strip(),
            textwrap.dedent(solution).strip(),
            checker,
            hints,
            textwrap.dedent(given).strip(),
            {k: textwrap.dedent(v).strip() for k, v in (wrong or {}).items()},
            tuple(inputs),
            writes_code,
        )

    return wrap


def wait_for(result, timeout: float = 15.0):
    """Wait (bounded) for a task a learner sent; Incorrect if it never finishes."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    try:
        result.get(timeout=timeout, propagate=False)
    except CeleryTimeout:
        raise Incorrect(
            f"the task {result.id} did not finish within {timeout:.0f} s. Is the worker "
            "running? Run `python -m classroom doctor`."
        ) from None
    return result


def fresh(result):
    """The task as the result backend stored it, not as this process remembers it."""
    from celery.result import AsyncResult

    return AsyncResult(result.id)


# [2026-01-31 12:00:00,123: INFO/MainProcess] Task calc.tasks.add[<id>] received
_LINE = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}): [^\]]+\] (.*)$")


def worker_log(task_id: str, until: str, timeout: float = 5.0) -> list[tuple[datetime, str]]:
    """The worker log's lines about one task, with their times (the worker's clock).

    Waits, at most `timeout` seconds, for a line that contains `until`: the worker writes its
    log a moment after it stores the result.
    """
    path = Config.from_env().log_file("worker")
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for line in procs.tail(path, 4000).splitlines():
            match = _LINE.match(line)
            if match and task_id in line:
                stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
                found.append((stamp, match.group(2)))
        if any(until in text for _, text in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def require_result(value, name: str, returned_by: str = "delay() or apply_async()") -> None:
    """Incorrect unless the answer is the receipt of a sent task."""
    from celery.result import AsyncResult

    if not isinstance(value, AsyncResult):
        raise Incorrect(
            f"{name} is a {type(value).__name__}. Keep what {returned_by} returns: an "
            "AsyncResult, the receipt for the task you sent."
        )


def stored_result(value, name: str, returned_by: str = "delay() or apply_async()"):
    """The learner's task as the result backend stored it, once it has finished (bounded).

    Incorrect if the answer is not the receipt of a sent task, or if it never finishes."""
    require_result(value, name, returned_by)
    return fresh(wait_for(value))


def ran_on_the_kit_worker(stored, name: str, args: list) -> None:
    """Incorrect unless the stored result says: this task, these arguments, the kit's worker."""
    if stored.name is None and stored.state == "FAILURE":
        # an unknown task name: the worker stores only the error, NotRegistered
        raise Incorrect(f"the worker could not run it: {stored.result!r}")
    if stored.name != name:
        raise Incorrect(f"that task was {stored.name}, not {name}.")
    if list(stored.args or []) != args:
        raise Incorrect(f"{name} was called with {stored.args}, not {tuple(args)}.")
    if stored.worker != worker_hostname():
        raise Incorrect("that task did not run on the kit's worker: did you call it directly?")


def learner_function(value, name: str, function: str):
    """The learner's function, checked: Incorrect unless callable, not attempted while its body
    still holds ____."""
    if not callable(value):
        raise Incorrect(f"{name} should be your function, {function} itself (no parentheses).")
    if "____" in getattr(getattr(value, "__code__", None), "co_names", ()):
        raise NotAttempted(f"the body of `{function}`")
    return value


def learner_command(value, name: str) -> str:
    """The learner's command line, checked: Incorrect unless a string, not attempted while it
    still holds ____."""
    if not isinstance(value, str):
        raise Incorrect(f"{name} should be a command line, a string: 'celery -A proj ...'.")
    if "____" in value:
        raise NotAttempted(f"the command line of {name}")
    return value


def read_by_the_worker(path, cfg: Config) -> None:
    """Incorrect unless the kit's worker started after `path` was last saved: a worker reads
    tasks and settings once, when it starts."""
    record = procs.Registry(cfg.state_file).load().get("worker")
    if record is None:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    if path.stat().st_mtime > record.create_time:
        raise Incorrect(
            f"you saved {path.name} after the worker started, so it still runs with what it "
            "read then. Restart it."
        )


def learner_task(value, name: str, answer: str) -> None:
    """Incorrect unless `value` is `name`, a task in the learner's tasks.py that the kit's
    worker registered, having started after the file was last saved."""
    from .clients import inspect as ask_the_worker
    from .workspace import tasks_file

    if not isinstance(value, str):
        raise Incorrect(f"{answer} should be the task's name, a string like 'calc.tasks.add'.")
    cfg = Config.from_env()
    path = tasks_file(cfg)
    if not path.exists():
        raise Incorrect("your workspace has no playground/tasks.py yet: run put_task, as above.")
    registered = ask_the_worker(cfg, "registered", worker_hostname())
    if registered is None:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    read_by_the_worker(path, cfg)
    if name not in registered:
        raise Incorrect(f"the worker has no task {name}: is it decorated with @shared_task?")
    if value != name:
        raise Incorrect(
            f"the worker knows no task called {value!r}. A task's name is its module and its "
            "function, as the worker's log lists them."
        )


# "... succeeded in 1.003s: 3.0": the task's own runtime
_RUNTIME = re.compile(r"succeeded in ([\d.]+(?:e-?\d+)?)s")  # 0.0004s, or 3.1e-05s


def started_on_the_worker(task_id: str) -> datetime | None:
    """When the worker started a task that succeeded (its clock): the time of its log's
    'succeeded' line, less the runtime that line gives. None if the log has no such line."""
    for stamp, text in worker_log(task_id, "succeeded"):
        found = _RUNTIME.search(text)
        if found:
            return stamp - timedelta(seconds=float(found.group(1)))
    return None
