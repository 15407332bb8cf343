"""The grading pipeline on a tiny assignment (no scanpy): layouts, isolation, outputs."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import nbformat
import pytest

from course_lib import grading
from tests.grading_fixtures import tiny

pytestmark = pytest.mark.slow  # grades classes in kernels

REPO = Path(__file__).resolve().parents[1]
JOBS = min(2, os.cpu_count() or 1)
"""Parallel jobs of the class run (the control run grades one at a time)."""
CONTROL_LIMIT = 20
"""Seconds per submission in the control run: honest tiny submissions take 2-5 s."""


def read_grades(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def solutions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("solutions")
    tiny.write_source(folder)
    return folder


@pytest.fixture(scope="module")
def class_run(solutions: Path, tmp_path_factory: pytest.TempPathFactory):
    """Every tiny submission in nbgrader's layout, graded once through the command line."""
    base = tmp_path_factory.mktemp("class")
    subs = tiny.submissions()
    tiny.write_nbgrader(base / "collected", subs)
    before = snapshot(base / "collected")
    command = [
        sys.executable, "-m", "course_lib.grading", tiny.ASSIGNMENT, str(base / "collected"),
        "--out", str(base / "out"), "--solutions", str(solutions),
        "--timeout", str(tiny.TIMEOUT), "--memory-limit", tiny.MEMORY_LIMIT,
        "--jobs", str(JOBS),
    ]  # fmt: skip
    process = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    return {
        "out": base / "out",
        "subs": subs,
        "process": process,
        "before": before,
        "after": snapshot(base / "collected"),
    }


# ------------------------------------------------------------------ end to end (one run)
def test_command_reports_ungraded_students(class_run):
    process = class_run["process"]
    assert process.returncode == 1, process.stderr[-3000:]
    assert "could not grade" in process.stdout
    assert "corrupt" in process.stdout and "kernel_death" in process.stdout
    assert "Grading 00_tiny" in process.stderr  # the progress bar


def test_every_student_gets_the_expected_score(class_run):
    grades = read_grades(class_run["out"] / "grades.csv")
    expected = {student: score for student, (_, score) in class_run["subs"].items()}
    assert {s: float(row["total"]) for s, row in grades.items()} == expected
    assert {row["max_score"] for row in grades.values()} == {f"{sum(tiny.points().values()):g}"}


def test_submitted_files_are_untouched(class_run):
    assert class_run["after"] == class_run["before"]


@pytest.mark.parametrize(
    ("student", "reason"),
    [
        ("corrupt", "corrupt notebook"),
        ("kernel_death", "kernel died"),
        ("looping", "timed out"),
        ("memory_hog", "memory limit"),
        ("huge_output", "huge output"),
        ("tampered", "'test_answer' was edited"),
        ("deleted_test", "'test_double' was deleted"),
        ("wrong_kernel", "kernelspec 'ir'"),
        ("blank", "blank: no answer cell was changed"),
        ("replaces_function", "replaces a function of an imported module (`statistics.mean"),
        ("error_outside_tests", "raised ModuleNotFoundError outside the graded cells"),
    ],
)
def test_attention_list_names_the_reason(class_run, student, reason):
    with open(class_run["out"] / "attention.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["student"] == student]
    assert any(reason in row["reason"] for row in rows), rows
    summary = (class_run["out"] / "summary.md").read_text()
    assert any(student in line and reason in line for line in summary.splitlines())


def test_clean_submissions_are_not_flagged(class_run):
    grades = read_grades(class_run["out"] / "grades.csv")
    for student in ("correct", "float_answer", "stderr_answer", "agreeable_object"):
        assert grades[student]["reasons"] == ""


def test_gradebook_holds_each_student_once(class_run):
    db = class_run["out"] / "course" / "gradebook.db"
    with sqlite3.connect(db) as connection:
        students = [row[0] for row in connection.execute("SELECT id FROM student")]
    assert sorted(students) == sorted(class_run["subs"])


def test_feedback_hides_hidden_tests(class_run):
    out = class_run["out"]
    pages = {p.stem: p.read_text() for p in (out / "feedback").glob("*.html")}
    ungraded = {"corrupt", "kernel_death"}
    assert set(pages) == set(class_run["subs"]) - ungraded
    for page in pages.values():
        assert tiny.HIDDEN_CHECK not in page
        assert "HIDDEN TESTS" not in page
    # the hidden test did run, and its message (not its code) reaches the student
    autograded = out / "course" / "autograded" / "float_answer" / tiny.ASSIGNMENT
    assert tiny.HIDDEN_CHECK in (autograded / f"{tiny.ASSIGNMENT}.ipynb").read_text()
    assert tiny.HIDDEN_MESSAGE in pages["float_answer"]


def test_huge_output_is_truncated(class_run):
    autograded = class_run["out"] / "course" / "autograded" / "huge_output" / tiny.ASSIGNMENT
    notebook = autograded / f"{tiny.ASSIGNMENT}.ipynb"
    assert notebook.stat().st_size < 2 * grading.DEFAULT_MAX_OUTPUT_CHARS
    assert grading.TRUNCATION_NOTE in notebook.read_text()


def test_summary_figure_is_written(class_run):
    image = matplotlib.image.imread(class_run["out"] / "score_distribution.png")
    assert image.shape[0] > 200 and image.shape[1] > 400
    summary = (class_run["out"] / "summary.md").read_text()
    assert "score_distribution.png" in summary
    assert f"Students: {len(class_run['subs'])}" in summary


# ------------------------------------------------------- controls: the safeguards matter
@pytest.fixture(scope="module")
def control_run(solutions: Path, tmp_path_factory: pytest.TempPathFactory):
    """No stderr filter, no memory cap, and a per-submission limit of a few seconds."""
    base = tmp_path_factory.mktemp("control")
    subs = tiny.submissions()
    chosen = {
        "correct": subs["correct"],
        "memory_hog": subs["memory_hog"],
        "slow": (tiny.solved(answer="import time\ntime.sleep(60)\nanswer = 42"), 0),
        "zz_after": subs["correct"],
    }
    tiny.write_flat(base / "flat", chosen)
    return grading.grade_submissions(
        tiny.ASSIGNMENT,
        base / "flat",
        out=base / "out",
        solutions=solutions,
        timeout=120,
        memory_limit="0",
        submission_timeout=CONTROL_LIMIT,
        progress=False,
    )


def test_a_check_writing_to_stderr_is_judged_by_the_answer_alone(control_run):
    # test_answer warns on stderr; judged outside the kernel, that costs nothing (in the
    # kernel, nbgrader would score a test cell writing to stderr 0)
    assert control_run.result("correct").scores == tiny.points()


def test_memory_hog_runs_without_a_cap(control_run):
    assert control_run.result("memory_hog").graded
    assert not any("memory" in r for r in control_run.result("memory_hog").reasons)


def test_runaway_submission_is_stopped_and_the_next_one_graded(control_run):
    slow = control_run.result("slow")
    assert not slow.graded and slow.total == 0
    assert any(f"longer than {CONTROL_LIMIT} s" in r for r in slow.reasons), slow.reasons
    assert slow.seconds < CONTROL_LIMIT + 10
    assert control_run.result("zz_after").graded
    assert control_run.result("zz_after").scores["test_double"] == tiny.points()["test_double"]


def test_no_kernel_is_left_running(control_run):
    """No grading process or kernel of the run is left (they run in its temporary folders)."""
    psutil = pytest.importorskip("psutil")
    assert control_run.run_id
    left = []
    for p in psutil.process_iter(["cmdline", "cwd"]):
        text = " ".join(p.info["cmdline"] or []) + " " + (p.info["cwd"] or "")
        if control_run.run_id in text or str(control_run.out.resolve()) in text:
            left.append(p)
    assert left == []


# ----------------------------------------------------------------- re-running, layouts
def test_rerun_is_idempotent(solutions: Path, tmp_path: Path):
    subs = {s: tiny.submissions()[s] for s in ("correct", "corrupt", "float_answer")}
    tiny.write_flat(tmp_path / "flat", subs)
    options = {"out": tmp_path / "out", "solutions": solutions, "progress": False}
    first = grading.grade_submissions(tiny.ASSIGNMENT, tmp_path / "flat", **options)
    csv_first = first.grades_csv.read_text()
    second = grading.grade_submissions(tiny.ASSIGNMENT, tmp_path / "flat", **options)
    assert second.grades_csv.read_text() == csv_first
    assert {r.student: r.total for r in second.results} == {s: e for s, (_, e) in subs.items()}
    with sqlite3.connect(tmp_path / "out" / "course" / "gradebook.db") as connection:
        (n_students,) = connection.execute("SELECT count(*) FROM student").fetchone()
        (n_submissions,) = connection.execute(
            "SELECT count(*) FROM submitted_assignment"
        ).fetchone()
    assert n_students == n_submissions == len(subs)


def test_find_submissions_flat(tmp_path: Path):
    for name in ("bob", "alice"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    found = grading.find_submissions(tmp_path, "a1")
    assert found == {"alice": tmp_path / "alice.ipynb", "bob": tmp_path / "bob.ipynb"}


@pytest.mark.parametrize("inside", ["", "submitted"])
def test_find_submissions_nbgrader_layout(tmp_path: Path, inside: str):
    root = tmp_path / inside
    for name in ("bob", "alice"):
        (root / name / "a1").mkdir(parents=True)
    (root / "carol" / "other_assignment").mkdir(parents=True)
    assert grading.find_submissions(tmp_path, "a1") == {
        "alice": root / "alice" / "a1",
        "bob": root / "bob" / "a1",
    }


def test_find_submissions_makes_ids_safe(tmp_path: Path):
    (tmp_path / "Ann Lee [2].ipynb").write_text("{}")
    assert list(grading.find_submissions(tmp_path, "a1")) == ["Ann_Lee__2_"]
    (tmp_path / "Ann_Lee__2_.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="two submissions map to student id 'Ann_Lee__2_'"):
        grading.find_submissions(tmp_path, "a1")


def test_find_submissions_rejects_mixed_layouts(tmp_path: Path):
    (tmp_path / "alice.ipynb").write_text("{}")
    (tmp_path / "bob" / "a1").mkdir(parents=True)
    with pytest.raises(ValueError, match="mixes flat notebooks"):
        grading.find_submissions(tmp_path, "a1")


def test_find_submissions_empty_folder(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"no submissions of 'a1'.*<student>\.ipynb"):
        grading.find_submissions(tmp_path, "a1")


# ------------------------------------------------------------------------ bad CLI input
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["99_nope", "{subs}"], "no assignment '99_nope' in .*available: \\['00_tiny'\\]"),
        (["00_tiny", "{subs}/missing"], "does not exist; pass the folder"),
        (["00_tiny", "{empty}"], "no submissions of '00_tiny'"),
        (["00_tiny", "{subs}", "--memory-limit", "lots"], "cannot read memory size 'lots'"),
        (["00_tiny", "{subs}", "--timeout", "0"], "timeout must be a positive number"),
        (["00_tiny", "{subs}", "--jobs", "0"], "jobs must be between 1 and the"),
        (["00_tiny", "{subs}", "--out", "{subs}/graded"], "overlap; pass an --out folder outside"),
        (["00_tiny", "{subs}", "--out", "{notes}"], "is not empty and holds no earlier"),
    ],
)
def test_bad_command_line_input(solutions, tmp_path, capsys, args, message):
    (tmp_path / "subs").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("not a grading folder")
    tiny.write_flat(tmp_path / "subs", {"correct": tiny.submissions()["correct"]})
    folders = {name: tmp_path / name for name in ("subs", "empty", "notes")}
    args = [a.format(**folders) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        grading.main([*args, "--solutions", str(solutions)])
    assert exit_info.value.code == 2
    assert snapshot(tmp_path) == before  # nothing is written before the input is checked
    assert re.search(message, capsys.readouterr().err)


# ------------------------------------------------------------------------- small pieces
@pytest.mark.parametrize(
    ("text", "expected"),
    [("4G", 4 * 1024**3), ("512M", 512 * 1024**2), ("1.5GB", 3 * 1024**3 // 2), ("0", 0),
     (2048, 2048), ("64k", 65536)],
)  # fmt: skip
def test_parse_memory(text, expected):
    assert grading.parse_memory(text) == expected


def test_parse_memory_bad_input():
    with pytest.raises(ValueError, match="pass e.g. '4G'"):
        grading.parse_memory("four gigs")


def test_limit_output_size_truncates_streams_and_rich_output():
    v4 = nbformat.v4
    cell = v4.new_code_cell(
        "print",
        outputs=[
            v4.new_output("stream", name="stdout", text="a" * 30),
            v4.new_output("stream", name="stdout", text="b" * 30),
            v4.new_output("display_data", data={"image/png": "c" * 100}),
        ],
    )
    cell, _ = grading.LimitOutputSize(max_chars=40).preprocess_cell(cell, {}, 0)
    first, second, third = cell.outputs
    assert first.text == "a" * 30
    assert second.text.startswith("b" * 10 + "\n" + grading.TRUNCATION_NOTE)
    assert third.data == {"text/plain": f"{grading.TRUNCATION_NOTE} (100 characters)"}


def test_hidden_test_tracebacks_are_reduced_to_the_message():
    v4 = nbformat.v4
    error = v4.new_output(
        "error", ename="AssertionError", evalue="too few clusters",
        traceback=["Traceback", "----> 3 assert secret_check(adata)", "AssertionError: too few"],
    )  # fmt: skip
    hidden = v4.new_code_cell("check()\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS")
    hidden.outputs = [error]
    visible = v4.new_code_cell("check()", outputs=[nbformat.from_dict(dict(error))])
    pre = grading.HideHiddenTestOutput()
    hidden, _ = pre.preprocess_cell(hidden, {}, 0)
    visible, _ = pre.preprocess_cell(visible, {}, 1)
    assert hidden.outputs[0].traceback == ["AssertionError: too few clusters"]
    assert len(visible.outputs[0].traceback) == 3


def test_repository_config_applies_the_grading_settings():
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    import course_lib.grading.preprocessors

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.Execute.timeout == grading.DEFAULT_TIMEOUT
    autograde = config.Autograde.autograde_preprocessors
    assert autograde[0] is course_lib.grading.preprocessors.RecordAnswers  # before anything runs
    assert autograde.index(course_lib.grading.preprocessors.JudgeAnswers) > autograde.index(Execute)
    assert grading.HideHiddenTestOutput in config.GenerateFeedback.preprocessors


def test_grading_kernel_is_memory_capped(class_run):
    spec = class_run["out"] / "course" / "jupyter" / "kernels" / grading.GRADER_KERNEL
    argv = json.loads((spec / "kernel.json").read_text())["argv"]
    limit = str(grading.parse_memory(tiny.MEMORY_LIMIT))
    assert argv == [sys.executable, "-m", "course_lib.grading.kernel", limit, "-f",
                    "{connection_file}"]  # fmt: skip


def test_course_config_imports_the_grader(class_run, tmp_path, monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    course = (class_run["out"] / "course").resolve()
    text = (course / "nbgrader_config.py").read_text()
    assert "from course_lib.grading import configure_nbgrader" in text
    assert len(text.splitlines()) < 12, text  # an import and a call, not a copy of the grader
    monkeypatch.chdir(tmp_path)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assert config.CourseDirectory.root == str(course)
    assert config.Execute.kernel_name == grading.GRADER_KERNEL
    assert config.Execute.timeout == tiny.TIMEOUT
    assert grading.LimitOutputSize in config.Autograde.autograde_preprocessors


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        (
            "course_lib.grading",
            ("scanpy", "sklearn", "anndata", "nbgrader", "matplotlib", "dask", "distributed"),
        ),
        # runs in every grading kernel before the student's code: standard library only
        ("course_lib.grading.kernel", ("nbgrader", "nbformat", "traitlets", "numpy")),
    ],
)
def test_grader_imports_stay_light(module, heavy):
    code = f"import sys, {module}\nprint(sorted(m for m in {heavy!r} if m in sys.modules))"
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert process.stdout.strip() == "[]", f"importing {module} imported {process.stdout}"


def test_kernel_launcher_bad_argument():
    process = subprocess.run(
        [sys.executable, "-m", "course_lib.grading.kernel", "lots", "-f", "kernel.json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert process.returncode != 0
    assert "<address-space bytes, 0 for no cap>" in process.stderr
    assert "got ['lots', '-f', 'kernel.json']" in process.stderr


def test_grading_refuses_a_course_lib_the_processes_would_not_import(
    solutions, tmp_path, monkeypatch, capsys
):
    """Dask workers, grading processes and kernels import course_lib from the environment."""
    stale = tmp_path / "stale" / "course_lib"
    stale.mkdir(parents=True)
    (stale / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(stale.parent))
    tiny.write_flat(tmp_path / "subs", {"correct": tiny.submissions()["correct"]})
    with pytest.raises(SystemExit) as exit_info:
        grading.main(["00_tiny", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                      "--solutions", str(solutions)])  # fmt: skip
    assert exit_info.value.code == 2
    assert not (tmp_path / "out").exists()
    err = capsys.readouterr().err
    assert f"would import course_lib from {stale / '__init__.py'}" in err
    assert "pip install -e" in err


def test_visible_checks_and_grades_agree(class_run):
    """A ✔ means the point: on the recorded answers, the visible check alone passes exactly
    where the cell scores, except where the hidden test checks more (a float answer)."""
    pts = tiny.points()
    disagree = set()
    for path in (class_run["out"] / "course" / "autograded").glob(f"*/{tiny.ASSIGNMENT}/*.ipynb"):
        student = path.parents[1].name
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id not in pts:
                continue
            visible = cell.metadata["scclust_grading"]["visible_check_passed"]
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if visible == bool(errors):
                disagree.add((student, grade_id))
    assert disagree == {("float_answer", "test_answer"), ("shadows_int", "test_answer")}
