"""Compare two clusterings of the same cells, permutation-invariantly."""

from __future__ import annotations

from typing import Literal

import anndata as ad
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from .._validation import obs_labels


def agreement(adata: ad.AnnData, key_a: str, key_b: str) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information between two clusterings.

    Both scores ignore label names: renaming the clusters of either clustering leaves
    them unchanged. 1 means identical partitions; ARI is about 0 for random labels.

    Parameters
    ----------
    adata
        Data with both clusterings in ``obs``.
    key_a, key_b
        ``obs`` columns holding the two clusterings.

    Returns
    -------
    ``{"ari": float, "nmi": float}``.

    Examples
    --------
    The same partition under other names, then a different partition:

    >>> import anndata as ad, pandas as pd
    >>> obs = pd.DataFrame({"a": ["0", "0", "1", "1"], "b": ["y", "y", "x", "x"],
    ...                     "c": ["0", "1", "0", "1"]}, index=["c1", "c2", "c3", "c4"])
    >>> cells = ad.AnnData(obs=obs)
    >>> agreement(cells, "a", "b")
    {'ari': 1.0, 'nmi': 1.0}
    >>> agreement(cells, "a", "c")
    {'ari': -0.5, 'nmi': 0.0}
    """
    a, b = obs_labels(adata, key_a), obs_labels(adata, key_b)
    return {
        "ari": float(adjusted_rand_score(a, b)),
        "nmi": float(normalized_mutual_info_score(a, b)),
    }


def contingency_table(
    adata: ad.AnnData,
    key_a: str,
    key_b: str,
    *,
    normalize: Literal["index", "columns"] | None = None,
) -> pd.DataFrame:
    """Cells shared by each cluster of ``key_a`` (rows) and ``key_b`` (columns).

    Parameters
    ----------
    adata
        Data with both clusterings in ``obs``.
    key_a, key_b
        ``obs`` columns holding the two clusterings.
    normalize
        ``None`` for counts, ``"index"`` for row fractions, ``"columns"`` for column fractions.

    Returns
    -------
    A new :class:`pandas.DataFrame` indexed by the clusters of ``key_a``.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> obs = pd.DataFrame({"leiden": ["0", "0", "0", "1"], "kmeans": ["a", "a", "b", "b"]},
    ...                    index=["c1", "c2", "c3", "c4"])
    >>> contingency_table(ad.AnnData(obs=obs), "leiden", "kmeans")
    kmeans  a  b
    leiden
    0       2  1
    1       0  1
    >>> contingency_table(ad.AnnData(obs=obs), "leiden", "kmeans", normalize="index").round(2)
    kmeans     a     b
    leiden
    0       0.67  0.33
    1       0.00  1.00
    """
    if normalize not in (None, "index", "columns"):
        msg = f"normalize must be None, 'index' or 'columns', not {normalize!r}"
        raise ValueError(msg)
    a, b = obs_labels(adata, key_a), obs_labels(adata, key_b)
    return pd.crosstab(a, b, normalize=normalize or False)


def own_clusters(adata: ad.AnnData, key: str, truth_key: str) -> pd.Series:
    """The cluster of ``key`` that each group of ``truth_key`` has to itself, if any.

    A group *has its own cluster* when one cluster holds most of the group's cells and
    the group makes up most of that cluster's cells (a mutual majority). The answer does
    not depend on the clusters' names.

    Parameters
    ----------
    adata
        Data with both columns in ``obs``.
    key
        ``obs`` column holding the clustering.
    truth_key
        ``obs`` column holding the groups, e.g. the simulation's true populations.

    Returns
    -------
    A :class:`pandas.Series` indexed by the groups present in the data: the name of the
    group's own cluster, or ``None`` where the group shares its cluster or is spread out.

    Examples
    --------
    B cells fill cluster ``"0"``; T and NK cells share cluster ``"1"``:

    >>> import anndata as ad, pandas as pd
    >>> obs = pd.DataFrame({"cluster": ["0", "0", "1", "1", "1"],
    ...                     "truth": ["B", "B", "T", "T", "NK"]}, index=list("vwxyz"))
    >>> own_clusters(ad.AnnData(obs=obs), "cluster", "truth").to_dict()
    {'B': '0', 'NK': None, 'T': '1'}
    """
    counts = pd.crosstab(obs_labels(adata, truth_key), obs_labels(adata, key))
    counts = counts.loc[counts.sum(axis=1) > 0]
    best = counts.idxmax(axis=1)
    holds_most = counts.max(axis=1) > 0.5 * counts.sum(axis=1)
    share_of_cluster = counts.max(axis=1) / counts.sum(axis=0)[best].to_numpy()
    mutual = holds_most & (share_of_cluster > 0.5)
    return best.astype(object).where(mutual, None).rename(key)
