"""Under `make lab`, the services belong to the lab, not to whichever kernel last restarted them.

The lab's process listens on a loopback port, and writes where (with a secret token) in
`lab.json` in the run directory. `stack.up`, `stack.down` and `stack.restart`, called from a
kernel or a terminal of the same run directory, send the request there: the lab starts the
services, tied to itself, so a kernel that restarts or dies takes nothing with it, and Ctrl-C
in the lab's terminal stops them all. Without a lab, each caller does the work itself.

The lab serves requests one at a time, in its main thread: a service's PR_SET_PDEATHSIG fires
when the thread that started it ends, and the main thread lives as long as the lab.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from . import procs
from .config import Config
from .errors import ClassroomError

CONNECT_TIMEOUT = 2.0
# A request may start Redis, the worker, Flower and Django, and stop them first: bounded by
# the stack's own start and stop bounds, with room to spare.
REQUEST_TIMEOUT = 180.0
VERBS = ("up", "down", "restart")


def _info_path(cfg: Config) -> Path:
    return cfg.run_dir / "lab.json"


@dataclass(frozen=True)
class LabLink:
    """Where the running lab of a run directory takes requests."""

    pid: int
    port: int
    token: str

    def ask(self, verb: str, say: Callable[[str], None], **args: Any) -> None:
        """Have the lab do `verb`; its progress lines go to `say`. Raises its error."""
        request = json.dumps({"token": self.token, "verb": verb, **args}) + "\n"
        try:
            conn = socket.create_connection(("127.0.0.1", self.port), timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise ClassroomError(
                f"The lab (pid {self.pid}) did not take the request `{verb}`: {exc}. Is "
                "`make lab` still running? If not, run `python -m classroom up`."
            ) from None
        with conn, conn.makefile("rwb") as stream:
            conn.settimeout(REQUEST_TIMEOUT)
            stream.write(request.encode())
            stream.flush()
            for raw in stream:
                reply = json.loads(raw)
                if "say" in reply:
                    say(reply["say"])
                elif "error" in reply:
                    raise ClassroomError(reply["error"])
                else:
                    return
        raise ClassroomError(f"The lab (pid {self.pid}) closed the connection during `{verb}`.")


def find(cfg: Config) -> LabLink | None:
    """The lab that serves this run directory, if one runs and it is not this process."""
    try:
        info = json.loads(_info_path(cfg).read_text())
        pid, created = int(info["pid"]), float(info["create_time"])
        link = LabLink(pid=pid, port=int(info["port"]), token=str(info["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid():
        return None  # the lab itself does the work
    try:
        if abs(psutil.Process(pid).create_time() - created) > procs.START_TIME_SLACK:
            return None  # a lab that died without cleaning up; its pid reused
    except psutil.Error:
        return None
    return link


class LabServer:
    """The lab's side: a loopback listener that runs each request with `handle`."""

    def __init__(self, cfg: Config, handle: Callable[[str, dict, Callable[[str], None]], None]):
        self.cfg = cfg
        self.handle = handle
        self.token = secrets.token_hex(16)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        info = {
            "pid": os.getpid(),
            "create_time": psutil.Process().create_time(),
            "port": self.sock.getsockname()[1],
            "token": self.token,
        }
        path = _info_path(cfg)
        tmp = path.with_suffix(".tmp")
        # only this user may read the token
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(info, out)
        tmp.replace(path)

    def serve(self, seconds: float) -> None:
        """Answer the requests that arrive within `seconds` (then return)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not self.selector.select(timeout=left):
                return
            with contextlib.suppress(BlockingIOError):
                conn, _ = self.sock.accept()
                with conn:
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        conn.settimeout(REQUEST_TIMEOUT)
        with conn.makefile("rwb") as stream:

            def send(message: dict) -> None:
                with contextlib.suppress(OSError):  # the asker may be gone: do the work anyway
                    stream.write((json.dumps(message) + "\n").encode())
                    stream.flush()

            try:
                request = json.loads(stream.readline() or b"{}")
            except (OSError, ValueError):
                return
            if not secrets.compare_digest(str(request.get("token", "")), self.token):
                send({"error": "The lab refused a request without its token."})
                return
            verb = request.get("verb")
            if verb not in VERBS:
                send({"error": f"The lab knows {', '.join(VERBS)}; not {verb!r}."})
                return
            try:
                self.handle(verb, request, lambda line: send({"say": line}))
            except (ClassroomError, ValueError) as exc:
                send({"error": str(exc)})
                return
            except Exception as exc:  # a bug must not take the lab down with it
                send({"error": f"The lab failed on `{verb}`: {exc!r}"})
                return
            send({"ok": True})

    def close(self) -> None:
        with contextlib.suppress(OSError):
            info = json.loads(_info_path(self.cfg).read_text())
            if info.get("pid") == os.getpid():
                _info_path(self.cfg).unlink()
        self.selector.close()
        self.sock.close()
