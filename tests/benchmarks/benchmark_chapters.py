"""Print measured figures: dataset build and load time, per-chapter time and peak memory.

Run with `make benchmark` (or `.venv/bin/python tests/benchmarks/benchmark_chapters.py
[--book]`). Nothing here asserts: the figures are for the closing notes and for noticing
regressions by eye. `--book` also times a cold and a warm `jupyter-book build`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Runs one notebook in a child process and reports the kernel's peak RSS: the kernel is a
# child of that process, so RUSAGE_CHILDREN's maxrss is the kernel's (or nbclient's) peak.
_EXECUTE = """
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
resources = {"metadata": {"path": sys.argv[2]}}
NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources).execute()
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def dataset_figures() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SCCLUST_CACHE_DIR": cache}
        code = "import course_lib; course_lib.load_integrated(progress=False)"
        load = [str(BIN / "python"), "-c", code]
        build = _timed(load, env)
        cached = _timed(load, env)
        size = sum(p.stat().st_size for p in Path(cache).iterdir()) / 2**20
    print(f"dataset build (cold, incl. interpreter start): {build:6.1f} s")
    print(f"dataset load from cache (incl. interpreter start): {cached:6.1f} s")
    print(f"cache file: {size:.0f} MB")


def chapter_figures() -> None:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    print(f"{'chapter':32s} {'seconds':>8s} {'peak RSS (MB)':>14s}")
    for chapter in chapters:
        path = ROOT / f"{chapter}.ipynb"
        if not path.exists():
            continue
        result = subprocess.run(
            [str(BIN / "python"), "-c", _EXECUTE, str(path), str(path.parent)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{chapter:32s} {figures['seconds']:8.1f} {figures['peak_rss_mb']:14.0f}")


def book_figures() -> None:
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    build = [str(BIN / "jupyter-book"), "build", ".", "-W", "--keep-going"]
    print(f"book build, cold: {_timed(build):6.1f} s")
    print(f"book build, warm: {_timed(build):6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", action="store_true", help="also time cold and warm book builds")
    args = parser.parse_args()
    dataset_figures()
    chapter_figures()
    if args.book:
        book_figures()


if __name__ == "__main__":
    main()
