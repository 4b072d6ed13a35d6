"""TaskMonitor: a live table of tasks as they move PENDING → STARTED → SUCCESS / FAILURE / RETRY.

    mon = TaskMonitor()                 # shows the (empty) table
    mon.track(divide.delay(1, 2))
    mon.wait(timeout=15)                # updates live until every task is done, then summarizes

It reads only: each task's state from the result backend, the queue's length (LLEN), and the
workers that answer a ping. Its first display and its closing summary line are deterministic.
"""

from __future__ import annotations

import html
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from celery.result import AsyncResult

from . import clients
from .config import Config

COLOURS = {
    "PENDING": "#e5e7eb", "RECEIVED": "#e0e7ff", "STARTED": "#fde68a", "RETRY": "#fed7aa",
    "SUCCESS": "#bbf7d0", "FAILURE": "#fecaca", "REVOKED": "#d1d5db",
}  # fmt: skip
DONE = ("SUCCESS", "FAILURE", "REVOKED")
# around the static copy of the table: its content (ids, times) differs at every run, so the
# tests' sanitize.cfg compares what is between these two markers as one token
STATIC_START, STATIC_END = "<!-- taskmonitor -->", "<!-- /taskmonitor -->"


@dataclass
class _Row:
    result: AsyncResult
    sent: float
    state: str = "PENDING"
    started: float | None = None
    finished: float | None = None
    outcome: str = ""
    name: str = ""
    history: list[str] = field(default_factory=lambda: ["PENDING"])


class TaskMonitor:
    def __init__(self, *results: AsyncResult, queue: str = "celery", cfg: Config | None = None):
        import ipywidgets as widgets

        self.cfg = cfg or Config.from_env()
        self.queue = queue
        self.rows: list[_Row] = []
        self._online: list[str] = []
        self._header = widgets.HTML(self._header_html(queue_length=0, workers=[]))
        self._table = widgets.HTML(self._table_html())
        self.widget = widgets.VBox([self._header, self._table])
        self._display_id: str | None = None
        for result in results:
            self.track(result)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        # the live widget, and beside it a static copy of the table for where no widget can
        # run (a notebook read on a code host): wait() updates that copy when it is done
        self._display_id = self._display_id or f"taskmonitor-{id(self):x}"
        display(self._bundle(), raw=True, display_id=self._display_id)

    def _bundle(self) -> dict:
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = "TaskMonitor (live in JupyterLab)"
        bundle["text/html"] = (
            f"<div>{STATIC_START}{self._header.value}<br>{self._table.value}{STATIC_END}</div>"
        )
        return bundle

    def _update_static_copy(self) -> None:
        if self._display_id is None:
            return
        from IPython.display import update_display

        update_display(self._bundle(), raw=True, display_id=self._display_id)

    def track(self, *results: AsyncResult) -> TaskMonitor:
        for result in results:
            self.rows.append(_Row(result, time.monotonic()))
        self._table.value = self._table_html()
        return self

    def refresh(self) -> None:
        """Read every unfinished task's state once, and the queue and the workers."""
        now = time.monotonic()
        for row in self.rows:
            if row.state in DONE:
                continue
            state = row.result.state
            if state != row.state:
                row.history.append(state)
                row.state = state
                row.name = row.result.name or ""  # stored with the state (result_extended)
            if state == "STARTED" and row.started is None:
                row.started = now
            if state in DONE:
                row.finished = now
                row.outcome = self._outcome(row.result)
        self._header.value = self._header_html(self._queue_length(), self._online)
        self._table.value = self._table_html()

    def wait(self, timeout: float = 30.0, interval: float = 0.1) -> None:
        """Update live until every tracked task is done, or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        done = threading.Event()
        # a ping takes a few hundred ms: ask who is online beside the loop, not in it
        pinger = threading.Thread(target=self._ping_workers, args=(done,), daemon=True)
        pinger.start()
        try:
            self.refresh()
            while any(r.state not in DONE for r in self.rows) and time.monotonic() < deadline:
                time.sleep(interval)
                self.refresh()
        finally:
            done.set()
            pinger.join(timeout=2)
        self.refresh()
        self._update_static_copy()
        print(self.summary())

    def summary(self) -> str:
        counts = Counter(r.state for r in self.rows)
        parts = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        unfinished = sum(r.state not in DONE for r in self.rows)
        tail = f" ({unfinished} still running: wait longer)" if unfinished else ""
        noun = "task" if len(self.rows) == 1 else "tasks"
        return f"{len(self.rows)} {noun}: {parts or 'none'}{tail}"

    @staticmethod
    def _outcome(result: AsyncResult) -> str:
        value = result.result
        if isinstance(value, BaseException):
            return f"{type(value).__name__}: {value}"
        return repr(value)

    def _queue_length(self) -> int:
        try:
            return int(clients.redis_client(self.cfg).llen(self.queue))
        except Exception:
            return -1

    def _ping_workers(self, done: threading.Event) -> None:
        while not done.is_set():
            self._online = clients.worker_pings(self.cfg, timeout=0.3)
            done.wait(0.5)

    def _header_html(self, queue_length: int, workers: list[str]) -> str:
        queue = "unknown (Redis down?)" if queue_length < 0 else f"{queue_length} waiting"
        online = ", ".join(workers) if workers else "none"
        return (
            f"<b>Queue</b> <code>{html.escape(self.queue)}</code>: {queue} &nbsp;·&nbsp; "
            f"<b>Workers online</b>: {html.escape(online)}"
        )

    def _table_html(self) -> str:
        if not self.rows:
            return "<i>No tasks tracked yet: mon.track(result)</i>"
        cell = 'style="padding:2px 10px;border-bottom:1px solid #e5e7eb;text-align:left"'
        head = "".join(
            f"<th {cell}>{title}</th>" for title in ("task", "name", "state", "runtime", "result")
        )
        body = []
        for row in self.rows:
            runtime = ""
            if row.started is not None:
                end = row.finished if row.finished is not None else time.monotonic()
                runtime = f"{end - row.started:.2f} s"
            elif row.finished is not None:  # too quick to be seen STARTED: a bound, from sending
                runtime = f"≤ {row.finished - row.sent:.2f} s"
            name = row.name
            colour = COLOURS.get(row.state, "#fff")
            state = f'<span style="background:{colour};padding:1px 6px;border-radius:4px">'
            body.append(
                f"<tr><td {cell}><code>{row.result.id[:8]}</code></td>"
                f"<td {cell}>{html.escape(name)}</td><td {cell}>{state}{row.state}</span></td>"
                f"<td {cell}>{runtime}</td><td {cell}>{html.escape(row.outcome[:80])}</td></tr>"
            )
        return f'<table style="border-collapse:collapse"><tr>{head}</tr>{"".join(body)}</table>'
