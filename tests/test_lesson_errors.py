"""In a lesson, a broker error shows the kit's one-line fix first, and Celery's long chained
traceback only on request (%tb)."""

from __future__ import annotations

import os


def _run(client, code: str) -> list[dict]:
    seen: list[dict] = []
    client.execute_interactive(code, timeout=60, output_hook=seen.append)
    return [m for m in seen if m["msg_type"] in ("stream", "error")]


def test_delay_with_redis_down_shows_the_fix_first_and_the_traceback_on_request(private_stack):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(
        kernel_name="python3", env={**os.environ, **private_stack.env()}
    )
    try:
        _run(client, "from classroom.lesson import setup\nsetup()\n")
        shown = _run(
            client,
            "from classroom import stack\nfrom calc.tasks import add\n"
            "stack.down(['redis'])\nadd.delay(1, 2)\n",
        )
        first_error = next(
            i for i, m in enumerate(shown)
            if m["msg_type"] == "error" or m["content"].get("name") == "stderr"
        )  # fmt: skip
        assert "✗ Redis is not answering" in shown[first_error]["content"].get("text", "")
        assert "python -m classroom up" in shown[first_error]["content"]["text"]
        tracebacks = [m["content"]["traceback"] for m in shown if m["msg_type"] == "error"]
        assert tracebacks and sum(len(t) for t in tracebacks) <= 3  # the error, not its chain
        assert "%tb" in "".join(tracebacks[0])  # IPython says how to see the whole chain
        full = _run(client, "%tb")
        lines = sum(
            len(m["content"].get("traceback") or m["content"].get("text", "").splitlines())
            for m in full
        )
        assert lines > 20  # the whole chain, when asked for
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
