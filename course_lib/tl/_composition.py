"""How samples, conditions and quality metrics distribute over clusters (chapter 4)."""

from __future__ import annotations

from collections.abc import Sequence

import anndata as ad
import numpy as np
import pandas as pd

from .._validation import check_adata, check_number, obs_labels

QC_METRICS = ("total_counts", "n_genes_by_counts", "pct_counts_mt")
"""The per-cell quality metrics plotted per cluster: UMIs, detected genes, % mitochondrial."""


def proportion_table(
    adata: ad.AnnData,
    groupby: str,
    by: str,
    *,
    normalize_by_group_size: bool = False,
) -> pd.DataFrame:
    """Composition of each ``groupby`` group in terms of ``by``; **each row sums to 1**.

    ``proportion_table(adata, "leiden_0.6", "sample")`` answers "which samples do the cells
    of cluster 3 come from?"; swapping the keys, ``proportion_table(adata, "sample",
    "leiden_0.6")`` answers "which clusters do the cells of sample ctrl_5 fall into?".

    Parameters
    ----------
    adata
        Data with both annotations in ``obs``.
    groupby
        ``obs`` column whose groups become the rows (e.g. the clusters).
    by
        ``obs`` column whose groups become the columns (e.g. ``"sample"`` or ``"type"``).
    normalize_by_group_size
        If ``True``, first divide each column's counts by the total number of cells of that
        ``by`` group, as if every ``by`` group (e.g. every sample) had the same number of
        cells, then make the rows sum to 1. Use it when the ``by`` groups differ in size,
        so that a large sample does not look over-represented in every cluster.

    Returns
    -------
    A :class:`pandas.DataFrame` with one row per ``groupby`` group (index named ``groupby``)
    and one column per ``by`` group (columns named ``by``); every row sums to 1. Groups
    without cells (unused categories) are left out.

    Examples
    --------
    Sample A has 4 cells (3 in cluster x), sample B 2 cells (1 in cluster x):

    >>> import anndata as ad, pandas as pd
    >>> obs = pd.DataFrame({"cluster": ["x", "x", "x", "y", "x", "y"],
    ...                     "sample": ["A", "A", "A", "A", "B", "B"]}, index=list("uvwxyz"))
    >>> cells = ad.AnnData(obs=obs)
    >>> proportion_table(cells, "cluster", "sample")
    sample     A     B
    cluster
    x        0.75  0.25
    y        0.50  0.50
    >>> proportion_table(cells, "cluster", "sample", normalize_by_group_size=True).round(2)
    sample      A     B
    cluster
    x        0.60  0.40
    y        0.33  0.67
    """
    check_adata(adata)
    if groupby == by:
        msg = f"groupby and by are both {groupby!r}; pass two different obs columns"
        raise ValueError(msg)
    rows, columns = obs_labels(adata, groupby), obs_labels(adata, by)
    counts = pd.crosstab(rows, columns).astype(float)
    if normalize_by_group_size:
        counts = counts / counts.sum(axis=0)
    table = counts.div(counts.sum(axis=1), axis=0)
    table.index.name, table.columns.name = groupby, by
    return table


def qc_by_cluster(
    adata: ad.AnnData,
    groupby: str,
    *,
    metrics: Sequence[str] = QC_METRICS,
    fold: float = 1.5,
    counts_key: str = "total_counts",
    mito_key: str = "pct_counts_mt",
) -> pd.DataFrame:
    """Median QC metrics per cluster, and clusters that stand out from the typical one.

    The typical value of a metric is the median over clusters of the cluster medians. A
    cluster is flagged if its median is at least ``fold`` times the typical value
    (``high_counts``, ``high_pct_mt``) or at most the typical value divided by ``fold``
    (``low_counts``). A flag marks a candidate to look at, not a verdict: high counts fit
    doublets *and* large cells, low counts fit damaged cells *and* small ones.

    Parameters
    ----------
    adata
        Data with the clustering and the metrics in ``obs``.
    groupby
        ``obs`` column with the clusters.
    metrics
        ``obs`` columns to summarise; must include ``counts_key`` and ``mito_key``.
    fold
        How many times above (or below) the typical cluster a median must be; > 1.
    counts_key
        ``obs`` column with the UMI count per cell.
    mito_key
        ``obs`` column with the percentage of mitochondrial counts per cell.

    Returns
    -------
    A :class:`pandas.DataFrame` indexed by cluster with the column ``n_cells``, one
    ``median_<metric>`` column per metric, and the boolean columns ``high_counts``,
    ``low_counts``, ``high_pct_mt`` and ``flagged`` (any of the three).

    Examples
    --------
    Three ordinary clusters, one with four times their counts (doublets?) and one with high
    mitochondrial fractions and low counts (damaged cells?):

    >>> import anndata as ad, pandas as pd
    >>> obs = pd.DataFrame({
    ...     "cluster": ["a", "b", "c", "big", "sick"],
    ...     "total_counts": [1000.0, 1100.0, 900.0, 4000.0, 300.0],
    ...     "n_genes_by_counts": [500.0, 520.0, 480.0, 900.0, 200.0],
    ...     "pct_counts_mt": [5.0, 4.0, 6.0, 5.0, 25.0],
    ... }, index=list("vwxyz"))
    >>> qc = qc_by_cluster(ad.AnnData(obs=obs), "cluster")
    >>> qc.index[qc["flagged"]].tolist()
    ['big', 'sick']
    >>> qc.loc[["big", "sick"], ["n_cells", "high_counts", "low_counts", "high_pct_mt"]]
             n_cells  high_counts  low_counts  high_pct_mt
    cluster
    big            1         True       False        False
    sick           1        False        True         True
    """
    check_adata(adata)
    if check_number("fold", fold, example=1.5) <= 1:
        msg = f"fold must be larger than 1 (e.g. 1.5), not {fold!r}"
        raise ValueError(msg)
    missing = [key for key in (counts_key, mito_key) if key not in metrics]
    if missing:
        msg = f"metrics must include {missing}; pass e.g. metrics={QC_METRICS!r}"
        raise ValueError(msg)
    clusters = obs_labels(adata, groupby)
    values = pd.DataFrame({key: obs_labels(adata, key) for key in metrics})
    grouped = values.groupby(clusters, observed=True)
    table = grouped.median().add_prefix("median_")
    table.insert(0, "n_cells", grouped.size())
    typical = table.median()
    counts, mito = table[f"median_{counts_key}"], table[f"median_{mito_key}"]
    table["high_counts"] = counts >= fold * typical[f"median_{counts_key}"]
    table["low_counts"] = counts <= typical[f"median_{counts_key}"] / fold
    table["high_pct_mt"] = mito >= fold * typical[f"median_{mito_key}"]
    table["flagged"] = np.logical_or.reduce(
        [table["high_counts"], table["low_counts"], table["high_pct_mt"]]
    )
    table.index.name = groupby
    return table
