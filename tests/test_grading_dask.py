"""The Dask engine of the grader: worker deaths, serial = parallel, an external scheduler.

The tiny assignment (``tests/grading_fixtures/tiny.py``) keeps each run short. The external
scheduler is a ``dask scheduler`` and a ``dask worker`` started here as separate processes
on 127.0.0.1, standing in for a cluster of other machines.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_lib import grading
from tests.grading_fixtures import tiny

pytestmark = pytest.mark.slow  # grades on Dask clusters in kernels

JOBS = min(2, os.cpu_count() or 1)

KILL_WORKER = """\
import psutil, time
process = psutil.Process()
while "spawn_main" not in " ".join(process.cmdline()):
    process = process.parent()
process.kill()  # the Dask worker running this submission (a Nanny's spawned process)
time.sleep(60)
answer = 42"""
"""A cell that kills the Dask worker process grading it (as a crash of the worker would)."""

SUBSET = ("correct", "corrupt", "float_answer", "tampered")
"""Submissions of the serial / parallel / external-scheduler comparison."""


@pytest.fixture(scope="module")
def solutions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("solutions")
    tiny.write_source(folder)
    return folder


def _grade(solutions: Path, subs: Path, out: Path, **options) -> grading.GradingReport:
    return grading.grade_submissions(
        tiny.ASSIGNMENT, subs, out=out, solutions=solutions, timeout=tiny.TIMEOUT,
        memory_limit=tiny.MEMORY_LIMIT, progress=False, **options,
    )  # fmt: skip


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("subset") / "flat"
    all_subs = tiny.submissions()
    tiny.write_flat(folder, {s: all_subs[s] for s in SUBSET})
    return folder


@pytest.fixture(scope="module")
def serial_run(solutions, subset, tmp_path_factory):
    start = time.perf_counter()
    report = _grade(solutions, subset, tmp_path_factory.mktemp("serial") / "out", jobs=1)
    print(f"\nserial: {len(SUBSET)} tiny submissions in {time.perf_counter() - start:.1f} s")
    return report


def _start_scheduler(folder: Path) -> tuple[subprocess.Popen, Path]:
    """A `dask scheduler` process on 127.0.0.1 and the file it writes its address to."""
    scheduler_file = folder / "scheduler.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # let it finish writing
    assert scheduler_file.exists(), "the dask scheduler did not start"
    return process, scheduler_file


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def external_scheduler(tmp_path_factory: pytest.TempPathFactory):
    """A Dask scheduler and one `dask worker` with two worker processes, on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler, scheduler_file = _start_scheduler(folder)
    processes = [scheduler]
    try:
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", "--scheduler-file", str(scheduler_file),
                 "--nworkers", str(JOBS), "--nthreads", "1", "--memory-limit", "2GiB",
                 "--no-dashboard", "--host", "127.0.0.1"],
                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        from distributed import Client

        with Client(scheduler_file=str(scheduler_file), timeout=30) as client:
            client.wait_for_workers(JOBS, timeout=90)
            address = client.scheduler.address
        yield address
    finally:
        _stop(processes)


def test_serial_and_parallel_grades_are_identical(serial_run, solutions, subset, tmp_path):
    start = time.perf_counter()
    parallel = _grade(solutions, subset, tmp_path / "out", jobs=JOBS)
    print(f"\nparallel ({JOBS} workers): {time.perf_counter() - start:.1f} s")
    assert parallel.grades_csv.read_text() == serial_run.grades_csv.read_text()
    expected = {s: score for s, (_, score) in tiny.submissions().items() if s in SUBSET}
    assert {r.student: r.total for r in parallel.results} == expected


def test_external_scheduler_grades_the_same(
    serial_run, external_scheduler, solutions, subset, tmp_path, capsys
):
    """`--scheduler tcp://…`: the workers of another cluster grade, the command writes."""
    out = tmp_path / "out"
    code = grading.main([
        tiny.ASSIGNMENT, str(subset), "--out", str(out), "--solutions", str(solutions),
        "--timeout", str(tiny.TIMEOUT), "--memory-limit", tiny.MEMORY_LIMIT, "--no-progress",
        "--scheduler", external_scheduler,
    ])  # fmt: skip
    assert code == 1  # the corrupt notebook
    assert (out / "grades.csv").read_text() == serial_run.grades_csv.read_text()
    assert (out / "feedback" / "correct.html").is_file()
    assert "grades_lms.csv" in capsys.readouterr().out


def test_lms_file_lists_every_total(serial_run):
    with open(serial_run.out / "grades_lms.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    max_total = f"{sum(tiny.points().values()):g}"
    assert rows[0] == ["Student", "ID", "SIS User ID", "Section", tiny.ASSIGNMENT]
    assert rows[1] == ["Points Possible", "", "", "", max_total]
    expected = {s: f"{score:g}" for s, (_, score) in tiny.submissions().items() if s in SUBSET}
    assert {r[0]: r[4] for r in rows[2:]} == expected
    assert all(r[2] == r[0] and r[1] == r[3] == "" for r in rows[2:])


def test_killed_worker_is_retried_then_flagged(solutions, tmp_path):
    subs = tiny.submissions()
    chosen = {
        "a_before": subs["correct"],
        "killer": (tiny.solved(answer=KILL_WORKER), 0),
        "zz_after": subs["float_answer"],
    }
    tiny.write_flat(tmp_path / "flat", chosen)
    start = time.perf_counter()
    report = _grade(solutions, tmp_path / "flat", tmp_path / "out", jobs=JOBS)
    print(f"\nkilled-worker run: {time.perf_counter() - start:.1f} s")
    killer = report.result("killer")
    assert not killer.graded and killer.total == 0
    assert any("the grading worker died twice" in r for r in killer.reasons), killer.reasons
    assert report.result("a_before").total == subs["correct"][1]
    assert report.result("zz_after").total == subs["float_answer"][1]
    assert report.result("zz_after").graded and report.result("zz_after").reasons == []
    with open(report.attention_csv, newline="") as handle:
        assert any(row["student"] == "killer" for row in csv.DictReader(handle))
    psutil = pytest.importorskip("psutil")
    time.sleep(2)  # the orphaned grading process notices within 0.5 s
    left = [
        p for p in psutil.process_iter(["cmdline", "cwd"])
        if report.run_id in " ".join(p.info["cmdline"] or []) + (p.info["cwd"] or "")
    ]  # fmt: skip
    assert left == []


def test_unreachable_scheduler_is_a_clear_error(solutions, tmp_path, capsys):
    with socket.socket() as sock:  # a free port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    tiny.write_flat(tmp_path / "subs", {"correct": tiny.submissions()["correct"]})
    with pytest.raises(SystemExit) as exit_info:
        grading.main([
            tiny.ASSIGNMENT, str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
            "--solutions", str(solutions), "--scheduler", address,
        ])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at '{address}'" in err
    assert "drop --scheduler" in err
    assert not (tmp_path / "out").exists()


def test_scheduler_without_workers_is_a_clear_error(solutions, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(grading.engine, "WORKER_TIMEOUT", 2)
    scheduler, scheduler_file = _start_scheduler(tmp_path)
    try:
        address = json.loads(scheduler_file.read_text())["address"]
        tiny.write_flat(tmp_path / "subs", {"correct": tiny.submissions()["correct"]})
        with pytest.raises(SystemExit) as exit_info:
            grading.main([
                tiny.ASSIGNMENT, str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                "--solutions", str(solutions), "--scheduler", address,
            ])  # fmt: skip
    finally:
        _stop([scheduler])
    assert exit_info.value.code == 2
    assert f"the Dask scheduler at '{address}' has no workers" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
