"""Is a cluster real or an accident of one run? Stability under subsampling, seeds, resolutions.

Subsampling stability follows the bootstrap idea of Hennig (2007) as Bioconductor's
``bluster`` applies it: recluster a random 80 % of the cells many times and score each
original cluster by its best Jaccard index with any new cluster. The cluster tree across
resolutions is the table behind a ``clustree`` plot (Zappia & Oshlack 2018, an R package
with no maintained Python counterpart).
"""

from __future__ import annotations

from collections.abc import Sequence

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from sklearn.metrics import adjusted_rand_score

from .._validation import (
    MissingKeyError,
    check_adata,
    check_number,
    check_whole_number,
    embedding,
    obs_labels,
)
from ..defaults import HARMONY_KEY, LEIDEN_OPTIONS, N_NEIGHBORS, N_PCS, SEED


def best_jaccard(reference: Sequence, other: Sequence) -> pd.Series:
    """For each cluster of ``reference``, its largest Jaccard index with a cluster of ``other``.

    Jaccard index of two clusters = cells in both / cells in either; 1 means the
    cluster is found again exactly.

    Examples
    --------
    >>> best_jaccard(["a", "a", "b", "b"], ["x", "x", "y", "y"]).to_dict()
    {'a': 1.0, 'b': 1.0}
    >>> best_jaccard(["a", "a", "b", "b"], ["x", "x", "x", "y"]).round(2).to_dict()
    {'a': 0.67, 'b': 0.5}
    """
    reference, other = np.asarray(reference), np.asarray(other)
    if reference.shape != other.shape:
        msg = (f"the two labelings cover {reference.size} and {other.size} cells; "
               "pass labels of the same cells")
        raise ValueError(msg)
    table = pd.crosstab(reference, other)
    sizes_ref = table.sum(axis=1).to_numpy()[:, None]
    sizes_other = table.sum(axis=0).to_numpy()[None, :]
    jaccard = table / (sizes_ref + sizes_other - table)
    result = jaccard.max(axis=1)
    result.index.name = None
    return result


def _leiden(x: np.ndarray, resolution: float, *, n_neighbors: int, n_pcs: int,
            random_state: int) -> np.ndarray:
    part = ad.AnnData(obsm={"X_rep": x})
    sc.pp.neighbors(part, n_neighbors=n_neighbors, n_pcs=min(n_pcs, x.shape[1]),
                    use_rep="X_rep", random_state=random_state)
    sc.tl.leiden(part, resolution=resolution, random_state=random_state, **LEIDEN_OPTIONS)
    return part.obs["leiden"].to_numpy()


def subsample_stability(
    adata: ad.AnnData,
    key: str,
    *,
    resolution: float,
    n_runs: int = 10,
    fraction: float = 0.8,
    use_rep: str = HARMONY_KEY,
    n_neighbors: int = N_NEIGHBORS,
    n_pcs: int = N_PCS,
    random_state: int = SEED,
) -> pd.Series:
    """Mean best Jaccard index of each Leiden cluster when a share of the cells is reclustered.

    Each run draws ``fraction`` of the cells without replacement, builds their kNN graph
    and runs Leiden at ``resolution`` with the run's seed, then scores each cluster of
    ``key`` by :func:`best_jaccard` on the drawn cells.

    Parameters
    ----------
    adata
        Data with the clustering in ``obs[key]`` and the embedding it was computed on.
    key
        ``obs`` column of the Leiden clustering to judge.
    resolution
        The resolution ``key`` was computed at.
    n_runs
        Number of subsamples.
    fraction
        Share of the cells in each subsample, between 0 and 1.
    use_rep, n_neighbors, n_pcs
        The graph's settings, as in :func:`course_lib.graph_clustering`.
    random_state
        Seed of the subsamples (run ``i`` uses seed ``i`` for the graph and Leiden).

    Returns
    -------
    A :class:`pandas.Series` indexed by cluster: the mean best Jaccard over the runs (1 =
    found again every time). Also stored, with the settings, in
    ``adata.uns[f"{key}_stability"]``.

    Examples
    --------
    >>> import anndata as ad, numpy as np
    >>> import course_lib
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(c, 0.1, size=(40, 2)) for c in (0, 5, 10)])
    >>> cells = ad.AnnData(obsm={"X_pca_harmony": x})
    >>> course_lib.graph_clustering(cells, [0.2], n_neighbors=10, n_pcs=2)
    >>> subsample_stability(cells, "leiden_0.2", resolution=0.2, n_runs=3,
    ...                     n_neighbors=10).round(2).tolist()
    [1.0, 1.0, 1.0]
    """
    check_adata(adata)
    original = obs_labels(adata, key).astype(str).to_numpy()
    check_number("resolution", resolution, example=0.6)
    check_whole_number("n_runs", n_runs, minimum=1, example=10)
    fraction = check_number("fraction", fraction, example=0.8)
    if not 0 < fraction < 1:
        msg = f"fraction must be between 0 and 1 (a share of the cells), e.g. 0.8; got {fraction}"
        raise ValueError(msg)
    x = embedding(adata, use_rep)
    rng = np.random.default_rng(random_state)
    runs = []
    for run in range(n_runs):
        cells = np.sort(rng.choice(adata.n_obs, size=int(fraction * adata.n_obs), replace=False))
        labels = _leiden(x[cells], resolution, n_neighbors=n_neighbors, n_pcs=n_pcs,
                         random_state=run)
        runs.append(best_jaccard(original[cells], labels))
    stability = pd.concat(runs, axis=1).mean(axis=1).rename("stability")
    adata.uns[f"{key}_stability"] = {
        "params": {"resolution": float(resolution), "n_runs": n_runs, "fraction": fraction,
                   "use_rep": use_rep, "n_neighbors": n_neighbors, "n_pcs": n_pcs,
                   "random_state": random_state},
        "jaccard": stability.to_dict(),
    }
    return stability


def seed_agreement(
    adata: ad.AnnData,
    *,
    resolution: float,
    seeds: Sequence[int] = tuple(range(10)),
    neighbors_key: str | None = None,
) -> pd.DataFrame:
    """Leiden at one resolution with several seeds on the same graph: how much do runs differ?

    Parameters
    ----------
    adata
        Data with a kNN graph (from :func:`course_lib.graph_clustering` or
        ``sc.pp.neighbors``).
    resolution
        Leiden resolution.
    seeds
        Seeds to run; the first is the reference.
    neighbors_key
        ``uns`` key of the graph if not the default.

    Returns
    -------
    A :class:`pandas.DataFrame` indexed by seed with ``clusters`` (number of clusters) and
    ``ARI with first`` (agreement with the first seed's partition).

    Examples
    --------
    >>> import anndata as ad, numpy as np
    >>> import course_lib
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(c, 0.1, size=(30, 2)) for c in (0, 5)])
    >>> cells = ad.AnnData(obsm={"X_pca_harmony": x})
    >>> course_lib.graph_clustering(cells, [0.3], n_neighbors=10, n_pcs=2)
    >>> seed_agreement(cells, resolution=0.3, seeds=[0, 1])["ARI with first"].tolist()
    [1.0, 1.0]
    """
    check_adata(adata)
    check_number("resolution", resolution, example=0.6)
    seeds = [check_whole_number("seed", seed, minimum=0, example=0) for seed in seeds]
    if not seeds:
        msg = "seeds is empty; pass the seeds to compare, e.g. range(10)"
        raise ValueError(msg)
    neighbors = adata.uns.get(neighbors_key or "neighbors")
    if neighbors is None:
        msg = (f"no kNN graph under uns[{neighbors_key or 'neighbors'!r}]; run "
               "course_lib.graph_clustering (or sc.pp.neighbors) first")
        raise MissingKeyError(msg)
    adjacency = adata.obsp[neighbors.get("connectivities_key", "connectivities")]
    runs = ad.AnnData(obs=pd.DataFrame(index=adata.obs_names))  # no copy of the data
    partitions = {}
    for seed in seeds:
        sc.tl.leiden(runs, resolution=resolution, random_state=seed, adjacency=adjacency,
                     key_added="seed_run", **LEIDEN_OPTIONS)
        partitions[seed] = runs.obs["seed_run"].to_numpy()
    first = partitions[seeds[0]]
    table = pd.DataFrame({
        "clusters": {seed: np.unique(labels).size for seed, labels in partitions.items()},
        "ARI with first": {seed: float(adjusted_rand_score(first, labels))
                           for seed, labels in partitions.items()},
    })
    table.index.name = "seed"
    return table


def resolution_tree(adata: ad.AnnData, keys: Sequence[str]) -> pd.DataFrame:
    """How the clusters of successive clusterings (e.g. increasing resolutions) share cells.

    Parameters
    ----------
    adata
        Data with the clusterings in ``obs``.
    keys
        ``obs`` columns ordered from coarse to fine, at least two.

    Returns
    -------
    A :class:`pandas.DataFrame` with one row per pair of overlapping clusters of
    consecutive keys: ``level`` (index of the parent key), ``parent``, ``child``, ``cells``
    (shared), ``child_share`` (share of the child's cells that come from this parent) and
    ``parent_share`` (share of the parent's cells that go to this child). A child with
    ``child_share`` well below 1 draws cells from several parents: the coarser clusters
    are not simply split.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> obs = pd.DataFrame({"coarse": list("aaab"), "fine": list("xyyz")},
    ...                    index=list("1234"))
    >>> resolution_tree(ad.AnnData(obs=obs), ["coarse", "fine"])[["parent", "child", "cells"]]
      parent child  cells
    0      a     x      1
    1      a     y      2
    2      b     z      1
    """
    check_adata(adata)
    keys = list(keys)
    if len(keys) < 2:
        msg = f"pass at least two obs columns, from coarse to fine; got {keys}"
        raise ValueError(msg)
    labels = [obs_labels(adata, key).astype(str) for key in keys]
    rows = []
    for level, (parent, child) in enumerate(zip(labels[:-1], labels[1:], strict=True)):
        table = pd.crosstab(parent.to_numpy(), child.to_numpy())
        for (p, c), cells in table.stack().items():
            if cells:
                rows.append({
                    "level": level, "parent": p, "child": c, "cells": int(cells),
                    "child_share": cells / table[c].sum(),
                    "parent_share": cells / table.loc[p].sum(),
                })
    return pd.DataFrame(rows)
