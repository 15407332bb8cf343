"""Build the book once per test session, executing every chapter (Jupyter Book 1.x, -W).

Jupyter Book caches executed notebooks in ``_build/.jupyter_cache``, keyed on the
notebooks' content. The dataset is not part of that key, so the cache is emptied whenever
the course dataset's fingerprint differs from the one the cache was made with: the
executed chapters, and the key figures read from them, always belong to the dataset on
this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py

from course_lib.datasets import cache_path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
STAMP = BUILD / ".dataset-fingerprint"


def dataset_fingerprint() -> str:
    """The fingerprint recorded in the cached course dataset."""
    with h5py.File(cache_path(0), "r") as handle:
        return handle["uns/course_dataset/fingerprint"][()].decode()


def build_book() -> subprocess.CompletedProcess:
    """Run ``jupyter-book build . -W --keep-going`` with a cache that matches the dataset."""
    fingerprint = dataset_fingerprint()
    if not STAMP.exists() or STAMP.read_text() != fingerprint:
        shutil.rmtree(BUILD / ".jupyter_cache", ignore_errors=True)
        shutil.rmtree(BUILD / "jupyter_execute", ignore_errors=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-W", "--keep-going"],
        capture_output=True, text=True, cwd=ROOT, env=os.environ.copy(), timeout=1800,
    )
    if result.returncode == 0:
        STAMP.write_text(fingerprint)
    return result
