"""The working nbgrader course directory of a run: config, kernel, submissions, gradebook.

:class:`CourseDir` lays out ``<out>/course`` (``source/``, ``release/``, ``submitted/``,
``autograded/``, ``feedback/``, ``gradebook.db``, ``logs/``), writes its
``nbgrader_config.py`` and memory-capped kernelspec, and registers the assignment in a
gradebook template (no students). Grading runs on Dask workers (:mod:`.engine`), each
student in a private copy of the course (:mod:`.task`); this process alone writes what
comes back into this directory and into ``gradebook.db``, one student after the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from .refcache import References
from .report import StudentResult
from .settings import GradingSettings, write_course_config
from .submissions import inspect_autograded, inspect_submission
from .task import (
    GradingOutcome,
    GradingTask,
    read_files,
    worker_env,
    write_files,
    write_kernelspec,
)


class CourseDir:
    """The working nbgrader course directory: source, release, submitted, gradebook.

    Parameters
    ----------
    root
        The directory (``<out>/course``).
    assignment
        Assignment id.
    settings
        The run's settings, their ``submission_timeout`` set
        (:meth:`~.settings.GradingSettings.for_code_cells`).
    """

    def __init__(self, root: Path, assignment: str, settings: GradingSettings) -> None:
        self.root = root
        self.assignment = assignment
        self.settings = settings
        self.source = root / "source" / assignment
        self.release = root / "release" / assignment
        self.logs = root / "logs"
        self.db = root / "gradebook.db"
        self.template = root / "gradebook_template.db"

    def prepare(self, source: Path) -> None:
        """Write config and kernelspec, copy the source, and register the assignment.

        Parameters
        ----------
        source
            The assignment's nbgrader source folder.

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
        write_kernelspec(self.root, self.settings.memory_bytes)
        write_course_config(self.root, self.settings)
        result = self._generate_assignment()
        _write_log(self.logs / "generate_assignment.log", result)
        if not result["success"]:
            msg = (
                f"nbgrader could not register {self.assignment!r} from {str(source)!r}:\n"
                f"{result.get('log', '')[-3000:]}{result.get('error', '')[-2000:]}"
            )
            raise RuntimeError(msg)
        if not self.db.exists():
            shutil.copyfile(self.template, self.db)
        stamp.write_text(digest)

    def _generate_assignment(self) -> dict[str, Any]:
        """Run nbgrader's ``GenerateAssignment`` into ``release/`` and a fresh template db."""
        from nbgrader.converters import GenerateAssignment
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.utils import capture_log
        from traitlets.config.loader import PyFileConfigLoader

        self.template.unlink(missing_ok=True)
        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = self.assignment
        coursedir.db_url = f"sqlite:///{self.template}"
        converter = GenerateAssignment(coursedir=coursedir, config=config)
        converter.force = True
        path = os.environ.get("PATH")
        os.environ["PATH"] = worker_env(self.root)["PATH"]  # a new gradebook runs `alembic`
        try:
            return capture_log(converter)
        finally:
            if path is None:
                os.environ.pop("PATH", None)
            else:
                os.environ["PATH"] = path

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

    def log_references(self, references: References | None) -> None:
        """Write what preparing the reference answers gave to ``logs/references.json``.

        Parameters
        ----------
        references
            The prepared references, or ``None`` when there were none (the kernels compute
            them then).
        """
        record = {"handed_to_judge": references is not None}
        if references is not None:
            record |= {"sha256": references.sha256, "bytes": len(references.data),
                       "computed": references.computed, "loaded_from_cache": references.loaded,
                       "seconds": round(references.seconds, 2)}  # fmt: skip
        (self.logs / "references.json").write_text(json.dumps(record, indent=1) + "\n")

    def task(
        self, student: str, run_id: str = "", references: References | None = None
    ) -> GradingTask:
        """What a worker needs to grade ``student``: their files, the course, the settings.

        Parameters
        ----------
        student
            Student id (a folder of ``submitted/``).
        run_id
            Tag of this run, part of the worker's temporary folder name.
        references
            The class's reference answers and their SHA-256, or ``None``.

        Returns
        -------
        GradingTask
            A self-contained task (workers need no shared file system).
        """
        return GradingTask(
            assignment=self.assignment,
            student=student,
            submission=read_files(self.root / "submitted" / student / self.assignment),
            source=read_files(self.source),
            release=read_files(self.release),
            template_db=self.template.read_bytes(),
            settings=self.settings,
            run_id=run_id,
            references=references.data if references is not None else None,
            references_sha256=references.sha256 if references is not None else "",
        )

    def grade_all(
        self,
        students: list[str],
        release_nb: Any,
        client: Any,
        run_id: str = "",
        references: References | None = None,
    ) -> list[StudentResult]:
        """Inspect every submission, grade the gradable ones on the cluster, record all.

        Parameters
        ----------
        students
            Student ids to grade.
        release_nb
            The released notebook, as read by :mod:`nbformat`.
        client
            A connected :class:`distributed.Client` (see :func:`.engine.dask_client`).
        run_id
            Tag of this run, part of the workers' temporary folder names.
        references
            The class's reference answers handed to every kernel, or ``None``.

        Returns
        -------
        list of StudentResult
            One per student, in the order of ``students``; the scores are read later from
            the gradebook.
        """
        from .engine import run_tasks

        checks = {}
        for student in students:
            self._clear_outputs(student)
            notebook = self.root / "submitted" / student / self.assignment
            checks[student] = inspect_submission(notebook / f"{self.assignment}.ipynb", release_nb)
        tasks = [self.task(s, run_id, references) for s in students if checks[s][1]]
        outcomes = run_tasks(
            client, tasks, progress=self.settings.progress, description=f"Grading {self.assignment}"
        )
        return [self.record(s, checks[s][0], outcomes.get(s)) for s in students]

    def record(
        self,
        student: str,
        reasons: list[str],
        outcome: GradingOutcome | str | None,
    ) -> StudentResult:
        """Write one student's outcome into the course and the gradebook (never fails).

        Parameters
        ----------
        student
            Student id.
        reasons
            What :func:`~.submissions.inspect_submission` found.
        outcome
            The worker's outcome, the reason it could not be graded, or ``None`` when the
            submission was not gradable.

        Returns
        -------
        StudentResult
            Reasons and whether it was graded; scores are read from the gradebook later.
        """
        import nbformat

        reasons = list(reasons)
        seconds = 0.0
        graded = False
        if isinstance(outcome, str):
            reasons.append(outcome)
        elif outcome is not None:
            seconds = outcome.seconds
            (self.logs / f"autograde_{student}.log").write_text(outcome.log)
            if outcome.success:
                graded = True
                autograded = self.root / "autograded" / student / self.assignment
                write_files(autograded, outcome.autograded)
                notebook = autograded / f"{self.assignment}.ipynb"
                reasons += inspect_autograded(nbformat.read(notebook, as_version=4))
                if outcome.feedback is not None:
                    html = self.root / "feedback" / student / self.assignment
                    write_files(html, {f"{self.assignment}.html": outcome.feedback})
                self._merge(student, outcome)
            else:
                reasons.append(_failure_reason(outcome, self.settings.submission_timeout))
        if not graded:
            self._record_zero(student)
        return StudentResult(
            student=student, scores={}, max_scores={}, reasons=reasons, graded=graded,
            seconds=seconds,
        )  # fmt: skip

    def _merge(self, student: str, outcome: GradingOutcome) -> None:
        """Write a worker's scores and comments for ``student`` into the gradebook."""
        from nbgrader.api import Gradebook
        from sqlalchemy.exc import SAWarning

        timestamp = datetime.fromisoformat(outcome.timestamp) if outcome.timestamp else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            with Gradebook(f"sqlite:///{self.db}") as gb:
                gb.update_or_create_student(student)
                submission = gb.update_or_create_submission(
                    self.assignment, student, timestamp=timestamp
                )
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        auto, _, manual = outcome.grades.get(grade.name, (0.0, 0.0, False))
                        grade.auto_score = auto
                        grade.manual_score = None
                        grade.needs_manual_grade = manual
                    for comment in notebook.comments:
                        comment.auto_comment = outcome.comments.get(comment.name)
                gb.db.commit()

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

    def copy_feedback(self, results: list[StudentResult], out: Path) -> None:
        """Copy the feedback page of every graded student to ``out/feedback``.

        Parameters
        ----------
        results
            The run's results; each graded one gets its ``feedback`` path set, or a reason
            when its worker made no feedback page.
        out
            The run's output folder.
        """
        target = out / "feedback"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for result in results:
            if not result.graded:
                continue
            html = self.root / "feedback" / result.student / self.assignment
            html = html / f"{self.assignment}.html"
            if html.exists():
                result.feedback = target / f"{result.student}.html"
                shutil.copyfile(html, result.feedback)
            else:
                log = f"course/logs/autograde_{result.student}.log"
                result.reasons.append(f"no feedback page (see {log})")


def _write_log(path: Path, result: dict[str, Any]) -> None:
    path.write_text(result.get("log", "") + result.get("error", ""))


def _hash_tree(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _failure_reason(outcome: GradingOutcome, wall_limit: float | None) -> str:
    if outcome.timed_out:
        return f"grading took longer than {wall_limit:.0f} s and was stopped (score 0)"
    text = outcome.log
    if "DeadKernelError" in text or "Kernel died" in text:
        return "kernel died during execution (crash, os._exit or memory outside Python; score 0)"
    if "CellTimeoutError" in text:
        return "a cell kept running after the timeout and could not be interrupted (score 0)"
    errors = [line for line in text.splitlines() if "Error" in line or "ERROR" in line]
    detail = errors[-1].strip()[:200] if errors else "no log"
    return f"nbgrader failed: {detail} (score 0; see course/logs)"
