"""Every chapter starts with a cell that installs the course library where it is missing.

Launch buttons open a chapter on Colab or a fresh Binder, where ``course_lib`` is not
installed; the chapter's first code cell (tagged ``course-setup``, removed from the book's
pages) installs it from the course repository and does nothing where it is installed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.key_figures import SETUP_TAG

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def setup_cell(chapter: Path) -> dict:
    cells = json.loads(chapter.read_text())["cells"]
    return next(c for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_setup_cell(chapter):
    tags = setup_cell(chapter)["metadata"].get("tags", [])
    assert SETUP_TAG in tags and "remove-cell" in tags, (
        f"{chapter.name}: the first code cell must be the course-setup cell (tags {tags})"
    )


def test_every_chapter_has_the_same_setup_cell():
    sources = {chapter.name: "".join(setup_cell(chapter)["source"]) for chapter in CHAPTERS}
    assert len(set(sources.values())) == 1, "the chapters' setup cells differ: make them one"


@pytest.mark.parametrize("installed", [True, False], ids=["installed", "missing"])
def test_setup_cell_installs_only_where_the_library_is_missing(installed, monkeypatch):
    """Run on the first chapter's cell; the test above makes every chapter's the same."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: calls.append(argv))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: real_find_spec(name, *a) if installed or name != "course_lib" else None,
    )
    exec("".join(setup_cell(CHAPTERS[0])["source"]), {})
    if installed:
        assert calls == []
    else:
        assert len(calls) == 1 and calls[0][1:4] == ["-m", "pip", "install"]
        assert f"git+{REPOSITORY}@main" in calls[0][-1], calls[0]
