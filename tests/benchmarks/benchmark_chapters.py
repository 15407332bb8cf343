"""Print measured figures: dataset build and load, and time and peak memory per notebook.

Run with `make benchmark` (or `.venv/bin/python tests/benchmarks/benchmark_chapters.py
[--book] [--json PATH]`). Nothing here asserts: the figures are for sizing a JupyterHub
(book/workshops.md), for the closing notes and for noticing regressions by eye.

Measured, each in a fresh kernel: every chapter (`book/*.ipynb` in `_toc.yml`) and every
exercise solution (`solutions/<name>/<name>.ipynb`, run in its own folder, as a student who
answers every question runs the exercise). The chapters and exercises load the dataset from
the cache (`SCCLUST_CACHE_DIR` or `~/.cache/scclust-course`), as on a hub whose image holds
the cache; the dataset build is measured separately, in a temporary cache directory.

Peak memory is the largest resident set size (RSS) of the kernel *and every process it
starts*, summed: sampled every 0.1 s, and never less than the kernel's own peak RSS, which
the kernel's parent reads exactly from the OS when the kernel exits (RUSAGE_CHILDREN).
The process that drives the kernel (nbclient, ~100 MB) is not counted; on a hub its place
is taken by the Jupyter server. `--json PATH` also writes every figure and the machine
(cores, memory, CPU, date) to PATH (default `_build/benchmark.json`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Runs one notebook in a child process and reports the wall time and the peak RSS of the
# kernel's process tree (see the module docstring).
_EXECUTE = """
import json, resource, sys, threading, time
import nbformat, psutil
from nbclient import NotebookClient

peak = 0
done = threading.Event()

def sample():
    global peak
    me = psutil.Process()
    while not done.wait(0.1):
        total = 0
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, total)

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
resources = {"metadata": {"path": sys.argv[2]}}
NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources).execute()
elapsed = time.perf_counter() - start
done.set()
sampler.join()
kernel_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss_mb": max(peak, kernel_peak) / 2**20,
                  "kernel_peak_rss_mb": kernel_peak / 2**20, "sampled_peak_mb": peak / 2**20}))
"""

# Builds (or loads) the dataset and reports this process's own peak RSS.
_LOAD = """
import json, resource, time
start = time.perf_counter()
import course_lib
course_lib.load_integrated(progress=False)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _run_json(command: list[str], env: dict[str, str] | None = None) -> dict:
    result = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT,
                            env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def dataset_figures() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SCCLUST_CACHE_DIR": cache}
        load = [str(BIN / "python"), "-c", _LOAD]
        build = _run_json(load, env)
        cached = _run_json(load, env)
        size = sum(p.stat().st_size for p in Path(cache).iterdir()) / 2**20
    print(f"dataset build (cold): {build['seconds']:6.1f} s, peak RSS "
          f"{build['peak_rss_mb']:.0f} MB")
    print(f"dataset load from cache: {cached['seconds']:6.1f} s, peak RSS "
          f"{cached['peak_rss_mb']:.0f} MB")
    print(f"cache file: {size:.0f} MB")
    return {"build": build, "load_from_cache": cached, "cache_file_mb": size}


def _chapters() -> list[Path]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def _solutions() -> list[Path]:
    return sorted(p for p in (ROOT / "solutions").glob("*/*.ipynb")
                  if p.stem == p.parent.name)


def notebook_figures(title: str, notebooks: list[Path]) -> list[dict]:
    """Execute each notebook in a fresh kernel, in its own folder; print and return figures."""
    print(f"{title:40s} {'seconds':>8s} {'peak RSS (MB)':>14s}")
    rows = []
    for path in notebooks:
        name = path.relative_to(ROOT).as_posix()
        figures = _run_json([str(BIN / "python"), "-c", _EXECUTE, str(path), str(path.parent)])
        print(f"{name:40s} {figures['seconds']:8.1f} {figures['peak_rss_mb']:14.0f}")
        rows.append({"notebook": name, **figures})
    return rows


def book_figures() -> dict:
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    build = [str(BIN / "jupyter-book"), "build", ".", "-W", "--keep-going"]
    cold, warm = _timed(build), _timed(build)
    print(f"book build, cold: {cold:6.1f} s")
    print(f"book build, warm: {warm:6.1f} s")
    return {"cold_seconds": cold, "warm_seconds": warm}


def machine() -> dict:
    import psutil

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.date.today().isoformat(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "thread_variables": {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", action="store_true", help="also time cold and warm book builds")
    parser.add_argument("--json", type=Path, default=ROOT / "_build" / "benchmark.json",
                        help="where to write the figures as JSON (default: %(default)s)")
    args = parser.parse_args()
    report = {"machine": machine(), "dataset": dataset_figures()}
    report["chapters"] = notebook_figures("chapter", _chapters())
    report["exercise_solutions"] = notebook_figures("exercise solution", _solutions())
    if args.book:
        report["book"] = book_figures()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
