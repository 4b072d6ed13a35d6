"""`python -m classroom ...`: the same verbs as the Python API, for a terminal."""

from __future__ import annotations

import argparse
import json
import sys

from . import doctor, stack
from .config import Config
from .errors import ClassroomError
from .services import ALL


def _print_status(statuses: list[stack.ServiceStatus]) -> None:
    for s in statuses:
        mark = "✓" if s.ok else ("·" if s.state == "stopped" else "✗")
        pid = f"pid {s.pid}" if s.pid else ""
        what = ALL[s.name].description
        print(f"{mark} {s.name:<7} {s.state:<14} {s.address or '':<28} {pid:<10} {what}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m classroom", description="Run and check the Celery teaching kit's stack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="start what is missing and wait until it is ready")
    p.add_argument("services", nargs="*", metavar="service")
    p.add_argument("--beat", action="store_true", help="also start celery beat")
    p = sub.add_parser("down", help="stop the kit's processes")
    p.add_argument("services", nargs="*", metavar="service")
    sub.add_parser("status", help="what runs; exit 0 when redis, worker, flower and django answer")
    p = sub.add_parser("logs", help="the end of a service's log")
    p.add_argument("service", nargs="?", default="worker", choices=stack.LOGGED)
    p.add_argument("-n", "--lines", type=int, default=40)
    p = sub.add_parser("restart", help="stop a service and start it again")
    p.add_argument("service", choices=list(ALL))
    p = sub.add_parser("doctor", help="check everything a lesson needs, with fixes")
    p.add_argument("--json", action="store_true", help="machine-readable, for instructors")
    sub.add_parser("reset", help="stop everything and wipe the kit's Redis data, database, logs")
    p = sub.add_parser("progress", help="your exercises: solved, tried, not tried")
    p.add_argument("--json", action="store_true", help="machine-readable, for instructors")
    p = sub.add_parser("lab", help="start the stack and JupyterLab; Ctrl-C stops both")
    p.add_argument("--no-browser", action="store_true")
    p = sub.add_parser("bench", help="measure start-up, round trips and throughput")
    p.add_argument("--tasks", type=int, default=2000, help="tasks for the throughput run")
    p.add_argument("--rounds", type=int, default=300, help="round trips per configuration")
    args = parser.parse_args(argv)

    try:
        cfg = Config.from_env()
        if args.command == "up":
            statuses = stack.up(
                args.services or None, beat=args.beat, cfg=cfg, tie_to_parent=False, echo=print
            )
            print(
                f"Flower: {cfg.flower_url}   Django: {cfg.django_url}   "
                "stop: python -m classroom down"
            )
            return (
                0
                if all(s.ok for s in statuses if s.name in (args.services or stack.DEFAULT))
                else 1
            )
        if args.command == "down":
            stack.down(args.services or None, cfg=cfg, echo=print)
            return 0
        if args.command == "status":
            statuses = stack.status(cfg)
            _print_status(statuses)
            return 0 if stack.healthy(statuses) else 1
        if args.command == "logs":
            print(
                stack.logs(args.service, args.lines, cfg=cfg) or f"(no log yet for {args.service})"
            )
            return 0
        if args.command == "restart":
            stack.restart(args.service, cfg=cfg, tie_to_parent=False, echo=print)
            return 0
        if args.command == "doctor":
            checks = doctor.run(cfg)
            print(doctor.to_json(checks) if args.json else doctor.render(checks))
            return 0 if all(c.ok for c in checks) else 1
        if args.command == "progress":
            from . import progress

            rows = progress.table(cfg)
            print(json.dumps(rows, indent=1) if args.json else progress.render(rows))
            return 0
        if args.command == "reset":
            stack.reset(cfg=cfg, echo=print)
            return 0
        if args.command == "lab":
            from . import lab

            return lab.run(cfg, open_browser=not args.no_browser)
        if args.command == "bench":
            from . import bench

            return bench.run(tasks=args.tasks, rounds=args.rounds)
    except (ClassroomError, ValueError) as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2
