"""The student release ``exercises/`` is up to date with ``solutions/`` and leaks nothing.

``exercises/`` is generated with nbgrader (``nbgrader generate_assignment <name> --force
--no-db`` from the repository root); these tests regenerate it into a temporary folder and
compare, so editing a solution without regenerating fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").exists())

# What must never reach students: solutions and hidden tests.
LEAKS = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|HIDDEN TESTS")
TRUTH = re.compile(r"lineage_truth|cell_type_truth|load_integrated|TRUTH_KEY|LINEAGE_KEY")
"""What would put the simulation's truth in an exercise (the data with it, or its columns)."""


def notebook(path: Path) -> dict:
    """A notebook as plain JSON, without fields that change with every generation."""
    nb = json.loads(path.read_text())
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
    return nb


def test_assignments_found():
    assert ASSIGNMENTS, f"no assignments in {SOLUTIONS}"
    assert "01_graph_clustering" in ASSIGNMENTS


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    release = tmp_path_factory.mktemp("release")
    for assignment in ASSIGNMENTS:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "generate_assignment",
                assignment,
                "--force",
                "--no-db",
                f"--CourseDirectory.release_directory={release}",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return release


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_up_to_date(regenerated: Path, assignment: str):
    fresh = notebook(regenerated / assignment / f"{assignment}.ipynb")
    committed_path = EXERCISES / assignment / f"{assignment}.ipynb"
    assert committed_path.exists(), (
        f"{committed_path} is missing; run `nbgrader generate_assignment {assignment} "
        "--force --no-db` from the repository root"
    )
    assert notebook(committed_path) == fresh, (
        f"exercises/{assignment} is out of date with solutions/{assignment}; run "
        f"`nbgrader generate_assignment {assignment} --force --no-db` from the repository root"
    )


def test_no_stray_releases():
    released = sorted(p.name for p in EXERCISES.iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_nothing(assignment: str):
    nb = nbformat.read(EXERCISES / assignment / f"{assignment}.ipynb", as_version=4)
    for index, cell in enumerate(nb.cells):
        assert not LEAKS.search(cell.source), f"cell {index} of the release leaks: {cell.source}"
        assert not cell.get("outputs"), f"cell {index} of the release has outputs"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_truth(assignment: str):
    """The exercises load the data without the simulation's truth and never name it."""
    nb = nbformat.read(EXERCISES / assignment / f"{assignment}.ipynb", as_version=4)
    setup = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "setup")
    assert "adata = course_lib.load_exercise_data()" in setup.source
    for index, cell in enumerate(nb.cells):
        assert not TRUTH.search(cell.source), f"cell {index} names the truth: {cell.source}"


def question_table(nb: nbformat.NotebookNode) -> list[tuple[str, float, str]]:
    """The intro's table: (question, points, hidden test) for each question, in order."""
    rows = [
        [part.strip() for part in line.strip().strip("|").split("|")]
        for line in nb.cells[0].source.splitlines()
        if re.match(r"\|\s*\d+\.", line)
    ]
    return [(question, float(points), hidden) for question, points, hidden in rows]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_structure(assignment: str):
    """Every answer cell is followed by a graded, locked check cell with points; the intro's
    table lists each question with its points and says truthfully whether the grade checks
    more than the visible check (a hidden-test section, which never repeats the visible
    call with other settings)."""
    nb = nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    cells = [(c, c.metadata.get("nbgrader", {})) for c in nb.cells]
    answers = [i for i, (_, m) in enumerate(cells) if m.get("solution")]
    assert answers, "no answer cells"
    table = question_table(nb)
    assert len(table) == len(answers), table
    for i, (question, points, hidden) in zip(answers, table, strict=True):
        check, meta = cells[i + 1]
        assert meta.get("grade") and meta.get("locked") and meta.get("points", 0) > 0
        assert meta["points"] == points, (question, meta["points"], points)
        assert "checks.check_" in check.source, f"cell {i + 1} calls no visible check"
        visible = check.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "checks.check_" in visible and "strict" not in check.source
        has_hidden = "### BEGIN HIDDEN TESTS" in check.source
        assert has_hidden == ("### END HIDDEN TESTS" in check.source)
        assert has_hidden == (not hidden.startswith("none")), (question, hidden)
        if has_hidden:
            assert "checks.check_" not in check.source.split("### BEGIN HIDDEN TESTS")[1]
        assert "### BEGIN SOLUTION" in cells[i][0].source
    ids = [m["grade_id"] for _, m in cells if m]
    assert len(ids) == len(set(ids)) == len(nb.cells), "each cell needs a unique grade_id"


def run(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    return [
        (index, output.ename, output.evalue)
        for index, cell in enumerate(nb.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_and_passes(assignment: str):
    """The instructor's solution runs top to bottom and passes every check, hidden ones too."""
    nb = run(SOLUTIONS / assignment / f"{assignment}.ipynb")
    assert errors(nb) == []
    checks_output = [
        "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert all(text.startswith("✔") for text in checks_output), checks_output
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert "Warning" not in output.get("text", ""), output["text"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_unanswered_release_fails_clearly(assignment: str):
    """A blank release fails every check cell, as the exercises guide describes an
    unanswered question: a `NameError` naming the missing answer variable, or an
    `AssertionError` from the check (e.g. a missing `adata.obs` column)."""
    nb = run(EXERCISES / assignment / f"{assignment}.ipynb")
    graded = {i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")}
    found = {index: (name, value) for index, name, value in errors(nb) if index in graded}
    assert set(found) == graded, "every check cell should fail on a blank notebook"
    for name, value in found.values():
        assert name in ("AssertionError", "NameError"), (name, value)
        if name == "NameError":
            assert re.fullmatch(r"name '\w+' is not defined", value), value
