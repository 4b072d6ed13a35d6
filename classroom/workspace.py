"""The learner's own files: `workspace/` (CLASSROOM_WORKSPACE), outside the kit's code.

- `playground/tasks.py`: their tasks, which the worker imports as `playground.tasks`;
- `local_settings.py`: their settings, which `proj/settings.py` reads last.

A lesson adds a task with `put_task(source)`: it replaces the function of the same name, or
adds it, and keeps everything else in the file, so that a later lesson never loses what the
learner wrote in an earlier one.
"""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path

from .config import ROOT, Config
from .errors import FolderNotWritable


class WorkspaceError(ValueError):
    """A file the kit cannot safely change; the message says which, where, and what to do."""


def check_learner_folders(cfg: Config | None = None) -> None:
    """FolderNotWritable unless the learner's saves can land: their notebooks, and their
    workspace (made when missing). Docker's bind mount makes a missing folder as root."""
    for folder in (ROOT / "notebooks", (cfg or Config.from_env()).workspace):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise FolderNotWritable(folder, exc.strerror or str(exc)) from None


def _in_workspace(relative: str, cfg: Config | None) -> Path:
    path = (cfg or Config.from_env()).workspace / relative
    path.parent.mkdir(parents=True, exist_ok=True)  # so that the learner can write it
    return path


def tasks_file(cfg: Config | None = None) -> Path:
    return _in_workspace("playground/tasks.py", cfg)


def local_settings_file(cfg: Config | None = None) -> Path:
    return _in_workspace("local_settings.py", cfg)


def _parse(text: str, where: str) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        raise WorkspaceError(
            f"{where} is not valid Python (line {exc.lineno}: {exc.msg}). Fix that line first; "
            "nothing was written."
        ) from None


def put_task(source: str, cfg: Config | None = None) -> Path:
    """Write the functions in `source` into the learner's tasks.py: each replaces the function
    of the same name (with its decorators), or is added at the end. Its imports are added when
    the file lacks them. Everything else in the file stays as it was."""
    path = tasks_file(cfg)
    new = _parse(source, "the code you wrote")
    functions = [n for n in new.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not functions:
        raise WorkspaceError("the code you wrote defines no function: nothing to put in tasks.py.")
    source_lines = source.splitlines()

    def span(node, lines):  # a function's lines, its decorators included
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        return first, node.end_lineno, "\n".join(lines[first - 1 : node.end_lineno])

    old_text = path.read_text() if path.exists() else ""
    lines = old_text.splitlines()
    old = _parse(old_text, f"your {path.name}")
    existing = {
        n.name: n for n in old.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    # replace from the bottom up, so that earlier line numbers stay right
    replaced = sorted(
        ((*span(existing[f.name], lines)[:2], span(f, source_lines)[2]))
        for f in functions
        if f.name in existing
    )
    for first, last, text in reversed(replaced):
        lines[first - 1 : last] = text.splitlines()
    for f in functions:
        if f.name not in existing:
            lines += ["", "", *span(f, source_lines)[2].splitlines()]
    present = {line.strip() for line in lines}
    imports = [
        "\n".join(source_lines[n.lineno - 1 : n.end_lineno])
        for n in new.body
        if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    missing = [i for i in imports if i.strip() not in present]
    text = "\n".join(missing + lines).strip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text)
    partial.replace(path)  # all or nothing: a crash never leaves half a file
    return path


def add_settings(text: str, cfg: Config | None = None) -> None:
    """Add `text` at the end of the learner's local_settings.py (made if missing), and keep
    what is there: a later line wins, so it overrides an earlier one. Nothing is written if
    the file already ends with it, or if it is not valid Python."""
    _parse(text, "the settings you wrote")
    path = local_settings_file(cfg)
    old = path.read_text() if path.exists() else ""
    if old.rstrip().endswith(text.strip()):
        return
    new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + text.strip() + "\n"
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(new)
    partial.replace(path)  # all or nothing
