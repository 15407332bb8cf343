"""Checks of exercise 6 (chapters 6 and 7): judging a clustering without the truth.

Mean silhouette widths of several resolutions, the least stable cluster under subsampling,
and one cluster's share of cells compared between conditions with the samples as
replicates.

Examples
--------
>>> from course_lib import checks
>>> checks.check_silhouettes(silhouettes, adata)  # doctest: +SKIP
✔ silhouettes: mean silhouette widths on 'X_pca_harmony' for resolutions 0.4, 0.6, 1, 1.4.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, fisher_exact, mannwhitneyu, ttest_ind

from ..defaults import CONDITION_KEY, HARMONY_KEY, RESOLUTIONS, SAMPLE_KEY, SEED, leiden_key
from ..tl import composition_test, smallest_rank_test_p, subsample_stability
from ._feedback import (
    CLUSTER_KEY,
    aligned,
    cluster_labels,
    fail,
    label_list,
    passed,
    recorded,
    require_adata,
    student_facing,
)
from .reference_answers import UNCORRECTED_KEY, reference_data
from .references import fingerprint, memoized
from .scores import (
    log10_distance,
    mean_silhouette,
    silhouette_error,
)
from .thresholds import COMPOSITION_P_LOG10, SILHOUETTE_ATOL, STABILITY_MARGIN

UMAP_KEYS = ("X_umap", "X_umap_uncorr")
"""``obsm`` keys of the 2-D pictures, where silhouettes look far better than they are."""

STABILITY_RUNS = 10
"""Subsamples of the question on stability (and of its reference)."""

STABILITY_FRACTION = 0.8
"""Share of the cells in each subsample (chapter 6, *Stability under subsampling*)."""

B_MARKER = "MS4A1"
"""The gene exercise 6's setup cell finds the B cluster by (its highest mean expression)."""

SHARES_ATOL = 1e-6
"""How close each share must be to the expected fraction of the sample's cells (exact)."""

_EMBEDDINGS = {
    UNCORRECTED_KEY: "the uncorrected PCA, where cells also group by sample",
    "X_umap": "the UMAP, a 2-D picture that pulls clusters apart for display",
    "X_umap_uncorr": "the UMAP of the uncorrected data, a 2-D picture",
}
"""The wrong embeddings a silhouette may have been measured in, and what they are."""

def own_stability(
    labels: pd.Series,
    ref: ad.AnnData,
    resolution: float = 0.6,
    *,
    random_state: int = SEED,
    n_runs: int = STABILITY_RUNS,
    fraction: float = STABILITY_FRACTION,
) -> pd.Series:
    """The stability of the clusters of ``labels`` under subsampling, cached per process.

    :func:`course_lib.subsample_stability` run by the check itself on the student's labels,
    with the reference's Harmony embedding (not the student's copy) and the question's
    settings, so nothing the student stored can change the verdict.

    Parameters
    ----------
    labels
        The student's cluster labels (strings) indexed by cell name, in the student's order
        (the subsamples draw cells by position).
    ref
        Prepared data holding the Harmony embedding of every cell of ``labels``.
    resolution
        Leiden resolution of the clustering.
    random_state
        Seed of the subsamples.
    n_runs, fraction
        Settings of :func:`course_lib.subsample_stability`.

    Returns
    -------
    Each cluster's mean best Jaccard index, indexed by label.

    Examples
    --------
    >>> labels = adata.obs["leiden_0.6"].astype(str)  # doctest: +SKIP
    >>> stability = own_stability(labels, reference_data())  # doctest: +SKIP
    >>> round(stability.min(), 2)  # doctest: +SKIP
    0.78
    """
    labels = labels.astype(str)
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update("\0".join(labels.index).encode())
    digest.update("\0".join(labels.to_numpy()).encode())
    key = ("stability", fingerprint(ref, HARMONY_KEY), digest.hexdigest(), float(resolution),
           int(random_state), int(n_runs), float(fraction))  # fmt: skip

    def compute() -> pd.Series:
        rows = ref.obs_names.get_indexer(labels.index)
        cells = ad.AnnData(
            obs=pd.DataFrame({"answer": labels.to_numpy()}, index=labels.index.copy()),
            obsm={HARMONY_KEY: np.asarray(ref.obsm[HARMONY_KEY])[rows]},
        )
        stability = subsample_stability(cells, "answer", resolution=resolution,
                                        n_runs=n_runs, fraction=fraction,
                                        random_state=random_state)  # fmt: skip
        return stability.rename(index=str)

    return memoized(key, compute)


def _run_seed(adata: ad.AnnData, run: str) -> int:
    """The subsamples' seed the student's run recorded, or the course's seed."""
    seed = recorded(adata, run, "random_state")
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and 0 <= seed < 2**32:
        return int(seed)
    return SEED


def _number(value: Any, what: str, hint: str) -> float:
    """``value`` as a finite float, or a failure naming what it should be."""
    if isinstance(value, (pd.Series, pd.DataFrame)) and value.size == 1:
        value = value.to_numpy().ravel()[0]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        fail(f"{what} should be a number, got {type(value).__name__} ({hint}).")
    if not math.isfinite(float(value)):
        fail(f"{what} is {value}; it should be a finite number ({hint}).")
    return float(value)


def _resolution(key: Any) -> float | None:
    """The resolution a key names: ``0.4``, ``"0.4"``, ``"leiden_0.4"``, ``"Leiden 0.4"``."""
    if isinstance(key, (int, float, np.number)) and not isinstance(key, bool):
        return float(key)
    found = re.search(r"(\d+(?:\.\d*)?)\s*$", str(key))
    return float(found.group(1)) if found else None


def _silhouette_table(answer: Any, resolutions: list[float], hint: str) -> dict[float, float]:
    """The student's ``{resolution: mean silhouette}``, or a failure naming the format."""
    if isinstance(answer, pd.DataFrame):
        if "silhouette" not in answer.columns:
            fail(
                f"`silhouettes` is a table without a 'silhouette' column (columns: "
                f"{list(answer.columns)}); keep one mean silhouette per resolution ({hint})."
            )
        answer = answer["silhouette"]
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if isinstance(answer, (list, tuple, np.ndarray)):
        fail(
            f"`silhouettes` is a {type(answer).__name__}; label each value with its resolution "
            f"(a dict or a Series indexed by resolution) ({hint})."
        )
    if not isinstance(answer, Mapping):
        fail(
            f"`silhouettes` should be a dict or a Series {{resolution: mean silhouette}}, got "
            f"{type(answer).__name__} ({hint})."
        )
    given = {}
    for key, value in answer.items():
        resolution = _resolution(key)
        if resolution is None:
            fail(f"cannot read a resolution from the key {key!r} of `silhouettes` ({hint}).")
        given[resolution] = _number(value, f"the silhouette of {key!r}", hint)
    missing = [r for r in resolutions if not any(math.isclose(r, g) for g in given)]
    extra = [g for g in given if not any(math.isclose(r, g) for r in resolutions)]
    if missing or extra:
        fail(
            f"`silhouettes` has the resolutions {sorted(given)}; the question asks for "
            f"{resolutions} ({hint})."
        )
    return {r: next(v for g, v in given.items() if math.isclose(r, g)) for r in resolutions}


@student_facing
def check_silhouettes(
    silhouettes: Any,
    adata: ad.AnnData,
    resolutions: tuple[float, ...] = RESOLUTIONS,
    *,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the mean silhouette width of the Leiden clustering at each resolution.

    The expected values are the mean silhouette widths of the student's own clusterings
    (``obs['leiden_<r>']``) on the Harmony embedding over the course's 3,000-cell sample;
    another sample of cells lands within :data:`SILHOUETTE_ATOL`.

    Parameters
    ----------
    silhouettes
        The student's ``{resolution: mean silhouette}`` (a dict, a Series, or the table of
        :func:`course_lib.internal_metrics`); keys may be ``0.4``, ``"leiden_0.4"`` or
        ``"Leiden 0.4"``.
    adata
        The student's data with the clusterings.
    resolutions
        The resolutions the question asks for.
    reference
        Data holding the embeddings; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_silhouettes(silhouettes, adata)  # doctest: +SKIP
    ✔ silhouettes: mean silhouette widths on 'X_pca_harmony' for resolutions 0.4, 0.6, 1, 1.4.
    """
    resolutions = [float(r) for r in resolutions]
    hint = (
        "a silhouette is measured with distances in an embedding, and the question says "
        "which one and over how many cells; `course_lib.internal_metrics` (its `use_rep=` and "
        "`n_sample=` arguments) or `sklearn.metrics.silhouette_samples`; see chapter 6, "
        "*Internal metrics*"
    )
    given = _silhouette_table(silhouettes, resolutions, hint)
    adata = require_adata(adata)
    labels = {r: cluster_labels(adata, leiden_key(r), "run the setup cells") for r in resolutions}
    ref = reference_data(reference)
    aligned(adata, ref)
    outside = [r for r, v in given.items() if not -1 <= v <= 1]
    if outside:
        fail(
            f"the value for resolution {outside[0]:g} is {given[outside[0]]:.3g}; a silhouette "
            f"width lies between -1 and 1 (did you take another column of the table?) ({hint})."
        )
    expected = {r: mean_silhouette(labels[r], ref) for r in resolutions}
    tolerance = SILHOUETTE_ATOL
    if silhouette_error(given, expected) <= tolerance:
        shown = ", ".join(f"{r:g}" for r in resolutions)
        passed(f"silhouettes: mean silhouette widths on {HARMONY_KEY!r} for resolutions {shown}.")
        return
    for rep, what in _EMBEDDINGS.items():
        if rep in ref.obsm:
            other = {r: mean_silhouette(labels[r], ref, rep) for r in resolutions}
            if silhouette_error(given, other) <= tolerance:
                fail(
                    f"your values are the mean silhouette widths measured in {rep!r}, {what}. "
                    f"The clusters were computed on {HARMONY_KEY!r}; judge them by the "
                    f"distances there ({hint})."
                )
    if (
        silhouette_error(
            dict(zip(resolutions, sorted(given.values()), strict=True)),
            dict(zip(resolutions, sorted(expected.values()), strict=True)),
        )
        <= tolerance
    ):
        fail(
            f"your values belong to the resolutions in another order; check which value you "
            f"stored under which resolution ({hint})."
        )
    wrong = [r for r in resolutions if abs(given[r] - expected[r]) > tolerance]
    fail(
        f"the mean silhouette width for resolution {wrong[0]:g} (`obs[{leiden_key(wrong[0])!r}]`) "
        f"is off by more than {tolerance} from its value on {HARMONY_KEY!r} over a sample of "
        f"3,000 cells ({hint})."
    )


def _one_label(cluster: Any, labels: pd.Series, key: str, hint: str) -> str:
    """The one cluster label the student named, or a failure naming what is wrong."""
    if isinstance(cluster, (float, np.floating)) and not float(cluster).is_integer():
        fail(
            f"`least_stable` is {float(cluster):.3g}, a number like a stability value; store the "
            f"*label* of the cluster (an entry of `obs[{key!r}]`), not its score ({hint})."
        )
    if isinstance(cluster, (float, np.floating)):
        cluster = int(cluster)
    chosen = label_list(cluster, "least_stable")
    if len(chosen) != 1:
        fail(f"`least_stable` names {len(chosen)} clusters; name exactly one ({hint}).")
    present = sorted(labels.unique(), key=lambda c: (len(c), c))
    if chosen[0] not in present:
        fail(
            f"{chosen[0]!r} is not a cluster of `obs[{key!r}]` (its clusters: {present}) ({hint})."
        )
    return chosen[0]


@student_facing
def check_least_stable(
    least_stable: Any,
    adata: ad.AnnData,
    *,
    key: str = CLUSTER_KEY,
    resolution: float = 0.6,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the cluster named as the least stable of the student's own clustering.

    The check recomputes the stability of every cluster of ``obs[key]`` itself
    (:func:`own_stability`: the question's settings, the reference's Harmony embedding, the
    subsamples' seed the student's run recorded, else the course's); the answer is right if
    the named cluster's stability is within
    :data:`~course_lib.checks.thresholds.STABILITY_MARGIN` of the lowest, so near-ties
    between subsamples, seeds and machines are all accepted. Settings recorded in
    ``uns[f"{key}_stability"]`` only help to name a mistake when the answer is wrong.

    Parameters
    ----------
    least_stable
        The label of the student's cluster (a string or an integer).
    adata
        The student's data with the clustering in ``obs[key]``.
    key
        ``obs`` column of the clustering.
    resolution
        Its Leiden resolution.
    reference
        Data holding the Harmony embedding; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake, what was found and where to look.

    Examples
    --------
    >>> check_least_stable(least_stable, adata)  # doctest: +SKIP
    ✔ least_stable: cluster '…' (… cells) is among the least stable under subsampling.
    """
    hint = "see chapter 6, *Stability under subsampling*"
    adata = require_adata(adata)
    labels = cluster_labels(adata, key, "run the setup cells")
    chosen = _one_label(least_stable, labels, key, hint)
    ref = reference_data(reference)
    aligned(adata, ref)
    run = f"{key}_stability"
    stability = own_stability(labels, ref, resolution, random_state=_run_seed(adata, run))
    sizes = labels.value_counts()
    cells = int(sizes[chosen])
    if float(stability[chosen] - stability.min()) <= STABILITY_MARGIN:
        passed(
            f"least_stable: cluster {chosen!r} ({cells:,} cells) is among the least stable "
            f"under subsampling."
        )
        return
    settings = {
        "fraction": STABILITY_FRACTION,
        "resolution": resolution,
        "use_rep": HARMONY_KEY,
    }
    for param, value in settings.items():
        used = recorded(adata, run, param)
        if (
            used is not None
            and used != value
            and not (isinstance(value, float) and math.isclose(float(used), value))
        ):
            fail(
                f"`adata.uns[{run!r}]` says the stability was computed with `{param}=` "
                f"{used!r}; the question asks for {value!r} ({hint})."
            )
    most = math.isclose(float(stability[chosen]), float(stability.max()))
    if cells == int(sizes.min()):
        found = (
            f" — the smallest of your clusters{', and one of the most stable' * most}: a small "
            f"cluster can come back in every subsample; what counts is how often its cells are "
            f"found together again"
        )
    elif most:
        found = " — one of the *most* stable of your clusters (did you take the maximum?)"
    else:
        found = ""
    fail(
        f"cluster {chosen!r} ({cells:,} cells) has a mean best Jaccard index of "
        f"{stability[chosen]:.2f} when the check reclusters subsamples of your "
        f"`obs[{key!r}]`{found}; the least stable clusters score clearly lower, down to "
        f"{stability.min():.2f} ({hint})."
    )


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
    if set(shares.index) != set(counts.index):
        fail(
            f"the index of `{name}` should be the samples of `obs[{sample_key!r}]` "
            f"({sorted(counts.index)}), got {sorted(shares.index)[:10]} ({hint})."
        )
    try:
        values = shares.loc[counts.index].astype(float)
    except (TypeError, ValueError):
        fail(f"`{name}` should hold numbers (fractions of cells) ({hint}).")
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
    value = _number(p_value, f"`{name}`", hint)
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
