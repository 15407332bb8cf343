"""The course dataset: built once (simulate + prepare), cached, then loaded in seconds."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import anndata as ad
import numpy as np
from threadpoolctl import threadpool_info
from tqdm.auto import tqdm

from ..defaults import HARMONY_KEY, SEED
from ..environment import CACHE_ENV, cache_dir
from .prepare import preparation_steps
from .simulate import simulate_pbmc

DATASET_VERSION = 3
"""Bump when the simulation or preparation changes, so old caches are not reused."""
REQUIRED_KEYS = {"obsm": ("X_pca", HARMONY_KEY, "X_umap", "X_umap_uncorr")}
FINGERPRINT_OBSM = ("X_pca", HARMONY_KEY, "X_umap", "X_umap_uncorr")
"""The floating-point results of the preparation that :func:`fingerprint` hashes."""

logger = logging.getLogger(__name__)


class CacheDirError(OSError):
    """The cache directory cannot be created or written to."""


def cache_path(seed: int = SEED) -> Path:
    """Path of the cached prepared dataset for ``seed``."""
    return cache_dir() / f"pbmc_covid_sim_v{DATASET_VERSION}_seed{seed}.h5ad"


def fingerprint(adata: ad.AnnData) -> str:
    """SHA-256 of the prepared dataset's cells, embeddings and kNN graph, bit for bit.

    Two builds on the same machine with the same thread counts give the same fingerprint.
    Another CPU or thread count changes the last bits of PCA, Harmony and UMAP, and so the
    fingerprint, while the raw counts stay identical: the chapters' key figures are
    therefore checked against calibrated ranges, not exact values.

    Parameters
    ----------
    adata
        A prepared dataset, e.g. from :func:`build_integrated`.

    Returns
    -------
    The hexadecimal digest.

    Examples
    --------
    A tiny stand-in with the same keys; changing one value changes the fingerprint:

    >>> import anndata as ad, numpy as np, scipy.sparse as sp
    >>> x = np.zeros((3, 2), dtype=np.float32)
    >>> cells = ad.AnnData(obsm={key: x.copy() for key in FINGERPRINT_OBSM},
    ...                    obsp={"connectivities": sp.eye(3, format="csr")})
    >>> before = fingerprint(cells)
    >>> len(before)
    64
    >>> cells.obsm["X_umap"][0, 0] = 1e-30
    >>> fingerprint(cells) == before
    False
    """
    digest = hashlib.sha256()
    digest.update("\n".join(adata.obs_names).encode())
    for key in FINGERPRINT_OBSM:
        digest.update(np.ascontiguousarray(adata.obsm[key]).tobytes())
    graph = adata.obsp["connectivities"]
    for part in (graph.data, graph.indices, graph.indptr):
        digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def thread_settings() -> dict[str, int]:
    """Threads each numerical library uses now (BLAS and OpenMP pools, numba)."""
    import numba  # imported here: numba is heavy and only the build needs it

    settings = {f"{pool['internal_api']}": int(pool["num_threads"]) for pool in threadpool_info()}
    settings["numba"] = int(numba.get_num_threads())
    return settings


def build_integrated(*, seed: int = SEED, progress: bool = True) -> ad.AnnData:
    """Simulate the PBMC dataset and run the lab's preprocessing on it (no caching).

    Parameters
    ----------
    seed
        Seed of the simulation and of every randomised step (PCA, Harmony, UMAP).
    progress
        Show a progress bar over the steps.

    Returns
    -------
    A new :class:`~anndata.AnnData`: log-normalised HVG-unscaled data in ``X``, the
    log-normalised full matrix in ``.raw``, raw counts in ``layers["counts"]``, QC metrics
    in ``obs``, and ``obsm["X_pca"]``, ``obsm["X_pca_harmony"]``, ``obsm["X_umap"]``
    (on Harmony), ``obsm["X_umap_uncorr"]`` (on the uncorrected PCA), plus the kNN graph
    on the Harmony embedding in ``obsp``. ``uns["course_dataset"]`` records the version,
    the seed, the :func:`fingerprint` and the thread settings of the build.

    Examples
    --------
    >>> adata = build_integrated(seed=0)  # doctest: +SKIP
    """
    adata = simulate_pbmc(seed=seed)
    return _prepare_recorded(adata, seed=seed, progress=progress,
                             desc="Building the course dataset")


def _prepare_recorded(
    adata: ad.AnnData, *, seed: int, progress: bool, desc: str, **record: str
) -> ad.AnnData:
    """Run the preparation steps on raw counts with a progress bar; record the build in uns."""
    steps = preparation_steps(adata, seed=seed)
    with tqdm(total=len(steps), desc=desc, disable=not progress, unit="step") as bar:
        for name, step in steps:
            bar.set_postfix_str(name)
            step()
            bar.update(1)
    adata.uns["course_dataset"] = {
        "version": DATASET_VERSION,
        "seed": seed,
        **record,
        "fingerprint": fingerprint(adata),
        "threads": thread_settings(),
    }
    return adata


def _read_valid(path: Path) -> ad.AnnData | None:
    """Read a cached dataset, or return ``None`` if it is unreadable or incomplete."""
    try:
        adata = ad.read_h5ad(path)
    except Exception as error:  # h5py raises OSError, KeyError, ValueError… on corrupt files
        logger.warning("cached dataset %s is unreadable (%s); rebuilding it", path, error)
        return None
    missing = [key for key in REQUIRED_KEYS["obsm"] if key not in adata.obsm]
    if missing or adata.raw is None:
        logger.warning("cached dataset %s is incomplete (missing %s); rebuilding", path, missing)
        return None
    return adata


def _write_atomic(adata: ad.AnnData, path: Path) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".h5ad")
    os.close(handle)
    try:
        adata.write_h5ad(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp creates 0600; share like a normal file
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _ensure_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        msg = (
            f"cannot write the course dataset cache to {str(directory)!r} ({error.strerror}). "
            f"Set the environment variable {CACHE_ENV} to a writable directory, e.g. "
            f"`export {CACHE_ENV}=/tmp/scclust-cache`, or "
            f"`os.environ[{CACHE_ENV!r}] = '/tmp/scclust-cache'` before loading."
        )
        raise CacheDirError(msg) from error


def load_simulated(*, seed: int = SEED, progress: bool = True) -> ad.AnnData:
    """The simulated course dataset from the cache, built and cached on first use.

    The first call simulates the data and runs the preprocessing (about a minute, with a
    progress bar) and caches the result in :func:`cache_dir`; later calls read the cache.
    The cache is written atomically, so concurrent or interrupted builds never leave a
    corrupt file; an unreadable cache is rebuilt. :func:`course_lib.load_integrated` calls
    it unless ``$SCCLUST_DATASET`` asks for the lab's real data.

    Parameters
    ----------
    seed
        Seed of the simulation; the course uses 0.
    progress
        Show a progress bar while building.

    Returns
    -------
    A new :class:`~anndata.AnnData`, see :func:`build_integrated` for its contents.

    Raises
    ------
    CacheDirError
        If the cache directory cannot be written; the message names ``SCCLUST_CACHE_DIR``.
    """
    path = cache_path(seed)
    if path.exists():
        adata = _read_valid(path)
        if adata is not None:
            return adata
    _ensure_writable(path.parent)
    adata = build_integrated(seed=seed, progress=progress)
    _write_atomic(adata, path)
    return adata
