"""Checks of exercise 4 (chapter 4): composition tables of clusters, samples and conditions.

Exercise 4 also asks :func:`~course_lib.checks.check_doublet_clusters`.

Examples
--------
>>> from course_lib import checks
>>> checks.check_proportions(props, adata)  # doctest: +SKIP
✔ props: 8 samples × 13 clusters, each sample's row sums to 1.
"""

from __future__ import annotations

from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from ..defaults import CONDITION_KEY, SAMPLE_KEY
from ._feedback import CLUSTER_KEY, cluster_labels, fail, passed, require_adata, student_facing

ATOL = 1e-6
"""How close each value of a table must be to the expected fraction (they are exact)."""


def _as_table(table: Any, name: str, shape: str, hint: str) -> pd.DataFrame:
    if table is None:
        fail(f"`{name}` is None; build the table ({hint}).")
    if isinstance(table, ad.AnnData):
        fail(f"`{name}` is an AnnData object; the question asks for a table ({hint}).")
    if isinstance(table, pd.Series):
        fail(
            f"`{name}` is a Series (one row or column); the question asks for a whole table, "
            f"{shape} ({hint})."
        )
    if not isinstance(table, pd.DataFrame):
        fail(
            f"`{name}` is a {type(table).__name__}, which has no row or column labels; "
            f"build a DataFrame ({hint})."
        )
    return table.rename(index=str, columns=str)


def _difference(
    rows: set[str], expected: set[str], what: str, name: str, axis: str, hint: str
) -> None:
    if rows != expected:
        missing, extra = sorted(expected - rows), sorted(rows - expected)
        parts = [f"missing {missing}"] if missing else []
        parts += [f"unexpected {extra}"] if extra else []
        detail = "; ".join(parts)
        fail(f"the {axis} of `{name}` should be the {what} ({detail}) ({hint}).")


def _table_values(
    table: pd.DataFrame, expected: pd.DataFrame, name: str, hint: str
) -> pd.DataFrame:
    try:
        values = table.loc[expected.index, expected.columns].astype(float)
    except (TypeError, ValueError):
        fail(f"`{name}` should hold numbers (fractions of cells) ({hint}).")
    if values.isna().to_numpy().any():
        fail(f"`{name}` has missing values (NaN); every entry needs a fraction ({hint}).")
    return values


@student_facing
def check_proportions(
    props: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = CLUSTER_KEY,
    sample_key: str = SAMPLE_KEY,
    name: str = "props",
) -> None:
    """Check a sample × cluster table of proportions normalised by sample size.

    The table must have the samples of ``obs[sample_key]`` as rows and the clusters of
    ``obs[cluster_key]`` as columns, in any order, each value the fraction of the sample's
    cells in the cluster within :data:`ATOL`.

    Parameters
    ----------
    props
        The student's table: one row per sample, one column per cluster, rows summing to 1.
    adata
        The student's data (the table must describe its ``obs`` columns).
    cluster_key, sample_key
        ``obs`` columns with the clusters and the samples.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_proportions(props, adata)  # doctest: +SKIP
    ✔ props: 8 samples × 13 clusters, each sample's row sums to 1.
    """
    hint = (
        f"`pd.crosstab` counts the pairs of `obs[{sample_key!r}]` and `obs[{cluster_key!r}]`; "
        f"its first argument gives the rows and its `normalize=` argument decides what sums "
        f"to 1; see chapter 4, *The other direction: clusters within each sample*"
    )
    table = _as_table(props, name, "samples as rows and clusters as columns", hint)
    adata = require_adata(adata)
    clusters = cluster_labels(adata, cluster_key, "run the setup cells")
    samples = adata.obs[sample_key].astype(str)
    counts = pd.crosstab(samples, clusters)
    expected = counts.div(counts.sum(axis=1), axis=0)
    rows, cols = set(table.index), set(table.columns)
    if rows == set(expected.columns) and cols == set(expected.index):
        fail(
            f"`{name}` has the clusters as rows and the samples as columns; the question asks "
            f"for samples as rows ({hint})."
        )
    _difference(rows, set(expected.index), f"samples of `obs[{sample_key!r}]`", name, "rows", hint)
    _difference(
        cols, set(expected.columns), f"clusters of `obs[{cluster_key!r}]`", name, "columns", hint
    )
    values = _table_values(table, expected, name, hint)
    if np.allclose(values, expected, atol=ATOL, rtol=0):
        passed(
            f"{name}: {len(expected.index)} samples × {len(expected.columns)} clusters, "
            f"each sample's row sums to 1."
        )
        return
    if np.allclose(values, counts, atol=ATOL, rtol=0):
        fail(
            f"`{name}` holds numbers of cells; divide each row by the sample's number of cells "
            f"so samples of different sizes compare ({hint})."
        )
    if np.allclose(values, 100 * expected, atol=100 * ATOL, rtol=0):
        fail(f"`{name}` holds percentages; the question asks for fractions (divide by 100).")
    if np.allclose(values.sum(axis=0), 1, atol=ATOL) and not np.allclose(values.sum(axis=1), 1):
        fail(
            f"each column of `{name}` sums to 1: you normalised by cluster size. Normalise by "
            f"sample size instead, so each sample's row sums to 1 ({hint})."
        )
    fail(
        f"`{name}` does not match the cells of `obs[{sample_key!r}]` and "
        f"`obs[{cluster_key!r}]` (was it computed from another clustering or a subset?) ({hint})."
    )


@student_facing
def check_group_difference(
    diff: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = CLUSTER_KEY,
    sample_key: str = SAMPLE_KEY,
    group_key: str = CONDITION_KEY,
    groups: tuple[str, str] = ("covid", "ctrl"),
    name: str = "covid_minus_ctrl",
) -> None:
    """Check the per-cluster difference of mean sample proportions between two groups.

    Each sample counts once: the mean over the samples of a group of their proportion
    table rows, ``groups[0]`` minus ``groups[1]``, within :data:`ATOL`.

    Parameters
    ----------
    diff
        The student's :class:`pandas.Series` indexed by cluster.
    adata
        The student's data.
    cluster_key, sample_key, group_key
        ``obs`` columns with the clusters, the samples and the sample groups.
    groups
        The two groups, first minus second.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_group_difference(covid_minus_ctrl, adata)  # doctest: +SKIP
    ✔ covid_minus_ctrl: mean proportion in covid minus ctrl samples, for each of 13 clusters.
    """
    first, second = groups
    hint = (
        f"find each sample's `obs[{group_key!r}]` (one value per sample), average the rows of "
        f"your sample × cluster table within each group, then subtract the {second} mean from "
        f"the {first} mean; see chapter 4, *The other direction: clusters within each sample*"
    )
    if isinstance(diff, pd.DataFrame) and diff.shape[0] == 1:
        diff = diff.iloc[0]
    if not isinstance(diff, pd.Series):
        fail(
            f"`{name}` should be a pandas Series indexed by cluster, got "
            f"{type(diff).__name__} ({hint})."
        )
    diff = diff.rename(index=str)
    adata = require_adata(adata)
    clusters = cluster_labels(adata, cluster_key, "run the setup cells")
    samples = adata.obs[sample_key].astype(str)
    table = pd.crosstab(samples, clusters, normalize="index")
    sample_group = adata.obs.groupby(samples, observed=True)[group_key].first().astype(str)
    means = table.groupby(sample_group).mean()
    expected = means.loc[first] - means.loc[second]
    _difference(
        set(diff.index),
        set(expected.index),
        f"clusters of `obs[{cluster_key!r}]`",
        name,
        "index",
        hint,
    )
    try:
        values = diff.loc[expected.index].astype(float)
    except (TypeError, ValueError):
        fail(f"`{name}` should hold numbers ({hint}).")
    if np.allclose(values, expected, atol=ATOL, rtol=0):
        passed(
            f"{name}: mean proportion in {first} minus {second} samples, for each of "
            f"{len(expected)} clusters."
        )
        return
    if np.allclose(values, -expected, atol=ATOL, rtol=0):
        fail(f"`{name}` has the wrong sign: compute {first} minus {second}, not the reverse.")
    groups_of_cells = adata.obs[group_key].astype(str)
    pooled = pd.crosstab(groups_of_cells, clusters, normalize="index")
    if np.allclose(values, pooled.loc[first] - pooled.loc[second], atol=ATOL, rtol=0):
        fail(
            f"`{name}` pools the cells of all {first} samples; average the samples' proportions "
            f"instead, so each sample counts once whatever its size ({hint})."
        )
    fail(f"`{name}` does not match the proportions of `obs[{cluster_key!r}]` ({hint}).")


@student_facing
def check_condition_composition(
    table: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = CLUSTER_KEY,
    group_key: str = CONDITION_KEY,
    name: str = "by_type_norm",
) -> None:
    """Check a cluster × condition table normalised for the size of each condition.

    One row per cluster, one column per condition: each condition's counts divided by its
    number of cells first (as if both conditions had as many cells), then each cluster's row
    made to sum to 1, within :data:`ATOL`.

    Parameters
    ----------
    table
        The student's table: one row per cluster, one column per condition.
    adata
        The student's data.
    cluster_key, group_key
        ``obs`` columns with the clusters and the conditions.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_condition_composition(by_type_norm, adata)  # doctest: +SKIP
    ✔ by_type_norm: 13 clusters × 2 conditions, normalised for the size of each condition.
    """
    hint = (
        f"count the cells of each cluster (rows) in each `obs[{group_key!r}]` (columns), "
        f"divide each column by that condition's number of cells, then make each row sum to "
        f"1; `course_lib.proportion_table` has an argument for it. See chapter 4, "
        f"*Normalising for the number of cells per sample*"
    )
    given = _as_table(table, name, "clusters as rows and conditions as columns", hint)
    adata = require_adata(adata)
    clusters = cluster_labels(adata, cluster_key, "run the setup cells")
    groups = adata.obs[group_key].astype(str)
    counts = pd.crosstab(clusters, groups).astype(float)
    expected = counts / counts.sum(axis=0)
    expected = expected.div(expected.sum(axis=1), axis=0)
    rows, cols = set(given.index), set(given.columns)
    if rows == set(expected.columns) and cols == set(expected.index):
        fail(
            f"`{name}` has the conditions as rows and the clusters as columns; the question "
            f"asks which conditions each cluster's cells come from, one row per cluster "
            f"({hint})."
        )
    _difference(
        rows, set(expected.index), f"clusters of `obs[{cluster_key!r}]`", name, "rows", hint
    )
    _difference(
        cols, set(expected.columns), f"conditions of `obs[{group_key!r}]`", name, "columns", hint
    )
    values = _table_values(given, expected, name, hint)
    if np.allclose(values, expected, atol=ATOL, rtol=0):
        passed(
            f"{name}: {len(expected.index)} clusters × {len(expected.columns)} conditions, "
            f"normalised for the size of each condition."
        )
        return
    raw = counts.div(counts.sum(axis=1), axis=0)
    if np.allclose(values, raw, atol=ATOL, rtol=0):
        larger = counts.sum(axis=0).idxmax()
        fail(
            f"each row of `{name}` sums to 1, but the counts were not normalised first: "
            f"{larger!r} has more cells, so it looks over-represented in every cluster ({hint})."
        )
    if np.allclose(values.sum(axis=0), 1, atol=ATOL) and not np.allclose(values.sum(axis=1), 1):
        fail(
            f"each column of `{name}` sums to 1; that is the first step. Then make each "
            f"cluster's row sum to 1 ({hint})."
        )
    fail(
        f"`{name}` does not match the cells of `obs[{cluster_key!r}]` and `obs[{group_key!r}]` "
        f"({hint})."
    )
