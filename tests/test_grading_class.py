"""Grade a whole class of real submissions in one run, and every assignment's solution.

The class of ``01_graph_clustering`` (``tests/grading_fixtures/classroom.py``) mixes
correct answers, legitimate alternatives, wrong answers and submissions that loop, crash,
exhaust memory, tamper with tests or are not notebooks at all; each must get its own
expected score, and none may disturb the grading of the others.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import nbformat
import pytest

from course_lib import grading
from tests.grading_fixtures import classroom

pytestmark = pytest.mark.slow

CLASS = "01_graph_clustering"
JOBS = min(2, os.cpu_count() or 1)
"""Submissions graded in parallel (CI has 2 cores)."""
CLASS_TIMEOUT = 60
"""Seconds per cell: the slowest honest cell (kNN graph with numba compiling) takes ~20 s."""
ASSIGNMENTS = classroom.assignments()


def write_flat(folder: Path, subs: dict[str, classroom.Variant]) -> None:
    folder.mkdir(parents=True)
    for student, (nb, _, _) in subs.items():
        path = folder / f"{student}.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _grade(assignment: str, base: Path) -> grading.GradingReport:
    """Grade ``base/submissions`` into ``base/out`` with the class-test settings."""
    return grading.grade_submissions(
        assignment,
        base / "submissions",
        out=base / "out",
        timeout=CLASS_TIMEOUT,
        jobs=JOBS,
        progress=False,
    )


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory):
    """The class of ``01_graph_clustering`` plus its solution and release, graded in one run."""
    a = classroom.Assignment(CLASS)
    subs = {
        **classroom.graph_clustering_class(a),
        "solution": (a.source, a.full, ""),
        "release": (a.release, 0, ""),
    }
    base = tmp_path_factory.mktemp("class")
    write_flat(base / "submissions", subs)
    before = snapshot(base / "submissions")
    start = time.perf_counter()
    report = _grade(CLASS, base)
    seconds = time.perf_counter() - start
    print(
        f"\ngraded {len(subs)} submissions of {CLASS} in {seconds:.0f} s "
        f"({seconds / len(subs):.1f} s per submission): "
        + ", ".join(f"{r.student} {r.seconds:.0f} s" for r in report.results)
    )
    return {
        "assignment": a,
        "subs": subs,
        "report": report,
        "unchanged": snapshot(base / "submissions") == before,
    }


def test_the_class_is_the_one_described():
    a = classroom.Assignment(CLASS)
    assert tuple(classroom.graph_clustering_class(a)) == classroom.VARIANTS


@pytest.mark.parametrize("student", classroom.VARIANTS)
def test_each_submission_gets_its_expected_score(graded_class, student):
    _, expected, reason = graded_class["subs"][student]
    result = graded_class["report"].result(student)
    assert result.total == pytest.approx(expected), (result.scores, result.reasons)
    if reason:
        assert any(reason in r for r in result.reasons), result.reasons
    else:
        assert result.reasons == []


def test_grades_csv_holds_every_student(graded_class):
    report = graded_class["report"]
    with open(report.grades_csv, newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(graded_class["subs"])
    for student, (_, expected, _) in graded_class["subs"].items():
        row = rows[student]
        assert float(row["total"]) == pytest.approx(expected)
        assert sum(float(row[q]) for q in report.questions) == pytest.approx(float(row["total"]))
    assert rows["corrupt"]["graded"] == rows["kernel_death"]["graded"] == "False"


def test_submissions_are_untouched(graded_class):
    assert graded_class["unchanged"]


def test_feedback_never_shows_hidden_tests(graded_class):
    report = graded_class["report"]
    pages = {p.stem: p.read_text() for p in (report.out / "feedback").glob("*.html")}
    assert set(pages) == {r.student for r in report.results if r.graded}
    hidden = "strict=True"  # only the hidden tests call the checks strictly
    autograded = report.out / "course" / "autograded" / "correct" / CLASS / f"{CLASS}.ipynb"
    assert hidden in autograded.read_text()
    for student, page in pages.items():
        assert hidden not in page, student
        assert "HIDDEN TESTS" not in page, student


def test_summary_lists_the_problem_submissions(graded_class):
    report = graded_class["report"]
    summary = report.summary.read_text()
    for student, (_, _, reason) in graded_class["subs"].items():
        if reason:
            assert any(student in line and reason in line for line in summary.splitlines())
    assert report.figure.stat().st_size > 10_000


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks_and_release_zero(assignment, request, tmp_path):
    """The solution scores full marks, the blank release 0, and each one-slip submission of
    :func:`classroom.partial_credit_variants` its expected partial score."""
    a = classroom.Assignment(assignment)
    variants = classroom.partial_credit_variants(a)
    if assignment == CLASS:
        report = request.getfixturevalue("graded_class")["report"]
    else:
        subs = {"solution": (a.source, a.full, ""), "release": (a.release, 0, ""), **variants}
        write_flat(tmp_path / "submissions", subs)
        report = _grade(assignment, tmp_path)
    solution, release = report.result("solution"), report.result("release")
    assert solution.graded and release.graded
    assert solution.total == a.full > 0
    assert release.total == 0
    assert not any("failed" in r or "died" in r for r in solution.reasons + release.reasons)
    for student, (_, expected, _) in variants.items():
        result = report.result(student)
        assert result.total == pytest.approx(expected), (student, result.scores, result.reasons)
