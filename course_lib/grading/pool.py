"""The grading worker processes, parent side: start, ask, time out, kill.

Each :class:`Worker` is a ``python -m course_lib.grading.worker`` process speaking JSON
over stdin/stdout (see :mod:`course_lib.grading.worker`). Workers and the kernels they
start import ``course_lib`` from the environment, so :func:`check_course_lib` first makes
sure they would import the same ``course_lib`` as the running grader.

(This hand-written pool is to be replaced by a Dask-based engine.)
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import course_lib


def worker_env(root: Path) -> dict[str, str]:
    """The environment of the worker processes (and so of their kernels).

    Parameters
    ----------
    root
        The working nbgrader course directory.

    Returns
    -------
    dict of str to str
        ``os.environ`` with the running Python's ``bin/`` first on ``PATH`` (nbgrader runs
        ``alembic`` through it) and ``JUPYTER_PATH`` set to ``root/jupyter`` (the kernels).
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "JUPYTER_PATH": str(root / "jupyter")}


def check_course_lib(root: Path) -> None:
    """Refuse to grade if the workers would import a different ``course_lib``.

    Runs ``python -c "import course_lib; print(course_lib.__file__)"`` with the workers'
    environment, in their working directory (``root``, or an empty stand-in while it does
    not exist yet), and compares with the ``course_lib`` running now.

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


class Worker:
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
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "course_lib.grading.worker", str(self.root)],
                cwd=self.root,
                env=worker_env(self.root),
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
        """Run one converter in the worker.

        Parameters
        ----------
        timeout
            Wall-clock seconds to wait for the answer; past it the worker is killed.
        **payload
            The request: ``command``, ``assignment`` and optionally ``student``.

        Returns
        -------
        dict
            nbgrader's ``{"success", "log", "error"}``, with ``"timed_out": True`` when
            the worker was killed for taking too long.
        """
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
