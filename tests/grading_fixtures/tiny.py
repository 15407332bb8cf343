"""A tiny nbgrader assignment (no scanpy) and submissions of it, for fast pipeline tests.

The assignment has two answers and two test cells: ``test_answer`` (2 points, with a
hidden test, and it writes a library-style warning to stderr itself) and ``test_double``
(1 point). Each submission comes with the score it must get; the scores are sums of the
points of the test cells it passes, read from the source notebook.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

ASSIGNMENT = "00_tiny"
HIDDEN_CHECK = "isinstance(answer, int)"
"""Source text of the hidden test; it must never reach a feedback page."""
HIDDEN_MESSAGE = "answer should be a whole number"
"""The hidden test's failure message (students may see it)."""
MEMORY_LIMIT = "1G"
"""The grading kernel's cap in these tests; :data:`HOG_BYTES` is far above it."""
HOG_BYTES = 3 * 1024**3
"""Bytes of a lazily zero-filled array (``calloc``): instant and untouched without a cap,
a ``MemoryError`` with one."""
TIMEOUT = 5
"""Per-cell timeout of these tests (every honest cell takes well under a second)."""
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

_LOOP = "import time\nwhile True:\n    time.sleep(0.1)"
HOG = f"import numpy as np\nhog = np.zeros({HOG_BYTES}, dtype=np.uint8)"
"""Student code allocating :data:`HOG_BYTES`."""


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, points: float = 0):
    meta = {
        "grade_id": grade_id,
        "solution": solution,
        "grade": grade,
        "locked": not solution,
        "schema_version": 3,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    """The instructor's version of the assignment, with solutions and a hidden test."""
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(
            "# Tiny exercise\nSet `answer` to 42, then `double` to twice it.",
            metadata=_meta("intro"),
        ),
        v4.new_code_cell(
            "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
            metadata=_meta("answer", solution=True),
        ),
        v4.new_code_cell(
            "import warnings\n"
            'warnings.warn("the default of some option will change", FutureWarning)\n'
            'assert answer == 42, "answer should be 42"\n'
            "### BEGIN HIDDEN TESTS\n"
            f'assert {HIDDEN_CHECK}, "{HIDDEN_MESSAGE}"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_answer", grade=True, points=2),
        ),
        v4.new_code_cell(
            "### BEGIN SOLUTION\ndouble = 2 * answer\n### END SOLUTION",
            metadata=_meta("double", solution=True),
        ),
        v4.new_code_cell(
            'assert double == 84, "double should be twice answer"',
            metadata=_meta("test_double", grade=True, points=1),
        ),
    ]
    return v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def points() -> dict[str, float]:
    """Points of each test cell, from the source notebook."""
    return {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
        for c in source_notebook().cells
        if c.metadata["nbgrader"]["grade"]
    }


def write_source(solutions: Path) -> Path:
    """Write the source notebook as ``<solutions>/00_tiny/00_tiny.ipynb``."""
    path = solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), path)
    return path


def _set(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata["nbgrader"]["grade_id"] == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def solved(answer: str = "answer = 42", double: str = "double = 2 * answer"):
    """A student's notebook (no hidden test) with the two answers filled in."""
    nb = source_notebook()
    visible = nb.cells[2].source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
    nb = _set(nb, "test_answer", visible)
    return _set(_set(nb, "answer", answer), "double", double)


def submissions() -> dict[str, tuple[nbformat.NotebookNode | bytes, float]]:
    """Submissions by student: ``(notebook, or raw bytes, expected score)``."""
    pts = points()
    full = sum(pts.values())
    deleted = solved()
    deleted.cells = [
        c for c in deleted.cells if c.metadata["nbgrader"]["grade_id"] != "test_double"
    ]
    # right answer only when run under a memory cap: proves the course kernel was forced
    capped = (
        "import resource\n"
        "soft, _ = resource.getrlimit(resource.RLIMIT_AS)\n"
        "answer = 42 if soft != resource.RLIM_INFINITY else 0"
    )
    wrong_kernel = solved(answer=capped)
    wrong_kernel.metadata.kernelspec = {"name": "ir", "display_name": "R", "language": "R"}
    stderr = "import sys\nprint('WARNING: some library noise', file=sys.stderr)\nanswer = 42"
    # in its own kernel each of these would pass every test cell; judged outside, they cannot
    agreeable = (
        "class Agreeable(int):\n    __eq__ = lambda self, other: True\nanswer = Agreeable(41)"
    )
    shadowed = "int = float\nanswer = 42.0"
    replaced = "import statistics\nstatistics.mean = lambda data: 0\nanswer = 42"
    error_first = solved()
    error_first.cells.insert(0, v4_code("import a_module_that_does_not_exist"))
    huge = "double = 84\nprint('x' * 10**7)\nfor i in range(5000):\n    print(i)"
    return {
        "correct": (solved(), full),
        "float_answer": (solved(answer="answer = 42.0"), pts["test_double"]),  # hidden test
        "blank": (solved("raise NotImplementedError()", "raise NotImplementedError()"), 0),
        "looping": (solved(double="double = 84\n" + _LOOP), full),
        "tampered": (_set(solved(answer="answer = 41"), "test_answer", "pass"), 0),
        "deleted_test": (deleted, full),
        "wrong_kernel": (wrong_kernel, full),
        "corrupt": (b'{"cells": [', 0),
        "memory_hog": (solved(double=f"double = 84\n{HOG}"), full),
        "kernel_death": (solved(double="import os\nos._exit(1)"), 0),
        "huge_output": (solved(double=huge), full),
        "stderr_answer": (solved(answer=stderr), full),
        "agreeable_object": (solved(answer=agreeable), 0),
        "shadows_int": (solved(answer=shadowed), pts["test_double"]),
        "replaces_function": (solved(answer=replaced), full),
        "error_outside_tests": (error_first, full),
    }


def v4_code(source: str) -> nbformat.NotebookNode:
    """A code cell a student added (no nbgrader metadata)."""
    return nbformat.v4.new_code_cell(source)


def write(nb: nbformat.NotebookNode | bytes, path: Path) -> None:
    """Write a notebook, or raw bytes for a corrupt one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    else:
        nbformat.write(nb, path)


def write_flat(folder: Path, subs: dict) -> None:
    """Write submissions as ``<folder>/<student>.ipynb``."""
    for student, (nb, _) in subs.items():
        write(nb, folder / f"{student}.ipynb")


def write_nbgrader(folder: Path, subs: dict, assignment: str = ASSIGNMENT) -> None:
    """Write submissions in nbgrader's ``<folder>/submitted/<student>/<assignment>/`` layout."""
    for student, (nb, _) in subs.items():
        path = folder / "submitted" / student / assignment / f"{assignment}.ipynb"
        write(nb, path)
        (path.parent / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
