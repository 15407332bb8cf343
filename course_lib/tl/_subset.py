"""Find T and NK cell clusters from marker expression and take them out for re-analysis (chapter 5).

Cluster IDs change whenever anything upstream changes (a package version, a seed, a
parameter), so the clusters are chosen by a rule on the data, never by their numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import MissingKeyError, check_list, check_number, obs_labels
from ..defaults import NK_MARKERS, T_MARKERS, T_NK_MIN_FRACTION


def marker_means(
    adata: ad.AnnData, groupby: str, genes: Sequence[str], *, use_raw: bool = True
) -> pd.DataFrame:
    """Mean expression of ``genes`` in each cluster.

    Parameters
    ----------
    adata
        Data with the clustering in ``obs``.
    groupby
        ``obs`` column with the clusters.
    genes
        Gene symbols (``var_names``).
    use_raw
        Read ``adata.raw`` (all genes, log-normalised: the usual choice for markers) instead
        of ``adata.X``.

    Returns
    -------
    A :class:`pandas.DataFrame` with one row per cluster (sorted as the categories of
    ``obs[groupby]``) and one column per gene.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd
    >>> cells = ad.AnnData(
    ...     X=np.array([[2.0, 0.0], [4.0, 0.0], [0.0, 3.0]]),
    ...     obs=pd.DataFrame({"cluster": ["T", "T", "NK"]}, index=["c1", "c2", "c3"]),
    ...     var=pd.DataFrame(index=["CD3E", "GNLY"]),
    ... )
    >>> cells.raw = cells
    >>> marker_means(cells, "cluster", ["CD3E", "GNLY"])
             CD3E  GNLY
    cluster
    NK        0.0   3.0
    T         3.0   0.0
    """
    labels = obs_labels(adata, groupby).astype(str)
    if use_raw and adata.raw is None:
        msg = "adata.raw is None; pass use_raw=False to read adata.X instead"
        raise ValueError(msg)
    source = adata.raw if use_raw else adata
    genes = check_list("genes", genes, example="['CD3E']")
    if not genes:
        msg = "genes is empty; pass at least one gene symbol, e.g. ['CD3E']"
        raise ValueError(msg)
    missing = [g for g in genes if g not in source.var_names]
    if missing:
        where = "adata.raw" if use_raw else "adata.X (try use_raw=True)"
        msg = f"genes {missing} are not in {where}; check the spelling (gene symbols)"
        raise MissingKeyError(msg)
    matrix = source.X[:, source.var_names.get_indexer(genes)]  # no view: views copy all of .raw
    matrix = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
    means = pd.DataFrame(matrix, columns=genes, index=adata.obs_names).groupby(labels).mean()
    order = [str(c) for c in adata.obs[groupby].astype("category").cat.categories]
    means = means.reindex([c for c in order if c in means.index])
    means.index.name = groupby
    return means


def t_nk_clusters(
    adata: ad.AnnData,
    groupby: str,
    *,
    t_markers: Sequence[str] = T_MARKERS,
    nk_markers: Sequence[str] = NK_MARKERS,
    min_fraction: float = T_NK_MIN_FRACTION,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """Decide for each cluster whether it is a T or NK cell cluster, from marker expression.

    A cluster's T score is the mean over ``t_markers`` of their mean log-expression in the
    cluster; its NK score likewise for ``nk_markers``. A cluster counts as T (NK) if its
    score is at least ``min_fraction`` times the highest T (NK) score of any cluster.
    Clusters listed in ``exclude`` (e.g. the doublet or low-quality candidates of
    :func:`course_lib.qc_by_cluster`) are never selected.

    Parameters
    ----------
    adata
        Data with the clustering in ``obs`` and log-normalised expression in ``.raw``.
    groupby
        ``obs`` column with the clusters.
    t_markers, nk_markers
        Genes defining the T and NK scores.
    min_fraction
        Fraction (between 0 and 1) of the top cluster's score a cluster must reach.
    exclude
        Clusters to leave out whatever their markers.

    Returns
    -------
    A :class:`pandas.DataFrame` indexed by cluster with the mean of every marker, the
    columns ``t_score``, ``nk_score``, the booleans ``is_t``, ``is_nk``, ``excluded`` and
    ``selected`` (``(is_t or is_nk) and not excluded``).

    Examples
    --------
    Clusters ``"0"`` (CD3E: T cells) and ``"1"`` (GNLY, NKG7: NK cells) are selected, ``"2"``
    (neither) is not, and ``"3"`` is left out although it expresses CD3E:

    >>> import anndata as ad, numpy as np, pandas as pd
    >>> cells = ad.AnnData(
    ...     X=np.array([[3.0, 0.2, 0.1], [0.1, 2.5, 2.0], [0.1, 0.1, 0.0], [2.0, 0.0, 0.0]]),
    ...     obs=pd.DataFrame({"cluster": ["0", "1", "2", "3"]}, index=["c1", "c2", "c3", "c4"]),
    ...     var=pd.DataFrame(index=["CD3E", "GNLY", "NKG7"]),
    ... )
    >>> cells.raw = cells
    >>> rule = t_nk_clusters(cells, "cluster", exclude=["3"])
    >>> rule[["is_t", "is_nk", "excluded", "selected"]]
              is_t  is_nk  excluded  selected
    cluster
    0         True  False     False      True
    1        False   True     False      True
    2        False  False     False     False
    3         True  False      True     False
    """
    if check_number("min_fraction", min_fraction, example=0.5) <= 0 or min_fraction > 1:
        msg = f"min_fraction must be in (0, 1], e.g. 0.5; got {min_fraction!r}"
        raise ValueError(msg)
    t_markers = check_list("t_markers", t_markers, example="['CD3E']")
    nk_markers = check_list("nk_markers", nk_markers, example="['GNLY', 'NKG7']")
    if not t_markers or not nk_markers:
        msg = "t_markers and nk_markers each need at least one gene, e.g. ['CD3E'], ['GNLY']"
        raise ValueError(msg)
    genes = list(dict.fromkeys(t_markers + nk_markers))
    table = marker_means(adata, groupby, genes)
    exclude = {str(c) for c in check_list("exclude", exclude, example="['3', '7']")}
    unknown = sorted(exclude - set(table.index))
    if unknown:
        msg = f"cannot exclude {unknown}: not clusters of {groupby!r}; have {list(table.index)}"
        raise ValueError(msg)
    table["t_score"] = table[t_markers].mean(axis=1)
    table["nk_score"] = table[nk_markers].mean(axis=1)
    table["is_t"] = table["t_score"] >= min_fraction * table["t_score"].max()
    table["is_nk"] = table["nk_score"] >= min_fraction * table["nk_score"].max()
    table["excluded"] = table.index.isin(sorted(exclude))
    table["selected"] = (table["is_t"] | table["is_nk"]) & ~table["excluded"]
    return table


def subset_from_raw(adata: ad.AnnData, groupby: str, clusters: Iterable[str]) -> ad.AnnData:
    """The cells of ``clusters`` with all genes, log-normalised, ready for a new analysis.

    ``X`` is taken from ``adata.raw`` (every gene, not only the full data's variable
    genes), so highly variable genes can be chosen again within the subset.

    Parameters
    ----------
    adata
        Data with log-normalised expression in ``.raw`` and the clustering in ``obs``.
    groupby
        ``obs`` column with the clusters.
    clusters
        The clusters to keep, e.g. the selected rows of :func:`t_nk_clusters`.

    Returns
    -------
    A new :class:`~anndata.AnnData` with the chosen cells: ``X`` and ``.raw`` hold the
    log-normalised expression of all genes; ``obs`` is copied with the column ``groupby``
    renamed to ``<groupby>_full`` (so a new clustering of the subset can use the same
    name); ``obsm`` is copied with the suffix ``_full`` on every key (e.g. ``X_umap_full``);
    ``uns["log1p"]`` is copied if present (layers are not);
    ``uns["subset"]["params"]`` records ``groupby`` and ``clusters``.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd
    >>> cells = ad.AnnData(
    ...     X=np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 2.0, 0.0]]),
    ...     obs=pd.DataFrame({"leiden": ["0", "1", "2"]}, index=["c1", "c2", "c3"]),
    ...     var=pd.DataFrame(index=["CD3E", "GNLY", "MS4A1"]),
    ... )
    >>> cells.raw = cells
    >>> tnk = subset_from_raw(cells[:, ["CD3E", "GNLY"]], "leiden", ["0", "2"])
    >>> tnk.obs_names.tolist(), tnk.var_names.tolist()
    (['c1', 'c3'], ['CD3E', 'GNLY', 'MS4A1'])
    >>> tnk.obs.columns.tolist(), tnk.uns["subset"]["params"]["clusters"]
    (['leiden_full'], ['0', '2'])
    """
    labels = obs_labels(adata, groupby).astype(str)
    if adata.raw is None:
        msg = "adata.raw is None; store the log-normalised data first with adata.raw = adata"
        raise ValueError(msg)
    clusters = [str(c) for c in check_list("clusters", clusters, example="['1', '4']")]
    unknown = sorted(set(clusters) - set(labels))
    if unknown:
        msg = f"clusters {unknown} are not in obs[{groupby!r}]; available: {sorted(set(labels))}"
        raise ValueError(msg)
    keep = labels.isin(clusters).to_numpy()
    if not keep.any():
        msg = f"no clusters chosen; pass at least one of {sorted(set(labels))}"
        raise ValueError(msg)
    raw = adata.raw
    subset = ad.AnnData(
        X=raw.X[keep],  # row indexing copies
        obs=adata.obs.loc[keep].rename(columns={groupby: f"{groupby}_full"}),
        var=raw.var.copy(),
        obsm={f"{key}_full": np.asarray(value)[keep] for key, value in adata.obsm.items()},
    )
    if "log1p" in adata.uns:
        subset.uns["log1p"] = dict(adata.uns["log1p"])
    subset.raw = subset
    subset.uns["subset"] = {"params": {"groupby": groupby, "clusters": clusters}}
    return subset
