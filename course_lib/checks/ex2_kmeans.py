"""Checks of exercise 2 (chapter 2): k-means, the inertia curve and its knee.

Examples
--------
>>> from course_lib import checks
>>> checks.check_kmeans(adata, 10)  # doctest: +SKIP
✔ obs['kmeans_10']: 10 clusters, k-means clusters of 'X_pca_harmony'.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from ..defaults import HARMONY_KEY, SCAN_N_INIT, UMAP_KEY, kmeans_key
from ._feedback import answer_labels, check_count, fail, passed, require_adata, student_facing
from .reference_answers import UNCORRECTED_KEY, reference_data, reference_inertia
from .scores import knee, nearest_centre_share
from .thresholds import INERTIA_RTOL, KMEANS_MIN_NEAREST


@student_facing
def check_kmeans(
    adata: ad.AnnData,
    k: int = 10,
    *,
    key: str | None = None,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a k-means clustering of the Harmony embedding into ``k`` clusters.

    The labels in ``obs[key]`` must be categories of strings (the question asks for the
    format), form ``k`` clusters, and be clusters k-means can end with in the course
    data's Harmony embedding: at least
    :data:`~course_lib.checks.thresholds.KMEANS_MIN_NEAREST` of the cells must be nearest
    their own cluster's centre there (:func:`~course_lib.checks.scores.nearest_centre_share`).
    Any seed, ``n_init`` or tool that gives such clusters passes.

    Parameters
    ----------
    adata
        The student's data.
    k
        Number of clusters the question asks for.
    key
        ``obs`` column of the answer; default ``f"kmeans_{k}"``.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_kmeans(adata, 10)  # doctest: +SKIP
    ✔ obs['kmeans_10']: 10 clusters, k-means clusters of 'X_pca_harmony'.
    """
    adata = require_adata(adata)
    key = key or kmeans_key(k)
    hint = (
        f"`sklearn.cluster.KMeans` takes the number of clusters (`n_clusters=`, {k} here) and "
        f"the data it is fitted on, which should be the Harmony embedding in `adata.obsm`; "
        f"its fitted `labels_` go in `adata.obs[{key!r}]` as categories of strings; see "
        f"chapter 2, *K-means for k = 5, 10 and 15*"
    )
    labels, ref = answer_labels(adata, key, hint, reference, categorical=True)
    check_count(labels, key, k, hint)
    share = nearest_centre_share(labels, ref)
    if share < KMEANS_MIN_NEAREST:
        for rep, name in ((UNCORRECTED_KEY, "the uncorrected PCA"), (UMAP_KEY, "the UMAP")):
            if rep in ref.obsm and nearest_centre_share(labels, ref, rep) >= KMEANS_MIN_NEAREST:
                fail(
                    f"`obs[{key!r}]` looks like k-means on {name} (`obsm[{rep!r}]`): its "
                    f"clusters are k-means clusters there, not in the Harmony embedding. "
                    f"Which `obsm` key did you fit on? ({hint})."
                )
        fail(
            f"`obs[{key!r}]` is not what k-means ends with on the Harmony embedding: "
            f"{1 - share:.0%} of the cells are nearer another cluster's centre than their "
            f"own (k-means stops when none is; allowed {1 - KMEANS_MIN_NEAREST:.0%}). Are "
            f"these the fitted `labels_` of a k-means on that embedding? ({hint})."
        )
    passed(f"obs[{key!r}]: {k} clusters, k-means clusters of {HARMONY_KEY!r}.")


@student_facing
def check_inertias(
    inertias: Any,
    ks: Sequence[int],
    *,
    n_init: int = SCAN_N_INIT,
    reference: ad.AnnData | None = None,
) -> None:
    """Check an elbow curve: the k-means inertia on Harmony for each ``k`` in ``ks``.

    Each value must lie within :data:`~course_lib.checks.thresholds.INERTIA_RTOL` of the
    inertia of k-means with ``n_init`` restarts on the course data's Harmony embedding.

    Parameters
    ----------
    inertias
        The student's ``{k: inertia}`` dict (a :class:`pandas.Series` indexed by ``k`` works).
    ks
        The numbers of clusters the question asks for.
    n_init
        Restarts the question asks for (the reference uses the same).
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_inertias(inertias, range(2, 16, 2))  # doctest: +SKIP
    ✔ inertias for k = 2, 4, ..., 14 match k-means on 'X_pca_harmony'.
    """
    ks = [int(k) for k in ks]
    hint = (
        "for each k, the fitted `KMeans` model's `inertia_` on the Harmony embedding, with "
        "the restarts the question asks for; see chapter 2, *Choosing k: the inertia curve*"
    )
    if isinstance(inertias, pd.Series):
        inertias = inertias.to_dict()
    if isinstance(inertias, (list, tuple, np.ndarray)):
        if len(inertias) != len(ks):
            fail(f"got {len(inertias)} values for {len(ks)} values of k; use a dict ({hint}).")
        fail(f"store the inertias in a dict keyed by k, so each value is labelled ({hint}).")
    if not isinstance(inertias, Mapping):
        fail(f"`inertias` should be a dict {{k: inertia}}, got {type(inertias).__name__} ({hint}).")
    try:
        given = {int(k): v for k, v in inertias.items()}
    except (TypeError, ValueError):
        fail(f"the keys of `inertias` should be the numbers of clusters {ks} ({hint}).")
    if sorted(given) != sorted(ks):
        fail(f"`inertias` has keys {sorted(given)}; the question asks for k in {ks} ({hint}).")
    for k in ks:
        value = given[k]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            fail(f"the inertia for k={k} should be a number (`inertia_`), got {value!r}.")
        if not math.isfinite(float(value)) or float(value) <= 0:
            fail(f"the inertia for k={k} is {value}; it should be a positive number ({hint}).")
    ref = reference_data(reference)
    rtol = INERTIA_RTOL
    for k in ks:
        expected = reference_inertia(ref, k, n_init=n_init)
        error = float(given[k]) / expected - 1
        if abs(error) > rtol:
            uncorrected = reference_inertia(ref, k, rep=UNCORRECTED_KEY, n_init=n_init)
            if abs(float(given[k]) / uncorrected - 1) < abs(error):
                fail(
                    f"the inertia for k={k} matches k-means on the uncorrected PCA; which "
                    f"`obsm` key did you fit on? ({hint})."
                )
            more = "larger" if error > 0 else "smaller"
            fail(
                f"the inertia for k={k} is {abs(error):.0%} {more} than k-means on the Harmony "
                f"embedding gives (allowed {rtol:.0%}). Is each value stored under its "
                f"own k, from `inertia_` (not divided by the number of cells)? ({hint})."
            )
    passed(f"inertias for k = {', '.join(map(str, ks))} match k-means on {HARMONY_KEY!r}.")


KNEE_CHOICES = {
    "a": "the number of cell populations in the data",
    "b": "where the main lineages are separated; finer populations need markers and biology",
    "c": "the k with the lowest inertia",
}
"""The options of exercise 2's question on what the knee of the inertia curve tells (the
question's text; which one is right is decided by the hidden test of the exercise, not
here)."""


@student_facing
def check_knee(
    knee_k: Any,
    meaning: Any,
    inertias: Any,
    ks: Sequence[int],
    *,
    n_init: int = SCAN_N_INIT,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the knee of the student's elbow curve, and that their reading is an option.

    ``knee_k`` must be the knee (:func:`~course_lib.checks.scores.knee`) of the student's own
    ``inertias`` when those are a valid curve over ``ks``, else of the reference curve, so a
    mistake in the elbow question is not counted twice. ``meaning`` must be one of the
    options, a key of :data:`KNEE_CHOICES`; which option is right is not checked here (the
    exercise's grade checks it).

    Parameters
    ----------
    knee_k
        The student's k.
    meaning
        The student's choice, ``"a"``, ``"b"`` or ``"c"``.
    inertias
        The student's ``{k: inertia}`` of the elbow question.
    ks
        The values of k of the elbow question.
    n_init
        Restarts of the reference curve.
    reference
        Data the reference curve is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_knee(knee_k, knee_meaning, inertias, range(2, 16, 2))  # doctest: +SKIP
    ✔ knee_k: k = 4 is the knee of your curve; knee_meaning is one of the options.
    """
    hint = "see chapter 2, *Choosing k: the inertia curve*"
    ks = [int(k) for k in ks]
    own = isinstance(inertias, Mapping) and sorted(int(k) for k in inertias) == sorted(ks)
    if own:
        try:
            curve = {int(k): float(v) for k, v in inertias.items()}
        except (TypeError, ValueError):
            own = False
    if not own or not all(math.isfinite(v) and v > 0 for v in curve.values()):
        ref = reference_data(reference)
        curve = {k: reference_inertia(ref, k, n_init=n_init) for k in ks}
    if isinstance(knee_k, bool) or not isinstance(knee_k, (int, np.integer, float)):
        fail(f"`knee_k` should be a number of clusters, got {type(knee_k).__name__} ({hint}).")
    expected = knee(curve)
    if knee_k != expected:
        fail(
            f"k = {knee_k} is not the knee of your curve: the knee is the point farthest "
            f"*below* the straight line from the first to the last point, after scaling both "
            f"axes to 0-1 ({hint})."
        )
    if not isinstance(meaning, str) or meaning not in KNEE_CHOICES:
        fail(
            f"`knee_meaning` should be one of the letters {sorted(KNEE_CHOICES)}, got "
            f"{meaning!r} ({hint})."
        )
    passed(
        f"knee_k: k = {expected} is the knee of your curve; knee_meaning is one of the options "
        f"(the grade checks which)."
    )
