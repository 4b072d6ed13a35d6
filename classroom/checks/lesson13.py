"""Lesson 13, testing Celery code: the learner writes tests, and the checks run them against
mentioned_names and against broken versions of it. A test that passes with a broken version
does not test that behaviour; a test that never reaches a worker does not test the worker."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from ..exercises import Incorrect, exercise, learner_function, prediction
from ..testing import BROKEN, CONFTEST, PytestError, module_source, run_pytest, source_of

GIVEN = """
import pytest

from classroom.testing import run_tests
from comments.tasks import mentioned_names
"""
TASK = "comments.tasks.mentioned_names"


class _Sent(Exception):
    """Raised instead of sending a task, while a unit test runs."""


@contextmanager
def _broken(name: str | None):
    """mentioned_names, in this process, as it is or broken (its parse_mentions swapped)."""
    import comments.tasks

    if name is None:
        yield
        return
    with mock.patch.object(comments.tasks, "parse_mentions", BROKEN[name][1]):
        yield


def _passes(test, broken: str | None = None) -> bool:
    """Run a unit test here, nothing sent: does it pass?"""
    from celery.app.task import Task

    with _broken(broken), mock.patch.object(Task, "apply_async", side_effect=_Sent):
        try:
            test()
        except _Sent:
            raise Incorrect(
                "your test sent mentioned_names to the broker (.delay or .apply_async). A unit "
                "test calls it as a function, mentioned_names(text): here, in this process, "
                "with no broker and no worker."
            ) from None
        except AssertionError:
            return False
        except Exception as exc:
            if broken is None:
                raise Incorrect(f"your test raised {type(exc).__name__}: {exc}") from None
            return False  # a broken version may make the test raise: that is a catch too
    return True


def _survivors(passed_with: list[str]) -> str:
    return ", and with one that ".join(BROKEN[name][0] for name in passed_with)


@exercise(
    "q1",
    "A unit test: call mentioned_names directly, and catch every broken version",
    "q1",
    stub="""
        # Call mentioned_names as a function (no .delay) and assert what it returns. Make it
        # fail if mentioned_names breaks any promise of its docstring.
        def test_mentioned_names():
            assert ____

        q1 = test_mentioned_names
    """,
    solution="""
        def test_mentioned_names():
            text = "Thanks @zed and @alice! @zed, mail bob@example.com"
            assert mentioned_names(text) == ["zed", "alice"]

        q1 = test_mentioned_names
    """,
    hints=[
        "Its docstring promises four things: the names, each once, in the order they come, and "
        "no e-mail address taken for a mention. One text can hold all four.",
        'A name twice, two names out of alphabetical order, and an address: "Thanks @zed and '
        '@alice! @zed, mail bob@example.com" gives ["zed", "alice"].',
    ],
    given=GIVEN,
    wrong={
        "asserts nothing": """
            def test_mentioned_names():
                mentioned_names("Thanks @alice")

            q1 = test_mentioned_names
        """,
        "one easy name": """
            def test_mentioned_names():
                assert mentioned_names("Thanks @alice") == ["alice"]

            q1 = test_mentioned_names
        """,
        "no e-mail address": """
            def test_mentioned_names():
                assert mentioned_names("@zed, @alice and @zed") == ["zed", "alice"]

            q1 = test_mentioned_names
        """,
        "through the worker": """
            def test_mentioned_names():
                assert mentioned_names.delay("@zed @alice").get(timeout=10) == ["zed", "alice"]

            q1 = test_mentioned_names
        """,
    },
    writes_code=True,
)
def check_q1(q1, ns):
    test = learner_function(q1, "q1", "test_mentioned_names")
    if not _passes(test):
        raise Incorrect(
            "your test fails with the right mentioned_names: check what you expect against "
            'its docstring. mentioned_names("Thanks @zed") gives ["zed"].'
        )
    broken = ["returns nothing", "keeps repeats", "sorts the names", "counts e-mail addresses"]
    survived = [name for name in broken if _passes(test, name)]
    if "returns nothing" in survived:
        raise Incorrect(
            "your test passes even with a mentioned_names that returns None: it asserts nothing "
            "about what mentioned_names returns."
        )
    if survived:
        raise Incorrect(
            f"your test still passes with a mentioned_names that {_survivors(survived)}. Give "
            "it a text where that makes a difference."
        )
    return (
        f"your test fails with each of {len(broken)} broken versions of mentioned_names, and "
        "passes with the right one: in milliseconds, with no broker and no worker."
    )


@exercise(
    "q2",
    "A test on a real worker: celery_worker, through Redis and back",
    "q2",
    stub="""
        # Send mentioned_names to the worker that Celery's celery_worker fixture starts, and
        # assert on the result that comes back. run_tests runs it with pytest.
        def test_mentioned_names_on_a_worker(celery_worker):
            result = ____
            assert ____

        q2 = test_mentioned_names_on_a_worker
    """,
    solution="""
        def test_mentioned_names_on_a_worker(celery_worker):
            result = mentioned_names.delay("Thanks @zed and @alice, mail bob@example.com")
            assert result.get(timeout=10) == ["zed", "alice"]

        q2 = test_mentioned_names_on_a_worker
    """,
    hints=[
        "Ask for the celery_worker fixture (an argument of that name), send the task with "
        ".delay(...), and wait for its result with .get(timeout=10).",
        "The check runs your test against a mentioned_names that returns a set, and one that "
        "takes bob@example.com for a mention: your text needs an e-mail address.",
    ],
    given=GIVEN,
    wrong={
        "called directly": """
            def test_mentioned_names_on_a_worker(celery_worker):
                assert mentioned_names("Hi @zed, mail bob@example.com") == ["zed"]

            q2 = test_mentioned_names_on_a_worker
        """,
        "eager mode": """
            @pytest.mark.celery(task_always_eager=True)
            def test_mentioned_names_on_a_worker(celery_app, depends_on_current_app):
                result = mentioned_names.delay("Hi @zed, mail bob@example.com")
                assert result.get() == ["zed"]

            q2 = test_mentioned_names_on_a_worker
        """,
        "no worker": """
            def test_mentioned_names_on_a_worker():
                result = mentioned_names.delay("Hi @zed, mail bob@example.com")
                assert result.get(timeout=3) == ["zed"]

            q2 = test_mentioned_names_on_a_worker
        """,
        "nothing asserted": """
            def test_mentioned_names_on_a_worker(celery_worker):
                mentioned_names.delay("Hi @zed, mail bob@example.com").get(timeout=10)

            q2 = test_mentioned_names_on_a_worker
        """,
    },
    writes_code=True,
)
def check_q2(q2, ns):
    test = learner_function(q2, "q2", "test_mentioned_names_on_a_worker")
    try:
        source = module_source(test)
    except TypeError as exc:
        raise Incorrect(str(exc)) from None
    if not test.__name__.startswith("test"):
        raise Incorrect(
            f"pytest runs only functions whose name starts with test: not {test.__name__}."
        )
    with tempfile.TemporaryDirectory(prefix="classroom-check-") as tmp:
        path = Path(tmp) / "test_check13.py"
        path.write_text(source)
        (path.parent / "conftest.py").write_text(CONFTEST)
        try:
            print("running your test with pytest: with mentioned_names as it is…")
            right = run_pytest(path)
            if not right.passed:
                message = right.tests[0].message if right.tests else str(right)
                if "Timeout" in message and "celery_worker" not in source_of(test):
                    raise Incorrect(
                        f"your test fails with the right mentioned_names ({message}): nothing "
                        "ran the task you sent. Ask for the celery_worker fixture: it starts a "
                        "worker inside the test."
                    )
                raise Incorrect(f"your test fails with the right mentioned_names: {message}")
            ran = [t for t in right.tasks if t["name"] == TASK]
            if not ran:
                raise Incorrect(
                    "mentioned_names never went through Celery: your test called it as a "
                    "function. That is exercise 13.1's unit test; here, send it with .delay()."
                )
            if all(t["eager"] for t in ran):
                raise Incorrect(
                    "mentioned_names ran eagerly, in the test's own thread (task_always_eager): "
                    "no worker ran it, and its result never went through JSON."
                )
            survived = []
            for name in ("returns a set", "counts e-mail addresses"):
                print(f"… and with a mentioned_names that {BROKEN[name][0]}")
                if run_pytest(path, broken=name).passed:
                    survived.append(name)
        except PytestError as exc:
            raise Incorrect(str(exc)) from None
    if survived:
        raise Incorrect(
            f"your test still passes with a mentioned_names that {_survivors(survived)}. "
            "Assert on the result, with a text where that makes a difference."
        )
    return (
        "your test sends mentioned_names through Redis to a real worker and back, passes with "
        "the right version, and fails with one that returns a set (EncodeError on the worker) "
        "and one that takes an e-mail address for a mention."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "it passes on the worker too: the same code runs there",
        "b": "it fails: the worker cannot send a set back as JSON, and the task ends FAILURE",
        "c": "it passes, but the result comes back as a list",
    },
    # observed: did the colleague's test pass, with a real worker?
    happened=lambda passed: {True: "a", False: "b"}.get(passed),
    expected="b",
    why=(
        "eager mode runs the task in your process and hands you its return value as it is: a "
        "set stays a set. A worker must store the result in the backend as JSON, which has no "
        "sets: the task ends FAILURE with EncodeError, though its code ran fine. The same "
        "mentioned_names, sent from the web app, would fail the same way in production."
    ),
)
