"""Measure every chapter's key figures over dataset seeds and thread counts.

``make calibrate`` runs this module. For each dataset seed and thread count it builds the
course dataset into its own cache directory, executes every chapter on it in a fresh
kernel (with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set),
and records the glued values; then it does the same once on the *uncorrected* variant,
the seed-0 dataset whose Harmony embedding and UMAP are replaced by the uncorrected PCA
and its UMAP, which gives the nearest plausible wrong value of most figures. The table is
written to ``calibration.csv``, and a proposed range per figure (the measured spread plus
a margin) is printed to help set the expectations in ``<chapter>.yml``.

Run ``python -m tests.key_figures.calibrate --help`` for the options. The whole
calibration (3 seeds × 2 thread counts + 1) takes about half an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course_lib.datasets import DATASET_VERSION
from tests.key_figures import (
    CALIBRATION,
    CALIBRATION_COLUMNS,
    CHAPTERS,
    ROOT,
    code_hash,
    expectations,
    harvest,
    items,
    number,
    read_calibration,
)

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def _environment(cache: Path, threads: int) -> dict[str, str]:
    env = dict(os.environ, SCCLUST_CACHE_DIR=str(cache), PYTHONHASHSEED="0")
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def _build(seed: int, uncorrected: bool) -> None:
    """In this process: build the dataset for ``seed`` where the chapters will load it."""
    from course_lib.datasets import build_integrated, cache_dir, cache_path
    from course_lib.defaults import HARMONY_KEY

    adata = build_integrated(seed=seed, progress=False)
    if uncorrected:
        adata.obsm[HARMONY_KEY] = adata.obsm["X_pca"].copy()
        adata.obsm["X_umap"] = adata.obsm["X_umap_uncorr"].copy()
    cache_dir().mkdir(parents=True, exist_ok=True)
    adata.write_h5ad(cache_path(0))  # the chapters load seed 0's path


def _execute(chapter: str, out: Path) -> None:
    """In this process: execute one chapter in a fresh kernel, keep its glued values."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute()
    executed = out / f"{chapter}.ipynb"
    nbformat.write(notebook, executed)


def run_one(
    seed: int, threads: int, variant: str, work: Path, chapters: list[str]
) -> list[dict[str, object]]:
    """Build one dataset and execute the chapters on it, in child processes."""
    cache = work / f"{variant}-seed{seed}-threads{threads}"
    env = _environment(cache, threads)
    me = [sys.executable, "-m", "tests.key_figures.calibrate"]
    flags = ["--seed", str(seed), "--variant", variant]
    subprocess.run([*me, "_build", *flags], env=env, cwd=ROOT, check=True)
    rows = []
    for chapter in chapters:
        _execute_with_retry([*me, "_execute", chapter, "--out", str(cache)], env)
        code = code_hash(ROOT / "book" / f"{chapter}.ipynb")
        for figure, value in harvest(cache / f"{chapter}.ipynb").items():
            rows.append({"chapter": chapter, "figure": figure, "variant": variant, "seed": seed,
                         "threads": threads, "value": repr(value), "code": code,
                         "dataset_version": DATASET_VERSION})
    print(f"calibrated {variant}, seed {seed}, {threads} thread(s)", flush=True)
    return rows


def _execute_with_retry(command: list[str], env: dict[str, str], attempts: int = 2) -> None:
    """Run one chapter; once more if the first attempt failed, which on a loaded machine is
    mostly a kernel that did not start in time. A chapter that fails twice stops the run."""
    for attempt in range(1, attempts + 1):
        try:
            subprocess.run(command, env=env, cwd=ROOT, check=True)
            return
        except subprocess.CalledProcessError:
            if attempt == attempts:
                raise
            print(f"retrying {command[-3]} after a failure", flush=True)


def _raw_rows() -> list[dict[str, str]]:
    with CALIBRATION.open(newline="") as handle:
        return list(csv.DictReader(handle))


def propose() -> None:
    """Print each figure's calibrated spread, its uncorrected value and its expectation."""
    rows = read_calibration()
    for chapter in CHAPTERS:
        path = ROOT / "tests" / "key_figures" / f"{chapter}.yml"
        expected = expectations(chapter) if path.exists() else {}
        figures = dict.fromkeys(r["figure"] for r in rows if r["chapter"] == chapter)
        for figure in figures:
            mine = [r for r in rows if r["figure"] == figure]
            values = [r["value"] for r in mine if r["variant"] == "course"]
            wrong = [r["value"] for r in mine if r["variant"] != "course"]
            numbers = [number(v) for v in values]
            if None not in numbers:
                spread = f"[{min(numbers):g}, {max(numbers):g}]"
            else:
                spread = sorted({", ".join(sorted(items(v))) for v in values})
            shown = {k: v for k, v in expected.get(figure, {}).items() if k not in ("why", "wrong")}
            print(f"{chapter} {figure}: measured {spread}; uncorrected {wrong}; expected {shown}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", default="all",
                        choices=["all", "propose", "_build", "_execute"])
    parser.add_argument("chapter", nargs="?")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--jobs", type=int, default=2, help="configurations run at once")
    parser.add_argument("--chapters", nargs="+", choices=CHAPTERS, default=list(CHAPTERS),
                        help="recalibrate only these chapters, keeping the others' rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variant", default="course", choices=["course", "uncorrected"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.step == "_build":
        _build(args.seed, args.variant == "uncorrected")
        return
    if args.step == "_execute":
        _execute(args.chapter, args.out)
        return
    if args.step == "all":
        configurations = [(seed, threads, "course") for threads in args.threads
                          for seed in args.seeds]
        configurations.append((0, max(args.threads), "uncorrected"))
        with tempfile.TemporaryDirectory(prefix="scclust-calibrate-") as work, \
                ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = pool.map(lambda c: run_one(*c, Path(work), args.chapters), configurations)
            rows = [row for result in results for row in result]
        if CALIBRATION.exists():
            kept = [row for row in _raw_rows() if row["chapter"] not in args.chapters]
            rows = kept + rows
        with CALIBRATION.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CALIBRATION_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {CALIBRATION.relative_to(ROOT)}: {len(rows)} values")
    propose()


if __name__ == "__main__":
    main()
