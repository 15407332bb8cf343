"""Checks of exercise 6 (chapter 6): judging a clustering without the truth.

Mean silhouette widths of several resolutions, and the least stable cluster under
subsampling. One cluster's share compared between conditions (chapter 7) is checked in
:mod:`course_lib.checks.ex6_composition`.

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

from ..defaults import HARMONY_KEY, RESOLUTIONS, SEED, leiden_key
from ..tl import subsample_stability
from ._feedback import (
    CLUSTER_KEY,
    aligned,
    answer_number,
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
    mean_silhouette,
    silhouette_error,
)
from .thresholds import SILHOUETTE_ATOL, STABILITY_MARGIN

STABILITY_RUNS = 10
"""Subsamples of the question on stability (and of its reference)."""

STABILITY_FRACTION = 0.8
"""Share of the cells in each subsample (chapter 6, *Stability under subsampling*)."""

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
        given[resolution] = answer_number(value, f"the silhouette of {key!r}", hint)
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


def _name_settings_mistake(adata: ad.AnnData, run: str, resolution: float, hint: str) -> None:
    """Fail naming a setting recorded in ``uns[run]`` that is not the question's, if any."""
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
    _name_settings_mistake(adata, run, resolution, hint)
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
