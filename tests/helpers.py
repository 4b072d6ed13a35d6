"""Small helpers the tests share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from classroom.config import APP_DIR, Config


def run_client(cfg: Config, code: str, timeout: float = 60) -> dict:
    """Run `code` in a fresh Python configured for `cfg`'s stack; it prints one JSON line last.

    A separate process, because the Celery app reads its broker URL once, at import.
    """
    prelude = "import json, time\nimport django\ndjango.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env={**os.environ, **cfg.env()},
        cwd=APP_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
