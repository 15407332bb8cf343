"""Judging a clustering without the truth: internal metrics and the choice of k (chapter 6).

The metrics are scikit-learn's; what this module adds is the course's way of applying them
to several clusterings of the same cells at once, the knee of an elbow curve and the gap
statistic (Tibshirani, Walther & Hastie 2001), which no maintained Python library provides
in a form that takes precomputed k-means fits, and the kNN neighbourhood purity of each
cluster (as in Bioconductor's bluster; no Python library computes it per cluster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
)
from sklearn.neighbors import NearestNeighbors

from .._validation import check_adata, check_whole_number, embedding, obs_labels
from ..defaults import HARMONY_KEY, N_NEIGHBORS, SCAN_N_INIT, SEED


def sample_cells(n_obs: int, n_sample: int, *, random_state: int = SEED) -> np.ndarray:
    """Sorted indices of ``n_sample`` cells drawn without replacement (all if fewer).

    Silhouette widths need all pairwise distances, so they are computed on a sample.

    Examples
    --------
    >>> sample_cells(5, 3, random_state=0).tolist()
    [2, 3, 4]
    >>> sample_cells(3, 10).tolist()
    [0, 1, 2]
    """
    if n_sample >= n_obs:
        return np.arange(n_obs)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_obs, size=n_sample, replace=False))


def neighbourhood_purity(
    adata: ad.AnnData,
    key: str,
    *,
    use_rep: str = HARMONY_KEY,
    n_neighbors: int = N_NEIGHBORS,
) -> pd.Series:
    """Share of each cluster's cells' nearest neighbours that lie in the same cluster.

    For every cell, the fraction of its ``n_neighbors`` nearest cells in the embedding
    (itself excluded) that carry its own label; averaged per cluster. A cluster cut out
    of a continuum has neighbours across its border and a lower purity than an island.

    Parameters
    ----------
    adata
        Data with the clustering in ``obs`` and the embedding it was computed on.
    key
        ``obs`` column with the cluster labels.
    use_rep
        ``obsm`` key of the embedding the neighbours are found in.
    n_neighbors
        Neighbours per cell (exact, Euclidean).

    Returns
    -------
    A :class:`pandas.Series` named ``"kNN purity"``, one value per cluster (0–1, higher is
    purer), indexed by cluster label in the order of ``obs[key]``'s categories.

    Examples
    --------
    Two separated groups are pure; a split through one group is not:

    >>> import anndata as ad, numpy as np, pandas as pd
    >>> x = np.array([[0.0], [0.1], [0.2], [0.3], [5.0], [5.1], [5.2], [5.3]])
    >>> obs = pd.DataFrame({"good": list("aaaabbbb"), "cut": list("aabbcccc")},
    ...                    index=[str(i) for i in range(8)])
    >>> cells = ad.AnnData(obs=obs, obsm={"X_pca_harmony": x})
    >>> neighbourhood_purity(cells, "good", n_neighbors=2).to_dict()
    {'a': 1.0, 'b': 1.0}
    >>> neighbourhood_purity(cells, "cut", n_neighbors=2).round(2).to_dict()
    {'a': 0.5, 'b': 0.5, 'c': 1.0}
    """
    check_adata(adata)
    check_whole_number("n_neighbors", n_neighbors, minimum=1, example=N_NEIGHBORS)
    labels = obs_labels(adata, key)
    codes = pd.Categorical(labels)
    neighbours = _nearest(embedding(adata, use_rep), n_neighbors)
    same = (codes.codes[neighbours] == codes.codes[:, None]).mean(axis=1)
    purity = pd.Series(same, index=codes).groupby(level=0, observed=True).mean()
    return purity.rename("kNN purity").rename_axis(key)


def _nearest(x: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Indices of each point's nearest neighbours, itself excluded."""
    if n_neighbors >= x.shape[0]:
        msg = f"n_neighbors={n_neighbors} needs more than {n_neighbors} cells; got {x.shape[0]}"
        raise ValueError(msg)
    return NearestNeighbors(n_neighbors=n_neighbors).fit(x).kneighbors(return_distance=False)


def internal_metrics(
    adata: ad.AnnData,
    clusterings: Mapping[str, str] | Sequence[str],
    *,
    use_rep: str = HARMONY_KEY,
    n_sample: int = 3000,
    truth_key: str | None = None,
    n_neighbors: int = N_NEIGHBORS,
    random_state: int = SEED,
) -> pd.DataFrame:
    """Internal quality of several clusterings of the same cells, one row each.

    Parameters
    ----------
    adata
        Data with the clusterings in ``obs`` and the embedding they were computed on.
    clusterings
        ``obs`` columns to judge, or a mapping from a display name to an ``obs`` column.
    use_rep
        ``obsm`` key of the embedding the distances are measured in (the clustered one).
    n_sample
        Cells the mean silhouette width is computed on (it needs all pairwise distances);
        Calinski–Harabasz and Davies–Bouldin use every cell.
    truth_key
        If given, an ``obs`` column of known labels: adds their ARI with each clustering.
    n_neighbors
        Neighbours per cell of the kNN purity (see :func:`neighbourhood_purity`).
    random_state
        Seed of the cell sample.

    Returns
    -------
    A :class:`pandas.DataFrame` indexed by name with columns ``clusters``, ``silhouette``
    (higher is better, at most 1), ``Calinski-Harabasz`` (higher is better),
    ``Davies-Bouldin`` (lower is better), ``kNN purity`` (the share of each cell's nearest
    neighbours in its own cluster, averaged over cells; higher is better, at most 1) and,
    with ``truth_key``, ``ARI with truth``.

    Examples
    --------
    Two tight groups, split correctly (``good``) and across the middle (``bad``):

    >>> import anndata as ad, numpy as np, pandas as pd
    >>> x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> obs = pd.DataFrame({"good": list("aaabbb"), "bad": list("aabbbb")},
    ...                    index=[str(i) for i in range(6)])
    >>> cells = ad.AnnData(obs=obs, obsm={"X_pca_harmony": x})
    >>> internal_metrics(cells, ["good", "bad"], n_neighbors=2)["silhouette"].round(2).to_dict()
    {'good': 0.97, 'bad': 0.49}
    """
    check_adata(adata)
    names = dict(clusterings) if isinstance(clusterings, Mapping) else {k: k for k in clusterings}
    x = embedding(adata, use_rep)
    cells = sample_cells(adata.n_obs, n_sample, random_state=random_state)
    neighbours = _nearest(x, n_neighbors)
    truth = obs_labels(adata, truth_key).to_numpy() if truth_key is not None else None
    rows = {}
    for name, key in names.items():
        labels = obs_labels(adata, key).astype(str).to_numpy()
        n_clusters = np.unique(labels).size
        if n_clusters < 2:
            msg = f"{key!r} has {n_clusters} cluster; internal metrics need at least 2"
            raise ValueError(msg)
        row = {
            "clusters": n_clusters,
            "silhouette": float(silhouette_samples(x[cells], labels[cells]).mean()),
            "Calinski-Harabasz": float(calinski_harabasz_score(x, labels)),
            "Davies-Bouldin": float(davies_bouldin_score(x, labels)),
            "kNN purity": float((labels[neighbours] == labels[:, None]).mean()),
        }
        if truth is not None:
            row["ARI with truth"] = float(adjusted_rand_score(truth, labels))
        rows[name] = row
    return pd.DataFrame(rows).T.astype({"clusters": int})


def knee(x: Sequence[float], y: Sequence[float]) -> int:
    """Index of the knee of a decreasing curve: the point farthest below its chord.

    Both axes are scaled to [0, 1]; the chord joins the first and the last point.

    Examples
    --------
    >>> knee([1, 2, 3, 4, 5], [100, 20, 15, 12, 10])
    1
    """
    x_arr, y_arr = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x_arr.size < 3 or x_arr.size != y_arr.size:
        msg = f"knee needs x and y of the same length, at least 3 points; got {x_arr.size}"
        raise ValueError(msg)
    x_scaled = (x_arr - x_arr[0]) / (x_arr[-1] - x_arr[0])
    y_scaled = (y_arr - y_arr[-1]) / (y_arr[0] - y_arr[-1])
    return int(np.argmax((1 - x_scaled) - y_scaled))


def gap_statistic(
    x: np.ndarray,
    ks: Sequence[int],
    log_inertia: Sequence[float],
    *,
    n_refs: int = 5,
    random_state: int = SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Gap statistic and its standard error for each k.

    The gap compares ``log(inertia)`` of the data with its mean over ``n_refs`` reference
    data sets drawn uniformly in the bounding box of ``x`` (one k-means start each).

    Parameters
    ----------
    x
        Cells × dimensions.
    ks
        Numbers of clusters, increasing.
    log_inertia
        ``log`` of the k-means inertia of ``x`` at each k.
    n_refs
        Number of uniform reference data sets.
    random_state
        Seed of the references.

    Returns
    -------
    ``(gap, se)``, two arrays of ``len(ks)``; ``se`` includes the ``sqrt(1 + 1/n_refs)``
    factor of the original rule.
    """
    check_whole_number("n_refs", n_refs, minimum=2, example=5)
    rng = np.random.default_rng(random_state)
    low, high = x.min(axis=0), x.max(axis=0)
    ref = np.array([
        [np.log(KMeans(k, n_init=1, random_state=0).fit(reference).inertia_) for k in ks]
        for reference in (rng.uniform(low, high, size=x.shape) for _ in range(n_refs))
    ])
    gap = ref.mean(axis=0) - np.asarray(log_inertia)
    return gap, ref.std(axis=0) * np.sqrt(1 + 1 / n_refs)


def choose_k(
    x: np.ndarray,
    ks: Sequence[int],
    *,
    n_init: int = SCAN_N_INIT,
    n_refs: int = 5,
    random_state: int = SEED,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fit k-means at each k and pick k by the elbow, the mean silhouette and the gap.

    Parameters
    ----------
    x
        Cells × dimensions (a few thousand cells: the silhouette needs all distances).
    ks
        Candidate numbers of clusters, increasing, at least 3 values.
    n_init
        k-means starts per k.
    n_refs
        Reference data sets of the gap statistic.
    random_state
        Seed of k-means and of the gap's references.

    Returns
    -------
    ``(table, chosen)``: a :class:`pandas.DataFrame` indexed by k with ``inertia``,
    ``silhouette``, ``gap`` and ``gap_se``; and the k each rule picks, under ``"elbow"``
    (the knee of the inertia), ``"silhouette"`` (its maximum) and ``"gap"`` (the smallest k
    with ``gap(k) >= gap(next k) - se(next k)``, the largest k if none).

    Examples
    --------
    Three well-separated groups: every rule finds them.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(c, 0.3, size=(40, 2)) for c in (0, 10, 20)])
    >>> choose_k(x, [2, 3, 4, 5, 6])[1]
    {'elbow': 3, 'silhouette': 3, 'gap': 3}
    """
    ks = [check_whole_number("k", k, minimum=2, example=10) for k in ks]
    if len(ks) < 3 or sorted(set(ks)) != ks:
        msg = f"ks must be 3 or more increasing numbers of clusters, e.g. range(2, 21, 2); got {ks}"
        raise ValueError(msg)
    fits = [KMeans(k, n_init=n_init, random_state=random_state).fit(x) for k in ks]
    inertia = np.array([fit.inertia_ for fit in fits])
    silhouette = np.array([silhouette_samples(x, fit.labels_).mean() for fit in fits])
    gap, se = gap_statistic(x, ks, np.log(inertia), n_refs=n_refs, random_state=random_state)
    holds = gap[:-1] >= gap[1:] - se[1:]
    chosen = {
        "elbow": ks[knee(ks, inertia)],
        "silhouette": ks[int(np.argmax(silhouette))],
        "gap": ks[int(np.argmax(holds))] if holds.any() else ks[-1],
    }
    table = pd.DataFrame(
        {"inertia": inertia, "silhouette": silhouette, "gap": gap, "gap_se": se},
        index=pd.Index(ks, name="k"),
    )
    return table, chosen
