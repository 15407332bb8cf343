"""Autograde a folder of exercise submissions with nbgrader, one student at a time.

Run it from the repository root::

    .venv/bin/python -m course_lib.grading 01_graph_clustering path/to/submissions

The submissions folder may use nbgrader's ``<student>/<assignment>/<assignment>.ipynb``
layout (optionally inside ``submitted/``) or hold flat ``<student>.ipynb`` files. The
submitted files are only read: everything is copied into a working nbgrader course
directory under ``--out`` (default ``grading/<assignment>``), which holds

- ``grades.csv``: one row per student, one column per test cell, total and reasons;
- ``summary.md``, ``attention.csv``: submissions that need a person to look at them;
- ``score_distribution.png``: the scores of every test cell across the class;
- ``feedback/<student>.html``: per-student feedback, without the hidden tests;
- ``course/``: the nbgrader course (gradebook, autograded notebooks, logs).

Each student is graded by its own ``nbgrader autograde`` process with a wall-clock limit,
on a memory-capped copy of the course kernel, so one looping, crashing or memory-hungry
submission cannot stop or corrupt the grading of the others.

This module is also loaded by the generated ``nbgrader_config.py`` of that course (and by
the repository's), so it imports nothing heavy at module level: no scanpy, pandas or
matplotlib until a function needs them.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

DEFAULT_TIMEOUT = 120
"""Seconds each cell may run before it is interrupted (neighbours + Leiden take ~10-40 s)."""

DEFAULT_MEMORY_LIMIT = "4G"
"""Address-space cap of the grading kernel (a chapter peaks at about 1.3 GB)."""

BENIGN_STDERR = r"Warning: |WARNING: "
"""stderr text that does not fail a test cell: Python warnings and scanpy/anndata log warnings."""

DEFAULT_MAX_OUTPUT_CHARS = 200_000
"""Characters of output kept per cell; the rest is replaced by a truncation note."""

GRADER_KERNEL = "scclust-grader"
"""Name of the memory-capped kernelspec every submission is executed with."""

TRUNCATION_NOTE = "... Output truncated ..."
"""What nbgrader's ``LimitOutput`` (and :class:`LimitOutputSize`) leave in place of output."""

HIDDEN_TESTS_BEGIN = "BEGIN HIDDEN TESTS"

REPO_ROOT = Path(__file__).resolve().parents[1]

_KERNEL_LAUNCHER = """\
import resource, sys
limit = int(sys.argv.pop(1))
if limit > 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


class LimitOutputSize(NbGraderPreprocessor):
    """Truncate cell output beyond :attr:`max_chars` characters.

    nbgrader's ``LimitOutput`` only counts lines, so one enormous line (or a huge
    rich output) would still bloat the autograded notebook and the feedback page.
    :func:`configure_nbgrader` runs it after every autograded cell.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell(outputs=[new_output("stream", name="stdout", text="x" * 50)])
    >>> cell, _ = LimitOutputSize(max_chars=10).preprocess_cell(cell, {}, 0)
    >>> cell.outputs[0].text.splitlines()
    ['xxxxxxxxxx', '... Output truncated ...']
    """

    max_chars = Integer(
        DEFAULT_MAX_OUTPUT_CHARS, help="maximum characters of output kept per cell (-1: no limit)"
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):  # noqa: D102 (nbconvert API)
        if self.max_chars < 0 or cell.cell_type != "code":
            return cell, resources
        budget = self.max_chars
        kept = []
        for output in cell.outputs:
            size = _output_size(output)
            if size <= budget:
                budget -= size
                kept.append(output)
                continue
            if output.output_type == "stream":
                output.text = output.text[: max(budget, 0)] + "\n" + TRUNCATION_NOTE + "\n"
                kept.append(output)
            elif output.output_type in ("display_data", "execute_result"):
                output.data = {"text/plain": f"{TRUNCATION_NOTE} ({size} characters)"}
                kept.append(output)
            else:  # an error: keep it, errors decide grades
                kept.append(output)
            budget = 0
        cell.outputs = kept
        return cell, resources


class HideHiddenTestOutput(NbGraderPreprocessor):
    """Reduce error tracebacks of cells with hidden tests to ``ename: evalue``.

    ``ClearHiddenTests`` removes the hidden test source from the feedback, but a failing
    hidden test would still show its own lines in the traceback. Run this before it.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> error = new_output("error", ename="AssertionError", evalue="too few clusters",
    ...                    traceback=["----> 3 check(adata, strict=True)"])
    >>> cell = new_code_cell("### BEGIN HIDDEN TESTS", outputs=[error])
    >>> cell, _ = HideHiddenTestOutput().preprocess_cell(cell, {}, 0)
    >>> cell.outputs[0].traceback
    ['AssertionError: too few clusters']
    """

    begin_test_delimeter = Unicode(
        HIDDEN_TESTS_BEGIN, help="marker of the start of a hidden-test region"
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):  # noqa: D102 (nbconvert API)
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def _output_size(output: Any) -> int:
    if output.output_type == "stream":
        return len(output.text)
    if output.output_type in ("display_data", "execute_result"):
        return sum(len(str(value)) for value in output.get("data", {}).values())
    return sum(len(line) for line in output.get("traceback", []))


def configure_nbgrader(
    c: Any,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    benign_stderr: str | None = BENIGN_STDERR,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    kernel_name: str | None = None,
) -> None:
    """Apply the course's autograding and feedback settings to an nbgrader config.

    Parameters
    ----------
    c
        The config object of an ``nbgrader_config.py`` (``c = get_config()``).
    timeout
        Seconds a cell may run; then it is interrupted, recorded as a
        ``CellTimeoutError`` and the following cells still run.
    benign_stderr
        Regular expression; stderr output matching it is dropped before grading, so a
        library warning printed during a test cell does not score it 0. ``None`` keeps
        nbgrader's default (any stderr in a test cell scores 0).
    max_output_chars
        Characters of output kept per cell (nbgrader also keeps at most 1000 lines).
    kernel_name
        Kernelspec to execute every submission with, whatever the notebook says;
        ``None`` uses the source notebook's kernelspec.

    Returns
    -------
    ``None``; sets ``Execute``, ``IgnorePattern``, ``OverwriteCells``, ``LimitOutputSize``,
    ``Autograde.autograde_preprocessors`` and ``GenerateFeedback.preprocessors`` on ``c``.

    Examples
    --------
    In ``nbgrader_config.py``:

    >>> from course_lib.grading import configure_nbgrader  # doctest: +SKIP
    >>> configure_nbgrader(get_config(), timeout=120)  # doctest: +SKIP
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        Execute,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    c.Execute.timeout = int(timeout)
    c.Execute.interrupt_on_timeout = True
    if kernel_name is not None:
        c.Execute.kernel_name = kernel_name
    c.IgnorePattern.enabled = benign_stderr is not None
    c.IgnorePattern.pattern = benign_stderr or ""
    # a deleted test cell is put back from the source and graded like any other
    c.OverwriteCells.add_missing_cells = True
    c.LimitOutputSize.max_chars = int(max_output_chars)
    c.Autograde.autograde_preprocessors = [
        Execute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        LimitOutputSize,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.GenerateFeedback.preprocessors = [
        GetGrades,
        HideHiddenTestOutput,
        ClearHiddenTests,
        CSSHTMLHeaderPreprocessor,
    ]


def parse_memory(text: str | int) -> int:
    """Bytes in a memory size such as ``"4G"``, ``"512M"`` or ``"0"`` (no limit).

    Parameters
    ----------
    text
        A number of bytes, optionally with a ``K``, ``M``, ``G`` or ``T`` suffix
        (binary units, ``B``/``iB`` accepted).

    Returns
    -------
    The size in bytes.

    Examples
    --------
    >>> parse_memory("4G")
    4294967296
    >>> parse_memory("0")
    0
    """
    match = _MEMORY.match(str(text))
    if match is None:
        msg = f"cannot read memory size {text!r}; pass e.g. '4G', '512M' or '0' for no limit"
        raise ValueError(msg)
    number, unit = match.groups()
    return int(float(number) * 1024 ** ("", "k", "m", "g", "t").index(unit.lower()))


@dataclass
class StudentResult:
    """Outcome of grading one student's submission."""

    student: str
    scores: dict[str, float]
    max_scores: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    graded: bool = True
    feedback: Path | None = None
    seconds: float = 0.0

    @property
    def total(self) -> float:
        """Sum of the student's test-cell scores."""
        return float(sum(self.scores.values()))


@dataclass
class GradingReport:
    """Everything one grading run produced."""

    assignment: str
    out: Path
    results: list[StudentResult]
    questions: list[str]
    max_scores: dict[str, float]
    grades_csv: Path
    attention_csv: Path
    summary: Path
    figure: Path
    seconds: float

    @property
    def max_total(self) -> float:
        """The assignment's maximum score."""
        return float(sum(self.max_scores.values()))

    def result(self, student: str) -> StudentResult:
        """The result of ``student``."""
        for result in self.results:
            if result.student == student:
                return result
        msg = f"no student {student!r}; graded: {[r.student for r in self.results]}"
        raise KeyError(msg)


def find_submissions(folder: str | Path, assignment: str) -> dict[str, Path]:
    """Submissions of ``assignment`` in ``folder``, by student id.

    Parameters
    ----------
    folder
        Either nbgrader's layout ``<student>/<assignment>/`` (possibly inside a
        ``submitted/`` folder) or flat ``<student>.ipynb`` files.
    assignment
        Assignment name, e.g. ``"01_graph_clustering"``.

    Returns
    -------
    ``{student: path}`` sorted by student, where ``path`` is the student's assignment
    folder (nbgrader layout) or notebook file (flat layout). Student ids that nbgrader
    cannot use (spaces, brackets, ...) are made safe by replacing those characters by ``_``.

    Examples
    --------
    >>> find_submissions("collected", "01_graph_clustering")  # doctest: +SKIP
    {'alice': PosixPath('collected/alice/01_graph_clustering'), ...}
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"submissions folder {str(folder)!r} does not exist; pass the folder holding them"
        raise FileNotFoundError(msg)
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    flat = {p.stem: p for p in folder.glob("*.ipynb") if p.is_file()}
    nested = {p.parent.name: p for p in folder.glob(f"*/{assignment}") if p.is_dir()}
    if flat and nested:
        msg = (
            f"{str(folder)!r} mixes flat notebooks ({sorted(flat)[:3]}) and nbgrader folders "
            f"({sorted(nested)[:3]}); pass a folder with one layout"
        )
        raise ValueError(msg)
    found = flat or nested
    if not found:
        msg = (
            f"no submissions of {assignment!r} in {str(folder)!r}; expected "
            f"<student>/{assignment}/{assignment}.ipynb folders or <student>.ipynb files"
        )
        raise FileNotFoundError(msg)
    safe: dict[str, Path] = {}
    for name, path in sorted(found.items()):
        student = name if _STUDENT_ID.match(name) else _safe_id(name)
        if student in safe:
            msg = f"two submissions map to student id {student!r}; rename {str(path)!r}"
            raise ValueError(msg)
        safe[student] = path
    return safe


def _safe_id(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]", "_", name).lstrip("._@+-")
    return cleaned or "student"


def grade_submissions(
    assignment: str,
    submissions: str | Path,
    *,
    out: str | Path | None = None,
    solutions: str | Path | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
    benign_stderr: str | None = BENIGN_STDERR,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    submission_timeout: float | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> GradingReport:
    """Autograde every submission of ``assignment`` and write grades, feedback and a summary.

    Parameters
    ----------
    assignment
        Assignment name; ``<solutions>/<assignment>/<assignment>.ipynb`` is the source.
    submissions
        Folder of submissions (see :func:`find_submissions`); never modified.
    out
        Output folder, default ``grading/<assignment>``. Re-running with the same
        folder regrades everyone and gives the same results.
    solutions
        nbgrader source folder, default the repository's ``solutions/``.
    timeout
        Seconds each cell may run before it is interrupted.
    memory_limit
        Address-space cap of the grading kernel, e.g. ``"4G"``; ``"0"`` for none.
    benign_stderr
        Regular expression of stderr output that does not fail a test cell.
    max_output_chars
        Characters of output kept per cell.
    submission_timeout
        Wall-clock seconds for grading one submission, after which its grading process
        (and kernel) is killed and it scores 0; default ``timeout`` per code cell + 5 min.
    jobs
        Submissions graded at the same time, each by its own process and kernel; at most
        the number of cores (each kernel needs up to ``memory_limit``).
    progress
        Show a progress bar.

    Returns
    -------
    A :class:`GradingReport`; the files it names are written under ``out``.

    Examples
    --------
    >>> report = grade_submissions("01_graph_clustering", "collected")  # doctest: +SKIP
    >>> report.result("alice").total, report.max_total  # doctest: +SKIP
    (10.0, 10.0)
    """
    start = time.perf_counter()
    solutions = Path(solutions) if solutions is not None else REPO_ROOT / "solutions"
    source_nb = solutions / assignment / f"{assignment}.ipynb"
    if not source_nb.is_file():
        available = sorted(p.name for p in solutions.glob("*") if (p / f"{p.name}.ipynb").is_file())
        msg = f"no assignment {assignment!r} in {str(solutions)!r}; available: {available}"
        raise FileNotFoundError(msg)
    if timeout <= 0:
        msg = f"timeout must be a positive number of seconds, got {timeout}; pass e.g. 120"
        raise ValueError(msg)
    limit = parse_memory(memory_limit)
    if not 1 <= jobs <= (os.cpu_count() or 1):
        msg = f"jobs must be between 1 and the {os.cpu_count()} cores, got {jobs}; pass e.g. 1"
        raise ValueError(msg)
    if benign_stderr is not None:
        try:
            re.compile(benign_stderr)
        except re.error as error:
            msg = (
                f"benign_stderr {benign_stderr!r} is not a regular expression ({error}); "
                f"pass e.g. {BENIGN_STDERR!r}"
            )
            raise ValueError(msg) from None
    found = find_submissions(submissions, assignment)

    out = Path(out) if out is not None else Path("grading") / assignment
    _check_out(out, Path(submissions))
    course = _CourseDir(out.resolve() / "course", assignment)
    try:
        course.prepare(solutions / assignment, timeout, limit, benign_stderr, max_output_chars)
        course.copy_submissions(found)
        release_nb = nbformat.read(course.release / f"{assignment}.ipynb", as_version=4)
        questions, max_scores = _grade_cells(release_nb)
        n_code = sum(cell.cell_type == "code" for cell in release_nb.cells)
        wall_limit = submission_timeout or timeout * (n_code + 2) + 300

        results = course.grade_all(list(found), release_nb, wall_limit, jobs, progress)
        course.generate_feedback(results, out)
    finally:
        course.worker.kill()
    for result in results:
        result.scores, result.max_scores = course.scores(result.student, questions)

    report = GradingReport(
        assignment=assignment,
        out=out,
        results=results,
        questions=questions,
        max_scores=max_scores,
        grades_csv=out / "grades.csv",
        attention_csv=out / "attention.csv",
        summary=out / "summary.md",
        figure=out / "score_distribution.png",
        seconds=0.0,
    )
    _write_grades(report)
    _write_attention(report)
    _plot_distribution(report)
    report.seconds = time.perf_counter() - start
    _write_summary(report)
    return report


def _check_out(out: Path, submissions: Path) -> None:
    """Refuse an output folder that would overwrite something else (it is partly rebuilt)."""
    out, submissions = out.resolve(), submissions.resolve()
    if out == submissions or out in submissions.parents or submissions in out.parents:
        msg = (
            f"the output folder {str(out)!r} and the submissions {str(submissions)!r} overlap; "
            "pass an --out folder outside the submissions"
        )
        raise ValueError(msg)
    if out.is_dir() and any(out.iterdir()) and not (out / "course" / "nbgrader_config.py").exists():
        msg = (
            f"{str(out)!r} is not empty and holds no earlier grading run; pass a new or empty "
            "--out folder (or the folder of an earlier run, to regrade)"
        )
        raise ValueError(msg)


def _grade_cells(nb: Any) -> tuple[list[str], dict[str, float]]:
    metas = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    cells = [m for m in metas if m.get("grade")]
    return [m["grade_id"] for m in cells], {m["grade_id"]: float(m["points"]) for m in cells}


def _hash_tree(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _Worker:
    """A long-lived process that runs nbgrader converters on request.

    Importing nbgrader takes seconds, so one process grades student after student; the
    parent enforces a wall-clock limit per request and, past it, kills the worker with
    everything it started (the kernel included) and starts a fresh one for the next.
    """

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log_path = log
        self.process: subprocess.Popen | None = None
        self.replies: queue.Queue[str | None] = queue.Queue()

    def _start(self) -> None:
        # nbgrader runs the venv's `alembic` through PATH; kernels are found in JUPYTER_PATH
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        env = {**os.environ, "PATH": path, "JUPYTER_PATH": str(self.root / "jupyter")}
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(Path(__file__).resolve()), str(self.root)],
                cwd=self.root,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.process, self.replies), daemon=True).start()

    @staticmethod
    def _read(process: subprocess.Popen, replies: queue.Queue) -> None:
        for line in process.stdout:
            replies.put(line)
        replies.put(None)

    def request(self, timeout: float | None = None, **payload: str) -> dict[str, Any]:
        """Run one converter; returns nbgrader's ``{"success", "log", "error"}`` dict."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        try:
            self.process.stdin.write(json.dumps(payload) + "\n")
            self.process.stdin.flush()
            line = self.replies.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            return {"success": False, "timed_out": True, "log": ""}
        except BrokenPipeError:
            line = None
        if line is None:
            self.kill()
            return {"success": False, "log": "", "error": "the nbgrader worker process died"}
        return json.loads(line)

    def kill(self) -> None:
        """Stop the worker and every process it started."""
        import psutil

        if self.process is None:
            return
        try:
            family = [*psutil.Process(self.process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        for proc in [*family, self.process]:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.wait()
        self.process = None

    def close(self) -> None:
        """Let the worker finish and exit."""
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


_WORKER = """\
import importlib.util, sys
spec = importlib.util.spec_from_file_location("_scclust_grading", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
module._serve(sys.argv[2])
"""


def _serve(root: str) -> None:
    """Worker loop: read JSON requests from stdin, run an nbgrader converter, answer on stdout."""
    import logging

    from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config.loader import PyFileConfigLoader

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # kernels and libraries print into the log, never into the protocol
    logging.getLogger("traitlets").setLevel(logging.INFO)
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    converters = {
        "generate_assignment": GenerateAssignment,
        "autograde": Autograde,
        "generate_feedback": GenerateFeedback,
    }
    for line in sys.stdin:
        request = json.loads(line)
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = request["assignment"]
        if "student" in request:
            coursedir.student_id = request["student"]
        converter = converters[request["command"]](coursedir=coursedir, config=config)
        converter.force = True
        result = capture_log(converter)
        protocol.write(json.dumps(result) + "\n")


class _CourseDir:
    """The working nbgrader course directory: source, release, submitted, gradebook."""

    def __init__(self, root: Path, assignment: str) -> None:
        self.root = root
        self.assignment = assignment
        self.source = root / "source" / assignment
        self.release = root / "release" / assignment
        self.logs = root / "logs"
        self.db = root / "gradebook.db"
        self.worker = _Worker(root, self.logs / "worker.log")

    def prepare(
        self, source: Path, timeout: int, limit: int, benign: str | None, max_chars: int
    ) -> None:
        """Write config and kernelspec, copy the source, and register the assignment."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.logs.exists():
            shutil.rmtree(self.logs)
        self.logs.mkdir()
        stamp = self.root / "source_hash.txt"
        digest = _hash_tree(source)
        if not stamp.exists() or stamp.read_text() != digest:
            # a changed source invalidates the gradebook: start the course afresh
            for name in ("gradebook.db", "release", "autograded", "feedback"):
                path = self.root / name
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        if self.source.exists():
            shutil.rmtree(self.source)
        shutil.copytree(source, self.source, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))

        kernel_dir = self.root / "jupyter" / "kernels" / GRADER_KERNEL
        kernel_dir.mkdir(parents=True, exist_ok=True)
        spec = {
            "argv": [sys.executable, "-c", _KERNEL_LAUNCHER, str(limit), "-f", "{connection_file}"],
            "display_name": f"scclust-course grader (address space <= {limit} bytes)",
            "language": "python",
            "metadata": {"debugger": False},
        }
        (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
        settings = {
            "timeout": timeout,
            "benign_stderr": benign,
            "max_output_chars": max_chars,
            "kernel_name": GRADER_KERNEL,
        }
        (self.root / "nbgrader_config.py").write_text(
            _COURSE_CONFIG.format(
                grading=str(Path(__file__).resolve()), root=str(self.root), settings=repr(settings)
            )
        )
        result = self.worker.request(command="generate_assignment", assignment=self.assignment)
        _write_log(self.logs / "generate_assignment.log", result)
        if not result["success"]:
            msg = (
                f"nbgrader could not register {self.assignment!r} from {str(source)!r}:\n"
                f"{result.get('log', '')[-3000:]}{result.get('error', '')[-2000:]}"
            )
            raise RuntimeError(msg)
        stamp.write_text(digest)

    def copy_submissions(self, found: dict[str, Path]) -> None:
        """Rebuild ``submitted/`` from the submissions (which are only read)."""
        submitted = self.root / "submitted"
        if submitted.exists():
            shutil.rmtree(submitted)
        for student, path in found.items():
            dest = submitted / student / self.assignment
            if path.is_dir():
                shutil.copytree(path, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            else:
                dest.mkdir(parents=True)
                shutil.copyfile(path, dest / f"{self.assignment}.ipynb")

    def _clear_outputs(self, student: str) -> None:
        for step in ("autograded", "feedback"):
            path = self.root / step / student / self.assignment
            if path.exists():
                shutil.rmtree(path)

    def grade_student(
        self, student: str, release_nb: Any, wall_limit: float, worker: _Worker
    ) -> StudentResult:
        """Autograde one student; a failure gives 0 points and a reason, never an exception."""
        start = time.perf_counter()
        self._clear_outputs(student)
        notebook = self.root / "submitted" / student / self.assignment / f"{self.assignment}.ipynb"
        reasons, gradable = inspect_submission(notebook, release_nb)
        graded = False
        if gradable:
            request = {"command": "autograde", "assignment": self.assignment, "student": student}
            result = worker.request(timeout=wall_limit, **request)
            if not result["success"] and "database is locked" in result.get("log", ""):
                result = worker.request(timeout=wall_limit, **request)  # a parallel job wrote
            _write_log(self.logs / f"autograde_{student}.log", result)
            autograded = self.root / "autograded" / student / self.assignment / notebook.name
            if result["success"] and autograded.exists():
                graded = True
                reasons += inspect_autograded(nbformat.read(autograded, as_version=4))
            else:
                reasons.append(_failure_reason(result, wall_limit))
        if not graded:
            self._record_zero(student)
        return StudentResult(
            student=student,
            scores={},
            max_scores={},
            reasons=reasons,
            graded=graded,
            seconds=time.perf_counter() - start,
        )

    def grade_all(
        self, students: list[str], release_nb: Any, wall_limit: float, jobs: int, progress: bool
    ) -> list[StudentResult]:
        """Grade students with ``jobs`` workers in parallel; results in student order."""
        from tqdm.auto import tqdm

        idle: queue.Queue[_Worker] = queue.Queue()
        workers = [self.worker] + [
            _Worker(self.root, self.logs / f"worker_{i}.log") for i in range(1, jobs)
        ]
        for worker in workers:
            idle.put(worker)

        def grade(student: str) -> StudentResult:
            worker = idle.get()
            try:
                return self.grade_student(student, release_nb, wall_limit, worker)
            finally:
                idle.put(worker)

        results = {}
        bar = tqdm(
            total=len(students), desc=f"Grading {self.assignment}", unit="student",
            disable=not progress,
        )  # fmt: skip
        try:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(grade, student): student for student in students}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.set_postfix_str(futures[future])
                    bar.update()
        finally:
            bar.close()
            for worker in workers[1:]:
                worker.kill()
        return [results[student] for student in students]

    def _record_zero(self, student: str) -> None:
        import warnings

        from nbgrader.api import Gradebook
        from sqlalchemy.exc import SAWarning

        self._clear_outputs(student)
        with warnings.catch_warnings():
            # nbgrader's own session handling warns when it creates a submission
            warnings.simplefilter("ignore", SAWarning)
            with Gradebook(f"sqlite:///{self.db}") as gb:
                gb.update_or_create_student(student)
                submission = gb.update_or_create_submission(self.assignment, student)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        grade.auto_score = 0
                        grade.manual_score = None
                        grade.needs_manual_grade = False
                gb.db.commit()

    def scores(
        self, student: str, questions: list[str]
    ) -> tuple[dict[str, float], dict[str, float]]:
        """A student's score and maximum per test cell, from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.db}") as gb:
            notebook = gb.find_submission_notebook(self.assignment, self.assignment, student)
            grades = {g.name: g for g in notebook.grades}
            return (
                {q: float(grades[q].score or 0) for q in questions},
                {q: float(grades[q].max_score) for q in questions},
            )

    def generate_feedback(self, results: list[StudentResult], out: Path) -> None:
        """Write feedback HTML for every graded student and copy it to ``out/feedback``."""
        graded = [r for r in results if r.graded]
        target = out / "feedback"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        if graded:
            result = self.worker.request(command="generate_feedback", assignment=self.assignment)
            _write_log(self.logs / "generate_feedback.log", result)
        self.worker.close()
        for result in graded:
            html = self.root / "feedback" / result.student / self.assignment
            html = html / f"{self.assignment}.html"
            if html.exists():
                result.feedback = target / f"{result.student}.html"
                shutil.copyfile(html, result.feedback)
            else:
                result.reasons.append("no feedback page (see course/logs/generate_feedback.log)")


def _write_log(path: Path, result: dict[str, Any]) -> None:
    path.write_text(result.get("log", "") + result.get("error", ""))


_COURSE_CONFIG = """\
# Generated by course_lib.grading for this working course; rewritten on every run.
import importlib.util
import sys

# course_lib/grading.py is loaded by path: importing the course_lib package would import
# scanpy into the nbgrader process
_grading = sys.modules.get("_scclust_grading")
if _grading is None:
    _spec = importlib.util.spec_from_file_location("_scclust_grading", {grading!r})
    _grading = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _grading
    _spec.loader.exec_module(_grading)

c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
_grading.configure_nbgrader(c, **{settings})
"""


def inspect_submission(notebook: Path, release_nb: Any) -> tuple[list[str], bool]:
    """Problems visible in a submitted notebook before it is run.

    Parameters
    ----------
    notebook
        The submitted notebook.
    release_nb
        The released notebook (with nbgrader checksums), as read by :mod:`nbformat`.

    Returns
    -------
    ``(reasons, gradable)``: what an instructor should know, and whether nbgrader can
    grade it at all (``False`` for a missing or unreadable notebook).

    Examples
    --------
    >>> inspect_submission(Path("alice.ipynb"), release_nb)  # doctest: +SKIP
    (["test cell 'q1_tests' was edited (restored from the source)"], True)
    """
    from nbgrader.utils import compute_checksum

    if not notebook.is_file():
        others = sorted(p.name for p in notebook.parent.glob("*.ipynb"))
        return [f"no {notebook.name} in the submission (found: {others})"], False
    try:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # any unreadable notebook is reported, never raised
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        detail = " ".join(first_line.split())[:120]
        return [f"corrupt notebook ({type(error).__name__}: {detail})"], False

    reasons = []
    expected = release_nb.metadata.get("kernelspec", {}).get("name")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != expected:
        reasons.append(
            f"kernelspec {kernel!r} instead of {expected!r} (graded with the course kernel)"
        )
    submitted = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if "grade_id" in c.metadata.get("nbgrader", {})
    }
    for cell in release_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "grade_id" not in meta:
            continue
        name = meta["grade_id"]
        kind = "test cell" if meta.get("grade") and not meta.get("solution") else "cell"
        if name not in submitted:
            if meta.get("grade"):
                reasons.append(f"{kind} {name!r} was deleted (put back from the source and graded)")
            else:
                reasons.append(f"{kind} {name!r} was deleted")
        elif meta.get("locked") and compute_checksum(submitted[name]) != meta.get("checksum"):
            reasons.append(f"{kind} {name!r} was edited (restored from the source)")
    return reasons, True


def inspect_autograded(nb: Any) -> list[str]:
    """Problems that showed while a notebook was autograded.

    Parameters
    ----------
    nb
        An autograded notebook, as read by :mod:`nbformat`.

    Returns
    -------
    Reasons for an instructor to look: timeouts, memory errors, truncated output.

    Examples
    --------
    >>> inspect_autograded(nbformat.read("autograded/alice/a/a.ipynb", 4))  # doctest: +SKIP
    ['cell 7 timed out (interrupted; later cells were still graded)']
    """
    reasons = []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        name = f"cell {index}" + (f" ({grade_id!r})" if grade_id else "")
        for output in cell.outputs:
            if output.output_type == "error" and output.ename == "CellTimeoutError":
                reasons.append(f"{name} timed out (interrupted; later cells still graded)")
            elif output.output_type == "error" and output.ename.endswith("MemoryError"):
                reasons.append(f"{name} hit the memory limit (MemoryError)")
            elif TRUNCATION_NOTE in json.dumps(output.get("text", output.get("data", ""))):
                reasons.append(f"{name} printed huge output (truncated)")
    return list(dict.fromkeys(reasons))


def _failure_reason(result: dict[str, Any], wall_limit: float) -> str:
    if result.get("timed_out"):
        return f"grading took longer than {wall_limit:.0f} s and was stopped (score 0)"
    text = result.get("log", "") + result.get("error", "")
    if "DeadKernelError" in text or "Kernel died" in text:
        return "kernel died during execution (crash, os._exit or memory outside Python; score 0)"
    if "CellTimeoutError" in text:
        return "a cell kept running after the timeout and could not be interrupted (score 0)"
    errors = [line for line in text.splitlines() if "Error" in line or "ERROR" in line]
    detail = errors[-1].strip()[:200] if errors else "no log"
    return f"nbgrader failed: {detail} (score 0; see course/logs)"


def _write_grades(report: GradingReport) -> None:
    report.out.mkdir(parents=True, exist_ok=True)
    with open(report.grades_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *report.questions, "total", "max_score", "graded", "reasons"])
        for r in report.results:
            writer.writerow(
                [
                    r.student,
                    *(f"{r.scores[q]:g}" for q in report.questions),
                    f"{r.total:g}",
                    f"{report.max_total:g}",
                    r.graded,
                    "; ".join(r.reasons),
                ]
            )


def _write_attention(report: GradingReport) -> None:
    with open(report.attention_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "total", "reason"])
        for r in report.results:
            for reason in r.reasons:
                writer.writerow([r.student, f"{r.total:g}", reason])


def _write_summary(report: GradingReport) -> None:
    results = report.results
    totals = sorted(r.total for r in results)
    lines = [
        f"# Grading summary: {report.assignment}",
        "",
        f"- Students: {len(results)} ({sum(r.graded for r in results)} graded by nbgrader)",
        f"- Total score: median {totals[len(totals) // 2]:g} of {report.max_total:g}, "
        f"{sum(t == report.max_total for t in totals)} with full marks",
        f"- Grading time: {report.seconds:.0f} s "
        f"({report.seconds / max(len(results), 1):.1f} s per submission)",
        f"- Grades: `{report.grades_csv.name}`; feedback: `feedback/<student>.html`",
        "",
        f"![Score distribution per test cell]({report.figure.name})",
        "",
        "## Needs manual attention",
        "",
    ]
    flagged = [(r, reason) for r in results for reason in r.reasons]
    if flagged:
        lines += ["| student | total | reason |", "|---|---|---|"]
        lines += [
            f"| {r.student} | {r.total:g} | {' '.join(reason.split()).replace('|', '/')} |"
            for r, reason in flagged
        ]
    else:
        lines.append("Nothing: every submission was graded without problems.")
    report.summary.write_text("\n".join(lines) + "\n")


def _plot_distribution(report: GradingReport) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a script writing a file, never a notebook
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    questions = report.questions
    full = [sum(r.scores[q] >= report.max_scores[q] for r in report.results) for q in questions]
    zero = [sum(r.scores[q] <= 0 for r in report.results) for q in questions]
    partial = [len(report.results) - f - z for f, z in zip(full, zero, strict=True)]
    fig, (ax, ax_total) = plt.subplots(
        1, 2, figsize=(11, 0.45 * len(questions) + 3), width_ratios=[3, 2], layout="constrained"
    )
    y = range(len(questions))
    left = [0] * len(questions)
    for counts, label, color in (
        (full, "full marks", "#2a9d8f"),
        (partial, "partial", "#e9c46a"),
        (zero, "0 points", "#e76f51"),
    ):
        ax.barh(y, counts, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(list(y), [f"{q} ({report.max_scores[q]:g} pt)" for q in questions])
    ax.invert_yaxis()
    ax.set_xlabel("Number of students")
    ax.set_ylabel("Test cell")
    ax.set_title("Score per test cell")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.08), ncol=3, frameon=False)
    ax_total.hist(
        [r.total for r in report.results],
        bins=_bins(report.max_total),
        color="#264653",
        edgecolor="white",
    )
    ax_total.set_xlabel(f"Total score (of {report.max_total:g})")
    ax_total.set_ylabel("Number of students")
    ax_total.set_title("Total scores")
    for axis in (ax.xaxis, ax_total.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"{report.assignment}: scores of {len(report.results)} submissions")
    fig.savefig(report.figure, dpi=100)
    plt.close(fig)


def _bins(max_total: float) -> list[float]:
    steps = max(int(max_total), 1)
    return [i * max_total / steps - 0.5 for i in range(steps + 2)]


def main(argv: Iterable[str] | None = None) -> int:
    """Command line: ``python -m course_lib.grading <assignment> <submissions> [options]``.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    Exit code: 0 when every submission was graded (some may still need attention),
    1 when at least one could not be graded (it is in the CSV with 0 and a reason),
    2 for bad arguments.

    Examples
    --------
    >>> main(["01_graph_clustering", "collected", "--out", "grading/01"])  # doctest: +SKIP
    0
    """
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grading",
        description="Autograde submissions with nbgrader; write grades, feedback and a summary.",
    )
    parser.add_argument("assignment", help="assignment name, e.g. 01_graph_clustering")
    parser.add_argument(
        "submissions", help="folder of <student>/<assignment>/ folders or <student>.ipynb files"
    )
    parser.add_argument("--out", help="output folder (default: grading/<assignment>)")
    parser.add_argument(
        "--solutions", help="nbgrader source folder (default: the repository's solutions/)"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help="seconds per cell (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help="address-space cap of the grading kernel, e.g. 4G; 0 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--benign-stderr",
        default=BENIGN_STDERR,
        help="regex of stderr that does not fail a test (default: %(default)r); '' for none",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="submissions graded in parallel (default: %(default)s)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        report = grade_submissions(
            args.assignment,
            args.submissions,
            out=args.out,
            solutions=args.solutions,
            timeout=args.timeout,
            memory_limit=args.memory_limit,
            benign_stderr=args.benign_stderr or None,
            jobs=args.jobs,
            progress=not args.no_progress,
        )
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        parser.error(str(error))
    ungraded = [r.student for r in report.results if not r.graded]
    print(f"graded {len(report.results)} submissions in {report.seconds:.0f} s -> {report.out}")
    print(f"grades: {report.grades_csv}\nsummary: {report.summary}")
    if ungraded:
        print(f"could not grade (0 points, see {report.summary.name}): {', '.join(ungraded)}")
    return 1 if ungraded else 0


if __name__ == "__main__":
    sys.exit(main())
