"""The kNN-graph kernels are compiled once per machine, not once per kernel."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from course_lib._numba_cache import UMAP_MODULE, UNCACHED, cache_neighbors_kernels
cache_neighbors_kernels()
assert UMAP_MODULE not in sys.modules, "enabling the cache must not import umap"
import umap.umap_ as module
print(sorted(type(getattr(module, name)._cache).__name__ for name in UNCACHED))
"""


def test_umap_kernels_cache_once_umap_is_imported():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['FunctionCache',", "'FunctionCache']"]


def test_without_the_hook_they_are_not_cached():
    """Guards the test above: umap itself does not cache them."""
    code = "import umap.umap_ as m; print(type(m.smooth_knn_dist._cache).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "NullCache"
