"""The grading engine on Dask distributed: a local cluster or an existing scheduler.

:func:`dask_client` connects to the scheduler given by ``--scheduler`` (any
``tcp://host:port``, e.g. the scheduler of a Dask Gateway cluster on a hub), or starts a
:class:`distributed.LocalCluster` on 127.0.0.1: one worker process per job, one thread per
worker, a memory limit per worker, no dashboard. :func:`run_tasks` submits one
:func:`~.task.autograde_task` per student and collects the outcomes as they finish.

A worker that dies while grading (the submission killed it, or it ran out of memory) is
replaced; the submission is tried once more (``distributed.scheduler.allowed-failures`` is
1 on the local cluster, and each future has ``retries=1`` for errors raised in the task),
and if the worker dies again the submission is reported with a reason instead of an
outcome. The other students are not affected: the client keeps at most one submission per
worker thread on the cluster, so a dying worker takes no bystander with it.

``dask`` and ``distributed`` are imported inside the functions, when grading starts.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .settings import GradingSettings
from .task import GradingOutcome, GradingTask, autograde_task

CONNECT_TIMEOUT = 10
"""Seconds to wait for a ``--scheduler`` to answer."""

WORKER_TIMEOUT = 120
"""Seconds to wait for a ``--scheduler`` with no workers yet (an adaptive cluster scales up)."""

WORKER_MEMORY = "2GiB"
"""Memory limit of each local worker process (nbgrader; the kernel has ``--memory-limit``)."""

ALLOWED_FAILURES = 1
"""Worker deaths a submission may cause before it is given up (local cluster)."""


@contextmanager
def dask_client(settings: GradingSettings) -> Iterator[Any]:
    """A Dask client: of the settings' scheduler, or of a new local cluster.

    Parameters
    ----------
    settings
        Their ``scheduler``, the address of a running Dask scheduler (e.g.
        ``"tcp://10.0.0.5:8786"``), or ``None``: a :class:`distributed.LocalCluster` on this
        machine of ``jobs`` worker processes (one thread each).

    Yields
    ------
    distributed.Client
        The connected client; the local cluster is closed on exit.

    Raises
    ------
    RuntimeError
        If the scheduler cannot be reached within :data:`CONNECT_TIMEOUT` seconds, or
        has no worker after :data:`WORKER_TIMEOUT` seconds.
    """
    import dask
    from distributed import Client, LocalCluster

    scheduler = settings.scheduler
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as error:
            msg = (
                f"cannot reach the Dask scheduler at {scheduler!r} within {CONNECT_TIMEOUT} s "
                f"({type(error).__name__}: {error}); check the address and that the scheduler "
                "is running, or drop --scheduler to grade on this machine"
            )
            raise RuntimeError(msg) from None
        with client:
            try:
                client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
            except TimeoutError:
                msg = (
                    f"the Dask scheduler at {scheduler!r} has no workers after "
                    f"{WORKER_TIMEOUT} s; start some (`dask worker {scheduler} --nthreads 1`) "
                    "or drop --scheduler to grade on this machine"
                )
                raise RuntimeError(msg) from None
            yield client
        return
    config = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "distributed.scheduler.worker-saturation": 1.0,
        # workers that may start multiprocessing children: the grading fork server (.task)
        "distributed.worker.daemon": False,
    }
    with dask.config.set(config):
        cluster = LocalCluster(
            n_workers=settings.jobs,
            threads_per_worker=1,
            processes=True,
            memory_limit=WORKER_MEMORY,
            host="127.0.0.1",
            dashboard_address=None,
            # the scheduler's small HTTP server (health, metrics) on a free loopback port
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client


def _deaths(client: Any) -> int:
    """How often a worker may die on one task before the scheduler gives it up."""
    try:
        allowed = client.run_on_scheduler(_allowed_failures)
    except Exception:  # an old or restricted scheduler: assume the default
        import dask

        allowed = dask.config.get("distributed.scheduler.allowed-failures")
    return int(allowed) + 1


def _allowed_failures(dask_scheduler: Any) -> int:
    return dask_scheduler.allowed_failures


def _slots(client: Any) -> int:
    return max(sum(client.nthreads().values()), 1)


def run_tasks(
    client: Any,
    tasks: Sequence[GradingTask],
    *,
    progress: bool = True,
    description: str = "Grading",
) -> dict[str, GradingOutcome | str]:
    """Grade ``tasks`` on the cluster of ``client``, as many at a time as it has threads.

    Parameters
    ----------
    client
        A connected :class:`distributed.Client` (see :func:`dask_client`).
    tasks
        One task per student.
    progress
        Show a progress bar (tqdm) over the submissions.
    description
        Label of the progress bar.

    Returns
    -------
    dict of str to GradingOutcome or str
        By student: the outcome, or the reason it could not be graded (its worker died
        every time, or the task raised twice).
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker
    from tqdm.auto import tqdm

    run = uuid.uuid4().hex[:8]
    waiting = iter(tasks)
    students: dict[str, str] = {}

    def submit(task: GradingTask) -> Any:
        key = f"autograde-{run}-{task.student}"
        students[key] = task.student
        return client.submit(autograde_task, task, key=key, retries=1, pure=False)

    results: dict[str, GradingOutcome | str] = {}
    first = [submit(t) for t in itertools.islice(waiting, _slots(client))]
    window = as_completed(first, loop=client.loop)
    bar = tqdm(total=len(tasks), desc=description, unit="student", disable=not progress)
    try:
        for future in window:
            student = students[future.key]
            try:
                results[student] = future.result()
            except KilledWorker:
                deaths = _deaths(client)
                times = "twice" if deaths == 2 else f"{deaths} times"
                results[student] = (
                    f"the grading worker died {times} while grading it (the submission may "
                    "kill its process or exhaust the machine's memory; score 0)"
                )
            except Exception as error:  # raised in the task twice: report, never lose it
                detail = " ".join(str(error).split())[:200]
                results[student] = (
                    f"grading failed on the worker twice ({type(error).__name__}: {detail}; "
                    "score 0)"
                )
            future.release()
            for task in itertools.islice(waiting, 1):
                window.add(submit(task))
            bar.set_postfix_str(student)
            bar.update()
    finally:
        bar.close()
    return results
