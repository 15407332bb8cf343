"""What is committed of a chapter is what a reader may open before running it.

Chapters are committed without outputs: anyone opening one on GitHub, on a hub or in Colab
sees the code and the prose, never numbers from another dataset, library or code version
(the published book executes them). The prose's ``{glue:}`` references must each be made
by a ``glue(...)`` call in the same chapter, so a renamed or removed figure is caught
here, before any kernel runs (the ``-W`` book build catches it again after executing).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
REFERENCE = re.compile(r"\{glue(?::\w*)?\}`([^`]+)`|```\{glue(?::\w*)?\}\s+(\S+)")
"""``{glue:text}`key``` in a line, or a ``{glue:figure} key`` directive."""
DEFINITION = re.compile(r"""\bglue\(\s*(f?)(["'])(.+?)\2""")
"""The key of a ``glue("key", ...)`` call, or its f-string pattern."""


def defined_keys(nb: nbformat.NotebookNode) -> list[re.Pattern[str]]:
    """The keys the chapter's code glues, as patterns (an f-string's fields match anything)."""
    patterns = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for is_f, _, key in DEFINITION.findall(cell.source):
            parts = re.split(r"\{[^}]*\}", key) if is_f else [key]
            patterns.append(re.compile(".+".join(re.escape(p) for p in parts)))
    return patterns


def referenced_keys(nb: nbformat.NotebookNode) -> set[str]:
    """The keys the chapter's Markdown shows."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for inline, directive in REFERENCE.findall(cell.source):
                found.add((inline or directive).split(":")[0].strip())
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    stale = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]  # fmt: skip
    assert stale == [], (
        f"{path.name}: cells {stale} hold outputs from a run; clear them before committing "
        f"(`jupyter nbconvert --clear-output --inplace book/{path.name}`)"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_glue_reference_is_glued_by_the_chapter(path: Path):
    nb = nbformat.read(path, as_version=4)
    patterns = defined_keys(nb)
    missing = sorted(k for k in referenced_keys(nb) if not any(p.fullmatch(k) for p in patterns))
    assert missing == [], f"{path.name} shows glue keys its code never glues: {missing}"


def test_the_patterns_find_references_and_definitions():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("{glue:text}`ch9_a` and {glue:}`ch9_b_3`\n"
                                      "```{glue:figure} ch9_fig\n:name: f\n```"),
        nbformat.v4.new_code_cell('glue("ch9_a", 1)\nfor k in ks:\n    glue(f"ch9_b_{k}", k)'),
    ])  # fmt: skip
    assert referenced_keys(nb) == {"ch9_a", "ch9_b_3", "ch9_fig"}
    patterns = defined_keys(nb)
    assert [bool(any(p.fullmatch(k) for p in patterns)) for k in ("ch9_a", "ch9_b_3", "ch9_fig")
            ] == [True, True, False]  # fmt: skip
