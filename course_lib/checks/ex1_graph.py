"""Checks of exercise 1 (chapter 1): the kNN graph, Leiden clusterings and their agreement.

``check_agreement`` is asked again in exercises 2 and 3 (k-means and Ward against Leiden).

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
from .references import REFERENCE_SEEDS, UNCORRECTED_KEY, reference_data, reference_leiden
from .scores import ari, count_range, knn_overlap, leiden_score, matches_uncorrected
from .thresholds import KNN_MIN_OVERLAP, LEIDEN_MIN_ARI, LEIDEN_STRICT_ARI

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
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the kNN graph: built on the Harmony embedding with ``n_neighbors`` neighbours.

    Parameters
    ----------
    adata
        The student's data after ``sc.pp.neighbors``.
    n_neighbors
        Neighbours per cell the question asks for.
    strict
        Hidden test: also compare the graph's neighbours with the exact kNN on Harmony.
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
    >>> sc.pp.neighbors(adata, use_rep="X_pca_harmony")  # doctest: +SKIP
    >>> check_neighbors(adata)  # doctest: +SKIP
    ✔ kNN graph on 'X_pca_harmony' with 15 neighbours.
    """
    adata = require_adata(adata)
    ref = reference_data(reference)
    aligned(adata, ref)
    hint = f"{GRAPH_HINT}; `n_neighbors=` sets the neighbours per cell ({n_neighbors} here)"
    if "neighbors" not in adata.uns or "connectivities" not in adata.obsp:
        fail(f"`adata` has no kNN graph yet. {hint}.")
    use_rep = recorded(adata, "neighbors", "use_rep")
    if use_rep is None:
        fail(
            f"the graph does not say which embedding it was built on (no "
            f"`use_rep` in `adata.uns['neighbors']['params']`). {hint}."
        )
    if use_rep != HARMONY_KEY:
        uncorrected = " (the uncorrected PCA, which keeps the sample effect)" * (
            use_rep == UNCORRECTED_KEY
        )
        fail(f"the graph was built on {use_rep!r}{uncorrected}. {hint}.")
    recorded_k = recorded(adata, "neighbors", "n_neighbors")
    if recorded_k != n_neighbors:
        fail(
            f"the graph has n_neighbors={recorded_k}; the question asks for {n_neighbors}. {hint}."
        )
    if strict:
        overlap = knn_overlap(adata, ref)
        if overlap < KNN_MIN_OVERLAP:
            fail(
                f"only {overlap:.0%} of the graph's neighbours are neighbours in the Harmony "
                f"embedding (was the graph edited, or its parameters?). {hint}."
            )
    passed(f"kNN graph on {HARMONY_KEY!r} with {n_neighbors} neighbours.")


@student_facing
def check_leiden(
    adata: ad.AnnData,
    resolution: float,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Leiden clustering of the Harmony graph at ``resolution``.

    Parameters
    ----------
    adata
        The student's data.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``leiden_key(resolution)``, e.g. ``"leiden_0.6"``.
    strict
        Hidden test: require the recorded parameters and ARI >= :data:`LEIDEN_STRICT_ARI`.
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
    >>> sc.tl.leiden(adata, resolution=0.6, key_added="leiden_0.6")  # doctest: +SKIP
    >>> check_leiden(adata, 0.6)  # doctest: +SKIP
    ✔ obs['leiden_0.6']: 13 clusters, agrees with the reference clustering at resolution 0.6.
    """
    adata = require_adata(adata)
    key = key or leiden_key(resolution)
    hint = (
        f"`sc.tl.leiden` takes `resolution=` ({resolution:g} here) and `key_added=`, the `obs` "
        f"column ({key!r}); see chapter 1, *Leiden clustering at four resolutions*"
    )
    labels, ref = answer_labels(adata, key, hint, reference)

    used_resolution = recorded(adata, key, "resolution")
    if used_resolution is not None and not math.isclose(float(used_resolution), resolution):
        fail(
            f"`obs[{key!r}]` was computed with resolution={float(used_resolution):g} (see "
            f"`adata.uns[{key!r}]['params']`); the question asks for resolution "
            f"{resolution:g}. {hint}."
        )
    if strict and used_resolution is None:
        fail(
            f"`adata.uns[{key!r}]['params']` is missing, so the resolution cannot be "
            f"verified; cluster with `sc.tl.leiden`, which records it ({hint})."
        )

    used_rep = recorded(adata, "neighbors", "use_rep")
    references = [reference_leiden(ref, resolution, seed=s) for s in REFERENCE_SEEDS]
    score = leiden_score(labels, ref, resolution)
    threshold = LEIDEN_STRICT_ARI if strict else LEIDEN_MIN_ARI
    n_clusters = labels.nunique()
    low, high = count_range(float(np.median([r.nunique() for r in references])))
    if score < threshold or not low <= n_clusters <= high:
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
            f"Harmony graph (ARI {score:.2f}, need ≥ {threshold}). Check the graph "
            f"({GRAPH_HINT}) and the clustering ({hint})."
        )
    if strict and used_rep != HARMONY_KEY:
        built = f"was built on {used_rep!r}" if used_rep else "has no recorded `use_rep`"
        fail(
            f"the kNN graph in `adata` {built}; rebuild it ({GRAPH_HINT}) and cluster "
            f"it again ({hint})."
        )
    passed(
        f"obs[{key!r}]: {n_clusters} clusters, agrees with the reference clustering at "
        f"resolution {resolution:g}."
    )


@student_facing
def check_agreement(value: Any, adata: ad.AnnData, key_a: str, key_b: str) -> None:
    """Check an adjusted Rand index the student computed between two of their clusterings.

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
        Naming the mistake and the fix.

    Examples
    --------
    >>> ari = course_lib.agreement(adata, "leiden_0.6", "leiden_1.0")["ari"]  # doctest: +SKIP
    >>> check_agreement(ari, adata, "leiden_0.6", "leiden_1.0")  # doctest: +SKIP
    ✔ ARI between 'leiden_0.6' and 'leiden_1.0' is right.
    """
    adata = require_adata(adata)
    hint = (
        "`course_lib.agreement` compares two `obs` columns and returns a dict with the ARI "
        "and the NMI (`sklearn.metrics.adjusted_rand_score` gives the ARI alone); see "
        "chapter 2, *K-means versus Leiden*"
    )
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
    if not math.isclose(float(value), expected, abs_tol=1e-6):
        if not -0.5 <= float(value) <= 1:
            fail(f"an ARI lies between -0.5 and 1, yours is {float(value):.3g} ({hint}).")
        fail(
            f"{float(value):.3f} is not the ARI between {key_a!r} and {key_b!r} in `adata` "
            f"(did you compute the NMI, or compare other columns?) ({hint})."
        )
    passed(f"ARI between {key_a!r} and {key_b!r} is right.")
