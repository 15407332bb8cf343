"""Does a cluster's share of cells differ between conditions? Tested at the sample level.

The unit of replication is the sample (a person), not the cell: cells of one sample share
its biology and its handling, so a test that counts cells as independent (pseudo-
replication) is far too confident. Three tests side by side, one row per cluster:

- ``cell-level p``: a chi-square test on the cell counts (cluster vs rest × condition),
  the naive test that treats every cell as a replicate;
- ``propeller p``: the propeller method (Phipson et al. 2022, logit-transformed sample
  proportions, moderated t-test) as implemented by the maintained ``scanpro`` package;
- ``rank-test p``: an exact two-sided Mann–Whitney test on the per-sample proportions
  (scipy), which assumes nothing about their distribution; with ``n1`` and ``n2`` samples
  its smallest possible p is ``2 / C(n1 + n2, n1)`` (0.029 for 4 vs 4).
"""

from __future__ import annotations

import math
import warnings
from types import ModuleType

import anndata as ad
import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, mannwhitneyu

from .._validation import check_adata, obs_labels
from ..defaults import CONDITION_KEY, SAMPLE_KEY


def smallest_rank_test_p(n1: int, n2: int) -> float:
    """Smallest two-sided p-value an exact Mann–Whitney test can give with n1 vs n2 samples.

    Examples
    --------
    >>> round(smallest_rank_test_p(4, 4), 4)
    0.0286
    """
    return 2 / math.comb(n1 + n2, n1)


def _sample_table(adata: ad.AnnData, groupby: str, sample_key: str,
                  condition_key: str) -> tuple[pd.DataFrame, pd.Series]:
    clusters = obs_labels(adata, groupby).astype(str)
    samples = obs_labels(adata, sample_key).astype(str)
    conditions = obs_labels(adata, condition_key).astype(str)
    per_sample = pd.crosstab(samples.to_numpy(), conditions.to_numpy())
    mixed = per_sample.index[(per_sample > 0).sum(axis=1) > 1]
    if len(mixed):
        msg = (f"samples {list(mixed)} have cells of more than one {condition_key!r}; each "
               f"sample must belong to one condition (check sample_key and condition_key)")
        raise ValueError(msg)
    condition_of = per_sample.idxmax(axis=1)
    counts = pd.crosstab(samples.to_numpy(), clusters.to_numpy())
    return counts, condition_of


def composition_test(
    adata: ad.AnnData,
    groupby: str,
    *,
    sample_key: str = SAMPLE_KEY,
    condition_key: str = CONDITION_KEY,
) -> pd.DataFrame:
    """Test each cluster's share of cells between two conditions, per cell and per sample.

    Parameters
    ----------
    adata
        Data with clusters, samples and conditions in ``obs``; every sample belongs to one
        condition, and there are exactly two conditions with at least two samples each.
    groupby
        ``obs`` column with the clusters.
    sample_key
        ``obs`` column with each cell's sample (the replicate).
    condition_key
        ``obs`` column with each cell's condition.

    Returns
    -------
    A :class:`pandas.DataFrame` indexed by cluster with the mean per-sample share in each
    condition (``share <condition>``), ``cell-level p``, ``propeller p`` (scanpro, not
    adjusted) and ``rank-test p``; see the module docstring. ``attrs["propeller_robust"]``
    says whether propeller's robust empirical Bayes fit ran (``False``: it had no solution
    for these clusters and the ordinary fit was used).

    Examples
    --------
    Four samples per condition; cluster ``x`` holds 35–45 % of the cells of each ctrl
    sample and 55–65 % of each covid sample:

    >>> import anndata as ad, numpy as np, pandas as pd
    >>> in_x = [35, 40, 45, 40, 55, 60, 65, 60]
    >>> obs = pd.DataFrame({
    ...     "sample": np.repeat([f"s{i}" for i in range(8)], 100),
    ...     "type": np.repeat(["ctrl", "covid"], 400),
    ...     "cluster": np.concatenate([["x"] * n + ["y"] * (100 - n) for n in in_x]),
    ... }, index=[str(i) for i in range(800)])
    >>> result = composition_test(ad.AnnData(obs=obs), "cluster")
    >>> result.loc["x", ["share ctrl", "share covid"]].tolist()
    [0.4, 0.6]
    >>> round(float(result.loc["x", "rank-test p"]), 4)
    0.0286
    >>> bool(result.loc["x", "cell-level p"] < 1e-6)
    True
    """
    import scanpro

    check_adata(adata)
    counts, condition_of = _sample_table(adata, groupby, sample_key, condition_key)
    groups = sorted(condition_of.unique())
    n_per_group = condition_of.value_counts()
    if len(groups) != 2 or n_per_group.min() < 2:
        msg = (f"composition_test compares two conditions with at least two samples each; "
               f"{condition_key!r} gives {n_per_group.to_dict()} samples per condition")
        raise ValueError(msg)
    shares = counts.div(counts.sum(axis=1), axis=0)
    first, second = (condition_of == groups[0]), (condition_of == groups[1])
    cells_by_condition = counts.groupby(condition_of).sum()
    rows = {}
    for cluster in counts.columns:
        inside = cells_by_condition[cluster]
        table = np.array([inside, cells_by_condition.sum(axis=1) - inside])
        rank = mannwhitneyu(shares.loc[first, cluster], shares.loc[second, cluster],
                            alternative="two-sided", method="exact")
        rows[cluster] = {
            f"share {groups[0]}": float(shares.loc[first, cluster].mean()),
            f"share {groups[1]}": float(shares.loc[second, cluster].mean()),
            "cell-level p": float(chi2_contingency(table)[1]),
            "rank-test p": float(rank.pvalue),
        }
    result = pd.DataFrame(rows).T
    obs = pd.DataFrame({
        "cluster": obs_labels(adata, groupby).astype(str).to_numpy(),
        "sample": obs_labels(adata, sample_key).astype(str).to_numpy(),
        "condition": obs_labels(adata, condition_key).astype(str).to_numpy(),
    })
    propeller, robust = _propeller(scanpro, obs)
    result.attrs["propeller_robust"] = robust
    propeller.index = propeller.index.astype(str)
    result.insert(3, "propeller p", propeller["p_values"].reindex(result.index).astype(float))
    result.index.name = groupby
    return result



def _propeller(scanpro: ModuleType, obs: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """scanpro's propeller table, with limma's robust empirical Bayes where it can be fitted.

    The robust fit of the prior degrees of freedom (a root search) has no solution for some
    sets of cluster variances; the ordinary empirical Bayes fit is used then, and the
    second value says which one ran.
    """

    def fit(robust: bool) -> pd.DataFrame:
        with warnings.catch_warnings():  # scanpro 0.4.1 uses pandas idioms pandas 3 drops
            warnings.simplefilter("ignore", FutureWarning)
            return scanpro.scanpro(obs, clusters_col="cluster", conds_col="condition",
                                   samples_col="sample", robust=robust, verbosity=0).results

    try:
        return fit(True), True
    except ValueError:
        return fit(False), False
