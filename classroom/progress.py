"""A learner's progress: each `check()`, `hint()` and `solution()` is recorded in the run
directory (`.run/progress.json`), and `python -m classroom progress` shows the table; `--json`
gives it to an instructor.

Recording never gets in the learner's way: a run directory that cannot be written loses the
record, not the check. `reset` keeps it (it wipes the stack's state, not the learner's work).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from .config import Config

MARKS = {"solved": "✓", "tried": "✗", "not tried": "○"}


def _path(cfg: Config) -> Path:
    return cfg.run_dir / "progress.json"


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(key: str, event: str, status: str = "", cfg: Config | None = None) -> None:
    """One learner action on exercise `key` ("04.q1"): event is "check", "hint" or
    "solution"; a check also gives its status ("correct", "incorrect", ...)."""
    with contextlib.suppress(OSError):
        cfg = cfg or Config.from_env()
        cfg.run_dir.mkdir(parents=True, exist_ok=True)
        path = _path(cfg)
        with open(cfg.run_dir / "progress.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # kernels of several lessons may check at once
            data = _load(path)
            entry = data.setdefault(key, {"tries": 0, "hints": 0, "solution_seen": False})
            if event == "check" and status != "not attempted":
                entry["tries"] += 1
                entry["last"] = status
                entry["solved"] = entry.get("solved", False) or status == "correct"
            elif event == "hint":
                entry["hints"] += 1
            elif event == "solution":
                entry["solution_seen"] = True
            entry["at"] = datetime.now(UTC).isoformat(timespec="seconds")
            partial = path.with_name(f".progress.{os.getpid()}.tmp")
            partial.write_text(json.dumps(data, indent=1, sort_keys=True))
            partial.replace(path)


def table(cfg: Config | None = None) -> list[dict]:
    """Every exercise of every lesson, in order, with what the learner did."""
    from .exercises import exercises, lesson_numbers

    data = _load(_path(cfg or Config.from_env()))
    rows = []
    for number in lesson_numbers():
        for exercise in exercises(number):
            key = exercise.key
            entry = data.get(key, {})
            state = (
                "solved" if entry.get("solved") else "tried" if entry.get("tries") else "not tried"
            )
            rows.append(
                {
                    "exercise": key,
                    "title": exercise.title,
                    "state": state,
                    "tries": entry.get("tries", 0),
                    "hints": entry.get("hints", 0),
                    "solution_seen": entry.get("solution_seen", False),
                    "writes_code": exercise.writes_code,
                }
            )
    return rows


def render(rows: list[dict]) -> str:
    lines = [f"{'':2}{'exercise':<9}{'tries':>6}{'hints':>6}  title"]
    for row in rows:
        seen = "  (saw the solution)" if row["solution_seen"] else ""
        lines.append(
            f"{MARKS[row['state']]} {row['exercise']:<9}{row['tries']:>6}{row['hints']:>6}  "
            f"{row['title']}{seen}"
        )
    solved = sum(r["state"] == "solved" for r in rows)
    lines.append(f"{solved} of {len(rows)} exercises solved   ✓ solved  ✗ tried  ○ not tried")
    return "\n".join(lines)
