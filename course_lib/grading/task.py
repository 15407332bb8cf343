"""Grading one submission on a Dask worker, in a private nbgrader course directory.

:func:`autograde_task` is what the client submits for each student. On the worker it

1. builds a temporary nbgrader course directory for this student alone: the assignment's
   ``source/`` and ``release/``, a copy of the gradebook template (the assignment and its
   cells, no students), the course ``nbgrader_config.py``, the memory-capped kernelspec,
   the class's reference answers (:mod:`.refcache`) and the student's files under
   ``submitted/``;
2. runs :func:`main` (nbgrader's ``Autograde`` then ``GenerateFeedback``) in a child
   process with a wall-clock limit, past which the child and its kernel are killed
   (:func:`run_grading_process`: forked from the worker's fork server, which imported
   nbgrader and the checks once, or a new interpreter); its environment names the
   reference file and the SHA-256 the client computed (:mod:`.handoff`), which the child
   checks and reads, then deletes, before the submission's kernel starts: the child judges
   every test cell itself (:mod:`.judge`), the kernel only records the answers;
3. returns a :class:`GradingOutcome`: scores per test cell read from the private gradebook,
   the autograded files, the feedback page and the log, as values.

Nothing is written to the instructor's course directory here: the client alone merges the
outcomes into the one gradebook (:mod:`.coursedir`). The module imports only the standard
library at import time; :func:`check_course_lib` and :func:`worker_env` are used by the
client too.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import course_lib

from ..defaults import GRADER_KERNEL
from .config import skip_unused_imports
from .handoff import handoff_env, receive
from .settings import GradingSettings, write_course_config

PRELOAD = "course_lib.grading.preload"
"""The module a worker's fork server imports once for all its grading processes."""

REFERENCES_FILE = "references.npz"
"""The class's reference answers in a private course directory, until the judge reads them."""

Files = dict[str, bytes]
"""Files of a folder by path relative to it."""


@dataclass
class GradingTask:
    """Everything a worker needs to grade one student (it may run on another machine)."""

    assignment: str
    student: str
    submission: Files
    source: Files
    release: Files
    template_db: bytes
    settings: GradingSettings
    run_id: str = ""
    references: bytes | None = None
    references_sha256: str = ""


@dataclass
class GradingOutcome:
    """What grading one student gave, returned by the worker to the client."""

    student: str
    success: bool
    timed_out: bool = False
    log: str = ""
    grades: dict[str, tuple[float | None, float, bool]] = field(default_factory=dict)
    comments: dict[str, str | None] = field(default_factory=dict)
    timestamp: str | None = None
    autograded: Files = field(default_factory=dict)
    feedback: bytes | None = None
    seconds: float = 0.0


def read_files(folder: Path) -> Files:
    """Every file under ``folder`` (skipping checkpoints), by relative path.

    Parameters
    ----------
    folder
        A folder, or a single file (then keyed by its name).

    Returns
    -------
    dict of str to bytes
        File contents by POSIX path relative to ``folder``.
    """
    if folder.is_file():
        return {folder.name: folder.read_bytes()}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def write_files(folder: Path, files: Files) -> None:
    """Write ``files`` (as from :func:`read_files`) under ``folder``.

    Parameters
    ----------
    folder
        Destination folder, created if needed.
    files
        File contents by relative path.
    """
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def worker_env(root: Path) -> dict[str, str]:
    """The environment of the grading processes (and so of their kernels).

    Parameters
    ----------
    root
        The nbgrader course directory they run in.

    Returns
    -------
    dict of str to str
        ``os.environ`` with the running Python's ``bin/`` first on ``PATH`` (nbgrader runs
        ``alembic`` through it) and ``JUPYTER_PATH`` set to ``root/jupyter`` (the kernels).

    Notes
    -----
    This is the child processes' plumbing, not user settings (those are read in
    :mod:`course_lib.environment`): the whole environment is passed on as it is.
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "JUPYTER_PATH": str(root / "jupyter")}


def check_course_lib(root: Path) -> None:
    """Refuse to grade if the grading processes would import a different ``course_lib``.

    Runs ``python -c "import course_lib; print(course_lib.__file__)"`` with the grading
    processes' environment, in ``root`` (or an empty stand-in while it does not exist), and
    compares with the ``course_lib`` running now.

    Parameters
    ----------
    root
        The working nbgrader course directory; nothing is written to it.

    Raises
    ------
    RuntimeError
        If the processes would import ``course_lib`` from elsewhere, or not at all.
    """
    ours = Path(course_lib.__file__).resolve()
    code = "import course_lib; print(course_lib.__file__)"
    with tempfile.TemporaryDirectory(prefix="scclust-grading-") as empty:
        cwd = root if root.is_dir() else Path(empty)
        process = subprocess.run(
            [sys.executable, "-c", code],
            cwd=cwd,
            env=worker_env(root),
            capture_output=True,
            text=True,
            check=False,
        )
    install = (
        f"install the repository into the grader's environment: `cd {ours.parents[1]} && "
        f"{sys.executable} -m pip install -e .` (as `make setup` does)"
    )
    if process.returncode != 0:
        error = process.stderr.strip().splitlines()[-1:] or ["no output"]
        msg = f"the grading processes could not import course_lib ({error[0]}); {install}"
        raise RuntimeError(msg)
    theirs = Path(process.stdout.strip().splitlines()[-1])
    if theirs.resolve() != ours:
        msg = (
            f"the grading processes would import course_lib from {theirs}, not from {ours} "
            f"(check PYTHONPATH); {install}"
        )
        raise RuntimeError(msg)


def write_kernelspec(root: Path, limit: int) -> None:
    """Write the memory-capped kernelspec under ``root/jupyter/kernels``.

    Parameters
    ----------
    root
        An nbgrader course directory.
    limit
        Address-space cap of the kernel in bytes (``0``: none).
    """
    kernel_dir = root / "jupyter" / "kernels" / GRADER_KERNEL
    kernel_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "course_lib.grading.kernel", str(limit),
                 "-f", "{connection_file}"],
        "display_name": f"scclust-course grader (address space <= {limit} bytes)",
        "language": "python",
        "metadata": {"debugger": False},
    }  # fmt: skip
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


def autograde_task(task: GradingTask) -> GradingOutcome:
    """Grade one student in a private temporary course directory (runs on a worker).

    Parameters
    ----------
    task
        The student's files, the assignment and the settings (their
        ``submission_timeout`` set, see :meth:`~.settings.GradingSettings.for_code_cells`).

    Returns
    -------
    GradingOutcome
        Scores, autograded files, feedback page and log; ``success`` is ``False`` when
        nbgrader failed or the wall-clock limit stopped it.
    """
    start = time.perf_counter()
    a, student = task.assignment, task.student
    root = Path(tempfile.mkdtemp(prefix=f"scclust-grade-{task.run_id}-{student}-"))
    try:
        write_files(root / "source" / a, task.source)
        write_files(root / "release" / a, task.release)
        write_files(root / "submitted" / student / a, task.submission)
        (root / "gradebook.db").write_bytes(task.template_db)
        write_kernelspec(root, task.settings.memory_bytes)
        write_course_config(root, task.settings)
        env = worker_env(root)
        if task.references is not None:
            (root / REFERENCES_FILE).write_bytes(task.references)
            env |= handoff_env(root / REFERENCES_FILE, task.references_sha256)
        log_path = root / "grading.log"
        returncode, timed_out = run_grading_process(root, a, student, env, log_path,
                                                    task.settings.submission_timeout)  # fmt: skip
        outcome = GradingOutcome(
            student=student,
            success=returncode == 0 and not timed_out,
            timed_out=timed_out,
            log=log_path.read_text(errors="replace"),
        )
        autograded = root / "autograded" / student / a
        if outcome.success and autograded.is_dir():
            outcome.autograded = read_files(autograded)
            _read_gradebook(root, a, student, outcome)
            html = root / "feedback" / student / a / f"{a}.html"
            outcome.feedback = html.read_bytes() if html.is_file() else None
        else:
            outcome.success = False
        outcome.seconds = time.perf_counter() - start
        return outcome
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_grading_process(
    root: Path, assignment: str, student: str, env: dict[str, str], log_path: Path,
    wall_limit: float | None,
) -> tuple[int | None, bool]:
    """Run :func:`main` in a process of its own, killed with its kernel past ``wall_limit``.

    The process is forked from this worker's ``multiprocessing`` fork server, which imported
    :mod:`.preload` once; where this process may not have children of that kind (a daemonic
    process, as ``dask worker`` starts by default), it is a new interpreter
    (``python -m course_lib.grading.task``), which imports them itself. Either way it runs
    in ``root`` with environment ``env``, its output in ``log_path``.

    Parameters
    ----------
    root, assignment, student
        As for :func:`main`.
    env
        The process's environment (:func:`worker_env`, and the references' handoff).
    log_path
        File receiving its standard output and error.
    wall_limit
        Seconds it may run (``None``: no limit).

    Returns
    -------
    tuple of (int or None, bool)
        Its exit code, and whether the wall-clock limit stopped it.
    """
    if multiprocessing.current_process().daemon:
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "course_lib.grading.task", str(root), assignment,
                 student],
                cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                return process.wait(timeout=wall_limit), False
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)
                return process.wait(), True
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    child = context.Process(target=_forked_main, name=f"grading {student}",
                            args=(str(root), assignment, student, env, str(log_path)))  # fmt: skip
    child.start()
    child.join(wall_limit)
    timed_out = child.is_alive()
    if timed_out:
        kill_tree(child.pid)
        child.join()
    return child.exitcode, timed_out


def _forked_main(root: str, assignment: str, student: str, env: dict[str, str],
                 log_path: str) -> None:  # fmt: skip
    """:func:`main` in a process forked from the fork server, set up as a new one would be."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(root)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.exit(main(root, assignment, student))


def _read_gradebook(root: Path, assignment: str, student: str, outcome: GradingOutcome) -> None:
    skip_unused_imports()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        outcome.timestamp = submission.timestamp.isoformat() if submission.timestamp else None
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        outcome.grades = {
            g.name: (g.auto_score, float(g.max_score), bool(g.needs_manual_grade))
            for g in notebook.grades
        }
        outcome.comments = {c.name: c.auto_comment for c in notebook.comments}


def kill_tree(pid: int) -> None:
    """Kill a process and every process it started (a grading process and its kernel).

    Parameters
    ----------
    pid
        The process id.
    """
    import psutil

    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


def _exit_when_orphaned(root: str) -> None:
    """Stop this grading process and its kernel once its worker is gone (killed, crashed)."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    import psutil

    for proc in psutil.Process().children(recursive=True):
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    shutil.rmtree(root, ignore_errors=True)
    os._exit(3)


def main(root: str, assignment: str, student: str) -> int:
    """Autograde one student and write the feedback page, in course directory ``root``.

    The handed-over references are taken first (:func:`.handoff.receive`), so that the
    judge in this process uses them and the submission's kernel never sees them.

    Parameters
    ----------
    root
        A course directory made by :func:`autograde_task`.
    assignment
        Assignment id.
    student
        Student id.

    Returns
    -------
    int
        0 when nbgrader's ``Autograde`` succeeded, 1 otherwise (the logs are on stdout).
    """
    import logging

    skip_unused_imports()
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config.loader import PyFileConfigLoader

    threading.Thread(target=_exit_when_orphaned, args=(root,), daemon=True).start()
    receive()  # the references, for the judge in this process; never seen by the kernel
    Path(root, REFERENCES_FILE).unlink(missing_ok=True)
    logging.getLogger("traitlets").setLevel(logging.INFO)
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    for converter_class in (Autograde, GenerateFeedback):
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = assignment
        coursedir.student_id = student
        converter = converter_class(coursedir=coursedir, config=config)
        converter.force = True
        result = capture_log(converter)
        sys.stdout.write(result.get("log", "") + result.get("error", ""))
        sys.stdout.flush()
        if not result["success"] and converter_class is Autograde:
            return 1  # a missing feedback page is reported by the client, not a failure
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(
            "usage: python -m course_lib.grading.task <course root> <assignment> <student>; "
            f"got {sys.argv[1:]}"
        )
    sys.exit(main(*sys.argv[1:]))
