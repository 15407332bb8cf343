"""Agglomerative hierarchical clustering of cells, with a guard on its quadratic memory."""

from __future__ import annotations

from collections.abc import Sequence

import anndata as ad
import numpy as np
import psutil
from scanpy import logging as logg
from scipy.cluster.hierarchy import cut_tree, linkage
from scipy.spatial.distance import pdist

from .._validation import (
    MemoryBudgetError,
    MissingKeyError,
    check_adata,
    check_n_clusters,
    check_number,
    check_whole_number,
    embedding,
)
from ..defaults import HARMONY_KEY
from ._labels import size_ordered_labels

METHODS = ("ward", "average", "complete", "single")
"""Linkage methods :func:`hierarchical` accepts."""
METRICS = ("euclidean", "correlation", "cosine", "cityblock")
"""Distances :func:`hierarchical` accepts; ``"correlation"`` is ``(1 - r) / 2``."""
MEMORY_FRACTION = 0.5
"""Default share of the available memory the distance matrices may take."""
_WORKING_COPIES = 2
"""The distance matrix plus the copy :func:`scipy.cluster.hierarchy.linkage` works on."""


def distance_matrix_bytes(n_cells: int, *, condensed: bool = True, itemsize: int = 8) -> int:
    """Memory taken by all pairwise distances between ``n_cells`` cells.

    Parameters
    ----------
    n_cells
        Number of cells.
    condensed
        ``True`` for the condensed form (one value per pair, as :func:`scipy.spatial.distance.pdist`
        returns), ``False`` for the full square matrix.
    itemsize
        Bytes per distance; 8 for float64.

    Returns
    -------
    Size in bytes: ``n (n - 1) / 2 * itemsize`` condensed, ``n² * itemsize`` square.

    Examples
    --------
    >>> distance_matrix_bytes(100_000)
    39999600000
    """
    n = check_whole_number("n_cells", n_cells, minimum=0, example=1000)
    pairs = n * (n - 1) // 2 if condensed else n * n
    return pairs * int(itemsize)


def linkage_bytes(n_cells: int) -> int:
    """Peak extra memory of :func:`hierarchical` for ``n_cells`` cells.

    The condensed float64 distance matrix plus the working copy that
    :func:`scipy.cluster.hierarchy.linkage` merges clusters in.

    Examples
    --------
    >>> linkage_bytes(1_000)
    7992000
    """
    return _WORKING_COPIES * distance_matrix_bytes(n_cells)


def default_max_bytes() -> int:
    """Half of the memory currently available on this machine (see :data:`MEMORY_FRACTION`).

    Examples
    --------
    >>> default_max_bytes() > 0
    True
    """
    return int(MEMORY_FRACTION * psutil.virtual_memory().available)


def format_bytes(n_bytes: float) -> str:
    """Human-readable size in decimal units, e.g. ``format_bytes(239e6) == "239 MB"``.

    Examples
    --------
    >>> format_bytes(39_999_600_000)
    '40 GB'
    """
    check_number("n_bytes", n_bytes, example="2e9")
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{int(n_bytes)} B"


def hclust_key(method: str = "ward", metric: str = "euclidean") -> str:
    """``uns`` key of a linkage, e.g. ``"ward"`` or ``"average_correlation"``.

    The cuts are stored in ``obs`` under this key plus ``_<k>``, e.g. ``"ward_10"``.

    Examples
    --------
    >>> hclust_key("average", "correlation")
    'average_correlation'
    """
    _check_method_metric(method, metric)
    return method if metric == "euclidean" else f"{method}_{metric}"


def _check_method_metric(method: str, metric: str) -> None:
    if method not in METHODS:
        msg = f"method must be one of {METHODS}, got {method!r}"
        raise ValueError(msg)
    if metric not in METRICS:
        msg = f"metric must be one of {METRICS}, got {metric!r}"
        raise ValueError(msg)
    if method == "ward" and metric != "euclidean":
        msg = (
            f"method='ward' needs Euclidean distances (it merges the pair of clusters that "
            f"least increases the within-cluster sum of squares), got metric={metric!r}; "
            f"pass metric='euclidean', or method='average' (or 'complete') with metric={metric!r}"
        )
        raise ValueError(msg)


def _check_memory(n_cells: int, max_bytes: float | None) -> None:
    if max_bytes is None:
        limit, source = default_max_bytes(), "half of the memory available now"
    elif check_number("max_bytes", max_bytes, example="2e9") <= 0:
        msg = f"max_bytes must be a positive number of bytes such as 2e9, got {max_bytes!r}"
        raise ValueError(msg)
    else:
        limit, source = max_bytes, "the max_bytes you passed"
    needed = linkage_bytes(n_cells)
    if needed > limit:
        msg = (
            f"hierarchical clustering of {n_cells:,} cells needs about {format_bytes(needed)} "
            f"for the pairwise distances and their working copy, more than {format_bytes(limit)} "
            f"({source}). Cluster a random subsample instead "
            f"(sc.pp.subsample(adata, n_obs=...)), or a summary of the cells such as k-means "
            f"centres, or use k-means (course_lib.kmeans) or Leiden "
            f"(course_lib.graph_clustering), which never hold all pairwise distances."
        )
        raise MemoryBudgetError(msg)


def _as_ks(n_clusters: int | Sequence[int], x: np.ndarray) -> list[int]:
    if isinstance(n_clusters, Sequence) and not isinstance(n_clusters, str):
        if len(n_clusters) == 0:
            msg = "n_clusters is empty; pass a number such as 10 or a list such as [5, 10, 15]"
            raise ValueError(msg)
        return sorted({check_n_clusters(k, x) for k in n_clusters})
    return [check_n_clusters(n_clusters, x)]


def _distances(x: np.ndarray, metric: str) -> np.ndarray:
    if metric == "correlation":
        distances = pdist(x, "correlation")
        distances /= 2  # (1 - r) / 2: from 0 (same profile) to 1 (opposite profiles)
    else:
        distances = pdist(x, metric)
    if not np.isfinite(distances).all():
        msg = (
            f"metric={metric!r} is undefined for cells whose embedding is constant or all "
            f"zero; pass metric='euclidean' or remove those cells"
        )
        raise ValueError(msg)
    return distances


def _store_cuts(adata: ad.AnnData, key: str, ks: list[int]) -> None:
    merges = adata.uns[key]["linkage"]
    cuts = cut_tree(merges, n_clusters=ks)
    for column, k in enumerate(ks):
        adata.obs[f"{key}_{k}"] = size_ordered_labels(cuts[:, column])
        adata.uns[f"{key}_{k}"] = {"params": {**adata.uns[key]["params"], "n_clusters": k}}


def hierarchical(
    adata: ad.AnnData,
    n_clusters: int | Sequence[int],
    *,
    use_rep: str = HARMONY_KEY,
    method: str = "ward",
    metric: str = "euclidean",
    key_added: str | None = None,
    max_bytes: float | None = None,
) -> None:
    """Agglomerative clustering of the cells, cut into ``n_clusters`` groups.

    Computes all pairwise distances between cells in ``obsm[use_rep]``, builds the tree of
    merges with :func:`scipy.cluster.hierarchy.linkage` and cuts it at each requested number
    of clusters. The tree is stored, so :func:`cut_hierarchy` can cut it again without
    recomputing. Memory grows with the square of the number of cells; the function refuses
    to start when it would need more than ``max_bytes``.

    Parameters
    ----------
    adata
        Data with an embedding in ``obsm``, e.g. from :func:`course_lib.load_integrated`.
    n_clusters
        A number of clusters such as ``10`` or several, e.g. ``[5, 10, 15]``; each at least 2.
    use_rep
        ``obsm`` key of the embedding (all of its dimensions are used).
    method
        Linkage, one of :data:`METHODS`. ``"ward"`` requires ``metric="euclidean"``.
    metric
        Distance between cells, one of :data:`METRICS`; ``"correlation"`` is ``(1 - r) / 2``
        with ``r`` the Pearson correlation of two cells' embedding coordinates.
    key_added
        ``uns`` key of the tree and prefix of the ``obs`` columns; default
        :func:`hclust_key` of ``method`` and ``metric``, e.g. ``"ward"``.
    max_bytes
        Largest memory, in bytes, the distance matrix and its working copy
        (:func:`linkage_bytes`) may take; default half of the memory available now.

    Returns
    -------
    ``None``; sets, for each ``k`` in ``n_clusters``, ``adata.obs[f"{key_added}_{k}"]``
    (categorical, labels ``"0"`` … by decreasing size) and
    ``adata.uns[f"{key_added}_{k}"]["params"]``, plus ``adata.uns[key_added]["params"]``
    (``use_rep``, ``method``, ``metric``, ``n_clusters``) and
    ``adata.uns[key_added]["linkage"]`` (the SciPy linkage matrix).

    Examples
    --------
    Two tight pairs of cells and a fifth cell far from both:

    >>> import anndata as ad, numpy as np
    >>> x = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0], [5.0, 30.0]])
    >>> cells = ad.AnnData(obsm={"X_pca_harmony": x})
    >>> hierarchical(cells, [2, 3])
    >>> cells.obs["ward_3"].tolist()
    ['0', '0', '1', '1', '2']
    >>> cells.obs["ward_2"].tolist()
    ['0', '0', '0', '0', '1']
    >>> cells.uns["ward"]["params"]["n_clusters"]
    [2, 3]

    On the course dataset, ``hierarchical(adata, [5, 10, 15])`` sets ``obs["ward_5"]`` …
    ``obs["ward_15"]``.
    """
    check_adata(adata)
    _check_method_metric(method, metric)
    x = embedding(adata, use_rep)
    ks = _as_ks(n_clusters, x)
    _check_memory(x.shape[0], max_bytes)
    key = key_added or hclust_key(method, metric)
    start = logg.info(f"running hierarchical clustering ({method}, {metric}) on {use_rep!r}")
    merges = linkage(_distances(x, metric), method=method)
    adata.uns[key] = {
        "params": {"use_rep": use_rep, "method": method, "metric": metric, "n_clusters": ks},
        "linkage": merges,
    }
    _store_cuts(adata, key, ks)
    logg.info(
        "    finished",
        time=start,
        deep=f"added\n    {[f'{key}_{k}' for k in ks]}, the cluster labels (adata.obs)",
    )


def cut_hierarchy(adata: ad.AnnData, n_clusters: int | Sequence[int], *, key: str = "ward") -> None:
    """Cut a tree stored by :func:`hierarchical` into other numbers of clusters.

    Parameters
    ----------
    adata
        Data on which :func:`hierarchical` ran (the same cells, in the same order).
    n_clusters
        A number of clusters or several, each at least 2.
    key
        ``uns`` key of the tree, the ``key_added`` of :func:`hierarchical`.

    Returns
    -------
    ``None``; sets ``adata.obs[f"{key}_{k}"]`` and ``adata.uns[f"{key}_{k}"]["params"]``
    for each ``k`` and adds the new ``k`` to ``adata.uns[key]["params"]["n_clusters"]``.

    Examples
    --------
    >>> import anndata as ad, numpy as np
    >>> x = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0], [5.0, 30.0]])
    >>> cells = ad.AnnData(obsm={"X_pca_harmony": x})
    >>> hierarchical(cells, 2)
    >>> cut_hierarchy(cells, [3, 4])
    >>> cells.obs["ward_3"].cat.categories.size, cells.obs["ward_4"].cat.categories.size
    (3, 4)
    >>> cells.uns["ward"]["params"]["n_clusters"]
    [2, 3, 4]
    """
    check_adata(adata)
    stored = sorted(k for k, v in adata.uns.items() if isinstance(v, dict) and "linkage" in v)
    if key not in stored:
        msg = f"uns has no tree {key!r}; run hierarchical(adata, ...) first. Stored trees: {stored}"
        raise MissingKeyError(msg)
    merges = adata.uns[key]["linkage"]
    if merges.shape[0] != adata.n_obs - 1:
        msg = (
            f"the tree in uns[{key!r}] joins {merges.shape[0] + 1} cells but adata has "
            f"{adata.n_obs}; run hierarchical(adata, ...) again on these cells"
        )
        raise ValueError(msg)
    x = embedding(adata, adata.uns[key]["params"]["use_rep"])
    ks = _as_ks(n_clusters, x)
    params = adata.uns[key]["params"]
    params["n_clusters"] = sorted(set(params["n_clusters"]) | set(ks))
    _store_cuts(adata, key, ks)
