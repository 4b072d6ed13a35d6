"""Is a port free, and if not, who holds it."""

from __future__ import annotations

import random
import socket

import psutil


def in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Does something listen there? (A test bind would also count the TIME_WAIT sockets that
    a server leaves behind for a minute after it stops, and refuse a legitimate restart.)"""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _listener(port: int) -> psutil.Process | None:
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            try:
                return psutil.Process(conn.pid) if conn.pid else None
            except psutil.Error:
                return None
    return None


def holder(port: int) -> str | None:
    """'pid 123 (redis-server)' for the process listening on the port, when we may know it."""
    proc = _listener(port)
    if proc is None:
        return None
    try:
        return f"pid {proc.pid} ({proc.name()})"
    except psutil.Error:
        return f"pid {proc.pid}"


def command_line(port: int) -> str:
    proc = _listener(port)
    try:
        return " ".join(proc.cmdline()) if proc else ""
    except psutil.Error:
        return ""


def free_port() -> int:
    """A free port for a test or benchmark stack.

    Below Linux's ephemeral range (32768 and up), which the OS hands to outgoing
    connections: a port from there can be taken by a client socket between two starts.
    """
    for _ in range(200):
        port = random.randrange(20000, 32000)
        if not in_use(port):
            return port
    raise OSError("no free port found in 20000-32000")
