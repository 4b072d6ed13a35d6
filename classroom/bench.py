"""`make bench`: the kit's start-up and round trips, measured in one run on one Redis.

Figures from a shared machine are noisy: compare the ratios within a run, not runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import procs, stack
from .clients import redis_client
from .config import ROOT
from .isolation import isolated_config
from .plots import percentile

TARGET_STACK_UP = 3.0  # seconds
TARGET_FRESH_LAB = 30.0  # seconds from `git clone` to a ready lab, with warm package caches
FRESH_LAB_BOUND = 300.0
TARGET_RATIO = 1.1  # kit p50 / plain p50


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _gallery(cfg, uploads: int) -> tuple[list[float], list[float], list[float]]:
    """Uploads over HTTP: (POST seconds, seconds from the POST to the thumbnail's SUCCESS,
    make_thumbnail's runtime on the worker, read from its log)."""
    import re

    from celery.result import AsyncResult

    from . import samples
    from .web import Browser

    browser = Browser(cfg.django_url)
    picture = samples.photo(4000, 3000)
    browser.upload("/gallery/", "original", "warm.jpg", picture)  # imports, connections
    posts, ready, ids = [], [], []
    for n in range(uploads):
        start = time.perf_counter()
        seconds, status, answer = browser.upload("/gallery/", "original", f"b{n}.jpg", picture)
        assert status == 202, answer
        result = AsyncResult(answer["task"])
        deadline = time.monotonic() + 30
        while not result.ready() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert result.successful(), result.state
        posts.append(seconds)
        ready.append(time.perf_counter() - start)
        ids.append(answer["task"])
    time.sleep(0.5)  # the worker logs a moment after it stores the result
    log = cfg.log_file("worker").read_text()
    runtimes = [
        float(m.group(1))
        for task_id in ids
        if (m := re.search(rf"{task_id}\] succeeded in ([\d.]+)s", log))
    ]
    return posts, ready, runtimes


def _fresh_clone_lab() -> tuple[float, float]:
    """A fresh clone of the committed HEAD and its `make lab`, timed as a new user would see it:
    (seconds until the lab says it is ready, of which the install). The package caches are
    warm, since this kit was installed from them. Ctrl-C ends the lab, as it would a learner's."""
    import selectors
    import shutil
    import signal
    import subprocess

    from .ports import free_port

    work = Path(tempfile.mkdtemp(prefix="classroom-bench-clone-"))
    kit = work / "kit"
    venv_bin = str(Path(sys.prefix, "bin"))
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("CLASSROOM_") and k not in ("VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY")
    }  # fmt: skip
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PYTHON"] = getattr(sys, "_base_executable", None) or "python3"
    for name in ("REDIS_PORT", "FLOWER_PORT", "DJANGO_PORT", "LAB_PORT"):
        env[name] = str(free_port())
    lab = None
    try:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(kit)], check=True, timeout=120)
        start = time.perf_counter()
        lab = subprocess.Popen(
            ["make", "lab", "LAB_ARGS=--no-browser"], cwd=kit, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        installed = ready = None
        lines, pending = [], b""
        deadline = time.monotonic() + FRESH_LAB_BOUND
        with selectors.DefaultSelector() as sel:
            sel.register(lab.stdout, selectors.EVENT_READ)
            while ready is None:
                left = deadline - time.monotonic()
                chunk = os.read(lab.stdout.fileno(), 65536) if sel.select(max(left, 0)) else b""
                if not chunk:  # the bound passed, or make exited
                    tail = "\n".join(lines[-20:])
                    raise RuntimeError(f"the fresh clone's make lab never got ready:\n{tail}")
                *done, pending = (pending + chunk).split(b"\n")
                for raw in done:
                    line = raw.decode(errors="replace")
                    lines.append(line)
                    if installed is None and line.startswith("Starting the stack"):
                        installed = time.perf_counter() - start
                    if "teaching kit is ready" in line:
                        ready = time.perf_counter() - start
        return ready, installed or ready
    finally:
        if lab is not None and lab.poll() is None:
            os.killpg(lab.pid, signal.SIGINT)  # Ctrl-C, as a learner ends the lab
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def run(tasks: int = 2000, rounds: int = 300) -> int:
    print("a fresh clone's make lab, with warm package caches…", flush=True)
    fresh_lab, fresh_install = _fresh_clone_lab()
    run_dir = Path(tempfile.mkdtemp(prefix="classroom-bench-"))
    cfg = isolated_config(run_dir)
    plain_worker = None
    print(f"bench stack in {run_dir}, Redis on 127.0.0.1:{cfg.redis_port}", flush=True)
    try:
        ups = []
        for _ in range(3):
            start = time.perf_counter()
            stack.up(cfg=cfg)
            ups.append(time.perf_counter() - start)
            stack.down(cfg=cfg)
        stack.up(cfg=cfg)
        worker_ready, worker_stop, worker_restart = [], [], []
        for _ in range(3):
            start = time.perf_counter()
            stack.down(["worker"], cfg=cfg)
            worker_stop.append(time.perf_counter() - start)
            start = time.perf_counter()
            stack.up(["worker"], cfg=cfg)
            worker_ready.append(time.perf_counter() - start)
        for _ in range(3):
            start = time.perf_counter()
            stack.restart("worker", cfg=cfg)
            worker_restart.append(time.perf_counter() - start)

        plain_worker = procs.spawn(
            "plain-worker",
            [sys.executable, "-m", "celery", "-A", "classroom.bench_plain", "worker",
             "-l", "warning", "-Q", "plain", "-n", "plain@%h", "-c", "2",
             "--without-mingle", "--without-gossip"],
            log=cfg.log_file("plain-worker"),
            env={**os.environ, **cfg.env(), "CLASSROOM_BENCH_URL": cfg.redis_url},
            cwd=ROOT,
            tie_to_parent=True,
        )  # fmt: skip
        os.environ["CLASSROOM_BENCH_URL"] = cfg.redis_url
        import django

        django.setup()
        from calc.tasks import add as kit_add

        from .bench_plain import add as plain_add

        # warm both paths (connections, the plain worker's start) before measuring
        deadline = time.monotonic() + 30
        while True:
            try:
                plain_add.delay(1, 1).get(timeout=2)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
        for _ in range(20):
            kit_add.delay(1, 1).get(timeout=10)
            plain_add.delay(1, 1).get(timeout=10)

        kit, plain = [], []
        for _ in range(rounds):  # interleaved, so that noise hits both alike
            start = time.perf_counter()
            kit_add.delay(1, 2).get(timeout=10)
            kit.append(time.perf_counter() - start)
            start = time.perf_counter()
            plain_add.delay(1, 2).get(timeout=10)
            plain.append(time.perf_counter() - start)

        client = redis_client(cfg)
        pings = []
        for _ in range(rounds):
            start = time.perf_counter()
            client.ping()
            pings.append(time.perf_counter() - start)

        start = time.perf_counter()
        results = [kit_add.delay(i, i) for i in range(tasks)]
        sent = time.perf_counter() - start
        for i, result in enumerate(results):
            assert result.get(timeout=60) == 2 * i
        total = time.perf_counter() - start

        posts, ready, runtimes = _gallery(cfg, uploads=10)
    finally:
        if plain_worker:
            procs.stop([plain_worker], cfg.run_dir)
        stack.down(cfg=cfg)

    up_p50 = statistics.median(ups)
    ratio = statistics.median(kit) / statistics.median(plain)
    rows = [
        ("fresh clone: make lab until ready", f"{fresh_lab:.1f} s",
         f"of which the install {fresh_install:.1f} s; target ≤ {TARGET_FRESH_LAB:.0f} s: "
         f"{'met' if fresh_lab <= TARGET_FRESH_LAB else 'MISSED'}"),
        ("stack up, cold (median of 3)", f"{up_p50:.2f} s",
         f"target ≤ {TARGET_STACK_UP:.0f} s: {'met' if up_p50 <= TARGET_STACK_UP else 'MISSED'}"),
        ("worker ready (median of 3)", f"{statistics.median(worker_ready):.2f} s", ""),
        ("worker warm stop, idle (median of 3)", f"{statistics.median(worker_stop):.2f} s", ""),
        ("stack.restart('worker') (median of 3)", f"{statistics.median(worker_restart):.2f} s",
         ""),
        ("Redis PING round trip p50 (the floor)", _ms(statistics.median(pings)), ""),
        ("delay().get() p50, kit settings", _ms(statistics.median(kit)),
         f"p95 {_ms(percentile(kit, 95))}"),
        ("delay().get() p50, plain Celery", _ms(statistics.median(plain)),
         f"p95 {_ms(percentile(plain, 95))}"),
        ("kit / plain p50 ratio", f"{ratio:.2f}",
         f"target ≤ {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'MISSED'}"),
        (f"throughput, {tasks} tiny tasks", f"{tasks / total:.0f} tasks/s",
         f"sent in {sent:.2f} s, all done in {total:.2f} s"),
        ("gallery: upload POST p50, 4000 × 3000 JPEG", _ms(statistics.median(posts)),
         f"p95 {_ms(percentile(posts, 95))}"),
        ("gallery: make_thumbnail on the worker p50", _ms(statistics.median(runtimes)),
         "its runtime, from the worker's log"),
        ("gallery: upload to thumbnail ready p50", _ms(statistics.median(ready)),
         f"the page answered in {statistics.median(posts) / statistics.median(ready):.0%} of it"),
    ]  # fmt: skip
    print(f"\n{rounds} interleaved round trips per configuration, one worker each (prefork, -c 2)")
    for name, value, note in rows:
        print(f"  {name:<40} {value:>12}   {note}")
    return 0
