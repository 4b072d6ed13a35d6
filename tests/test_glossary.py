"""The glossary the lessons link to has every entry they link to."""

import json
import re

from classroom.config import ROOT


def _anchor(heading: str) -> str:
    """GitHub's and JupyterLab's anchor for a Markdown heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).strip().replace(" ", "-")


def test_every_glossary_link_in_a_lesson_finds_its_entry():
    glossary = (ROOT / "notebooks" / "GLOSSARY.md").read_text()
    anchors = {_anchor(h) for h in re.findall(r"^## (.+)$", glossary, re.M)}
    links = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            links += re.findall(r"GLOSSARY\.md#([\w-]+)", "".join(cell["source"]))
    assert links, "the lessons link to the glossary"
    assert sorted(set(links) - anchors) == []
