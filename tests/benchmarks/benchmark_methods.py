"""Measure the time and peak memory of each clustering method as the number of cells grows.

Run with `make benchmark-methods` (or `.venv/bin/python tests/benchmarks/benchmark_methods.py
[--sizes N ...] [--max-gb GB] [--timeout S] [--json PATH]`). Nothing here asserts: the figures
are for the appendix page book/cost_of_methods.ipynb, which reads the JSON this script
writes (default `book/data/method_costs.json`) and never benchmarks during the book build.

The methods, each called as the chapters call it:

- Leiden: `course_lib.graph_clustering(adata, [0.6])`, the kNN graph (15 neighbours, 30
  Harmony dimensions) and Leiden at resolution 0.6;
- k-means: `course_lib.kmeans(adata, 10)`, ten k-means++ starts;
- Ward: `course_lib.hierarchical(adata, 10)`, all pairwise distances and the Ward tree;
- GMM: scikit-learn's `GaussianMixture(10, covariance_type="full")` on the first 10 Harmony
  dimensions, as in chapter 6.

How the cells are simulated: the course dataset's Harmony embedding
(`course_lib.load_integrated().obsm["X_pca_harmony"]`, about 7,700 cells × 30 dimensions) is
resampled with replacement to the wanted number of cells, and each drawn cell gets Gaussian
jitter whose length is about its distance to its 5th nearest neighbour in the course data.
Copies of one cell thus spread into its neighbourhood instead of piling up (identical copies
would fragment the kNN graph into cliques), and the populations keep their shapes: Leiden
finds about as many clusters at 100,000 cells as on the course data. The draws are seeded
(`--seed`). The course simulator is too slow and too large for this: simulating and preparing
20,000 cells (counts, normalisation, PCA, Harmony) took 25 s and 3.3 GB on 2 cores, and both
grow with the number of cells.

Each method runs at each size in a fresh Python process with `--threads` threads (default 1:
OMP_NUM_THREADS and the like), so that the curves compare the methods' work and not how well
each uses the cores or what else runs on a shared machine; with more cores, k-means, the kNN
search and the mixture run faster. The process imports scanpy and course_lib (as a chapter
does), loads the cells, clusters a small subsample once as a warm-up (numba compiles its
kernels on first use: the first approximate kNN search of a fresh process takes about half a
minute) and then clusters all cells once. From 8,192 cells scanpy switches from exact to
approximate neighbours (pynndescent), so the Leiden warm-up uses 8,192 cells there. Recorded
per point: `seconds`, the wall time of the clustering call only; `peak_mb`, the process's
peak resident set size (getrusage RUSAGE_SELF ru_maxrss) over its whole life, nothing
subtracted (the cells are written by another child, so the parent stays small: on Linux a
child's ru_maxrss starts from its parent's size); `base_mb`, that peak just before the timed
call (Python, the libraries, the data and the warm-up); the number of clusters found. Ward
runs only where `course_lib.tl.linkage_bytes` (the distance matrix and its working copy)
fits the memory budget `--max-gb`; larger sizes are recorded as skipped, with that estimate
in MB. MB and GB are decimal (10⁶ and 10⁹ bytes), as course_lib reports memory. A point that
runs longer than `--timeout` seconds is stopped and recorded as timed out.

The pinned pynndescent returns its kNN graph as a scipy sparse *array*, which scanpy's
`sc.pp.neighbors` cannot read (AttributeError: 'csr_array' object has no attribute 'getnnz')
from 8,192 cells on. The child converts it to the sparse *matrix* scanpy expects; the
neighbours and distances are unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from benchmark_chapters import ROOT, machine

HERE = Path(__file__).resolve().parent
METHODS = {
    "leiden": "Leiden: kNN graph (15 neighbours) + Leiden, resolution 0.6",
    "kmeans": "k-means: k = 10, 10 starts",
    "ward": "Ward hierarchical: all pairwise distances, cut at k = 10",
    "gmm": "Gaussian mixture: 10 components, full covariance, 10 Harmony dimensions",
}
SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)
WARMUP_CELLS = 1_000
APPROXIMATE_FROM = 8_192
"""Number of cells from which ``sc.pp.neighbors`` uses pynndescent instead of exact search."""
JITTER_NEIGHBOUR = 5
MB = 1e6
"""Bytes per MB, in decimal units as ``course_lib.tl`` reports memory."""
GMM_DIMS = 10

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")

# Run in children: write the simulated cells (see `write_cells`); measure one method at one
# size (see `child`).
_IMPORT = f"import sys; sys.path.insert(0, {str(HERE)!r}); import benchmark_methods as bm"
_WRITE = _IMPORT + "; bm.write_cells(sys.argv[1], int(sys.argv[2]), sys.argv[3:])"
_CHILD = _IMPORT + "; bm.child(sys.argv[1], sys.argv[2], float(sys.argv[3]))"


def simulate_cells(source: np.ndarray, n_cells: int, seed: int) -> np.ndarray:
    """``n_cells`` cells resampled from ``source`` with neighbourhood-sized jitter."""
    from sklearn.neighbors import NearestNeighbors

    cells = source.astype(np.float64)
    distances, _ = NearestNeighbors(n_neighbors=JITTER_NEIGHBOUR + 1).fit(cells).kneighbors(cells)
    # A jitter with this standard deviation per dimension has about the neighbour's distance
    # as its length.
    scale = distances[:, JITTER_NEIGHBOUR] / np.sqrt(cells.shape[1])
    rng = np.random.default_rng([seed, n_cells])
    drawn = rng.integers(0, cells.shape[0], size=n_cells)
    jitter = rng.normal(size=(n_cells, cells.shape[1])) * scale[drawn, None]
    return (cells[drawn] + jitter).astype(np.float32)


def write_cells(folder: str, seed: int, sizes: list[str]) -> None:
    """In a child: save the cells of each size to ``folder``; print Ward's memory estimates.

    Done in a child so that the parent stays small: on Linux a child's ru_maxrss starts
    from its parent's resident size at the fork.
    """
    import course_lib

    source = course_lib.load_integrated(progress=False).obsm[course_lib.HARMONY_KEY]
    for size in sizes:
        np.save(Path(folder) / f"cells_{size}.npy", simulate_cells(source, int(size), seed))
    print(json.dumps({size: course_lib.linkage_bytes(int(size)) for size in sizes}))


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # kB on Linux


def _readable_knn_graph() -> None:
    """Make pynndescent return the sparse matrix scanpy reads (see the module docstring)."""
    from pynndescent import PyNNDescentTransformer
    from scipy.sparse import csr_matrix

    transform = PyNNDescentTransformer.transform

    def as_matrix(self: PyNNDescentTransformer, X: object = None, y: object = None) -> csr_matrix:
        return csr_matrix(transform(self, X, y))

    PyNNDescentTransformer.transform = as_matrix


def _cluster(method: str, cells: np.ndarray, max_bytes: float) -> int:
    """Cluster ``cells`` with ``method``; return the number of clusters found."""
    import anndata as ad
    from sklearn.mixture import GaussianMixture

    import course_lib

    if method == "gmm":
        model = GaussianMixture(10, covariance_type="full", random_state=0)
        return len(set(model.fit_predict(cells[:, :GMM_DIMS]).tolist()))
    adata = ad.AnnData(obsm={"X_pca_harmony": cells})
    if method == "leiden":
        course_lib.graph_clustering(adata, [0.6])
        key = course_lib.leiden_key(0.6)
    elif method == "kmeans":
        course_lib.kmeans(adata, 10)
        key = course_lib.kmeans_key(10)
    else:
        course_lib.hierarchical(adata, 10, max_bytes=max_bytes)
        key = "ward_10"
    return int(adata.obs[key].nunique())


def child(method: str, path: str, max_bytes: float) -> None:
    """In a fresh process: warm up, cluster the cells in ``path`` once, print the figures."""
    import scanpy  # noqa: F401  (imported by every child, as in a chapter)

    from course_lib._numba_cache import cache_neighbors_kernels

    cells = np.load(path)
    warmups = [WARMUP_CELLS]
    if method == "leiden":
        cache_neighbors_kernels()  # as load_integrated does in the chapters
        _readable_knn_graph()
        if cells.shape[0] >= APPROXIMATE_FROM:
            warmups.append(APPROXIMATE_FROM)
    start = time.perf_counter()
    for n_cells in warmups:
        _cluster(method, cells[: min(n_cells, cells.shape[0])], max_bytes)
    warmup_seconds = time.perf_counter() - start
    base_mb = _peak_mb()
    start = time.perf_counter()
    clusters = _cluster(method, cells, max_bytes)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "base_mb": base_mb,
                      "warmup_seconds": warmup_seconds, "clusters": clusters}))


def _run_json(command: list[str], env: dict[str, str], timeout: float | None = None) -> dict:
    result = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=timeout)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(method: str, path: Path, max_bytes: float, timeout: float,
            env: dict[str, str]) -> dict:
    """Run ``child`` for one method and one size in a fresh process."""
    command = [sys.executable, "-c", _CHILD, method, str(path), str(max_bytes)]
    try:
        return _run_json(command, env, timeout)
    except subprocess.TimeoutExpired:
        return {"timed_out_after_seconds": timeout}


def _cell(point: dict) -> str:
    if "skipped" in point:
        return f"skip (~{point['estimated_mb'] / 1000:,.0f} GB)"
    if "timed_out_after_seconds" in point:
        return f"> {point['timed_out_after_seconds']:.0f} s"
    return f"{point['seconds']:7.2f} s {point['peak_mb']:6.0f} MB"


def print_table(sizes: list[int], results: dict[str, dict[str, dict]]) -> None:
    print(f"{'cells':>8s}" + "".join(f"{name:>20s}" for name in results))
    for n_cells in sizes:
        row = "".join(f"{_cell(results[name][str(n_cells)]):>20s}" for name in results)
        print(f"{n_cells:8,d}{row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="numbers of cells (default: %(default)s)")
    parser.add_argument("--max-gb", type=float, default=2.0,
                        help="memory budget of Ward's distance matrices, in GB "
                             "(default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="stop a point after this many seconds (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of each child's numerical libraries (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the simulated cells (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=ROOT / "book" / "data" / "method_costs.json",
                        help="where to write the figures as JSON (default: %(default)s)")
    args = parser.parse_args()

    env = {**os.environ, **{name: str(args.threads) for name in THREAD_VARIABLES}}
    max_bytes = args.max_gb * 1e9
    sizes = sorted(args.sizes)
    results: dict[str, dict[str, dict]] = {name: {} for name in METHODS}
    start = time.perf_counter()
    with TemporaryDirectory() as tmp:
        ward_bytes = _run_json([sys.executable, "-c", _WRITE, tmp, str(args.seed),
                                *map(str, sizes)], env)
        for n_cells in sizes:
            path = Path(tmp) / f"cells_{n_cells}.npy"
            for name in METHODS:
                if name == "ward" and ward_bytes[str(n_cells)] > max_bytes:
                    point = {"skipped": "memory budget",
                             "estimated_mb": ward_bytes[str(n_cells)] / MB}
                else:
                    point = measure(name, path, max_bytes, args.timeout, env)
                results[name][str(n_cells)] = point
                print(f"{name:>8s} {n_cells:8,d} cells: {_cell(point)}", flush=True)
    report = {
        "machine": machine(),
        "total_seconds": time.perf_counter() - start,
        "settings": {"seed": args.seed, "threads": args.threads,
                     "memory_budget_gb": args.max_gb,
                     "timeout_seconds": args.timeout, "warmup_cells": WARMUP_CELLS,
                     "approximate_neighbours_from": APPROXIMATE_FROM,
                     "jitter_neighbour": JITTER_NEIGHBOUR},
        "sizes": sizes,
        "methods": {name: {"description": description, "results": results[name]}
                    for name, description in METHODS.items()},
    }
    print()
    print_table(sizes, results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
