"""The working nbgrader course directory of a run: config, kernel, submissions, gradebook.

:class:`CourseDir` lays out ``<out>/course`` (``source/``, ``release/``, ``submitted/``,
``autograded/``, ``feedback/``, ``gradebook.db``, ``logs/``), writes its
``nbgrader_config.py`` and memory-capped kernelspec, grades students through the worker
processes of :mod:`course_lib.grading.pool` and reads the scores back from the gradebook.
"""

from __future__ import annotations

import hashlib
import json
import queue
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .config import GRADER_KERNEL, write_course_config
from .pool import Worker
from .report import StudentResult
from .submissions import inspect_autograded, inspect_submission


class CourseDir:
    """The working nbgrader course directory: source, release, submitted, gradebook."""

    def __init__(self, root: Path, assignment: str) -> None:
        self.root = root
        self.assignment = assignment
        self.source = root / "source" / assignment
        self.release = root / "release" / assignment
        self.logs = root / "logs"
        self.db = root / "gradebook.db"
        self.worker = Worker(root, self.logs / "worker.log")

    def prepare(
        self, source: Path, timeout: int, limit: int, benign: str | None, max_chars: int
    ) -> None:
        """Write config and kernelspec, copy the source, and register the assignment.

        Parameters
        ----------
        source
            The assignment's nbgrader source folder.
        timeout
            Seconds per cell.
        limit
            Address-space cap of the kernel in bytes (``0``: none).
        benign
            Regular expression of stderr that does not fail a test cell, or ``None``.
        max_chars
            Characters of output kept per cell.

        Raises
        ------
        RuntimeError
            If nbgrader cannot generate the release of the assignment.
        """
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
            "argv": [sys.executable, "-m", "course_lib.grading.kernel", str(limit),
                     "-f", "{connection_file}"],
            "display_name": f"scclust-course grader (address space <= {limit} bytes)",
            "language": "python",
            "metadata": {"debugger": False},
        }  # fmt: skip
        (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
        write_course_config(
            self.root,
            timeout=timeout,
            benign_stderr=benign,
            max_output_chars=max_chars,
            kernel_name=GRADER_KERNEL,
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
        """Rebuild ``submitted/`` from the submissions (which are only read).

        Parameters
        ----------
        found
            ``{student: path}`` as returned by :func:`~.submissions.find_submissions`.
        """
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
        self, student: str, release_nb: Any, wall_limit: float, worker: Worker
    ) -> StudentResult:
        """Autograde one student; a failure gives 0 points and a reason, never an exception.

        Parameters
        ----------
        student
            Student id (a folder of ``submitted/``).
        release_nb
            The released notebook, as read by :mod:`nbformat`.
        wall_limit
            Wall-clock seconds for the whole autograde of this student.
        worker
            The worker process to run it in.

        Returns
        -------
        StudentResult
            Reasons and whether it was graded; the scores are read later from the gradebook.
        """
        import nbformat

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
        """Grade students with ``jobs`` workers in parallel.

        Parameters
        ----------
        students
            Student ids to grade.
        release_nb
            The released notebook, as read by :mod:`nbformat`.
        wall_limit
            Wall-clock seconds per student.
        jobs
            Worker processes grading at the same time.
        progress
            Show a progress bar.

        Returns
        -------
        list of StudentResult
            One per student, in the order of ``students``.
        """
        from tqdm.auto import tqdm

        idle: queue.Queue[Worker] = queue.Queue()
        workers = [self.worker] + [
            Worker(self.root, self.logs / f"worker_{i}.log") for i in range(1, jobs)
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
        """A student's score and maximum per test cell, from the gradebook.

        Parameters
        ----------
        student
            Student id.
        questions
            Grade ids of the test cells.

        Returns
        -------
        tuple of (dict of str to float, dict of str to float)
            Scores and maximum scores by grade id.
        """
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.db}") as gb:
            notebook = gb.find_submission_notebook(self.assignment, self.assignment, student)
            grades = {g.name: g for g in notebook.grades}
            return (
                {q: float(grades[q].score or 0) for q in questions},
                {q: float(grades[q].max_score) for q in questions},
            )

    def generate_feedback(self, results: list[StudentResult], out: Path) -> None:
        """Write feedback HTML for every graded student and copy it to ``out/feedback``.

        Parameters
        ----------
        results
            The run's results; each graded one gets its ``feedback`` path set.
        out
            The run's output folder.
        """
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


def _hash_tree(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


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
