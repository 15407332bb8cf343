"""The class's reference answers: computed once, cached on disk, handed to the judge by hash.

Unit tests use small data or a one-reference stand-in exercise; the end-to-end tests grade
the solution of ``02_kmeans`` (the cheapest references) for real. That every assignment's
references cover what its judge needs is checked on the graded classes
(``test_grading_class.py``). The judge (nbgrader's
process) writes what it loaded and computed into the autograded notebook's metadata; a
cell appended to the submission prints what the student's kernel holds, which must be
nothing: no references, no handoff, no path to the file.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from course_lib.checks import reference_answers, references
from course_lib.grading import handoff, refcache
from course_lib.grading.coursedir import CourseDir
from course_lib.grading.preprocessors import VISIBLE_KEY
from course_lib.grading.settings import GradingSettings
from course_lib.grading.task import autograde_task
from tests.grading_fixtures import classroom

EXERCISE = "02_kmeans"
TIMEOUT = 120
REPORT = (
    "import json, os\n"
    "from course_lib.checks import references\n"
    "from course_lib.grading import handoff\n"
    "print('REFERENCES', json.dumps({**references.reference_counts(), "
    "'handoff': handoff.status(), 'env': handoff.FILE_ENV in os.environ}))"
)
"""Appended to a submission: what the student's kernel computed, loaded and was handed."""
IN_KERNEL = {"computed": 0, "loaded": 0, "handoff": "not received", "env": False}
"""What :data:`REPORT` must print: the kernel judges nothing and never sees the references."""


@pytest.fixture(autouse=True)
def fresh_references():
    """Each test starts and ends without references in this process."""
    references.clear_cache()
    yield
    references.clear_cache()
    handoff._RECEIVED.clear()


# ------------------------------------------------------------------ the archive format
def test_archive_round_trip_keeps_every_kind():
    labels = pd.Series(["0", "1", "1"], index=pd.Index(["c1", "c2", "c3"]))
    entries = {
        ("leiden", "fp", 0.6, 0, "igraph"): labels,
        ("ward", "fp", 10, "ward"): labels.iloc[::-1],
        ("inertia", "fp", 10, 10, 0): 123.25,
        ("exact_knn", "fp", 15): np.arange(6).reshape(3, 2),
        ("hvg", "cells", 2000, "sample"): {"CD3E", "GNLY"},
    }
    decoded = references.decode(references.encode(entries))
    assert set(decoded) == set(entries)
    for key, value in entries.items():
        if isinstance(value, pd.Series):
            pd.testing.assert_series_equal(decoded[key], value, check_dtype=False)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(decoded[key], value)
        else:
            assert decoded[key] == value


def test_archive_with_pickled_objects_is_refused():
    rigged = io.BytesIO()
    entries = json.dumps([{"key": ["x"], "value": "v0", "kind": "array"}])
    np.savez(rigged, entries=np.asarray(entries), v0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a reference archive.*allow_pickle=False"):
        references.decode(rigged.getvalue())


def test_stored_reference_is_used_instead_of_computing():
    key = ("inertia", "fingerprint", 3, 1, 0)
    references.use_store(references.encode({key: 42.0}))
    assert references.cached(key, lambda: pytest.fail("computed a stored reference")) == 42.0
    assert references.cached(("other",), lambda: 1.0) == 1.0
    assert references.reference_counts() == {"computed": 1, "loaded": 1}


# --------------------------------------------------------------- the kernel's handoff
def test_handoff_keeps_only_a_file_with_the_clients_hash(tmp_path, monkeypatch):
    key = ("inertia", "fingerprint", 3, 1, 0)
    genuine = references.encode({key: 42.0})
    path = tmp_path / "references.npz"
    path.write_bytes(genuine)
    monkeypatch.setenv(handoff.FILE_ENV, str(path))
    monkeypatch.setenv(handoff.SHA256_ENV, handoff.sha256(genuine))
    references.clear_cache()
    assert handoff.receive() == "verified"
    path.write_bytes(references.encode({key: 0.0}))  # read once: later changes do not matter
    assert references.cached(key, lambda: pytest.fail("computed a handed-over one")) == 42.0
    assert handoff.FILE_ENV not in os.environ  # hidden from the student

    references.clear_cache()
    monkeypatch.setenv(handoff.FILE_ENV, str(path))
    monkeypatch.setenv(handoff.SHA256_ENV, handoff.sha256(genuine))
    assert handoff.receive() == "mismatch"
    assert references.cached(key, lambda: 1.0) == 1.0  # ignored: computed
    path.write_bytes(b"not an archive")
    monkeypatch.setenv(handoff.FILE_ENV, str(path))
    monkeypatch.setenv(handoff.SHA256_ENV, handoff.sha256(b"not an archive"))
    assert handoff.receive() == "undecodable"
    assert handoff.receive() == "none"
    references.clear_cache()


# ------------------------------------------------------------ the client's disk cache
@pytest.fixture
def one_reference(monkeypatch):
    """A stand-in exercise with one cheap reference on the course data."""

    def manifest(ref):
        reference_answers.reference_inertia(ref, 3, n_init=1)

    monkeypatch.setitem(refcache.EXERCISE_REFERENCES, "00_stand_in", manifest)
    return "00_stand_in"


def _prepare_afresh(assignment: str, directory: Path) -> dict:
    """Prepare as a new references process would: nothing held in memory."""
    references.clear_cache()
    return refcache.prepare(assignment, directory)


def test_cache_is_computed_once_then_loaded(one_reference, tmp_path):
    first = _prepare_afresh(one_reference, tmp_path)
    assert (first["computed"], first["loaded"]) == (1, 0)
    second = _prepare_afresh(one_reference, tmp_path)
    assert (second["computed"], second["loaded"]) == (0, 1)
    assert second["path"] == first["path"] and second["sha256"] == first["sha256"]
    assert handoff.sha256(Path(second["path"]).read_bytes()) == second["sha256"]
    assert [p.name for p in tmp_path.iterdir()] == [Path(first["path"]).name]  # no temp files


@pytest.mark.parametrize("change", ["checks", "dataset"])
def test_stale_cache_is_recomputed(one_reference, tmp_path, monkeypatch, change):
    first = _prepare_afresh(one_reference, tmp_path)
    if change == "checks":
        monkeypatch.setattr(refcache, "code_hash", lambda: "edited checks")
    else:
        monkeypatch.setattr("course_lib.datasets.cache.fingerprint", lambda adata: "rebuilt")
    second = _prepare_afresh(one_reference, tmp_path)
    assert second["computed"] == 1 and second["loaded"] == 0
    assert second["path"] != first["path"]
    assert [p.name for p in tmp_path.iterdir()] == [Path(second["path"]).name]


def test_corrupt_cache_is_recomputed(one_reference, tmp_path):
    path = Path(_prepare_afresh(one_reference, tmp_path)["path"])
    path.write_bytes(b"half a file")
    again = _prepare_afresh(one_reference, tmp_path)
    assert again["computed"] == 1
    assert references.decode(path.read_bytes())


def test_cache_key_covers_the_checks_source():
    assert refcache.code_hash() == refcache.code_hash()
    checks = Path(references.__file__).parent
    assert any(p.name == "ex2_kmeans.py" for p in checks.glob("*.py"))
    keys = {refcache.cache_key(EXERCISE, "fp", code) for code in ("a", "b")}
    assert len(keys) == 2


# ------------------------------------------------------------------ graded for real
def _with_report(nb: nbformat.NotebookNode, before: str | None = None) -> nbformat.NotebookNode:
    """``nb`` with the report cell appended, and ``before`` inserted after the setup cell."""
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    if before is not None:
        nb.cells.insert(2, nbformat.v4.new_code_cell(before))
    return nb


def _reports(notebook: bytes | str) -> tuple[dict, dict]:
    """What the report cell of an autograded notebook printed (the kernel's references),
    and what the judge recorded in the notebook's metadata (its own)."""
    nb = nbformat.reads(notebook.decode() if isinstance(notebook, bytes) else notebook, 4)
    judge = dict(nb.metadata[VISIBLE_KEY])
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found = re.search(r"^REFERENCES (\{.*\})$", output.get("text", ""), re.MULTILINE)
            if found:
                return json.loads(found.group(1)), judge
    pytest.fail("the report cell printed nothing")


def _poisoned(data: bytes) -> bytes:
    """``data`` with every inertia halved: trusted, it fails the right answer."""
    entries = references.decode(data)
    assert entries, "no references to poison"
    return references.encode({k: v / 2 if isinstance(v, float) else v for k, v in entries.items()})


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> refcache.References:
    """The references of the exercise, prepared as the grading command does."""
    with refcache.precompute(EXERCISE) as job:
        prepared = job.result()
    assert prepared is not None
    return prepared


@pytest.mark.slow
def test_the_judge_uses_the_class_references(genuine, tmp_path):
    """Graded end to end: the judge loads every reference and the kernel none, even when
    the student's code overwrites the handed-over file, and the solution keeps full marks."""
    a = classroom.Assignment(EXERCISE)
    overwrite = (
        "from pathlib import Path\n"
        f"Path('../../../references.npz').write_bytes({_poisoned(genuine.data)!r})"
    )
    subs = tmp_path / "submissions"
    subs.mkdir()
    nbformat.write(_with_report(a.submission()), subs / "honest.ipynb")
    nbformat.write(_with_report(a.submission(), overwrite), subs / "overwriter.ipynb")
    from course_lib.grading import grade_submissions

    report = grade_submissions(
        EXERCISE, subs, out=tmp_path / "out", timeout=TIMEOUT, progress=False
    )
    log = json.loads((report.out / "course" / "logs" / "references.json").read_text())
    assert log["handed_to_judge"] and log["computed"] == 0  # cached by the fixture
    for student in ("honest", "overwriter"):
        result = report.result(student)
        assert result.total == a.full, (student, result.scores, result.reasons)
        autograded = report.out / "course" / "autograded" / student / EXERCISE
        kernel, judge = _reports((autograded / f"{EXERCISE}.ipynb").read_text())
        assert kernel == IN_KERNEL
        assert judge["handoff"] == "verified"
        assert judge["computed"] == 0 and judge["loaded"] > 0, judge


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> CourseDir:
    """A working course of the exercise, one correct submission, ready for tasks."""
    base = tmp_path_factory.mktemp("course")
    nb = _with_report(classroom.Assignment(EXERCISE).submission())
    nbformat.write(nb, base / "student.ipynb")
    course = CourseDir(base / "course", EXERCISE,
                       GradingSettings(timeout=TIMEOUT, submission_timeout=600))  # fmt: skip
    course.prepare(classroom.SOLUTIONS / EXERCISE)
    course.copy_submissions({"student": base / "student.ipynb"})
    return course


def _grade_with(course: CourseDir, data: bytes, digest: str) -> tuple[float, dict]:
    prepared = refcache.References(data, digest, 0, 0, 0.0)
    outcome = autograde_task(course.task("student", "refcache-test", prepared))
    assert outcome.success, outcome.log[-2000:]
    score = sum(auto or 0 for auto, _, _ in outcome.grades.values())
    kernel, judge = _reports(outcome.autograded[f"{EXERCISE}.ipynb"])
    assert kernel == IN_KERNEL
    return score, judge


@pytest.mark.slow
def test_tampered_file_is_ignored_and_the_grade_is_right(course, genuine):
    full = classroom.Assignment(EXERCISE).full
    poisoned = _poisoned(genuine.data)
    # control: a judge that trusted the poisoned file would fail the right answer
    trusted_score, trusted = _grade_with(course, poisoned, handoff.sha256(poisoned))
    assert trusted["handoff"] == "verified" and trusted_score < full
    # the file differs from what the client hashed: ignored, computed, graded right
    score, counts = _grade_with(course, poisoned, genuine.sha256)
    assert counts["handoff"] == "mismatch"
    assert counts["loaded"] == 0 and counts["computed"] > 0
    assert score == full
