"""For lesson authors: `make notebooks` executes every lesson against a private stack and
normalizes it, so that the committed outputs are exactly what nbval checks in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from . import stack
from .config import DEFAULT_PORTS, ROOT, Config
from .isolation import isolated_config

NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 60


# One kernel name in every lesson, as JupyterLab writes it: opening a lesson changes nothing.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def as_a_learner_sees_it(text: str, cfg: Config) -> str:
    """The authoring stack's ports and paths, as a learner's `make lab` shows them: the
    default ports, `.run/` for the run directory, paths relative to the kit."""
    for port, default in (
        (cfg.redis_port, DEFAULT_PORTS["REDIS_PORT"]),
        (cfg.flower_port, DEFAULT_PORTS["FLOWER_PORT"]),
        (cfg.django_port, DEFAULT_PORTS["DJANGO_PORT"]),
        (cfg.lab_port, DEFAULT_PORTS["LAB_PORT"]),
    ):
        text = re.sub(rf"((?:127\.0\.0\.1|localhost):|port ){port}\b", rf"\g<1>{default}", text)
    text = text.replace(str(cfg.workspace), "workspace").replace(str(cfg.run_dir), ".run")
    return text.replace(str(ROOT) + os.sep, "").replace(str(ROOT), ".")


def _rewrite(output, cfg: Config) -> None:
    for key in ("text", "evalue", "traceback"):
        if key in output:
            value = output[key]
            output[key] = (
                [as_a_learner_sees_it(v, cfg) for v in value]
                if isinstance(value, list)
                else as_a_learner_sees_it(value, cfg)
            )
    for kind, value in output.get("data", {}).items():
        if kind.startswith("text/"):
            output["data"][kind] = (
                [as_a_learner_sees_it(v, cfg) for v in value]
                if isinstance(value, list)
                else as_a_learner_sees_it(value, cfg)
            )


def normalize(nb, cfg: Config | None = None) -> None:
    """No widget state, no timing metadata: the diff of a re-run shows only real changes.
    With the authoring stack's `cfg`, outputs show what a learner will see (ports, paths)."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    count = 0
    for cell in nb.cells:
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
                output.get("metadata", {}).pop("application/vnd.jupyter.widget-view+json", None)
                if cfg is not None:
                    _rewrite(output, cfg)


def execute(paths: list[Path]) -> None:
    import nbformat
    from nbclient import NotebookClient

    cfg = isolated_config(Path(tempfile.mkdtemp(prefix="classroom-notebooks-")))
    try:
        stack.up(cfg=cfg, echo=print)
        for path in paths:
            print(f"executing {path}", flush=True)
            stack.up(cfg=cfg)  # mend what the previous lesson's kernel took down with it
            nb = nbformat.read(path, as_version=4)
            NotebookClient(
                nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()  # fmt: skip
            normalize(nb, cfg)
            nbformat.write(nb, path)
    finally:
        stack.down(cfg=cfg)
        shutil.rmtree(cfg.run_dir, ignore_errors=True)


if __name__ == "__main__":
    chosen = [Path(p).resolve() for p in sys.argv[1:]] or sorted(NOTEBOOKS.glob("*.ipynb"))
    execute(chosen)
