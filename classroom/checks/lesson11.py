"""Lesson 11, workflows: write a chain and a chord that the worker runs, checked on several
inputs, and by the links between the results the worker stored."""

from __future__ import annotations

from ..exercises import (
    Incorrect,
    exercise,
    learner_function,
    prediction,
    ran_on_the_kit_worker,
    wait_for,
)
from ..plots import workflow_stages

GIVEN = """
from celery import chain, chord, group
from calc.tasks import add
from workflows.tasks import mul, xsum
"""
TIMEOUT = 20.0  # seconds for one workflow of the check: a few tiny tasks


def _finished(result, what: str):
    """The workflow's last result, once it has finished (bounded): Incorrect if it failed."""
    wait_for(result, TIMEOUT)
    if result.failed():
        error = result.result
        raise Incorrect(f"{what} failed on the worker: {type(error).__name__}: {error}")
    return result.result


def _send(function, *args):
    """Call the learner's function: Incorrect, saying what it raised, if it raises."""
    call = f"{function.__name__}({', '.join(map(repr, args))})"
    try:
        return function(*args), call
    except Exception as exc:
        raise Incorrect(
            f"{call} raised {type(exc).__name__}: {exc}. Celery checks a signature's arguments "
            "when it is sent, and a partial signature only gets the rest from the task before "
            "it in a chain (or, for a chord's callback, from the group)."
        ) from None


def _receipt(value, name: str, function: str) -> None:
    from celery.result import AsyncResult, GroupResult

    if isinstance(value, GroupResult):
        raise Incorrect(
            f"{function} returned a GroupResult: a group runs its tasks side by side and passes "
            "nothing from one to the next."
        )
    if not isinstance(value, AsyncResult):
        raise Incorrect(
            f"{function} returned a {type(value).__name__}, not the receipt of a workflow that "
            "was sent: the work was done in this notebook, not on the worker. Return what "
            "sending the workflow gives back."
        )


@exercise(
    "q1",
    "A chain: (x + y) × z, with add then mul on the worker",
    "q1",
    stub="""
        # (x + y) × z as a workflow: add, then mul, both on the worker, with add's result
        # passed on to mul. Return what sending the workflow gives back.
        def plus_then_times(x, y, z):
            return ____

        q1 = plus_then_times
    """,
    solution="""
        def plus_then_times(x, y, z):
            return chain(add.s(x, y), mul.s(z)).delay()

        q1 = plus_then_times
    """,
    hints=[
        "A chain passes each task's result to the next signature as its first argument: "
        "the second signature holds only what add's result does not give it.",
        "chain(add.s(x, y), mul.s(z)), sent with .delay(); `add.s(x, y) | mul.s(z)` is the same.",
    ],
    given=GIVEN,
    wrong={
        "summed in the notebook": """
            def plus_then_times(x, y, z):
                return mul.delay(x + y, z)

            q1 = plus_then_times
        """,
        "a group": """
            def plus_then_times(x, y, z):
                return group(add.s(x, y), mul.s(z)).delay()

            q1 = plus_then_times
        """,
        "mul first": """
            def plus_then_times(x, y, z):
                return chain(mul.s(x, y), add.s(z)).delay()

            q1 = plus_then_times
        """,
    },
    writes_code=True,
)
def check_q1(q1, ns):
    function = learner_function(q1, "q1", "plus_then_times")
    for x, y, z in ((2, 3, 4), (7, 1, 6), (0, 5, 9)):
        sent, _ = _send(function, x, y, z)
        _receipt(sent, "q1", f"plus_then_times({x}, {y}, {z})")
        got = _finished(sent, f"plus_then_times({x}, {y}, {z})")
        stages = workflow_stages(sent)
        names = [[(m.name or "?").rsplit(".", 1)[-1] for m in stage] for stage in stages]
        if names == [["mul"]]:
            raise Incorrect(
                "only mul ran on the worker: the sum was computed in this notebook. In a chain, "
                "the worker runs add and passes its result on to mul."
            )
        if got != (x + y) * z:
            raise Incorrect(
                f"plus_then_times({x}, {y}, {z}) gave {got!r}, not ({x} + {y}) × {z} = "
                f"{(x + y) * z}: the worker ran {' then '.join(n[0] for n in names)}."
            )
        if len(stages) != 2 or len(stages[0]) != 1:
            raise Incorrect(f"the worker ran {names}, not add and then mul.")
        ran_on_the_kit_worker(stages[0][0], "calc.tasks.add", [x, y])
        ran_on_the_kit_worker(stages[1][0], "workflows.tasks.mul", [x + y, z])
    return (
        "three inputs, each a chain on the worker: add, then mul with add's result. The results "
        "link back through .parent, which is how the check read them."
    )


@exercise(
    "q2",
    "A chord: the sum of the squares 1² + … + n², squares side by side, summed by a callback",
    "q2",
    stub="""
        # 1² + 2² + … + n² as a chord: one mul per square, run side by side, and xsum as the
        # callback that gets their results as one list. Return what sending it gives back.
        def sum_of_squares(n):
            return ____

        q2 = sum_of_squares
    """,
    solution="""
        def sum_of_squares(n):
            return chord(mul.s(i, i) for i in range(1, n + 1))(xsum.s())

        q2 = sum_of_squares
    """,
    hints=[
        "chord(header)(callback): the header is a group of signatures (a generator of "
        "mul.s(i, i) will do), the callback one signature that gets their results.",
        "The squares are those of 1 to n: range(1, n + 1). The callback is xsum.s(): .s, so "
        "that it can receive the list.",
    ],
    given=GIVEN,
    wrong={
        "summed in the notebook": """
            def sum_of_squares(n):
                return sum(group(mul.s(i, i) for i in range(1, n + 1)).delay().get())

            q2 = sum_of_squares
        """,
        "from 0 to n - 1": """
            def sum_of_squares(n):
                return chord(mul.s(i, i) for i in range(n))(xsum.s())

            q2 = sum_of_squares
        """,
        "an immutable callback": """
            def sum_of_squares(n):
                return chord(mul.s(i, i) for i in range(1, n + 1))(xsum.si())

            q2 = sum_of_squares
        """,
    },
    writes_code=True,
)
def check_q2(q2, ns):
    function = learner_function(q2, "q2", "sum_of_squares")
    for n in (3, 5, 8):
        sent, _ = _send(function, n)
        _receipt(sent, "q2", f"sum_of_squares({n})")
        got = _finished(sent, f"sum_of_squares({n})")
        stages = workflow_stages(sent)
        squares = sorted(tuple(m.args or []) for m in stages[0]) if len(stages) == 2 else []
        if got != sum(i * i for i in range(1, n + 1)):
            raise Incorrect(
                f"sum_of_squares({n}) gave {got!r}, not {sum(i * i for i in range(1, n + 1))}: "
                f"the squares the worker computed were of {[a[0] for a in squares if a]}."
            )
        if len(stages) != 2 or len(stages[1]) != 1:
            raise Incorrect("the worker did not run one xsum after the squares: use a chord.")
        if squares != [(i, i) for i in range(1, n + 1)]:
            raise Incorrect(f"the group's tasks had the arguments {squares}.")
        for square in stages[0]:
            ran_on_the_kit_worker(square, "workflows.tasks.mul", list(square.args or []))
        squared = [i * i for i in range(1, n + 1)]
        ran_on_the_kit_worker(stages[1][0], "workflows.tasks.xsum", [squared])
    return (
        "three inputs, each a chord on the worker: the squares side by side, then xsum with "
        "their results as one list, sent by the worker when the last square was stored."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "xsum runs with the results of the two tasks that succeeded",
        "b": "xsum runs, with None in place of the failed task's result",
        "c": "xsum never runs: the chord fails, and its result says which task failed",
    },
    # observed: the callback's state, once the chord is done
    happened=lambda state: {"SUCCESS": "a", "FAILURE": "c"}.get(state),
    expected="c",
    why=(
        "the callback needs every result of its group. When one fails, the worker that stores "
        "the last of them marks the callback FAILURE with a ChordError that names the task that "
        "failed, and never sends it. Its .get() raises the first error it finds, here the "
        "ZeroDivisionError of the group's task. To go on despite failures, the group's tasks "
        "must catch their errors and return a value instead."
    ),
)
