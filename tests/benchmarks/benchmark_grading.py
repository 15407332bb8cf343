"""Print measured figures of autograding: one solution, and a class, serial and in parallel.

Run with `make benchmark` (after benchmark_chapters.py) or
`.venv/bin/python tests/benchmarks/benchmark_grading.py [--assignments A ...] [--class-size N]
[--json PATH] [--md PATH]`. Nothing here asserts on times: the figures are for sizing a
grading run ("Grading a large class fast") and for noticing regressions by eye. It writes
every figure and the machine to `_build/benchmark_grading.json` and a Markdown table to
`_build/benchmark_grading.md` (change them with `--json` and `--md`).

Measured, one after the other on this machine:

1. For each exercise (`solutions/<name>/<name>.ipynb`; `--assignments` picks them): the bare
   execution of the solution notebook in a fresh kernel, in its own folder (nbclient, the
   same code as benchmark_chapters.py), against grading its answers as the one submission
   of a class (the student release, `exercises/<name>/`, with the solution's answer cells
   filled in: what a student who answers everything hands in; grading runs the hidden
   tests, as the solution notebook does) with `python -m course_lib.grading <name>
   <folder> --jobs 1 --out <new temp dir>`: wall time of the whole command (interpreter
   start, local Dask cluster, nbgrader setup, the graded run, the report files), the
   seconds the command reports itself, and the ratio graded / bare.
2. A class of `--class-size` (default 8) generated flat `<student>.ipynb` submissions of the
   first assignment given: that same answered release, every third one with its last
   answer cell left unanswered (`raise NotImplementedError()`, as released), graded with
   `--jobs 1` and `--jobs 2` (a local Dask cluster of 1 or 2 worker processes): wall time
   and wall time per submission, and whether the two grades.csv are identical.
3. The same class graded on a separate local cluster: `dask scheduler --host 127.0.0.1
   --port 0 --no-dashboard` and `dask worker --nworkers 2 --nthreads 1 --memory-limit 2GiB
   --no-dashboard` (the venv's `dask`, non-daemonic as docs/instructors.md advises, so that each
   worker forks its grading processes from a preloaded server), via
   `--scheduler tcp://...`: wall time of the grading command (the cluster's start-up is
   reported apart), and whether its grades.csv is identical too. The processes are stopped
   at the end, also on error.

Besides wall time, every run records its CPU seconds (user + system of the command and
every process it started: workers, fork servers, grading processes, kernels; the script
adopts orphaned descendants to count them), which the load of a
shared machine changes far less than wall time, and the load average before and after.

The exercises load the dataset from the cache (`SCCLUST_CACHE_DIR` or
`~/.cache/scclust-course`); run `make data` first. Grading computes each exercise's
reference answers once and caches them beside the dataset (course_lib.grading.refcache);
the figures are of a warm reference cache (the class runs reuse the single runs' cache).
On a shared machine the figures vary with the load; the machine (cores, memory, CPU) is
recorded with them.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark_chapters import _EXECUTE, BIN, ROOT, _run_json, machine

ASSIGNMENTS = sorted(
    p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file()
)
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _env() -> dict[str, str]:
    """This environment, with the venv's kernels first (as the Makefile sets it)."""
    env = dict(os.environ)
    kernels = ROOT / ".venv" / "share" / "jupyter"
    if "JUPYTER_PATH" not in env and kernels.is_dir():
        env["JUPYTER_PATH"] = str(kernels)
    return env


PR_SET_CHILD_SUBREAPER = 36
"""Linux ``prctl`` option: orphaned descendants are re-parented to this process, not init."""

_STARTED: set[int] = set()
"""Processes this script started and stops itself (the external Dask cluster)."""


def _become_subreaper() -> None:
    """Adopt this script's orphaned descendants (Linux), so their CPU time is counted.

    A local Dask worker's grading fork server (course_lib.grading.task) exits a moment after
    its worker; adopted by init, its CPU time and its grading processes' would be lost.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap_orphans(timeout: float = 20.0) -> None:
    """Wait for the adopted descendants to exit, and reap them (their CPU time is then ours)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        orphans = [p.pid for p in psutil.Process().children() if p.pid not in _STARTED]
        if not orphans:
            return
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished descendants, orphans included."""
    _reap_orphans()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_seconds(notebook: Path) -> dict:
    """Execute ``notebook`` in a fresh kernel in its folder (benchmark_chapters.py's code)."""
    cpu = _children_cpu()
    figures = _run_json(
        [str(BIN / "python"), "-c", _EXECUTE, str(notebook), str(notebook.parent)], _env()
    )
    return {**figures, "cpu_seconds": _children_cpu() - cpu}


def grade(assignment: str, submissions: Path, out: Path, *options: str) -> dict:
    """Run the grading command; its wall time, reported seconds, exit code and grades.csv."""
    command = [
        str(BIN / "python"),
        "-m",
        "course_lib.grading",
        assignment,
        str(submissions),
        "--out",
        str(out),
        "--no-progress",
        *options,
    ]
    start, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if result.returncode not in (0, 1):  # 1: some submission could not be graded
        sys.stderr.write(result.stdout + result.stderr)
        msg = f"grading failed with exit code {result.returncode}: {' '.join(command)}"
        raise RuntimeError(msg)
    reported = re.search(r"graded (\d+) submissions in (\d+) s", result.stdout)
    grades = (out / "grades.csv").read_text()
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "reported_seconds": float(reported.group(2)) if reported else None,
        "exit_code": result.returncode,
        "grades_csv": grades,
    }


def _totals(grades_csv: str) -> list[str]:
    import csv

    rows = list(csv.DictReader(grades_csv.splitlines()))
    return [f"{r['student']} {r['total']}/{r['max_score']}" for r in rows]


def exercise_figures(assignments: list[str], tmp: Path) -> list[dict]:
    """Bare execution against grading the solution as a single submission, per exercise."""
    import nbformat

    print(
        f"{'exercise':24s} {'bare (s)':>9s} {'graded (s)':>11s} {'reported':>9s} "
        f"{'ratio':>6s} {'CPU bare':>9s} {'CPU graded':>11s}  score"
    )
    rows = []
    for name in assignments:
        solution = ROOT / "solutions" / name / f"{name}.ipynb"
        bare = bare_seconds(solution)
        subs = tmp / f"single_{name}"
        subs.mkdir()
        nbformat.write(answered(name), subs / "solution.ipynb")
        graded = grade(name, subs, tmp / f"out_single_{name}", "--jobs", "1")
        ratio = graded["wall_seconds"] / bare["seconds"]
        score = ", ".join(_totals(graded["grades_csv"]))
        print(
            f"{name:24s} {bare['seconds']:9.1f} {graded['wall_seconds']:11.1f} "
            f"{graded['reported_seconds'] or float('nan'):9.0f} {ratio:6.2f} "
            f"{bare['cpu_seconds']:9.1f} {graded['cpu_seconds']:11.1f}  {score}"
        )
        rows.append(
            {
                "assignment": name,
                "bare_seconds": bare["seconds"],
                "bare_cpu_seconds": bare["cpu_seconds"],
                "bare_peak_rss_mb": bare["peak_rss_mb"],
                "graded_wall_seconds": graded["wall_seconds"],
                "graded_cpu_seconds": graded["cpu_seconds"],
                "graded_reported_seconds": graded["reported_seconds"],
                "ratio_graded_to_bare": ratio,
                "exit_code": graded["exit_code"],
                "score": score,
                "grades_csv": graded["grades_csv"],
            }
        )
    return rows


def answered(assignment: str, leave_unanswered: int = 0) -> object:
    """The student release of ``assignment`` with its answer cells filled in, as submitted.

    Each answer cell gets the solution's code without the ``### BEGIN/END SOLUTION`` lines;
    the last ``leave_unanswered`` answer cells keep the release's ``raise
    NotImplementedError()``. The test cells stay as released (no hidden tests), so the
    grader finds nothing edited. Without a release in ``exercises/``, the solution itself.
    """
    import nbformat

    solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    release = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    if not release.is_file():
        return solution
    nb = nbformat.read(release, as_version=4)
    code = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in solution.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    }
    answers = [
        c
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    for cell in answers[: len(answers) - leave_unanswered]:
        lines = code[cell.metadata["nbgrader"]["grade_id"]].splitlines()
        cell.source = "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS)
    return nb


def make_class(assignment: str, size: int, folder: Path) -> list[str]:
    """``size`` flat submissions; every third leaves the last answer cell unanswered."""
    import nbformat

    folder.mkdir()
    mistakes = []
    for i in range(size):
        student = f"student{i + 1:03d}"
        planted = i % 3 == 2
        nbformat.write(answered(assignment, int(planted)), folder / f"{student}.ipynb")
        if planted:
            mistakes.append(student)
    return mistakes


def _popen(*args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(BIN / "dask"), *args],
        cwd=ROOT,
        env={**_env(), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"},  # as docs/instructors.md says
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _STARTED.add(process.pid)
    return process


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop the processes this script started (and their children, in their sessions)."""
    for process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def external_cluster_figures(assignment: str, subs: Path, tmp: Path, workers: int) -> dict:
    """Grade ``subs`` on a `dask scheduler` + `dask worker` started here as processes."""
    from distributed import Client

    scheduler_file = tmp / "scheduler.json"
    processes: list[subprocess.Popen] = []
    try:
        start = time.perf_counter()
        processes.append(
            _popen(
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(scheduler_file),
                "--no-dashboard",
            )
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not scheduler_file.exists():
            raise RuntimeError("the dask scheduler did not start within 60 s")
        processes.append(
            _popen(
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nworkers",
                str(workers),
                "--nthreads",
                "1",
                "--memory-limit",
                "2GiB",
                "--no-dashboard",
            )
        )
        with Client(scheduler_file=str(scheduler_file), timeout=30) as client:
            client.wait_for_workers(workers, timeout=120)
            address = client.scheduler.address
        startup = time.perf_counter() - start
        graded = grade(assignment, subs, tmp / "out_scheduler", "--scheduler", address)
    finally:
        _stop(processes)
    return {"cluster_startup_seconds": startup, "workers": workers, **graded}


def class_figures(assignment: str, size: int, tmp: Path) -> dict:
    subs = tmp / "class"
    mistakes = make_class(assignment, size, subs)
    runs = {}
    for jobs in (1, 2):
        runs[f"jobs_{jobs}"] = grade(
            assignment, subs, tmp / f"out_class_jobs{jobs}", "--jobs", str(jobs)
        )
        print(f"class of {size}, --jobs {jobs}: {runs[f'jobs_{jobs}']['wall_seconds']:.1f} s")
    runs["scheduler_2_workers"] = external_cluster_figures(assignment, subs, tmp, 2)
    print(
        f"class of {size}, --scheduler (2 workers): "
        f"{runs['scheduler_2_workers']['wall_seconds']:.1f} s "
        f"(+ {runs['scheduler_2_workers']['cluster_startup_seconds']:.1f} s cluster start-up)"
    )
    reference = runs["jobs_1"]["grades_csv"]
    for run in runs.values():
        run["per_submission_seconds"] = run["wall_seconds"] / size
        run["cpu_per_submission_seconds"] = run["cpu_seconds"] / size
        run["grades_identical_to_jobs_1"] = run["grades_csv"] == reference
    print(f"grades.csv of --jobs 1 (planted mistakes: {', '.join(mistakes) or 'none'}):")
    print(reference, end="")
    for key, run in runs.items():
        if key != "jobs_1":
            same = "identical" if run["grades_identical_to_jobs_1"] else "DIFFERENT"
            print(f"grades.csv of {key}: {same} to --jobs 1")
            if not run["grades_identical_to_jobs_1"]:
                print(run["grades_csv"], end="")
    return {
        "assignment": assignment,
        "class_size": size,
        "planted_mistakes": mistakes,
        "runs": runs,
    }


def table(report: dict) -> str:
    """The figures as Markdown tables."""
    m = report["machine"]
    lines = [
        f"Grading benchmark, {m['date']}: {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['memory_gb']} GB, {m['cpu']}, Python {m['python']}. Load average (1 min) "
        f"{report['load_average']['start']:.1f} at the start, "
        f"{report['load_average']['end']:.1f} at the end.",
        "",
        "| exercise | bare solution (s) | graded, 1 submission, --jobs 1 (s) "
        "| reported by the command (s) | graded / bare | CPU bare (s) | CPU graded (s) "
        "| score |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["exercises"]:
        reported = r["graded_reported_seconds"]
        lines.append(
            f"| {r['assignment']} | {r['bare_seconds']:.1f} | {r['graded_wall_seconds']:.1f} "
            f"| {'' if reported is None else f'{reported:.0f}'} "
            f"| {r['ratio_graded_to_bare']:.2f} | {r['bare_cpu_seconds']:.1f} "
            f"| {r['graded_cpu_seconds']:.1f} | {r['score']} |"
        )
    c = report.get("class")
    if c:
        lines += [
            "",
            f"Class of {c['class_size']} submissions of {c['assignment']} "
            f"(unanswered last question: {', '.join(c['planted_mistakes']) or 'none'}):",
            "",
            "| run | wall (s) | per submission (s) | CPU per submission (s) "
            "| grades.csv = --jobs 1 |",
            "|---|---:|---:|---:|---|",
        ]
        names = {
            "jobs_1": "--jobs 1",
            "jobs_2": "--jobs 2",
            "scheduler_2_workers": "--scheduler, 2 external workers",
        }
        for key, run in c["runs"].items():
            lines.append(
                f"| {names[key]} | {run['wall_seconds']:.1f} "
                f"| {run['per_submission_seconds']:.1f} "
                f"| {run['cpu_per_submission_seconds']:.1f} "
                f"| {'yes' if run['grades_identical_to_jobs_1'] else 'NO'} |"
            )
        startup = c["runs"]["scheduler_2_workers"]["cluster_startup_seconds"]
        lines += [
            "",
            f"Starting the external scheduler and workers took {startup:.1f} s "
            "(not in the wall time above; its workers' CPU time is not counted, they are not "
            "the command's processes).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--assignments",
        nargs="+",
        choices=ASSIGNMENTS,
        default=ASSIGNMENTS,
        metavar="NAME",
        help="exercises to measure; the class uses the first (default: all)",
    )
    parser.add_argument(
        "--class-size",
        type=int,
        default=8,
        help="submissions in the generated class; 0 skips it (default: 8)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "_build" / "benchmark_grading.json",
        help="where to write the figures as JSON (default: %(default)s)",
    )
    parser.add_argument(
        "--md",
        type=Path,
        default=ROOT / "_build" / "benchmark_grading.md",
        help="where to write the Markdown table (default: %(default)s)",
    )
    args = parser.parse_args()
    _become_subreaper()
    start = time.perf_counter()
    report: dict = {"machine": machine(), "assignments": args.assignments}
    report["load_average"] = {"start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="benchmark_grading_") as folder:
        tmp = Path(folder)
        report["exercises"] = exercise_figures(args.assignments, tmp)
        if args.class_size > 0:
            report["class"] = class_figures(args.assignments[0], args.class_size, tmp)
    report["total_seconds"] = time.perf_counter() - start
    report["load_average"]["end"] = os.getloadavg()[0]
    markdown = table(report)
    print()
    print(markdown, end="")
    for path, text in ((args.json, json.dumps(report, indent=2) + "\n"), (args.md, markdown)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"figures written to {args.json} and {args.md}")


if __name__ == "__main__":
    main()
