"""The one setup line at the top of every lesson: `from classroom.lesson import setup; setup()`.

Safe to re-run: it reuses a healthy stack and starts only what is missing.
"""

from __future__ import annotations

import os
import sys

from . import stack
from .config import APP_DIR, ROOT, Config
from .errors import explain


def setup(*, beat: bool = False) -> Config:
    """Point this kernel at the kit's stack, load Django, and make sure the stack is up."""
    cfg = Config.from_env()
    os.environ.update(cfg.env())
    # A kernel runs cells inside an asyncio event loop, where Django refuses ORM queries
    # (SynchronousOnlyOperation) unless told it is safe: it is, nothing else runs there.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # the learner's own tasks live here (see playground/__init__.py); made before Django loads
    # the app, so that a tasks.py written later in this kernel is found
    (cfg.workspace / "playground").mkdir(parents=True, exist_ok=True)
    for path in (str(APP_DIR), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()
    _explain_broker_errors(cfg)
    statuses = stack.up(beat=beat, cfg=cfg, echo=_progress)
    names = ", ".join(s.name for s in statuses if s.ok)
    print(f"✓ The stack is ready: {names}")
    print(f"  Flower {cfg.flower_url}   Django {cfg.django_url}")
    return cfg


def _progress(line: str) -> None:
    # Only what this call starts, as it happens; a reused stack prints nothing more than the
    # summary, which keeps a lesson's saved outputs stable.
    if "started" in line or "restarting" in line:
        print(line, flush=True)


def _explain_broker_errors(cfg: Config) -> None:
    """For a broker error, one line that says what happened and what to do, before Celery's
    own error (its full traceback on request)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, etype, value, tb, tb_offset=None):
        explained = explain(value, cfg.redis_url)
        if explained is None:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return
        # What happened and what to do, first; then Celery's error alone. Its chained
        # traceback (hundreds of lines when Redis is down) on request: IPython says to run %tb.
        print(f"✗ {explained}\n", file=sys.stderr)
        shell.showtraceback((etype, value, tb), exception_only=True)

    shell.set_custom_exc((Exception,), handler)
