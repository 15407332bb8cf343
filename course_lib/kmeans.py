"""K-means on a cell embedding, recorded in AnnData the way scanpy records Leiden."""

from __future__ import annotations

import numbers

import anndata as ad
import numpy as np
import pandas as pd
from scanpy import logging as logg
from sklearn.cluster import KMeans

from .prepare import HARMONY_KEY
from .validation import check_adata, require_obsm

N_INIT = 10
"""Default number of k-means initialisations (scikit-learn's ``n_init``)."""


def kmeans_key(n_clusters: int) -> str:
    """``obs`` column of a k-means clustering, e.g. ``kmeans_key(10) == "kmeans_10"``."""
    return f"kmeans_{n_clusters}"


def embedding(adata: ad.AnnData, use_rep: str) -> np.ndarray:
    """``adata.obsm[use_rep]`` as a float64 array, with errors that name the fix."""
    check_adata(adata)
    require_obsm(adata, use_rep, hint="Pass one as use_rep=")
    x = np.asarray(adata.obsm[use_rep], dtype=np.float64)
    if x.ndim != 2:
        msg = f"obsm[{use_rep!r}] must be a cells × dimensions matrix, got shape {x.shape}"
        raise ValueError(msg)
    if not np.isfinite(x).all():
        msg = (
            f"obsm[{use_rep!r}] contains NaN or infinite values; recompute it "
            "(e.g. sc.pp.pca, course_lib.run_harmony) or pass another use_rep="
        )
        raise ValueError(msg)
    return x


def check_n_clusters(n_clusters: object, x: np.ndarray) -> int:
    """Validate a number of clusters for ``x`` (cells × dimensions) and return it as ``int``."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        msg = (
            f"n_clusters must be a whole number such as 10, "
            f"got {n_clusters!r} ({type(n_clusters).__name__})"
        )
        raise TypeError(msg)
    k, n_cells = int(n_clusters), x.shape[0]
    if k < 2:
        msg = f"n_clusters must be at least 2 (one cluster is no clustering), got {k}"
        raise ValueError(msg)
    if k > n_cells:
        msg = f"n_clusters={k} is more than the {n_cells} cells; pass n_clusters ≤ {n_cells}"
        raise ValueError(msg)
    n_distinct = len(np.unique(x, axis=0))
    if k > n_distinct:
        msg = (
            f"n_clusters={k} but the embedding has only {n_distinct} distinct cell "
            f"position(s); pass n_clusters ≤ {n_distinct}"
        )
        raise ValueError(msg)
    return k


def size_ordered_labels(labels: np.ndarray) -> pd.Categorical:
    """Rename cluster ids to ``"0"``, ``"1"``, … by decreasing size (ties: first appearance).

    Scanpy orders Leiden clusters the same way, so cluster ``"0"`` is always the largest.
    """
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    rename = {ids[old]: str(new) for new, old in enumerate(order)}
    names = [rename[label] for label in labels]
    return pd.Categorical(names, categories=[str(i) for i in range(len(ids))])


def kmeans(
    adata: ad.AnnData,
    n_clusters: int,
    *,
    use_rep: str = HARMONY_KEY,
    n_init: int = N_INIT,
    random_state: int | None = 0,
    key_added: str | None = None,
) -> None:
    """Cluster cells with k-means on an embedding (scikit-learn's :class:`~sklearn.cluster.KMeans`).

    K-means only finds a local optimum of its objective (the inertia, the sum of squared
    distances of cells to their cluster centre), which depends on the starting centres.
    It therefore runs ``n_init`` times from different k-means++ starts and keeps the run
    with the lowest inertia.

    Parameters
    ----------
    adata
        Data with an embedding in ``obsm``, e.g. from :func:`course_lib.load_integrated`.
    n_clusters
        Number of clusters *k*, at least 2 and at most the number of distinct cells.
    use_rep
        ``obsm`` key of the embedding to cluster (all of its dimensions are used).
    n_init
        Number of initialisations; the best (lowest inertia) run is kept.
    random_state
        Seed of the initialisations.
    key_added
        ``obs`` column and ``uns`` key for the result; default ``f"kmeans_{n_clusters}"``.

    Returns
    -------
    ``None``; sets ``adata.obs[key_added]`` (categorical, labels ``"0"`` … ``"k-1"`` by
    decreasing cluster size), ``adata.uns[key_added]["params"]`` (``n_clusters``,
    ``use_rep``, ``n_init``, ``random_state``) and ``adata.uns[key_added]["inertia"]``.

    Examples
    --------
    >>> import course_lib
    >>> from course_lib.kmeans import kmeans
    >>> adata = course_lib.load_integrated()  # doctest: +SKIP
    >>> kmeans(adata, 10)  # doctest: +SKIP
    >>> adata.obs["kmeans_10"].cat.categories.size  # doctest: +SKIP
    10
    """
    x = embedding(adata, use_rep)
    k = check_n_clusters(n_clusters, x)
    if isinstance(n_init, bool) or not isinstance(n_init, numbers.Integral) or n_init < 1:
        msg = f"n_init must be a positive whole number such as 10, got {n_init!r}"
        raise ValueError(msg)
    key = key_added or kmeans_key(k)
    start = logg.info(f"running k-means with k={k} on {use_rep!r}")
    model = KMeans(n_clusters=k, n_init=int(n_init), random_state=random_state).fit(x)
    adata.obs[key] = size_ordered_labels(model.labels_)
    adata.uns[key] = {
        "params": {
            "n_clusters": k,
            "use_rep": use_rep,
            "n_init": int(n_init),
            "random_state": random_state,
        },
        "inertia": float(model.inertia_),
    }
    logg.info(
        "    finished",
        time=start,
        deep=f"added\n    {key!r}, the cluster labels (adata.obs, categorical)",
    )
