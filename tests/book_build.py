"""Every chapter executed once per test session: nbval runs it, the book renders that run.

nbval (``book/`` in ``testpaths``) executes each chapter cell by cell in a fresh kernel, the
test of record that the chapters run. :func:`record_cell` keeps each passing cell's outputs;
:func:`build_book` puts every chapter whose cells all passed into Jupyter Book's execution
cache (``_build/.jupyter_cache``, jupyter-cache's own API, keyed on the code cells) and
then runs ``jupyter-book build . -W``, which renders the cached executions instead of running
the chapters again. A chapter nbval did not run in this process (``pytest tests/test_book.py``
alone) is executed by the build itself.

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

_EXECUTED: dict[Path, dict[int, list]] = {}
"""Outputs of the chapter cells nbval ran and passed in this process, by notebook and cell."""


def dataset_fingerprint() -> str:
    """The fingerprint recorded in the cached course dataset."""
    with h5py.File(cache_path(0), "r") as handle:
        return handle["uns/course_dataset/fingerprint"][()].decode()


def record_cell(item: pytest.Item, report: pytest.TestReport) -> None:
    """Keep the outputs of a chapter cell that nbval executed and passed."""
    outputs = getattr(item, "test_outputs", None)
    if report.when == "call" and report.passed and outputs is not None:
        _EXECUTED.setdefault(Path(item.path), {})[item.cell_num] = outputs


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


def cache_executed_chapters() -> list[Path]:
    """Put every chapter nbval ran in full into the book's execution cache; return them."""
    fingerprint = dataset_fingerprint()
    if not STAMP.exists() or STAMP.read_text() != fingerprint:
        shutil.rmtree(CACHE, ignore_errors=True)
        shutil.rmtree(BUILD / "jupyter_execute", ignore_errors=True)
        BUILD.mkdir(exist_ok=True)
        STAMP.write_text(fingerprint)
    cache = get_cache(str(CACHE))
    cached = []
    for path in sorted(_EXECUTED):
        notebook = _executed_notebook(path)
        if notebook is not None:
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
    """Chapters nbval executed in this process, every cell passing or not."""

    @property
    def executed(self) -> list[Path]:
        """Chapters the build executed itself."""
        return _logged(self.log, "Executing notebook")

    @property
    def from_cache(self) -> list[Path]:
        """Chapters the build rendered from the execution cache (nbval's, or an earlier run's)."""
        return _logged(self.log, "Using cached notebook")


def build_book() -> BookBuild:
    """Run ``jupyter-book build . -W --keep-going`` on the executions nbval made."""
    from_nbval = cache_executed_chapters()
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    process = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-W", "--keep-going", "-v"],
        capture_output=True, text=True, cwd=ROOT, env=os.environ.copy(), timeout=1800,
    )
    ran = sorted(path for path, cells in _EXECUTED.items() if cells)
    return BookBuild(process.returncode, process.stdout + process.stderr, from_nbval, ran)
