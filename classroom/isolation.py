"""A stack of its own for tests, benchmarks and `make notebooks`: a private run directory on
free ports, exported to this process's environment so that kernels and subprocesses find it.
It never touches the stack `make lab` runs."""

from __future__ import annotations

import os
from pathlib import Path

from .config import DEFAULT_PORTS, Config
from .ports import free_port


def isolated_config(run_dir: Path) -> Config:
    """A Config for a private stack in `run_dir`, and this process's environment set to it."""
    os.environ["CLASSROOM_RUN_DIR"] = str(run_dir)
    os.environ["CLASSROOM_WORKSPACE"] = str(run_dir / "workspace")  # never the learner's
    for name in DEFAULT_PORTS:
        os.environ[name] = str(free_port())
    os.environ.pop("CLASSROOM_REDIS_URL", None)
    cfg = Config.from_env()
    os.environ.update({k: v for k, v in cfg.env().items() if k != "PATH"})
    return cfg
