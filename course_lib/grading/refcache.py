"""The reference answers of an exercise, computed once per class and cached on disk.

Every check compares a student's answer with references computed from the course data
(:mod:`course_lib.checks.reference_answers`, kept in :mod:`course_lib.checks.references`):
Leiden at several seeds, k-means inertias, Ward trees, exact neighbours. Instead of each
grading process computing them, the grading command starts
``python -m course_lib.grading.refcache <assignment>`` (:func:`precompute`) while it starts
Dask and registers the assignment. That process computes the references
:data:`EXERCISE_REFERENCES` lists for the assignment, or loads them from
``<cache_dir()>/references/`` (beside the dataset cache), and writes them there atomically
as a ``.npz`` archive (no pickle) named by :func:`cache_key`: the dataset's fingerprint,
a hash of the checks' source code and the numerical libraries' versions, so editing a
check or rebuilding the dataset computes them anew. It runs with the thread settings of
the Dask workers' processes, so the references are those a grading process computes.

The client reads the archive, computes its SHA-256 and sends both with every task
(:mod:`.task`); each grading process keeps the archive only if the hash matches
(:mod:`.handoff`) and computes whatever it lacks itself, as before. If the references
cannot be prepared, grading goes on without them (slower).

Imports the standard library only at import time; the references process imports scanpy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .handoff import sha256

REFERENCE_TIMEOUT = 900
"""Seconds the references process may take (building the dataset first takes ~1 min)."""

LIBRARIES = ("anndata", "igraph", "leidenalg", "numba", "numpy", "pandas", "pynndescent",
             "scanpy", "scikit-learn", "scipy", "umap-learn")  # fmt: skip
"""Distributions whose versions key the cache: they compute the references."""


def _graph_clustering(ref: Any) -> None:
    from ..checks.reference_answers import (
        REFERENCE_SEEDS,
        UNCORRECTED_KEY,
        reference_knn,
        reference_leiden,
    )
    from ..checks.thresholds import LEIDEN_MIN_ARI
    from ..defaults import HARMONY_KEY, N_NEIGHBORS

    for resolution in LEIDEN_MIN_ARI:  # the resolutions the exercise's check judges
        for seed in REFERENCE_SEEDS:
            reference_leiden(ref, resolution, seed=seed)
        reference_leiden(ref, resolution, rep=UNCORRECTED_KEY)
    reference_knn(ref, HARMONY_KEY, N_NEIGHBORS)


def _kmeans(ref: Any) -> None:
    from ..checks.reference_answers import UNCORRECTED_KEY, reference_inertia
    from ..defaults import SCAN_N_INIT

    for rep in (None, UNCORRECTED_KEY):
        options = {} if rep is None else {"rep": rep}
        reference_inertia(ref, 10, **options)
        for k in range(2, 16, 2):
            reference_inertia(ref, k, n_init=SCAN_N_INIT, **options)


def _hierarchical(ref: Any) -> None:
    from ..checks.reference_answers import UNCORRECTED_KEY, reference_ward

    for linkage in ("ward", "average", "complete", "single"):
        reference_ward(ref, 10, linkage=linkage)
    reference_ward(ref, 10, rep=UNCORRECTED_KEY)


EXERCISE_REFERENCES: dict[str, Callable[[Any], None]] = {
    "01_graph_clustering": _graph_clustering,
    "02_kmeans": _kmeans,
    "03_hierarchical": _hierarchical,
}
"""By assignment: asks for every reference on the course data its checks may compare with,
at the exercise's parameters (wrong answers' diagnoses included). Exercise 4 compares with
the truth only; exercise 5's references depend on each student's own subset."""


def references_dir() -> Path:
    """``<cache_dir()>/references``: the cached references, beside the dataset cache."""
    from ..environment import cache_dir

    return cache_dir() / "references"


def code_hash() -> str:
    """SHA-256 of the checks' source, the course defaults, this module and library versions.

    Examples
    --------
    >>> len(code_hash())
    64
    """
    package = Path(__file__).resolve().parents[1]
    files = [*sorted((package / "checks").glob("*.py")), package / "defaults.py",
             Path(__file__).resolve()]  # fmt: skip
    parts = [f"{p.relative_to(package).as_posix()}\0{p.read_text()}" for p in files]
    for name in LIBRARIES:
        try:
            parts.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    return sha256("\0\0".join(parts).encode())


def cache_key(assignment: str, dataset_fingerprint: str, code: str) -> str:
    """The cache key of an assignment's references: what they are computed from.

    Examples
    --------
    >>> cache_key("02_kmeans", "f" * 64, "c" * 64) == cache_key("02_kmeans", "f" * 64, "d" * 64)
    False
    """
    text = json.dumps({"assignment": assignment, "dataset": dataset_fingerprint, "code": code})
    return sha256(text.encode())


def prepare(assignment: str, directory: Path | None = None) -> dict[str, Any]:
    """Load the assignment's references from the cache, computing and caching what is missing.

    Parameters
    ----------
    assignment
        A key of :data:`EXERCISE_REFERENCES`.
    directory
        Cache directory, default :func:`references_dir`.

    Returns
    -------
    dict
        ``path`` of the archive, its ``sha256``, how many references were ``computed``
        and ``loaded`` from the cache, and the ``seconds`` it took.

    Raises
    ------
    KeyError
        For an assignment without references to prepare.
    """
    from ..checks import references
    from ..checks.reference_answers import reference_data
    from ..datasets.cache import fingerprint

    start = time.perf_counter()
    manifest = EXERCISE_REFERENCES[assignment]
    ref = reference_data()
    directory = directory or references_dir()
    key = cache_key(assignment, fingerprint(ref), code_hash())
    path = directory / f"{assignment}-{key[:32]}.npz"
    cached: bytes | None = None
    stored: dict[tuple, Any] = {}
    if path.is_file():
        try:
            cached = path.read_bytes()
            stored = references.use_store(cached)
        except (OSError, ValueError):
            cached = None
    before = references.reference_counts()
    with references.recording() as keys:
        manifest(ref)
    counts = references.reference_counts()
    data = references.encode(references.cached_values(keys))
    if cached is None or not set(references.decode(data)) <= set(stored):
        directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, data)
        for old in directory.glob(f"{assignment}-*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
    else:
        data = cached
    return {
        "path": str(path),
        "sha256": sha256(data),
        "computed": counts["computed"] - before["computed"],
        "loaded": counts["loaded"] - before["loaded"],
        "seconds": time.perf_counter() - start,
    }


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


@dataclass
class References:
    """An assignment's reference archive as the client hands it to every task."""

    data: bytes
    sha256: str
    computed: int
    loaded: int
    seconds: float


def reference_env() -> dict[str, str]:
    """This environment with the Dask nanny's settings for worker processes (thread counts),
    so the references process computes as a grading process on a worker would."""
    import dask

    env = dict(os.environ)
    for section in ("distributed.nanny.pre-spawn-environ", "distributed.nanny.environ"):
        env.update({k: str(v) for k, v in (dask.config.get(section, default={}) or {}).items()})
    return env


class ReferenceJob:
    """The references process of one grading run (:func:`precompute` starts it)."""

    def __init__(self, assignment: str) -> None:
        self.assignment = assignment
        self.process = subprocess.Popen(
            [sys.executable, "-m", "course_lib.grading.refcache", assignment],
            env=reference_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self, timeout: float = REFERENCE_TIMEOUT) -> References | None:
        """Wait for the references; ``None`` (with a warning) if they could not be prepared.

        Parameters
        ----------
        timeout
            Seconds to wait before the process is stopped.

        Returns
        -------
        References or None
            The archive and its SHA-256, as read by this process.
        """
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return self._missing(f"not ready within {timeout:.0f} s")
        if self.process.returncode != 0:
            lines = err.strip().splitlines() or ["no output"]
            return self._missing(lines[-1])
        try:
            report = json.loads(out.strip().splitlines()[-1])
            data = Path(report["path"]).read_bytes()
        except (IndexError, KeyError, ValueError, OSError) as error:
            return self._missing(f"{type(error).__name__}: {error}")
        if sha256(data) != report["sha256"]:
            return self._missing(f"{report['path']} changed while it was read")
        return References(data, report["sha256"], report["computed"], report["loaded"],
                          report["seconds"])  # fmt: skip

    def _missing(self, why: str) -> None:
        warnings.warn(
            f"could not prepare the reference answers of {self.assignment!r} ({why}); grading "
            "goes on and each grading process computes them itself (slower). Run `python -m "
            f"course_lib.grading.refcache {self.assignment}` to see why.",
            RuntimeWarning,
            stacklevel=3,
        )

    def stop(self) -> None:
        """Stop the process if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@contextmanager
def precompute(assignment: str) -> Iterator[ReferenceJob | None]:
    """Start preparing ``assignment``'s references in the background; stop it on exit.

    Parameters
    ----------
    assignment
        Assignment name; without an entry in :data:`EXERCISE_REFERENCES` nothing starts.

    Yields
    ------
    ReferenceJob or None
        The running job (call :meth:`ReferenceJob.result`), or ``None``.
    """
    job = ReferenceJob(assignment) if assignment in EXERCISE_REFERENCES else None
    try:
        yield job
    finally:
        if job is not None:
            job.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m course_lib.grading.refcache <assignment>``: prepare, print a JSON line.

    Parameters
    ----------
    argv
        The assignment name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for an unknown assignment.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1 or args[0] not in EXERCISE_REFERENCES:
        print(
            f"usage: python -m course_lib.grading.refcache <assignment>; assignments with "
            f"references: {sorted(EXERCISE_REFERENCES)}; got {args}",
            file=sys.stderr,
        )
        return 2
    print(json.dumps(prepare(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
