"""Lesson 03, Celery inside Django: the CELERY_ namespace, and what the worker registered."""

from celery import Celery

from ..clients import inspect
from ..config import Config
from ..exercises import Incorrect, exercise
from ..services import worker_hostname


@exercise(
    "03",
    "q1",
    "Name the setting",
    "q1",
    stub="""
        # Celery calls it task_default_queue. What must it be called in proj/settings.py?
        q1 = ____
    """,
    solution="""
        q1 = "CELERY_TASK_DEFAULT_QUEUE"
    """,
    hints=[
        "proj/celery.py reads Django's settings with namespace='CELERY'.",
        "Upper case, with the namespace and an underscore in front of Celery's own name.",
    ],
    wrong={
        "no CELERY_ prefix": 'q1 = "TASK_DEFAULT_QUEUE"',
        "lower case": 'q1 = "celery_task_default_queue"',
        "the Celery 3 name": 'q1 = "CELERY_DEFAULT_QUEUE"',
    },
)
def check_q1(q1, ns):
    if not isinstance(q1, str) or not q1.isidentifier():
        raise Incorrect("q1 should be the name of a setting, a string like 'CELERY_SOMETHING'.")
    # Ask Celery itself: configure a fresh app from a settings object with that one name.
    settings = type("Settings", (), {q1: "reports"})
    app = Celery("lesson03-check", set_as_current=False)
    app.config_from_object(settings, namespace="CELERY")
    if app.conf.task_default_queue != "reports":
        if not q1.startswith("CELERY_") and q1.upper().startswith("CELERY_"):
            raise Incorrect(f"Celery ignored {q1!r}: setting names are all upper case.")
        raise Incorrect(
            f"Celery ignored {q1!r}: with namespace='CELERY' it reads only names that start "
            "with CELERY_, followed by the setting's name in upper case."
        )
    if q1 != "CELERY_" + "task_default_queue".upper():
        raise Incorrect(
            f"{q1!r} is a Celery 3 name: Celery 5 still maps it, with a deprecation warning, "
            "and Celery 6 will ignore it. Use CELERY_ and today's name of the setting."
        )
    return f"with {q1} = 'reports' in settings, Celery's task_default_queue is 'reports'."


@exercise(
    "03",
    "q2",
    "Ask the worker what it registered",
    "q2",
    stub="""
        # Ask the running worker (not your code) which tasks it registered, and keep the names
        # of the calc app's tasks, sorted.
        q2 = ____
    """,
    solution="""
        registered = app.control.inspect(timeout=1).registered()
        names = [name for tasks in registered.values() for name in tasks]
        q2 = sorted(name for name in names if name.startswith("calc."))
    """,
    hints=[
        "`app.control.inspect(timeout=1).registered()` asks every worker: {worker: [names]}.",
        "Keep the names that start with 'calc.', then sort them.",
    ],
    given="from proj.celery import app",
    wrong={
        "only some of the calc tasks": """
            q2 = sorted(name for name in app.tasks if name.startswith("calc."))[:1]
        """,
        "every task the worker registered": """
            registered = app.control.inspect(timeout=1).registered()
            q2 = sorted(name for tasks in registered.values() for name in tasks)
        """,
        "unsorted": """
            registered = app.control.inspect(timeout=1).registered()
            names = [name for tasks in registered.values() for name in tasks]
            q2 = sorted((name for name in names if name.startswith("calc.")), reverse=True)
        """,
    },
)
def check_q2(q2, ns):
    if not isinstance(q2, list | tuple) or not all(isinstance(n, str) for n in q2):
        raise Incorrect("q2 should be a list of task names (strings).")
    cfg = Config.from_env()
    name = worker_hostname()
    registered = inspect(cfg, "registered", name) or []
    expected = sorted(t for t in registered if t.startswith("calc."))
    if not expected:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    if set(q2) - set(registered):
        raise Incorrect(
            f"{', '.join(sorted(set(q2) - set(registered)))}: not registered by the worker. "
            "Ask the worker (inspect), not your own app."
        )
    if any(not n.startswith("calc.") for n in q2):
        raise Incorrect("keep only the calc app's tasks: their names start with 'calc.'.")
    if set(q2) != set(expected):
        raise Incorrect(
            f"you have {len(set(q2))} of the calc tasks the worker registered; it has more."
        )
    if list(q2) != expected:
        raise Incorrect("those are the right names; now sort them.")
    return f"{name} registered {', '.join(expected)}: the worker, not your notebook, decides."


EXERCISES = [check_q1, check_q2]
