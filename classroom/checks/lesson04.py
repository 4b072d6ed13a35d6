"""Lesson 04, defining tasks and calling delay: start a task later, send one by name, and write
a task of your own that the worker runs."""

from __future__ import annotations

from ..clients import inspect
from ..config import Config
from ..exercises import (
    Incorrect,
    exercise,
    fresh,
    learner_function,
    prediction,
    ran_on_the_kit_worker,
    read_by_the_worker,
    started_on_the_worker,
    stored_result,
    wait_for,
    worker_log,
)
from ..services import worker_hostname
from ..workspace import tasks_file


@exercise(
    "q1",
    "Start divide(9, 3) two seconds from now",
    "q1",
    stub="""
        # Send divide(9, 3) so that the worker starts it no sooner than 2 seconds after you
        # send it, and keep what you get back.
        q1 = ____
    """,
    solution="""
        q1 = divide.apply_async((9, 3), countdown=2)
    """,
    hints=[
        "`delay` takes no options, `apply_async` does. Its arguments go in one tuple: "
        "`divide.apply_async((9, 3), ...)`.",
        "`countdown=2` means: not before 2 seconds from now. `eta=` does the same with a "
        "datetime: `eta=datetime.now(timezone.utc) + timedelta(seconds=2)`.",
    ],
    given="from calc.tasks import divide",
    wrong={
        "sent at once": "q1 = divide.delay(9, 3)",
        "a countdown too short": "q1 = divide.apply_async((9, 3), countdown=1)",
    },
)
def check_q1(q1, ns):
    stored = stored_result(q1, "q1", "apply_async()")
    ran_on_the_kit_worker(stored, "calc.tasks.divide", [9, 3])
    if stored.state == "FAILURE":
        raise Incorrect(f"divide failed on the worker: {stored.result!r}.")
    started = started_on_the_worker(q1.id)
    lines = worker_log(q1.id, "received")
    received = next((t for t, text in lines if text.endswith("received")), None)
    if received is None or started is None:
        raise Incorrect(
            f"the worker log has no 'received' and 'succeeded' lines for {q1.id}. "
            "Look at show.log('worker')."
        )
    waited = (started - received).total_seconds()
    if waited < 1.9:
        raise Incorrect(
            f"the worker started it {max(waited, 0):.1f} s after it received it, not 2 s or "
            "more. Ask for a later start."
        )
    return (
        f"the worker received it at once, held it for {waited:.1f} s until it was due, then "
        "ran it: a countdown delays the start, not the send."
    )


# (name, args, what the worker returns): the check's own calls of the learner's function
BY_NAME = (
    ("calc.tasks.divide", (10, 4), 2.5),
    ("calc.tasks.add", (2, 3), 5),
    ("calc.tasks.add", ("ab", "cd"), "abcd"),
)


@exercise(
    "q2",
    "Send any task by its name alone",
    "q2",
    stub="""
        # The worker knows its tasks by name. Write send_by_name(name, *args): it sends the
        # task called `name`, with those arguments, by its name alone (without importing the
        # task), and returns what it gets back. The check calls it with several tasks.
        def send_by_name(name, *args):
            return ____

        q2 = send_by_name
    """,
    solution="""
        def send_by_name(name, *args):
            return app.send_task(name, args=args)

        q2 = send_by_name
    """,
    hints=[
        "The Celery app (`from proj.celery import app`) has a method that sends a task by "
        "name alone.",
        "`app.send_task(name, args=...)` takes the arguments as one tuple: inside your "
        "function, that is `args`.",
    ],
    given="""
        from calc.tasks import divide
        from proj.celery import app
    """,
    wrong={
        "divide, whatever the name": """
            def send_by_name(name, *args):
                return divide.delay(*args)

            q2 = send_by_name
        """,
        "the value, not the receipt": """
            def send_by_name(name, *args):
                return app.send_task(name, args=args).get(timeout=10)

            q2 = send_by_name
        """,
        "the arguments one by one": """
            def send_by_name(name, *args):
                return app.send_task(name, *args)

            q2 = send_by_name
        """,
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from celery.result import AsyncResult

    learner_function(q2, "q2", "send_by_name")
    for name, args, value in BY_NAME:
        call = f"send_by_name({name!r}, {', '.join(map(repr, args))})"
        try:
            sent = q2(name, *args)
        except Exception as exc:
            raise Incorrect(f"{call} raised {type(exc).__name__}: {exc}") from None
        if not isinstance(sent, AsyncResult):
            raise Incorrect(
                f"{call} returned {sent!r}, a {type(sent).__name__}: return what sending "
                "gives you back, the AsyncResult, and let the caller decide when to wait."
            )
        stored = fresh(wait_for(sent))
        if stored.name is None and stored.state == "FAILURE":
            raise Incorrect(f"{call}: the worker could not run it: {stored.result!r}.")
        if stored.name != name:
            raise Incorrect(f"{call} ran {stored.name}, not {name}: send the task it names.")
        if list(stored.args or []) != list(args) or stored.result != value:
            raise Incorrect(
                f"{call} ran {name}{tuple(stored.args or [])} and got {stored.result!r}, not "
                f"{value!r}."
            )
        if stored.worker != worker_hostname():
            raise Incorrect(f"{call} did not run on the kit's worker.")
    return (
        f"your function sent {len(BY_NAME)} tasks by name alone, and the worker ran each: a "
        "name and arguments are all a message carries."
    )


# What the lesson's earlier cells define; the tests start from a tasks.py with no task in it.
GIVEN_Q3 = """
from classroom import stack
from classroom.config import Config
cfg = Config.from_env()
tasks_py = cfg.workspace / "playground" / "tasks.py"
tasks_py.parent.mkdir(parents=True, exist_ok=True)
VERSION_1 = "from celery import shared_task\\n"
"""
INPUTS = ("hi", "Celery", "")


def _shout_file(body: str, decorated: bool = True) -> str:
    """A learner's cell that writes shout() with this body into tasks.py."""
    decorator = "@shared_task\n" if decorated else ""
    return (
        'MY_TASK = """\n\n'
        f"{decorator}def shout(text):\n"
        f"    return {body}\n"
        '"""\n'
        "tasks_py.write_text(VERSION_1 + MY_TASK)\n"
    )


@exercise(
    "q3",
    "Write a task of your own, and have the worker run it",
    "q3",
    stub='''
        # Add a task to your own tasks module: shout(text) returns the text in capitals,
        # with "!" at the end (shout("hi") is "HI!"). Write its body below, then make the
        # worker see it: a worker imports tasks.py only when it starts.
        MY_TASK = """

        @shared_task
        def shout(text):
            return ____
        """
        tasks_py.write_text(VERSION_1 + MY_TASK)

        q3 = ____  # the name the worker knows your task by
    ''',
    solution='''
        MY_TASK = """

        @shared_task
        def shout(text):
            return text.upper() + "!"
        """
        tasks_py.write_text(VERSION_1 + MY_TASK)
        stack.restart("worker")
        q3 = "playground.tasks.shout"
    ''',
    hints=[
        '`text.upper()` gives the capitals; add the `"!"` with +.',
        "After writing the file, restart the worker, as you did above. A task's name is its "
        "module and its function: look at the greet task's name in the worker's log.",
    ],
    given=GIVEN_Q3,
    wrong={
        "the worker not restarted": _shout_file('text.upper() + "!"')
        + 'q3 = "playground.tasks.shout"\n',
        "a plain function, not a task": _shout_file('text.upper() + "!"', decorated=False)
        + 'stack.restart("worker")\nq3 = "playground.tasks.shout"\n',
        "no exclamation mark": _shout_file("text.upper()")
        + 'stack.restart("worker")\nq3 = "playground.tasks.shout"\n',
        "the function's name alone": _shout_file('text.upper() + "!"')
        + 'stack.restart("worker")\nq3 = "shout"\n',
    },
    writes_code=True,
)
def check_q3(q3, ns):
    from proj.celery import app

    if not isinstance(q3, str):
        raise Incorrect("q3 should be the task's name, a string like 'calc.tasks.add'.")
    cfg = Config.from_env()
    path = tasks_file(cfg)
    if not path.exists():
        raise Incorrect("your workspace has no playground/tasks.py yet: write it, as above.")
    registered = inspect(cfg, "registered", worker_hostname())
    if registered is None:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    read_by_the_worker(path, cfg)
    if "playground.tasks.shout" not in registered:
        raise Incorrect(
            "the worker imported your tasks.py but registered no task `shout` from it. A "
            "function becomes a task with the @shared_task decorator."
        )
    if q3 not in registered:
        raise Incorrect(
            f"the worker knows no task called {q3!r}. A task's name is its module and its "
            "function, as the worker's log lists them."
        )
    sent = {text: app.send_task(q3, args=(text,)) for text in INPUTS}
    for text, result in sent.items():
        value = result.get(timeout=10, propagate=False)
        if result.state != "SUCCESS":
            raise Incorrect(f"shout({text!r}) failed on the worker: {value!r}.")
        if value != text.upper() + "!":
            raise Incorrect(f"shout({text!r}) returned {value!r} on the worker.")
    lines = worker_log(sent["hi"].id, "succeeded")
    if not any(f"Task {q3}[{sent['hi'].id}] succeeded" in text for _, text in lines):
        raise Incorrect("the worker's log does not show your task succeeding.")
    return (
        f"the worker ran your {q3} on {len(INPUTS)} inputs ({', '.join(map(repr, INPUTS))}) "
        "and returned what you wrote: your code, imported when the worker started."
    )


P1 = prediction(
    "p1",
    choices={
        "a": "still in the `celery` list, waiting for its time",
        "b": "taken by the worker, which holds it; Redis keeps a copy in `unacked`",
        "c": "gone from Redis altogether",
    },
    # observed: (messages in the `celery` list, entries in the `unacked` hash)
    happened=lambda seen: "a" if seen[0] else "b" if seen[1] else "c",
    expected="b",
    why=(
        "a countdown delays the start, not the send. The worker takes the message at once "
        "and keeps it in memory until it is due, without acknowledging it, so Redis keeps "
        "a copy in its `unacked` hash, to deliver again if that worker disappears."
    ),
)


P2 = prediction(
    "p2",
    choices={
        "a": "'Good morning, Ada!': the worker runs the file as it is now",
        "b": "'Hello, Ada!': the worker runs the code it imported when it started",
        "c": "an error: the worker notices that the file changed",
    },
    happened=lambda said: {"Good morning, Ada!": "a", "Hello, Ada!": "b"}.get(said),
    expected="b",
    why=(
        "a worker imports your tasks once, when it starts, and never looks at the file "
        "again: no autoreload. It runs version 1 until you restart it."
    ),
)
