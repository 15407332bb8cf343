"""Checks of exercise 1 (chapter 1): the kNN graph, Leiden clusterings and their agreement.

``check_agreement`` is asked again in exercises 2 and 3 (k-means and Ward against Leiden).

Each check judges the answer's values (the graph's neighbours, the partition, the number);
what scanpy recorded in ``adata.uns`` only helps to name a mistake once the values are
wrong, so a graph or a clustering made another way (igraph or scikit-learn directly) passes
when its values are right.

Examples
--------
>>> from course_lib import checks
>>> checks.check_neighbors(adata)  # doctest: +SKIP
✔ kNN graph on 'X_pca_harmony' with 15 neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import anndata as ad
import numpy as np
from sklearn.metrics import adjusted_rand_score

from ..defaults import HARMONY_KEY, N_NEIGHBORS, leiden_key
from ._feedback import (
    aligned,
    answer_labels,
    cluster_labels,
    fail,
    passed,
    recorded,
    require_adata,
    student_facing,
)
from .reference_answers import REFERENCE_SEEDS, UNCORRECTED_KEY, reference_data, reference_leiden
from .scores import ari, count_range, knn_overlap, leiden_score, matches_uncorrected
from .thresholds import KNN_MIN_OVERLAP, LEIDEN_MIN_ARI

GRAPH_HINT = (
    "`sc.pp.neighbors` builds the graph; its `use_rep=` argument names the `adata.obsm` key "
    "of the embedding — which key holds the Harmony-corrected one? See chapter 1, "
    "*Building the kNN graph*"
)
"""Where to look when the kNN graph is wrong (names the function and argument, not the code)."""


def _embedding_hint(used_rep: str | None, closer_to_uncorrected: bool) -> str:
    if closer_to_uncorrected:
        built_with = f" (your graph was built with `use_rep={used_rep!r}`)" if used_rep else ""
        mistake = (
            f"this clustering matches the uncorrected PCA better than the Harmony embedding"
            f"{built_with}"
        )
    else:
        mistake = f"the kNN graph was built on {used_rep!r}"
    return (
        f"{mistake} — rebuild the graph on the corrected embedding and cluster again "
        f"({GRAPH_HINT})."
    )


@student_facing
def check_neighbors(
    adata: ad.AnnData,
    *,
    n_neighbors: int = N_NEIGHBORS,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the kNN graph: ``n_neighbors`` neighbours per cell in the Harmony embedding.

    The graph in ``adata.obsp['distances']`` is judged by its neighbours: on average at
    least :data:`~course_lib.checks.thresholds.KNN_MIN_OVERLAP` of each cell's neighbours
    must be among its nearest cells in the Harmony-corrected embedding of the course data.
    The number of neighbours is read from ``adata.uns['neighbors']['params']`` where scanpy
    recorded it, else from the graph. When the neighbours are wrong, the recorded
    ``use_rep`` (or its absence: scanpy's default representation) names the embedding used.

    Parameters
    ----------
    adata
        The student's data with a kNN graph in ``obsp``.
    n_neighbors
        Neighbours per cell the question asks for.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake, what was found and where to look.

    Examples
    --------
    >>> check_neighbors(adata)  # doctest: +SKIP
    ✔ kNN graph on 'X_pca_harmony' with 15 neighbours.
    """
    adata = require_adata(adata)
    ref = reference_data(reference)
    aligned(adata, ref)
    hint = f"{GRAPH_HINT}; `n_neighbors=` sets the neighbours per cell ({n_neighbors} here)"
    if "distances" not in adata.obsp or "connectivities" not in adata.obsp:
        fail(f"`adata` has no kNN graph yet (`adata.obsp` holds no 'distances'). {hint}.")
    recorded_k = recorded(adata, "neighbors", "n_neighbors")
    per_cell = int(np.diff(adata.obsp["distances"].tocsr().indptr).max())
    if recorded_k is not None and recorded_k != n_neighbors:
        fail(
            f"the graph has n_neighbors={recorded_k}; the question asks for {n_neighbors}. {hint}."
        )
    if recorded_k is None and per_cell not in (n_neighbors - 1, n_neighbors):
        fail(
            f"the graph links each cell to up to {per_cell} others; the question asks for "
            f"{n_neighbors} neighbours per cell (the cell itself included). {hint}."
        )
    overlap = knn_overlap(adata, ref)
    if overlap < KNN_MIN_OVERLAP:
        use_rep = recorded(adata, "neighbors", "use_rep")
        found = f"only {overlap:.0%} of the graph's neighbours are neighbours in {HARMONY_KEY!r}"
        if use_rep is None and "params" in adata.uns.get("neighbors", {}):
            fail(
                f"{found}: the graph was built on scanpy's default representation (no "
                f"`use_rep` in `adata.uns['neighbors']['params']`, so `sc.pp.neighbors` took "
                f"{UNCORRECTED_KEY!r}, the uncorrected PCA, which keeps the sample effect). "
                f"{hint}."
            )
        if use_rep not in (None, HARMONY_KEY):
            uncorrected = " (the uncorrected PCA, which keeps the sample effect)" * (
                use_rep == UNCORRECTED_KEY
            )
            fail(f"{found}: the graph was built on {use_rep!r}{uncorrected}. {hint}.")
        if UNCORRECTED_KEY in ref.obsm and knn_overlap(adata, ref, UNCORRECTED_KEY) > overlap:
            fail(
                f"{found}; they are closer to the neighbours in {UNCORRECTED_KEY!r}, the "
                f"uncorrected PCA. {hint}."
            )
        fail(f"{found} (was the graph edited, or built on another embedding?). {hint}.")
    passed(f"kNN graph on {HARMONY_KEY!r} with {n_neighbors} neighbours.")


@student_facing
def check_leiden(
    adata: ad.AnnData,
    resolution: float,
    *,
    key: str | None = None,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a clustering of the Harmony graph like Leiden's at ``resolution``.

    The labels in ``obs[key]`` are compared, by the adjusted Rand index (ARI), with Leiden
    clusterings of the course data's Harmony kNN graph at ``resolution`` (seeds
    :data:`~course_lib.checks.reference_answers.REFERENCE_SEEDS`): the best ARI must reach
    :data:`~course_lib.checks.thresholds.LEIDEN_MIN_ARI` (by resolution) and the number of
    clusters lie
    in the range around theirs. Label names, label types and the tool do not matter. When
    the labels are wrong, the recorded resolution and graph (``adata.uns``) and the
    agreement with a clustering of the uncorrected PCA name the mistake.

    Parameters
    ----------
    adata
        The student's data.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``leiden_key(resolution)``, e.g. ``"leiden_0.6"``.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake, what was found and where to look.

    Examples
    --------
    >>> check_leiden(adata, 0.6)  # doctest: +SKIP
    ✔ obs['leiden_0.6']: 11 clusters, agrees with the reference clustering at resolution 0.6.
    """
    adata = require_adata(adata)
    key = key or leiden_key(resolution)
    hint = (
        f"`sc.tl.leiden` takes `resolution=` ({resolution:g} here) and `key_added=`, the `obs` "
        f"column ({key!r}); see chapter 1, *Leiden clustering at four resolutions*"
    )
    min_ari = LEIDEN_MIN_ARI.get(resolution) if isinstance(resolution, int | float) else None
    if min_ari is None:
        msg = (f"no calibrated threshold for resolution {resolution!r}; the exercises ask "
               f"for {', '.join(f'{r:g}' for r in LEIDEN_MIN_ARI)}")  # fmt: skip
        raise ValueError(msg)
    labels, ref = answer_labels(adata, key, hint, reference)
    references = [reference_leiden(ref, resolution, seed=s) for s in REFERENCE_SEEDS]
    score = leiden_score(labels, ref, resolution)
    n_clusters = labels.nunique()
    low, high = count_range(float(np.median([r.nunique() for r in references])))
    if score >= min_ari and low <= n_clusters <= high:
        passed(
            f"obs[{key!r}]: {n_clusters} clusters, agrees with the reference clustering at "
            f"resolution {resolution:g}."
        )
        return
    used_resolution = recorded(adata, key, "resolution")
    if used_resolution is not None and not math.isclose(float(used_resolution), resolution):
        fail(
            f"`obs[{key!r}]` was computed with resolution={float(used_resolution):g} (see "
            f"`adata.uns[{key!r}]['params']`); the question asks for resolution "
            f"{resolution:g}. {hint}."
        )
    used_rep = recorded(adata, "neighbors", "use_rep")
    uncorrected = reference_leiden(ref, resolution, rep=UNCORRECTED_KEY)
    closer = matches_uncorrected(ari(labels, uncorrected), score)
    if closer or used_rep not in (None, HARMONY_KEY):
        fail(_embedding_hint(used_rep, closer))
    if not low <= n_clusters <= high:
        few = "few" if n_clusters < low else "many"
        fail(
            f"`obs[{key!r}]` has {n_clusters} clusters — too {few} for resolution "
            f"{resolution:g} (expect about {low}–{high}). Did you pass the resolution? "
            f"{hint}."
        )
    fail(
        f"`obs[{key!r}]` agrees poorly with Leiden at resolution {resolution:g} on the "
        f"Harmony graph (ARI {score:.2f}, need ≥ {min_ari}). Check the graph "
        f"({GRAPH_HINT}) and the clustering ({hint})."
    )


AGREEMENT_ATOL = 1e-6
"""How close the student's ARI must be to the ARI of their two columns (it is exact)."""

_AGREEMENT_HINTS = (
    ("ward", "see chapter 3, *Agreement with Leiden and k-means*"),
    ("kmeans", "see chapter 2, *K-means versus Leiden*"),
)
"""Where a pair of clusterings is compared in the book, by the prefix of either column."""


def _agreement_hint(key_a: str, key_b: str) -> str:
    """Where to look for the ARI of two clusterings (the chapter of the exercise asking)."""
    where = next(
        (text for prefix, text in _AGREEMENT_HINTS if prefix in f"{key_a} {key_b}"),
        "see the question's hint and `help(course_lib.agreement)`",
    )
    return (
        "`course_lib.agreement` compares two `obs` columns and returns a dict with the ARI "
        f"and the NMI (`sklearn.metrics.adjusted_rand_score` gives the ARI alone); {where}"
    )


@student_facing
def check_agreement(value: Any, adata: ad.AnnData, key_a: str, key_b: str) -> None:
    """Check an adjusted Rand index the student computed between two of their clusterings.

    The value must equal the ARI of ``obs[key_a]`` and ``obs[key_b]`` in the student's own
    data within :data:`AGREEMENT_ATOL` (the ARI is exact: a rounded value fails, and the
    message says so).

    Parameters
    ----------
    value
        The student's number.
    adata
        The student's data.
    key_a, key_b
        ``obs`` columns of the two clusterings.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_agreement(ari_06_vs_1, adata, "leiden_0.6", "leiden_1.0")  # doctest: +SKIP
    ✔ ARI between 'leiden_0.6' and 'leiden_1.0' is right.
    """
    adata = require_adata(adata)
    hint = _agreement_hint(key_a, key_b)
    if isinstance(value, Mapping):
        fail(f"your answer is a dict ({sorted(value)}); store only the ARI number ({hint}).")
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        fail(f"your answer should be a number, got {type(value).__name__} ({hint}).")
    if not math.isfinite(float(value)):
        fail(f"your answer is {value}; an ARI is a finite number ({hint}).")
    earlier = "run the earlier questions first"
    a = cluster_labels(adata, key_a, earlier)
    b = cluster_labels(adata, key_b, earlier)
    expected = float(adjusted_rand_score(a, b))
    given = float(value)
    if math.isclose(given, expected, abs_tol=AGREEMENT_ATOL):
        passed(f"ARI between {key_a!r} and {key_b!r} is right.")
        return
    if not -0.5 <= given <= 1:
        fail(f"an ARI lies between -0.5 and 1, yours is {given:.3g} ({hint}).")
    rounded = next(
        (digits for digits in range(1, 5) if math.isclose(round(expected, digits), given)), None
    )
    if rounded is not None:
        fail(
            f"{given:g} looks rounded to {rounded} decimal{'s' * (rounded > 1)}: the check "
            f"compares your number with the ARI of {key_a!r} and {key_b!r} in `adata` to "
            f"{AGREEMENT_ATOL:g}. Store the value as computed, without rounding it ({hint})."
        )
    fail(
        f"{given:.3f} is not the ARI between {key_a!r} and {key_b!r} in `adata` (the check "
        f"allows a difference of {AGREEMENT_ATOL:g}): did you compute another score (the NMI?), "
        f"or compare other columns? ({hint})."
    )
