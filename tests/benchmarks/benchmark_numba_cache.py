"""Print the first ``sc.pp.neighbors`` time of fresh processes, with and without the cache.

Run: ``.venv/bin/python tests/benchmarks/benchmark_numba_cache.py``. Each line is a new
Python process that loads the course dataset and builds the kNN graph once; all of them use a
new, empty numba cache directory (``NUMBA_CACHE_DIR``), first filled by one unreported run
with what numba caches anyway (pynndescent's kernels), so the rows differ only by the hook.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

CACHE_DIR = tempfile.mkdtemp(prefix="numba-cache-")
"""An empty numba cache, so the first cached process compiles and the later ones reuse it."""

CODE = """
import sys, time
import scanpy as sc
import course_lib
{enable}
adata = course_lib.datasets.cache._read_valid(course_lib.datasets.cache.cache_path())
start = time.perf_counter()
sc.pp.neighbors(adata, use_rep="X_pca_harmony")
print(f"{{time.perf_counter() - start:.2f}}")
"""


def first_neighbors_seconds(cached: bool) -> float:
    enable = (
        "from course_lib._numba_cache import cache_neighbors_kernels; cache_neighbors_kernels()"
        if cached
        else ""
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": CACHE_DIR}
    run = subprocess.run([sys.executable, "-c", CODE.format(enable=enable)], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(run.stdout.split()[-1])


if __name__ == "__main__":
    first_neighbors_seconds(False)  # fills the new cache with what numba caches anyway
    print("first sc.pp.neighbors in a fresh process (s)")
    for label, cached in (("without the hook", False), ("hook, 1st process", True),
                          ("hook, 2nd process", True), ("hook, 3rd process", True)):  # fmt: skip
        print(f"{label:>20}: {first_neighbors_seconds(cached):6.2f}")
