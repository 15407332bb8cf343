"""The scores the checks compare with their thresholds, one definition each.

The checks and the calibration (``tests/exercise_calibration``) call the same functions,
so a threshold in :mod:`course_lib.checks.thresholds` is calibrated on exactly the number
the check computes.

Examples
--------
>>> from course_lib.checks.scores import hvg_overlap
>>> hvg_overlap({"A", "B"}, {"B", "C"})
0.3333333333333333
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, silhouette_samples

from ..defaults import HARMONY_KEY
from ..tl import sample_cells
from .reference_answers import REFERENCE_SEEDS, reference_knn, reference_leiden
from .thresholds import COUNT_RANGE, MAJORITY, UNCORRECTED_MATCH_ARI

TNK_LINEAGE = "T/NK"
"""Value of ``obs['lineage_truth']`` of the T and NK cells (chapter 5's subset)."""

TECHNICAL = ("doublet", "low quality")
"""Values of ``obs['lineage_truth']`` of the captures that are not single cells."""

DOUBLET = "doublet"
"""Value of ``obs['cell_type_truth']`` of the simulated doublets."""

SILHOUETTE_CELLS = 3000
"""Cells chapter 6 averages silhouette widths over (:func:`course_lib.internal_metrics`)."""


def ari(labels: pd.Series, reference: pd.Series) -> float:
    """Adjusted Rand index of ``labels`` to ``reference``, matched by cell name.

    Examples
    --------
    >>> import pandas as pd
    >>> answer = pd.Series(["a", "a", "b"], index=["c1", "c2", "c3"])
    >>> ari(answer, pd.Series(["x", "y", "y"], index=["c3", "c1", "c2"]))
    1.0
    """
    return float(adjusted_rand_score(reference.to_numpy(), labels.reindex(reference.index)))


def matches_uncorrected(uncorrected_ari: float, harmony_ari: float) -> bool:
    """Whether a failing clustering looks computed on the uncorrected PCA.

    Parameters
    ----------
    uncorrected_ari
        ARI of the answer with Leiden on the uncorrected PCA.
    harmony_ari
        ARI of the answer with the Harmony reference.

    Returns
    -------
    ``True`` if the first is higher *and* at least :data:`UNCORRECTED_MATCH_ARI` (random
    labels are near 0 against both references).

    Examples
    --------
    >>> matches_uncorrected(0.9, 0.2), matches_uncorrected(0.02, 0.01)
    (True, False)
    """
    return uncorrected_ari > harmony_ari and uncorrected_ari >= UNCORRECTED_MATCH_ARI


def count_range(n_reference: float) -> tuple[int, int]:
    """The cluster counts accepted around the references' median count (:data:`COUNT_RANGE`).

    Examples
    --------
    >>> count_range(11)
    (6, 18)
    """
    low, high = COUNT_RANGE
    return max(2, math.floor(low * n_reference)), math.ceil(high * n_reference)


def leiden_score(labels: pd.Series, ref: ad.AnnData, resolution: float) -> float:
    """Best ARI of ``labels`` to the Harmony Leiden references (seeds :data:`REFERENCE_SEEDS`).

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name (any order, all cells of ``ref``).
    ref
        Prepared data.
    resolution
        Leiden resolution of the references.

    Returns
    -------
    The largest adjusted Rand index, the score :func:`~course_lib.checks.check_leiden`
    compares with :data:`~course_lib.checks.thresholds.LEIDEN_MIN_ARI`.

    Examples
    --------
    >>> leiden_score(adata.obs["leiden_0.6"], reference_data(), 0.6)  # doctest: +SKIP
    1.0
    """
    return max(ari(labels, reference_leiden(ref, resolution, seed=s)) for s in REFERENCE_SEEDS)


def nearest_centre_share(labels: pd.Series, ref: ad.AnnData, rep: str = HARMONY_KEY) -> float:
    """Share of cells whose nearest cluster centre in ``rep`` is their own cluster's.

    k-means stops when no cell is nearer another cluster's centre than its own (Lloyd's
    algorithm has converged), so its answer in the embedding it ran on scores about 1,
    whatever its seed or ``n_init``; clusters found in another embedding do not.

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name.
    ref
        Prepared data (cells in any order).
    rep
        ``obsm`` key of the embedding.

    Returns
    -------
    A number between 0 and 1, the score :func:`~course_lib.checks.check_kmeans` compares
    with :data:`~course_lib.checks.thresholds.KMEANS_MIN_NEAREST`.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd
    >>> ref = ad.AnnData(obsm={"X": np.array([[0.0], [1.0], [10.0], [11.0]])})
    >>> ref.obs_names = ["a", "b", "c", "d"]
    >>> nearest_centre_share(pd.Series([0, 0, 1, 1], index=ref.obs_names), ref, "X")
    1.0
    >>> nearest_centre_share(pd.Series([0, 1, 1, 1], index=ref.obs_names), ref, "X")
    0.75
    """
    data = np.asarray(ref.obsm[rep], dtype=np.float64)
    codes, _ = pd.factorize(labels.reindex(ref.obs_names).astype(str))
    centres = np.stack([data[codes == c].mean(axis=0) for c in range(codes.max() + 1)])
    squared = (data**2).sum(axis=1)[:, None] - 2 * data @ centres.T + (centres**2).sum(axis=1)
    return float((squared.argmin(axis=1) == codes).mean())


def knn_overlap(adata: ad.AnnData, ref: ad.AnnData, rep: str = HARMONY_KEY) -> float:
    """Mean fraction of each cell's graph neighbours that are exact neighbours in ``rep``.

    Parameters
    ----------
    adata
        Data with a kNN graph in ``obsp['distances']``.
    ref
        Data with the embedding ``obsm[rep]`` (same cells).
    rep
        ``obsm`` key of the embedding the graph should have been built on.

    Returns
    -------
    A number between 0 and 1 (1: the graph is the exact kNN graph of ``rep``).

    Examples
    --------
    >>> knn_overlap(adata, reference_data())  # doctest: +SKIP
    1.0
    """
    distances = adata.obsp["distances"].tocsr()
    order = ref.obs_names.get_indexer(adata.obs_names)
    exact = reference_knn(ref, rep, int(np.diff(distances.indptr).max()) + 1)
    shared = [
        np.isin(
            order[distances.indices[distances.indptr[i] : distances.indptr[i + 1]]], exact[order[i]]
        ).mean()
        for i in range(adata.n_obs)
        if distances.indptr[i + 1] > distances.indptr[i]
    ]
    return float(np.mean(shared)) if shared else 0.0


def knee(inertias: Mapping[int, float]) -> int:
    """The knee of an inertia curve: the k farthest below the line joining its ends (chapter 2).

    Parameters
    ----------
    inertias
        ``{k: inertia}`` for at least three values of k.

    Returns
    -------
    The k of the knee.

    Examples
    --------
    >>> knee({2: 10.0, 4: 4.0, 6: 3.0, 8: 2.5})
    4
    """
    curve = pd.Series({int(k): float(v) for k, v in inertias.items()}).sort_index()
    x = (curve.index - curve.index[0]) / (curve.index[-1] - curve.index[0])
    y = (curve - curve.iloc[-1]) / (curve.iloc[0] - curve.iloc[-1])
    return int(curve.index[np.argmax((1 - x) - y.to_numpy())])


def hvg_overlap(genes: set[str], reference: set[str]) -> float:
    """Jaccard overlap of two gene sets: shared genes over genes in either.

    Examples
    --------
    >>> hvg_overlap({"A", "B"}, {"B", "C"})
    0.3333333333333333
    """
    return len(genes & reference) / len(genes | reference) if genes | reference else 1.0


def precision_recall(
    chosen: pd.Series | np.ndarray,
    truth: pd.Series | np.ndarray,
    target: pd.Series | np.ndarray | None = None,
) -> tuple[float, float]:
    """How well chosen cells match the truth, judged cell by cell.

    Parameters
    ----------
    chosen
        Boolean per cell: chosen by the answer.
    truth
        Boolean per cell (same cells, same order or index): what the answer should hold.
    target
        Boolean per cell the recall is measured on; default ``truth``.

    Returns
    -------
    ``(precision, recall)``: the fraction of chosen cells that are ``truth`` (0 when none
    is chosen) and the fraction of ``target`` cells chosen (1 when there are none).

    Examples
    --------
    >>> import numpy as np
    >>> precision_recall(np.array([True, True, False]), np.array([True, False, False]))
    (0.5, 1.0)
    """
    target = truth if target is None else target
    precision = float(truth[chosen].mean()) if chosen.any() else 0.0
    recall = float(chosen[target].mean()) if target.any() else 1.0
    return precision, recall


def mostly(labels: pd.Series, truth: pd.Series) -> list[str]:
    """The clusters of ``labels`` where over :data:`~.thresholds.MAJORITY` of cells hold ``truth``.

    Examples
    --------
    >>> import pandas as pd
    >>> mostly(pd.Series(["a", "a", "b"]), pd.Series([True, True, False]))
    ['a']
    """
    share = truth.groupby(labels.astype(str)).mean()
    return [str(c) for c in share.index[share > MAJORITY]]


def doublet_precision_recall(
    labels: pd.Series, is_doublet: pd.Series, clusters: Iterable[str]
) -> tuple[float, float]:
    """Precision and recall of clusters chosen as doublets, as the doublet check judges them.

    Parameters
    ----------
    labels
        Cluster labels (strings) indexed by cell.
    is_doublet
        Boolean per cell (same index): a simulated doublet.
    clusters
        The chosen clusters.

    Returns
    -------
    ``(precision, recall)``: the fraction of doublets among the cells of ``clusters``, and
    the fraction of the cells of the clusters made mostly of doublets (:func:`mostly`) that
    ``clusters`` hold.

    Examples
    --------
    >>> import pandas as pd
    >>> labels = pd.Series(["a", "a", "b", "c"])
    >>> doublet_precision_recall(labels, pd.Series([True, True, False, False]), ["a", "b"])
    (0.6666666666666666, 1.0)
    """
    chosen = labels.isin(list(clusters))
    return precision_recall(chosen, is_doublet, labels.isin(mostly(labels, is_doublet)))


def mean_silhouette(
    labels: pd.Series, ref: ad.AnnData, rep: str = HARMONY_KEY, *, cells: np.ndarray | None = None
) -> float:
    """Mean silhouette width of ``labels`` in ``ref.obsm[rep]``, as chapter 6 measures it.

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name (all cells of ``ref``).
    ref
        Prepared data with the embedding.
    rep
        ``obsm`` key of the embedding the distances are measured in.
    cells
        Row indices of the cells to average over; default the course's sample of
        :data:`SILHOUETTE_CELLS` cells (:func:`course_lib.tl.sample_cells`, seed 0), the
        sample :func:`course_lib.internal_metrics` uses by default.

    Returns
    -------
    The mean silhouette width, between -1 and 1.

    Examples
    --------
    >>> mean_silhouette(adata.obs["leiden_0.6"], reference_data())  # doctest: +SKIP
    0.147
    """
    if cells is None:
        cells = sample_cells(ref.n_obs, SILHOUETTE_CELLS)
    codes = labels.reindex(ref.obs_names).astype(str).to_numpy()
    x = np.asarray(ref.obsm[rep], dtype=np.float64)
    return float(silhouette_samples(x[cells], codes[cells]).mean())


def silhouette_error(given: Mapping[float, float], expected: Mapping[float, float]) -> float:
    """Largest absolute difference between two ``{resolution: mean silhouette}`` tables.

    Examples
    --------
    >>> round(silhouette_error({0.4: 0.18, 0.6: 0.15}, {0.4: 0.185, 0.6: 0.147}), 3)
    0.005
    """
    return max(abs(float(given[r]) - float(expected[r])) for r in expected)


def log10_distance(p: float, expected: float) -> float:
    """How far two p-values are apart on a log10 scale (0.30 is a factor of 2).

    Examples
    --------
    >>> round(log10_distance(0.05, 0.5), 6)
    1.0
    """
    return abs(math.log10(max(float(p), 1e-300)) - math.log10(max(float(expected), 1e-300)))
