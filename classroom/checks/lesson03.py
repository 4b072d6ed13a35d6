"""Lesson 03, Celery inside Django: the CELERY_ namespace, what the worker registered, and a
setting of your own that the worker reads."""

import ast

from celery import Celery

from ..clients import inspect
from ..config import Config
from ..exercises import Incorrect, NotAttempted, exercise, learner_function, read_by_the_worker
from ..services import worker_hostname
from ..workspace import local_settings_file


@exercise(
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


PREFIXES = ("calc.", "comments.")  # the check's own calls of the learner's function
# A task only this notebook's app knows: the check adds it while it calls the learner's function,
# so that an answer read from the notebook's registry, not asked of the worker, shows it.
ONLY_HERE = "calc.tasks.only_in_this_notebook"


@exercise(
    "q2",
    "Ask the worker what it registered",
    "q2",
    stub="""
        # Write registered(prefix): it asks the running worker (not your code) which tasks it
        # registered, and returns the names that start with prefix, sorted. The check calls it
        # with the prefixes of two of the demo's apps.
        def registered(prefix):
            return ____

        q2 = registered
    """,
    solution="""
        def registered(prefix):
            replies = app.control.inspect(timeout=1).registered()  # {worker: [names]}
            names = [name for tasks in replies.values() for name in tasks]
            return sorted(name for name in names if name.startswith(prefix))

        q2 = registered
    """,
    hints=[
        "`app.control.inspect(timeout=1).registered()` asks every worker: {worker: [names]}.",
        "Keep the names that start with the prefix, then sort them.",
    ],
    given="from proj.celery import app",
    wrong={
        "this notebook's app, not the worker": """
            def registered(prefix):
                return sorted(name for name in app.tasks if name.startswith(prefix))

            q2 = registered
        """,
        "every task the worker registered": """
            def registered(prefix):
                replies = app.control.inspect(timeout=1).registered()
                return sorted(name for tasks in replies.values() for name in tasks)

            q2 = registered
        """,
        "unsorted": """
            def registered(prefix):
                replies = app.control.inspect(timeout=1).registered()
                names = [name for tasks in replies.values() for name in tasks]
                return sorted((n for n in names if n.startswith(prefix)), reverse=True)

            q2 = registered
        """,
    },
    writes_code=True,
)
def check_q2(q2, ns):
    from proj.celery import app

    learner_function(q2, "q2", "registered")
    cfg = Config.from_env()
    name = worker_hostname()
    worker_has = inspect(cfg, "registered", name)
    if not worker_has:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")

    def only_in_this_notebook():
        return None

    app.task(name=ONLY_HERE, shared=False)(only_in_this_notebook)  # registered here only
    try:
        answers = {prefix: q2(prefix) for prefix in PREFIXES}
    except Exception as exc:
        raise Incorrect(f"registered(...) raised {type(exc).__name__}: {exc}") from None
    finally:
        app.tasks.pop(ONLY_HERE, None)
    for prefix, got in answers.items():
        call = f"registered({prefix!r})"
        expected = sorted(t for t in worker_has if t.startswith(prefix))
        if not isinstance(got, list | tuple) or not all(isinstance(n, str) for n in got):
            raise Incorrect(f"{call} returned {got!r}: a list of task names (strings).")
        if ONLY_HERE in got:
            raise Incorrect(
                f"{call} lists {ONLY_HERE}, a task only this notebook's app knows (the check "
                "added it). Ask the worker (inspect), not your own app: it runs only what it "
                "registered when it started."
            )
        if any(not n.startswith(prefix) for n in got):
            raise Incorrect(f"{call} returned names that do not start with {prefix!r}.")
        if set(got) != set(expected):
            raise Incorrect(
                f"{call} returned {len(set(got))} names; the worker has {len(expected)}."
            )
        # each name once: with several workers up (lesson 12's), each lists it
        if list(dict.fromkeys(got)) != expected:
            raise Incorrect(f"{call} returned the right names, but not sorted.")
    found = ", ".join(t for prefix in PREFIXES for t in answers[prefix])
    return f"{name} registered {found}: the worker, not your notebook, decides what runs."


GIVEN_Q3 = """
from classroom import stack
from classroom.workspace import local_settings_file
local_settings = local_settings_file()
"""
SETTING = "worker_prefetch_multiplier"


def _settings_file(text: str, restart: bool = True) -> str:
    """A learner's cell that writes this settings file (and restarts the worker)."""
    return f'q3 = """\n{text}\n"""\nlocal_settings.write_text(q3)\n' + (
        'stack.restart("worker")\n' if restart else ""
    )


@exercise(
    "q3",
    "Change a setting, and have the worker use it",
    "q3",
    stub='''
        # Each worker process reserves messages ahead of the one it runs: 4 by default, Celery's
        # worker_prefetch_multiplier. With long tasks, 1 is better. Set it to 1 in your own
        # settings file, under the name Django's settings give it, then have the worker read it.
        q3 = """
        ____ = 1
        """
        local_settings.write_text(q3)
    ''',
    solution='''
        q3 = """
        CELERY_WORKER_PREFETCH_MULTIPLIER = 1
        """
        local_settings.write_text(q3)
        stack.restart("worker")
    ''',
    hints=[
        "The name is the one the namespace rule of this lesson gives worker_prefetch_multiplier.",
        "A worker reads its settings once, when it starts: after you save the file, restart it "
        "as this lesson did above.",
    ],
    given=GIVEN_Q3,
    wrong={
        "no CELERY_ prefix": _settings_file("WORKER_PREFETCH_MULTIPLIER = 1"),
        "lower case": _settings_file("celery_worker_prefetch_multiplier = 1"),
        "the Celery 3 name": _settings_file("CELERYD_PREFETCH_MULTIPLIER = 1"),
        "the worker not restarted": _settings_file(
            "CELERY_WORKER_PREFETCH_MULTIPLIER = 1", restart=False
        ),
    },
    writes_code=True,
)
def check_q3(q3, ns):
    if not isinstance(q3, str):
        raise Incorrect("q3 should be the text of your settings file, a string.")
    if "____" in q3:
        raise NotAttempted("the text of q3, `____ = 1`,")
    cfg = Config.from_env()
    path = local_settings_file(cfg)
    if not path.is_file() or path.read_text() != q3:
        raise Incorrect(
            "your local_settings.py does not hold q3: run the whole cell, which writes it."
        )
    try:
        names = [
            target.id
            for node in ast.parse(q3).body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        ]
    except SyntaxError as exc:
        raise Incorrect(f"q3 is not valid Python: line {exc.lineno}, {exc.msg}.") from None
    name = worker_hostname()
    conf = inspect(cfg, "conf", name, with_defaults=True)  # Django's settings count as defaults
    stats = inspect(cfg, "stats", name)
    if conf is None or stats is None:
        raise Incorrect("the worker does not answer; run `python -m classroom doctor`.")
    read_by_the_worker(path, cfg)
    multiplier = conf.get(SETTING)
    ours = [n for n in names if n.upper().endswith(SETTING.upper())]
    if multiplier != 1:
        if any(n != n.upper() for n in ours):
            raise Incorrect(
                f"the worker's {SETTING} is still {multiplier}: Django keeps only upper-case "
                "names from a settings file, and ignores the rest."
            )
        if ours and not any(n.startswith("CELERY") for n in ours):
            raise Incorrect(
                f"the worker's {SETTING} is still {multiplier}: Celery ignored {ours[0]}, "
                "which lacks the prefix proj/celery.py reads (namespace='CELERY')."
            )
        raise Incorrect(f"the worker's {SETTING} is still {multiplier}, not 1.")
    old = [n for n in names if n.startswith("CELERYD_")]
    if old:
        raise Incorrect(
            f"{old[0]} is a Celery 3 name: Celery 5 still maps it, with a deprecation warning, "
            "and Celery 6 will ignore it. Use CELERY_ and today's name."
        )
    processes = len(stats["pool"]["processes"])
    if stats["prefetch_count"] != processes:
        raise Incorrect(
            f"the worker reserves {stats['prefetch_count']} messages for {processes} "
            "processes, not one each."
        )
    return (
        f"{name} read your file when it started: {SETTING} is 1, so its {processes} processes "
        f"reserve {stats['prefetch_count']} messages between them (its stats' prefetch_count), "
        f"not {4 * processes}."
    )
