"""The course's data loaders: the simulated dataset or the lab's real data, as chosen."""

from __future__ import annotations

import anndata as ad

from .._numba_cache import cache_neighbors_kernels
from ..defaults import SEED
from ..environment import dataset
from .cache import load_simulated
from .lab import load_lab
from .truth import drop_truth


def load_integrated(*, seed: int = SEED, progress: bool = True) -> ad.AnnData:
    """Load the prepared COVID-19 vs control PBMC dataset, building it on first use.

    ``$SCCLUST_DATASET`` chooses the data: ``simulated`` (the default, offline) or ``lab``,
    the lab's real 10x files, downloaded and prepared the same way
    (:func:`course_lib.datasets.lab.load_lab`; the real data has no truth labels).

    The first call simulates the data and runs the preprocessing (about a minute, with a
    progress bar) and caches the result (:func:`~.cache.load_simulated`); later calls read
    the cache. It also lets numba cache the kNN-graph
    kernels on disk (:mod:`course_lib._numba_cache`), so the first ``sc.pp.neighbors`` of a
    fresh kernel takes about a second instead of five.

    Parameters
    ----------
    seed
        Seed of the simulation; the course uses 0.
    progress
        Show a progress bar while building.

    Returns
    -------
    A new :class:`~anndata.AnnData`, see :func:`~.cache.build_integrated` for its contents.

    Raises
    ------
    CacheDirError
        If the cache directory cannot be written; the message names ``SCCLUST_CACHE_DIR``.
    ValueError
        If ``$SCCLUST_DATASET`` is neither ``simulated`` nor ``lab``.

    Examples
    --------
    >>> import course_lib
    >>> adata = course_lib.load_integrated()  # doctest: +SKIP
    >>> adata.obsm["X_pca_harmony"].shape  # doctest: +SKIP
    (7512, 30)
    """
    cache_neighbors_kernels()
    if dataset() == "lab":
        return load_lab(seed=seed, progress=progress)
    return load_simulated(seed=seed, progress=progress)


def load_exercise_data(*, seed: int = SEED, progress: bool = True) -> ad.AnnData:
    """Load the course dataset as the exercises use it: without the simulation's truth.

    The same data as :func:`load_integrated` (built and cached on first use), minus the
    ``obs`` columns that hold the simulation's truth (``cell_type_truth``,
    ``lineage_truth``; :data:`~course_lib.datasets.truth.TRUTH_COLUMNS`). An exercise asks
    which clusters are B cells or doublets, and judges the answer against that truth
    itself; in the student's data, a table of the truth would answer it. The chapters keep
    the truth and load the data with :func:`load_integrated`.

    Parameters
    ----------
    seed
        Seed of the simulation; the course uses 0.
    progress
        Show a progress bar while building.

    Returns
    -------
    A new :class:`~anndata.AnnData` with the counts, the QC metrics, the sample and its
    condition in ``obs``, the embeddings and the kNN graph (see :func:`~.cache.build_integrated`),
    and no truth labels.

    Raises
    ------
    CacheDirError
        If the cache directory cannot be written; the message names ``SCCLUST_CACHE_DIR``.

    Examples
    --------
    >>> import course_lib
    >>> adata = course_lib.load_exercise_data()  # doctest: +SKIP
    >>> "lineage_truth" in adata.obs  # doctest: +SKIP
    False
    """
    adata = load_integrated(seed=seed, progress=progress)
    drop_truth(adata)
    return adata
