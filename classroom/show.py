"""Helpers that show the real system in a notebook, formatted for reading."""

from __future__ import annotations

from pathlib import Path

from . import procs
from .clients import redis_client
from .config import APP_DIR, ROOT, Config


class _Text(str):
    """A string that a notebook shows as itself, not as a quoted repr."""

    def __repr__(self) -> str:
        return str(self)


def log(
    service: str = "worker", lines: int = 15, grep: str | None = None, after: str | None = None
) -> _Text:
    """The end of a service's log since its last start: show.log("worker"), or only lines with
    a word in them (`grep`), or `lines` lines from the first one containing `after`."""
    cfg = Config.from_env()
    text = procs.tail(cfg.log_file(service), 50_000 if grep or after else lines)
    chosen = procs.since_last_start(text).splitlines()
    if after is not None:
        start = next((n for n, line in enumerate(chosen) if after in line), len(chosen))
        return _Text("\n".join(chosen[start : start + lines]))
    if grep:
        chosen = [line for line in chosen if grep in line]
    return _Text("\n".join(chosen[-lines:]))


def source(
    path: str,
    start: int | None = None,
    end: int | None = None,
    *,
    after: str | None = None,
    lines: int | None = None,
) -> None:
    """A file of the demo app, with line numbers: show.source("proj/celery.py").

    `after="# Celery"` starts at the first line containing that text (so a lesson keeps
    pointing at the right place when lines are added above it); `lines` caps the length.
    """
    from IPython.display import Markdown, display

    workspace = Config.from_env().workspace
    places = {APP_DIR: APP_DIR.relative_to(ROOT), ROOT: Path(), workspace: Path("workspace")}
    found = [
        (base / path, shown / path) for base, shown in places.items() if (base / path).exists()
    ]
    if not found:
        raise FileNotFoundError(
            f"No {path} in tutorial_app/, your workspace or the kit; "
            "try show.source('proj/celery.py')."
        )
    full, shown = found[0]
    text = full.read_text().splitlines()
    first = start or 1
    if after is not None:
        found = [n for n, line in enumerate(text, 1) if after in line]
        if not found:
            raise ValueError(f"{path} has no line containing {after!r}.")
        first = found[0]
    if lines is not None:
        end = first - 1 + lines
    chosen = text[first - 1 : end]
    numbered = "\n".join(f"{n:>3}  {line}" for n, line in enumerate(chosen, first))
    lang = {".py": "python", ".html": "html", ".yml": "yaml"}.get(Path(path).suffix, "")
    display(Markdown(f"**{shown.as_posix()}**\n```{lang}\n{numbered}\n```"))


def redis_keys(pattern: str = "*", limit: int = 20) -> _Text:
    """The keys in the kit's Redis with their type and TTL (read-only: SCAN, TYPE, TTL)."""
    client = redis_client(Config.from_env())
    rows = []
    for key in sorted(client.scan_iter(match=pattern, count=500))[:limit]:
        kind = client.type(key).decode()
        ttl = client.ttl(key)
        size = {"list": client.llen, "string": client.strlen, "hash": client.hlen,
                "set": client.scard, "zset": client.zcard}.get(kind)  # fmt: skip
        rows.append(
            f"{key.decode():<60} {kind:<7} "
            f"{'no TTL' if ttl < 0 else f'TTL {ttl} s':<12} "
            f"{f'size {size(key)}' if size else ''}"
        )
    return _Text("\n".join(rows) if rows else f"(no keys match {pattern!r})")
