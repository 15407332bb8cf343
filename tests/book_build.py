"""Every chapter executed once per test run: nbval runs it, the book renders that run.

nbval (``book/`` in ``testpaths``) executes each chapter cell by cell in a fresh kernel, the
test of record that the chapters run; under pytest-xdist the chapters run on whichever
worker is free, each its own group. :func:`record_cell` keeps each passing cell's outputs
and, after a chapter's last cell, writes the executed chapter (or a note that some cell
failed) into the run's folder, ``_build/nbval-runs/<run id>/``, where any worker can read it.
:func:`build_book` waits until every chapter nbval was given has been written there, puts
every chapter whose cells all passed into Jupyter Book's execution cache
(``_build/.jupyter_cache``, jupyter-cache's own API, keyed on the code cells) and then runs
``jupyter-book build . -W``, which renders the cached executions instead of running the
chapters again. A chapter nbval did not run in full (``pytest tests/test_book.py`` alone) is
executed by the build itself. The chapters are scheduled before the tests that read the
book (``tests/conftest.py``), so the wait cannot block the chapters it waits for.

The dataset is not part of jupyter-cache's key, so the cache is emptied whenever the course
dataset's fingerprint differs from the one it was made with: the executed chapters, and the
key figures read from them, always belong to the dataset on this machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import h5py
import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from course_lib.datasets import cache_path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
STAMP = BUILD / ".dataset-fingerprint"

RUNS = BUILD / "nbval-runs"
"""One folder per test run, holding the chapters nbval executed in it."""
INCOMPLETE = ".incomplete"
"""Suffix of the note written for a chapter some of whose cells did not pass."""
WAIT_SECONDS = 3600
"""How long the book build waits for the chapters (then builds, executing what is missing)."""

_EXECUTED: dict[Path, dict[int, list]] = {}
"""Outputs of the chapter cells nbval ran and passed in this process, by notebook and cell."""
_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
"""The test run's id, shared by its xdist workers (a serial run makes its own)."""
EXPECTED: set[Path] = set()
"""Chapters every code cell of which nbval was given in this run (set at collection)."""


def dataset_fingerprint() -> str:
    """The fingerprint recorded in the cached course dataset."""
    with h5py.File(cache_path(0), "r") as handle:
        return handle["uns/course_dataset/fingerprint"][()].decode()


def run_folder() -> Path:
    """Where this run's executed chapters are written."""
    return RUNS / _RUN_ID


def n_code_cells(path: Path) -> int:
    """The number of code cells of a chapter (nbval's items)."""
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def record_cell(item: pytest.Item, report: pytest.TestReport) -> None:
    """Keep the outputs of a chapter cell that nbval executed and passed; after the chapter's
    last cell, write the executed chapter (or the note that a cell failed) for the build."""
    cell_num = getattr(item, "cell_num", None)
    if cell_num is None or item.path.suffix != ".ipynb":
        return
    path = Path(item.path)
    cells = _EXECUTED.setdefault(path, {})
    if report.when == "call" and report.passed:
        cells[cell_num] = item.test_outputs
    final = report.when == "call" or (report.when == "setup" and not report.passed)
    if final and cell_num == n_code_cells(path) - 1:
        _publish(path)


def _publish(path: Path) -> None:
    folder = run_folder()
    folder.mkdir(parents=True, exist_ok=True)
    notebook = _executed_notebook(path)
    target = folder / (path.name if notebook is not None else path.stem + INCOMPLETE)
    partial = target.with_name(target.name + ".partial")
    if notebook is None:
        partial.write_text("some cell did not pass")
    else:
        nbformat.write(notebook, partial)
    partial.replace(target)  # readers never see half a file


def _finished(chapter: Path) -> bool:
    """Whether nbval has finished ``chapter`` in this run (every cell passing or not)."""
    folder = run_folder()
    return (folder / chapter.name).exists() or (folder / (chapter.stem + INCOMPLETE)).exists()


def wait_for_chapters(expected: set[Path], timeout: float = WAIT_SECONDS) -> dict[Path, Path]:
    """Wait until nbval has finished each of ``expected`` in this run; return the executed
    notebooks of those whose every cell passed (chapter → file)."""
    folder = run_folder()
    deadline = time.monotonic() + timeout
    while True:
        done = {p for p in expected if _finished(p)}
        if done == expected or time.monotonic() > deadline:
            return {p: folder / p.name for p in done if (folder / p.name).exists()}
        time.sleep(1)


def _executed_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The chapter with nbval's outputs in its code cells, or None unless every cell passed."""
    outputs = _EXECUTED.get(path, {})
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if sorted(outputs) != list(range(len(code))):
        return None
    for number, cell in enumerate(code):
        cell.outputs = [nbformat.from_dict(output) for output in outputs[number]]
        cell.execution_count = number + 1
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = number + 1
    nbformat.validate(notebook)
    return notebook


def cache_executed_chapters(executed: dict[Path, Path]) -> list[Path]:
    """Put every chapter nbval ran in full into the book's execution cache; return them."""
    fingerprint = dataset_fingerprint()
    if not STAMP.exists() or STAMP.read_text() != fingerprint:
        shutil.rmtree(CACHE, ignore_errors=True)
        shutil.rmtree(BUILD / "jupyter_execute", ignore_errors=True)
        BUILD.mkdir(exist_ok=True)
        STAMP.write_text(fingerprint)
    cache = get_cache(str(CACHE))
    cached = []
    for path, file in sorted(executed.items()):
        notebook = nbformat.read(file, as_version=4)
        bundle = CacheBundleIn(notebook, str(path), data={"executed_by": "nbval"})
        cache.cache_notebook_bundle(bundle, check_validity=True, overwrite=True)
        cached.append(path)
    return cached


def _logged(log: str, what: str) -> list[Path]:
    """The chapters whose verbose myst-nb log line starts with ``what``."""
    return [Path(p) for p in re.findall(rf"^(\S+\.ipynb): {what}", log, flags=re.MULTILINE)]


@dataclass(frozen=True)
class BookBuild:
    """What one ``jupyter-book build`` did."""

    returncode: int
    log: str
    """The build's stdout and stderr (verbose: myst-nb names each chapter it executes)."""
    from_nbval: list[Path]
    """Chapters rendered from nbval's execution (cached before the build)."""
    nbval_ran: list[Path]
    """Chapters nbval executed in this run, every cell passing or not."""

    @property
    def executed(self) -> list[Path]:
        """Chapters the build executed itself."""
        return _logged(self.log, "Executing notebook")

    @property
    def from_cache(self) -> list[Path]:
        """Chapters the build rendered from the execution cache (nbval's, or an earlier run's)."""
        return _logged(self.log, "Using cached notebook")


def build_book() -> BookBuild:
    """Run ``jupyter-book build . --all -W --keep-going`` on the executions nbval made (every
    page is read again, so the book shows this run's executions even where no source changed)."""
    executed = wait_for_chapters(EXPECTED)
    from_nbval = cache_executed_chapters(executed)
    for other in RUNS.glob("*"):
        if other != run_folder():
            shutil.rmtree(other, ignore_errors=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    process = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--all", "-W", "--keep-going", "-v"],
        capture_output=True, text=True, cwd=ROOT, env=os.environ.copy(), timeout=1800,
    )
    ran = sorted(p for p in EXPECTED if _finished(p))
    return BookBuild(process.returncode, process.stdout + process.stderr, from_nbval, ran)
