"""For lesson authors: `make notebooks` executes every lesson against a private stack and
normalizes it, so that the committed outputs are exactly what nbval checks in CI.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from . import stack
from .config import ROOT
from .isolation import isolated_config

NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 60


def normalize(nb) -> None:
    """No widget state, no timing metadata: the diff of a re-run shows only real changes."""
    nb.metadata.pop("widgets", None)
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
            normalize(nb)
            nbformat.write(nb, path)
    finally:
        stack.down(cfg=cfg)
        shutil.rmtree(cfg.run_dir, ignore_errors=True)


if __name__ == "__main__":
    chosen = [Path(p).resolve() for p in sys.argv[1:]] or sorted(NOTEBOOKS.glob("*.ipynb"))
    execute(chosen)
