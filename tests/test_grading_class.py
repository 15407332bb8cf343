"""Grade a class of real submissions of every assignment, each class in one run.

Each assignment's class (``tests/grading_fixtures/classroom.py``) holds its solution, its
blank release, one-slip mistakes, the mistake with the checks and library functions replaced
in the kernel and an answer that looks for the truth in its data (one submission where they
touch different questions), and a correct answer computed another way;
``01_graph_clustering``'s also holds a legitimate variation of the clustering and a graph on
the wrong embedding. (Submissions that loop, crash, exhaust memory,
tamper with tests or are not notebooks at all are the tiny assignment's, in
``test_grading.py``.) Each must get its own expected score, and
on every graded test cell the visible check and the grade must agree (except where the
notebook says the grade checks more).
"""

from __future__ import annotations

import csv
import html
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_lib import grading
from course_lib.defaults import HIDDEN_TESTS_BEGIN
from course_lib.grading import refcache
from course_lib.grading.preprocessors import VISIBLE_KEY
from tests.grading_fixtures import classroom

pytestmark = pytest.mark.slow

JOBS = min(2, os.cpu_count() or 1)
"""Submissions graded in parallel (CI has 2 cores)."""
CLASS_TIMEOUT = 60
"""Seconds per cell: the slowest honest cell (kNN graph with numba compiling) takes ~20 s."""
ASSIGNMENTS = classroom.assignments()
STUDENTS = [
    (name, student)
    for name in ASSIGNMENTS
    for student in classroom.assignment_class(classroom.Assignment(name))
]


@dataclass
class Graded:
    """One assignment's class and the report of its grading run."""

    assignment: classroom.Assignment
    subs: dict[str, classroom.Variant]
    report: grading.GradingReport
    unchanged: bool

    def autograded(self, student: str) -> nbformat.NotebookNode:
        name = self.assignment.name
        path = self.report.out / "course" / "autograded" / student / name / f"{name}.ipynb"
        return nbformat.read(path, as_version=4)


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


def fragments(reason: str | tuple[str, ...]) -> tuple[str, ...]:
    """The fragments of attention reasons a submission must get (none for ``""``)."""
    return (reason,) if isinstance(reason, str) and reason else tuple(reason)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Graded]:
    """Grade an assignment's class the first time a test asks for it, in one run."""
    done: dict[str, Graded] = {}

    def grade(name: str) -> Graded:
        if name in done:
            return done[name]
        a = classroom.Assignment(name)
        subs = classroom.assignment_class(a)
        base = tmp_path_factory.mktemp(name)
        write_flat(base / "submissions", subs)
        before = snapshot(base / "submissions")
        start = time.perf_counter()
        report = grading.grade_submissions(
            name, base / "submissions", out=base / "out", timeout=CLASS_TIMEOUT, jobs=JOBS,
            progress=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        print(
            f"\ngraded {len(subs)} submissions of {name} in {seconds:.0f} s "
            f"({seconds / len(subs):.1f} s per submission): "
            + ", ".join(f"{r.student} {r.seconds:.0f} s" for r in report.results)
        )
        unchanged = snapshot(base / "submissions") == before
        done[name] = Graded(a, subs, report, unchanged)
        return done[name]

    return grade


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_each_class_holds_every_kind_of_submission(name):
    a = classroom.Assignment(name)
    subs = classroom.assignment_class(a)
    assert set(classroom.KINDS) | set(classroom.slips(a)) <= set(subs)
    assert "cheats" in subs or {"replaces_functions", "looks_for_truth"} <= set(subs)
    assert any(lost for _, lost, _ in classroom.slips(a).values())
    assert set(classroom.CLASSES) <= set(ASSIGNMENTS)


@pytest.mark.parametrize(("name", "student"), STUDENTS)
def test_each_submission_gets_its_expected_score(graded, name, student):
    g = graded(name)
    _, expected, reason = g.subs[student]
    result = g.report.result(student)
    assert result.total == pytest.approx(expected), (result.scores, result.reasons)
    for fragment in fragments(reason):
        assert any(fragment in r for r in result.reasons), (fragment, result.reasons)
    if not reason:
        assert result.reasons == []


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_visible_checks_and_grades_agree(graded, name):
    """On every graded test cell, the visible check passed exactly when the cell scored its
    points, but where :data:`classroom.EXPECTED_DISAGREEMENTS` says why not."""
    g = graded(name)
    found = {}
    for result in g.report.results:
        if not result.graded:
            continue
        judged = {}
        for cell in g.autograded(result.student).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if VISIBLE_KEY in cell.metadata and grade_id in result.scores:
                judged[grade_id] = cell.metadata[VISIBLE_KEY]["visible_check_passed"]
        assert set(judged) == set(g.assignment.points), (result.student, judged)
        for grade_id, visible in judged.items():
            full = result.scores[grade_id] == result.max_scores[grade_id]
            if visible != full:
                found[(name, result.student, grade_id)] = (visible, result.scores[grade_id])
    expected = {k for k in classroom.EXPECTED_DISAGREEMENTS if k[0] == name}
    assert set(found) == expected, found


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_grades_csv_holds_every_student(graded, name):
    g = graded(name)
    with open(g.report.grades_csv, newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(g.subs)
    for student, (_, expected, _) in g.subs.items():
        row = rows[student]
        assert float(row["total"]) == pytest.approx(expected)
        assert sum(float(row[q]) for q in g.report.questions) == pytest.approx(float(row["total"]))
    assert {s for s, row in rows.items() if row["graded"] != "True"} == set()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_submissions_are_untouched(graded, name):
    assert graded(name).unchanged


@pytest.mark.parametrize("name", sorted(set(ASSIGNMENTS) & set(refcache.EXERCISE_REFERENCES)))
def test_the_class_references_cover_the_solution(graded, name):
    """The class's references (computed once, handed to the judges by hash) are complete:
    judging the solution loads them and computes none. (The other assignments' judges
    compute the little they need themselves.)"""
    judge = graded(name).autograded("solution").metadata[VISIBLE_KEY]
    assert judge["handoff"] == "verified", judge
    assert judge["computed"] == 0 and judge["loaded"] > 0, judge


def hidden_lines(a: classroom.Assignment) -> list[str]:
    """The first code line of each test cell's hidden tests in the source notebook."""
    lines = []
    for grade_id in a.points:
        source = a.cell(a.source, grade_id).source
        if HIDDEN_TESTS_BEGIN in source:
            hidden = source.split(HIDDEN_TESTS_BEGIN, 1)[1].strip().splitlines()
            lines.append(next(line.strip() for line in hidden if line.strip()))
    return lines


def text(page: str) -> str:
    """An HTML page's text as a reader sees it (tags dropped, entities decoded)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_feedback_never_shows_hidden_tests(graded, name):
    g = graded(name)
    report = g.report
    pages = {p.stem: text(p.read_text()) for p in (report.out / "feedback").glob("*.html")}
    assert set(pages) == {r.student for r in report.results if r.graded}
    hidden = hidden_lines(g.assignment)
    judged = "\n".join(c.source for c in g.autograded("another_way").cells)
    for line in hidden:
        assert line in judged
    for grade_id in g.assignment.points:  # the page shows the visible checks as text
        visible = g.assignment.cell(g.assignment.source, grade_id).source.splitlines()[0]
        assert " ".join(visible.split()) in pages["another_way"], grade_id
    for student, page in pages.items():
        assert "HIDDEN TESTS" not in page, student
        for line in hidden:
            assert line not in page, student


def test_some_assignment_has_hidden_tests():
    assert any(hidden_lines(classroom.Assignment(name)) for name in ASSIGNMENTS)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_summary_lists_the_problem_submissions(graded, name):
    g = graded(name)
    summary = g.report.summary.read_text()
    for student, (_, _, reason) in g.subs.items():
        for fragment in fragments(reason):
            shown = " ".join(fragment.split()).replace("|", "/")
            assert any(student in line and shown in line for line in summary.splitlines())
    assert g.report.figure.stat().st_size > 10_000


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_scores_full_marks_and_release_zero(graded, name):
    g = graded(name)
    a, report = g.assignment, g.report
    solution, release = report.result("solution"), report.result("release")
    assert solution.graded and release.graded
    assert solution.total == a.full > 0
    assert release.total == 0
    assert not any(re.search("failed|died", r) for r in solution.reasons + release.reasons)
