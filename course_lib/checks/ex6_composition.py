"""Checks of exercise 6 (chapter 7): one cluster's share compared between conditions.

The cluster's share of each sample's cells, and a p-value for the difference between the
conditions with the samples as replicates (a test on the cell counts is pseudo-replication
and fails with its own message).

Examples
--------
>>> from course_lib import checks
>>> checks.check_sample_shares(shares, adata)  # doctest: +SKIP
✔ shares: cluster '8' as a fraction of each of the 8 samples' cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, fisher_exact, mannwhitneyu, ttest_ind

from ..defaults import CONDITION_KEY, SAMPLE_KEY
from ..tl import composition_test, smallest_rank_test_p
from ._feedback import (
    CLUSTER_KEY,
    aligned,
    answer_number,
    cluster_labels,
    fail,
    label_list,
    passed,
    require_adata,
    student_facing,
)
from .reference_answers import reference_data
from .scores import log10_distance
from .thresholds import COMPOSITION_P_LOG10

B_MARKER = "MS4A1"
"""The gene exercise 6's setup cell finds the B cluster by (its highest mean expression)."""

SHARES_ATOL = 1e-6
"""How close each share must be to the expected fraction of the sample's cells (exact)."""


def _per_sample(
    adata: ad.AnnData, cluster_key: str, sample_key: str, group_key: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Cells per sample and cluster, each sample's condition, and each cell's cluster."""
    labels = cluster_labels(adata, cluster_key, "run the setup cells")
    samples = adata.obs[sample_key].astype(str)
    counts = pd.crosstab(samples, labels)
    condition = adata.obs.groupby(samples, observed=True)[group_key].first().astype(str)
    return counts, condition, labels


def b_cluster(labels: pd.Series, ref: ad.AnnData) -> str:
    """The cluster of ``labels`` highest in mean :data:`B_MARKER`, as exercise 6's setup finds it.

    The expression is read from the course data (``ref.raw``, log-normalised, matched by
    cell name), never from the student's data.

    Parameters
    ----------
    labels
        Cluster labels (strings) indexed by cell name.
    ref
        Prepared data with ``.raw`` holding :data:`B_MARKER`.

    Returns
    -------
    The label of the cluster.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd
    >>> cells = ad.AnnData(np.array([[0.0], [2.0], [3.0]]), var=pd.DataFrame(index=["MS4A1"]),
    ...                    obs=pd.DataFrame(index=["c1", "c2", "c3"]))
    >>> cells.raw = cells
    >>> b_cluster(pd.Series(["b", "a", "b"], index=["c3", "c1", "c2"]), cells)
    'b'
    """
    source = ref.raw if ref.raw is not None else ref
    column = source.X[:, source.var_names.get_loc(B_MARKER)]
    column = column.toarray() if hasattr(column, "toarray") else np.asarray(column)
    expression = pd.Series(np.ravel(column), index=ref.obs_names).reindex(labels.index)
    return str(expression.groupby(labels.to_numpy()).mean().idxmax())


def _cluster_in(
    cluster: Any, labels: pd.Series, key: str, adata: ad.AnnData, reference: ad.AnnData | None
) -> str:
    """The cluster asked about: ``cluster``, or the B cluster of the setup (``None``)."""
    if cluster is None:
        ref = reference_data(reference)
        aligned(adata, ref)
        return b_cluster(labels, ref)
    chosen = label_list(cluster, "cluster")
    if len(chosen) != 1 or chosen[0] not in set(labels):
        fail(f"{cluster!r} is not one cluster of `obs[{key!r}]`; run the setup cells again.")
    return chosen[0]


def _shares_by_sample(
    shares: Any, condition: pd.Series, samples: pd.Index, sample_key: str, name: str, hint: str
) -> pd.Series:
    """The student's shares as numbers in the order of ``samples``, or a failure naming the format.

    ``condition`` is each sample's condition: one value per condition is the usual mistake.
    """
    if isinstance(shares, pd.DataFrame):
        fail(
            f"`{name}` is a table ({shares.shape[0]} × {shares.shape[1]}); the question asks for "
            f"one cluster's column only, a Series indexed by sample ({hint})."
        )
    if isinstance(shares, Mapping):
        shares = pd.Series(shares)
    if not isinstance(shares, pd.Series):
        fail(
            f"`{name}` should be a pandas Series indexed by sample, got {type(shares).__name__} "
            f"({hint})."
        )
    shares = shares.rename(index=str)
    if set(shares.index) == set(condition):
        fail(
            f"`{name}` has one value per condition ({sorted(set(condition))}); the replicates "
            f"are the samples, so keep one value per sample ({hint})."
        )
    if set(shares.index) != set(samples):
        fail(
            f"the index of `{name}` should be the samples of `obs[{sample_key!r}]` "
            f"({sorted(samples)}), got {sorted(shares.index)[:10]} ({hint})."
        )
    try:
        return shares.loc[samples].astype(float)
    except (TypeError, ValueError):
        fail(f"`{name}` should hold numbers (fractions of cells) ({hint}).")


@student_facing
def check_sample_shares(
    shares: Any,
    adata: ad.AnnData,
    cluster: Any = None,
    *,
    cluster_key: str = CLUSTER_KEY,
    sample_key: str = SAMPLE_KEY,
    group_key: str = CONDITION_KEY,
    reference: ad.AnnData | None = None,
    name: str = "shares",
) -> None:
    """Check one cluster's share of each sample's cells, one value per sample.

    Each value must be the fraction of the sample's cells in the cluster, within
    :data:`SHARES_ATOL`.

    Parameters
    ----------
    shares
        The student's :class:`pandas.Series` indexed by sample.
    adata
        The student's data.
    cluster
        The cluster's label in ``obs[cluster_key]``; ``None`` (the exercise) for the B
        cluster of the setup cell (:func:`b_cluster`, found by the check itself).
    cluster_key, sample_key, group_key
        ``obs`` columns with the clusters, the samples and the conditions.
    reference
        Data with the expression the B cluster is found by; ``None`` for the course data.
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
    >>> check_sample_shares(shares, adata)  # doctest: +SKIP
    ✔ shares: cluster '8' as a fraction of each of the 8 samples' cells.
    """
    adata = require_adata(adata)
    counts, condition, labels = _per_sample(adata, cluster_key, sample_key, group_key)
    cluster = _cluster_in(cluster, labels, cluster_key, adata, reference)
    hint = (
        f"count the cells of each `obs[{sample_key!r}]` in each cluster, divide by the "
        f"sample's number of cells, and keep the column of cluster {cluster!r} "
        f"(`course_lib.proportion_table` or `pd.crosstab` with `normalize=`); see chapter 7, "
        f"*Composition across conditions, per sample*"
    )
    values = _shares_by_sample(shares, condition, counts.index, sample_key, name, hint)
    expected = counts[cluster] / counts.sum(axis=1)
    if np.allclose(values, expected, atol=SHARES_ATOL, rtol=0):
        passed(
            f"{name}: cluster {cluster!r} as a fraction of each of the {len(expected)} "
            f"samples' cells."
        )
        return
    if np.allclose(values, counts[cluster], atol=SHARES_ATOL, rtol=0):
        fail(
            f"`{name}` holds numbers of cells; divide by each sample's number of cells so "
            f"samples of different sizes compare ({hint})."
        )
    if np.allclose(values, 100 * expected, atol=100 * SHARES_ATOL, rtol=0):
        fail(f"`{name}` holds percentages; the question asks for fractions (divide by 100).")
    if np.allclose(values, counts[cluster] / counts[cluster].sum(), atol=SHARES_ATOL, rtol=0):
        fail(
            f"`{name}` sums to 1 over the samples: it says where the cluster's cells come "
            f"from. The question asks what fraction of each *sample's* cells the cluster holds "
            f"({hint})."
        )
    fail(f"`{name}` does not match cluster {cluster!r} of `obs[{cluster_key!r}]` ({hint}).")


def _wrong_tests(
    shares: pd.Series, condition: pd.Series, groups: tuple[str, str]
) -> dict[str, float]:
    """p-values of the sample-level tests the question does not ask for, by mistake."""
    first, second = (shares[condition == g] for g in groups)
    return {
        "one-sided": min(
            mannwhitneyu(first, second, alternative=side, method="exact").pvalue
            for side in ("less", "greater")
        ),
        "t-test": min(ttest_ind(first, second, equal_var=v).pvalue for v in (True, False)),
        "asymptotic": mannwhitneyu(first, second, method="asymptotic").pvalue,
    }


def _cell_level_tests(
    labels: pd.Series, conditions: pd.Series, cluster: str
) -> list[tuple[str, float]]:
    """p-values of tests on the cell counts (every cell a replicate), with their names.

    The 2 × 2 table of cells in ``cluster`` or not, by condition: the chi-square test with
    and without Yates' correction, and Fisher's exact test.

    Examples
    --------
    >>> labels = pd.Series(["a"] * 30 + ["b"] * 70)
    >>> conditions = pd.Series(["ctrl"] * 50 + ["covid"] * 50)
    >>> [name for name, _ in _cell_level_tests(labels, conditions, "a")]
    ['a chi-square test', 'a chi-square test', "Fisher's exact test"]
    """
    table = pd.crosstab(labels.to_numpy() == cluster, conditions.to_numpy()).to_numpy()
    if table.shape != (2, 2):
        return []
    chi_square = [
        ("a chi-square test", float(chi2_contingency(table, correction=c)[1]))
        for c in (True, False)
    ]
    return [*chi_square, ("Fisher's exact test", float(fisher_exact(table)[1]))]


@student_facing
def check_composition_p(
    p_value: Any,
    adata: ad.AnnData,
    cluster: Any = None,
    *,
    cluster_key: str = CLUSTER_KEY,
    sample_key: str = SAMPLE_KEY,
    group_key: str = CONDITION_KEY,
    reference: ad.AnnData | None = None,
    name: str = "p_value",
) -> None:
    """Check a p-value for one cluster's share between two conditions, samples as replicates.

    Accepted: the exact two-sided Mann–Whitney (rank) test on the samples' shares, or
    propeller (:func:`course_lib.composition_test`), within
    :data:`~course_lib.checks.thresholds.COMPOSITION_P_LOG10` on a log10 scale. A test on
    the cell counts (chi-square, Fisher; pseudo-replication) fails with its own message.

    Parameters
    ----------
    p_value
        The student's p-value.
    adata
        The student's data.
    cluster
        The cluster's label in ``obs[cluster_key]``; ``None`` (the exercise) for the B
        cluster of the setup cell (:func:`b_cluster`, found by the check itself).
    cluster_key, sample_key, group_key
        ``obs`` columns with the clusters, the samples (the replicates) and the conditions.
    reference
        Data with the expression the B cluster is found by; ``None`` for the course data.
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
    >>> check_composition_p(p_value, adata)  # doctest: +SKIP
    ✔ p_value: a sample-level test of cluster '8' between covid and ctrl (4 vs 4 samples).
    """
    hint = (
        "compare the shares of the samples of one condition with those of the other: an "
        "exact two-sided rank test (`scipy.stats.mannwhitneyu`, `method=`) or propeller "
        "(`course_lib.composition_test`, column 'propeller p'); see chapter 7, *Composition "
        "across conditions, per sample*"
    )
    value = answer_number(p_value, f"`{name}`", hint)
    if not 0 <= value <= 1:
        fail(f"`{name}` is {value:.3g}; a p-value lies between 0 and 1 ({hint}).")
    adata = require_adata(adata)
    counts, condition, labels = _per_sample(adata, cluster_key, sample_key, group_key)
    cluster = _cluster_in(cluster, labels, cluster_key, adata, reference)
    groups = tuple(sorted(condition.unique()))
    if len(groups) != 2:
        fail(f"`obs[{group_key!r}]` should hold two conditions, found {list(groups)}.")
    sizes = [int((condition == g).sum()) for g in groups]
    shares = counts[cluster] / counts.sum(axis=1)
    first, second = (shares[condition == g] for g in groups)
    rank_p = mannwhitneyu(first, second, method="exact").pvalue
    tests = composition_test(
        ad.AnnData(obs=adata.obs[[cluster_key, sample_key, group_key]].copy()),
        cluster_key,
        sample_key=sample_key,
        condition_key=group_key,
    ).loc[cluster]
    accepted = (rank_p, tests["propeller p"])
    if min(log10_distance(value, p) for p in accepted) <= COMPOSITION_P_LOG10:
        passed(
            f"{name}: a sample-level test of cluster {cluster!r} between {groups[0]} and "
            f"{groups[1]} ({sizes[0]} vs {sizes[1]} samples)."
        )
        return
    floor = smallest_rank_test_p(*sizes)
    replicates = (
        f"Cells of one sample share its person and its handling, so they are not "
        f"independent (pseudo-replication): the replicates are the samples ({hint})."
    )
    cell_level = _cell_level_tests(labels, adata.obs[group_key].astype(str), cluster)
    for test, p in sorted(cell_level, key=lambda item: log10_distance(value, item[1])):
        if log10_distance(value, p) <= COMPOSITION_P_LOG10:
            fail(
                f"`{name}` = {value:.2g} matches {test} on the cell counts, which counts "
                f"every cell as a replicate. {replicates}"
            )
    named = {
        "one-sided": "a one-sided test; the question asks for a two-sided one",
        "t-test": "a t-test on the shares; the question asks for a rank test or propeller",
        "asymptotic": "the normal approximation of the rank test; use the exact test",
    }
    for test, p in _wrong_tests(shares, condition, groups).items():
        if log10_distance(value, p) <= COMPOSITION_P_LOG10:
            fail(f"`{name}` matches {named[test]} ({hint}).")
    if value < floor:
        fail(
            f"`{name}` = {value:.2g} is below {floor:.4f}, the smallest p an exact rank test "
            f"on {sizes[0]} vs {sizes[1]} samples can give: it looks like a test on cells. "
            f"{replicates}"
        )
    fail(
        f"`{name}` = {value:.3g} matches neither a rank test nor propeller on the shares of "
        f"cluster {cluster!r} in the {sum(sizes)} samples ({hint})."
    )
