"""One grading run: :func:`grade_submissions` checks its input, grades, and reports.

:func:`grade_submissions` (the Python interface) and the command line (:mod:`.cli`) build
the run's :class:`~.settings.GradingSettings`, checked once, and hand it to :func:`grade`.
The run validates every option and the output folder before it writes anything, checks
that the grading processes would import this ``course_lib``, starts preparing the
exercise's reference answers in the background (:mod:`.refcache`), connects to Dask (a
local cluster, or ``scheduler``; :mod:`.engine`) and registers the assignment, then grades
each submission on a worker (:mod:`.task`) with the references, records the results in the
working course directory (:mod:`.coursedir`) from this process alone and writes the report
files (:mod:`.report`).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from ..defaults import DEFAULT_JOBS, DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT
from .config import REPO_ROOT, skip_unused_imports
from .coursedir import CourseDir
from .report import (
    GradingReport,
    plot_distribution,
    write_attention,
    write_grades,
    write_lms,
    write_summary,
)
from .settings import GradingSettings
from .submissions import find_submissions, grade_cells
from .task import check_course_lib


def grade_submissions(
    assignment: str,
    submissions: str | Path,
    *,
    out: str | Path | None = None,
    solutions: str | Path | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    submission_timeout: float | None = None,
    jobs: int = DEFAULT_JOBS,
    scheduler: str | None = None,
    progress: bool = True,
) -> GradingReport:
    """Autograde every submission of ``assignment`` and write grades, feedback and a summary.

    Parameters
    ----------
    assignment
        Assignment name; ``<solutions>/<assignment>/<assignment>.ipynb`` is the source.
    submissions
        Folder of submissions (see :func:`~.submissions.find_submissions`); never modified.
    out
        Output folder, default ``grading/<assignment>``. Re-running with the same
        folder regrades everyone and gives the same results.
    solutions
        nbgrader source folder, default the repository's ``solutions/``.
    timeout
        Seconds each cell may run before it is interrupted.
    memory_limit
        Address-space cap of the grading kernel, e.g. ``"4G"``; ``"0"`` for none.
    max_output_chars
        Characters of output kept per cell.
    submission_timeout
        Wall-clock seconds for grading one submission, after which its grading process
        (and kernel) is killed and it scores 0; default ``timeout`` per code cell + 5 min.
    jobs
        Worker processes of the local Dask cluster, each grading one submission at a time
        in its own process and kernel; at most the number of cores (each kernel needs up
        to ``memory_limit``). Ignored with ``scheduler``.
    scheduler
        Address of a running Dask scheduler (``"tcp://host:port"``) to grade on its
        workers instead of a local cluster; they need this environment installed.
    progress
        Show a progress bar.

    Returns
    -------
    GradingReport
        Every student's scores and reasons; the files it names are written under ``out``.

    Raises
    ------
    FileNotFoundError
        For a missing assignment or submissions folder.
    ValueError
        For a bad option or an output folder that would overwrite something else.
    RuntimeError
        If the grading processes would import another ``course_lib`` or ``scheduler``
        cannot be reached (nothing is written then), or nbgrader cannot register the
        assignment.

    Examples
    --------
    >>> report = grade_submissions("01_graph_clustering", "collected")  # doctest: +SKIP
    >>> report.result("alice").total, report.max_total  # doctest: +SKIP
    (10.0, 10.0)
    """
    settings = GradingSettings(
        timeout=timeout,
        memory_limit=memory_limit,
        max_output_chars=max_output_chars,
        submission_timeout=submission_timeout,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
    )
    return grade(assignment, submissions, settings, out=out, solutions=solutions)


def grade(
    assignment: str,
    submissions: str | Path,
    settings: GradingSettings,
    *,
    out: str | Path | None = None,
    solutions: str | Path | None = None,
) -> GradingReport:
    """Autograde every submission of ``assignment`` with ``settings`` (checked already).

    Parameters
    ----------
    assignment, submissions, out, solutions
        As for :func:`grade_submissions`.
    settings
        How to grade: limits, workers, progress.

    Returns
    -------
    GradingReport
        As for :func:`grade_submissions`.

    Raises
    ------
    FileNotFoundError, ValueError, RuntimeError
        As for :func:`grade_submissions`.
    """
    skip_unused_imports()
    import nbformat

    start = time.perf_counter()
    solutions = Path(solutions) if solutions is not None else REPO_ROOT / "solutions"
    source_nb = solutions / assignment / f"{assignment}.ipynb"
    if not source_nb.is_file():
        available = sorted(p.name for p in solutions.glob("*") if (p / f"{p.name}.ipynb").is_file())
        msg = f"no assignment {assignment!r} in {str(solutions)!r}; available: {available}"
        raise FileNotFoundError(msg)
    # the release has the source's cells (nbgrader clears their solutions, removes none)
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(source_nb, as_version=4).cells)
    settings = settings.for_code_cells(code_cells)
    found = find_submissions(submissions, assignment)

    out = Path(out) if out is not None else Path("grading") / assignment
    _check_out(out, Path(submissions))
    course = CourseDir(out.resolve() / "course", assignment, settings)
    check_course_lib(course.root)
    from .engine import dask_client
    from .refcache import precompute

    run_id = uuid.uuid4().hex[:8]
    with precompute(assignment) as job, dask_client(settings) as client:
        # connected before anything is written
        course.prepare(solutions / assignment)
        course.copy_submissions(found)
        release_nb = nbformat.read(course.release / f"{assignment}.ipynb", as_version=4)
        questions, max_scores = grade_cells(release_nb)
        references = job.result() if job is not None else None
        course.log_references(references)
        results = course.grade_all(list(found), release_nb, client, run_id, references)
    course.copy_feedback(results, out)
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
        lms_csv=out / "grades_lms.csv",
        run_id=run_id,
    )
    write_grades(report)
    write_lms(report)
    write_attention(report)
    plot_distribution(report)
    report.seconds = time.perf_counter() - start
    write_summary(report)
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
