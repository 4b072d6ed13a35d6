"""`make lab`: start the stack, serve JupyterLab, and stop all of it on Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from . import lablink, ports, procs, stack
from .config import ROOT, Config
from .errors import PortInUse, ServiceFailed
from .workspace import check_learner_folders

FIRST_LESSON = "notebooks/00_setup_check.ipynb"
READY_TIMEOUT = 60.0


def _interrupt(signum, frame):  # SIGTERM and SIGHUP end the lab as Ctrl-C does
    raise KeyboardInterrupt


def _lab_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=0.5) as response:
            return response.status == 200
    except OSError:
        return False


def _has_display() -> bool:
    return sys.platform != "linux" or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _quiet_lab() -> None:
    """No "get notified about Jupyter news?" pop-up in a classroom: it fetches from the web."""
    overrides = Path(sys.prefix, "share", "jupyter", "lab", "settings", "overrides.json")
    if not overrides.exists():
        overrides.parent.mkdir(parents=True, exist_ok=True)
        quiet = {"fetchNews": "false", "checkForUpdates": False}
        settings = {"@jupyterlab/apputils-extension:notification": quiet}
        overrides.write_text(json.dumps(settings, indent=2))


def run(cfg: Config, open_browser: bool = True) -> int:
    # before anything starts, not at the learner's first save
    check_learner_folders(cfg)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    if ports.in_use(cfg.lab_port):
        raise PortInUse("JupyterLab", cfg.lab_port, "LAB_PORT", ports.holder(cfg.lab_port))
    jupyter = None
    server: lablink.LabServer | None = None
    try:
        print("Starting the stack (Redis, a Celery worker, Flower, Django)…", flush=True)
        stack.up(cfg=cfg, tie_to_parent=True, echo=lambda line: print(line, flush=True))
        # From now on, kernels and terminals ask the lab to start, stop and restart services
        server = lablink.LabServer(cfg, lambda verb, args, say: _serve(cfg, verb, args, say))
        _quiet_lab()
        token = secrets.token_hex(16)
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            f"--ip={cfg.listen}", f"--port={cfg.lab_port}", "--port-retries=0",
            f"--ServerApp.root_dir={ROOT}", f"--IdentityProvider.token={token}",
            f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}",
        ]  # fmt: skip
        if not (open_browser and _has_display()):
            cmd.append("--no-browser")
        if os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses without this
            cmd.append("--allow-root")
        print("Starting JupyterLab…", flush=True)
        jupyter = procs.spawn(
            "lab",
            cmd,
            log=cfg.log_file("lab"),
            env={**os.environ, **cfg.env()},
            cwd=ROOT,
            tie_to_parent=True,
        )
        lab_log = cfg.log_file("lab")
        deadline = time.monotonic() + READY_TIMEOUT
        while not _lab_answers(cfg.lab_port):
            if not jupyter.is_alive():
                raise ServiceFailed("lab", "exited during start-up", lab_log, procs.tail(lab_log))
            if time.monotonic() > deadline:
                why = f"did not answer within {READY_TIMEOUT:.0f} s"
                raise ServiceFailed("lab", why, lab_log, procs.tail(lab_log))
            server.serve(0.2)
        url = f"{cfg.lab_url}/tree/{FIRST_LESSON}?token={token}"
        print(
            "\nThe Celery teaching kit is ready.\n"
            f"  JupyterLab  {url}\n"
            f"  Flower      {cfg.flower_url}\n"
            f"  Django      {cfg.django_url}\n"
            f"  Logs        {cfg.log_dir}\n"
            "Press Ctrl-C to stop everything.",
            flush=True,
        )
        while jupyter.is_alive():
            server.serve(0.5)
        print(f"JupyterLab exited; its log: {cfg.log_file('lab')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how the lab is meant to stop
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut cleanup short
        print("\nStopping…", flush=True)
        if server is not None:
            server.close()
        if jupyter is not None:
            _stop_jupyter(jupyter, cfg)
        _stop_what_the_lab_started(cfg)


def _serve(cfg: Config, verb: str, args: dict, reply) -> None:
    """A kernel's or a terminal's request: done here, so the services belong to the lab.
    What happens is shown in the lab's terminal too."""

    def say(line: str) -> None:
        print(line, flush=True)
        reply(line)

    timeout = float(args.get("timeout") or stack.START_TIMEOUT)
    if verb == "up":
        stack.up(
            args.get("names"),
            cfg=cfg,
            tie_to_parent=True,
            timeout=timeout,
            echo=say,
            reconnect=bool(args.get("reconnect")),
        )
    elif verb == "down":
        stack.down(args.get("names"), cfg=cfg, timeout=timeout, echo=say)
    elif verb == "restart":
        stack.restart(str(args.get("name")), cfg=cfg, tie_to_parent=True, echo=say)


def _stop_what_the_lab_started(cfg: Config) -> None:
    """The services this lab started stop with it; those it found running (started by
    `python -m classroom up`) keep running, as the README says."""
    say = lambda line: print(line, flush=True)  # noqa: E731
    records = procs.Registry(cfg.state_file).load()
    mine = [n for n, r in records.items() if r.tied_to_parent and r.parent_pid == os.getpid()]
    if mine:
        stack.down(mine, cfg=cfg, echo=say)
    kept = [s.name for s in stack.status(cfg) if s.pid and s.name not in mine]
    if kept:
        say(
            f"Still running, as `python -m classroom up` started them: {', '.join(kept)}. "
            "Stop them with `python -m classroom down`."
        )


def _stop_jupyter(jupyter: procs.ProcessRecord, cfg: Config) -> None:
    """JupyterLab, then its kernels and terminals (each kernel leads its own session)."""
    try:
        descendants = psutil.Process(jupyter.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    procs.stop([jupyter], cfg.run_dir, timeout=5.0)
    for proc in descendants:
        with contextlib.suppress(psutil.Error, OSError):
            proc.kill()
