"""Check of exercise 3 (chapter 3): a Ward tree of the Harmony embedding, cut at k.

Exercise 3 also asks :func:`~course_lib.checks.check_agreement` (Ward against Leiden) and
:func:`~course_lib.checks.check_lineage_clusters` (the platelet clusters of the cut).

Examples
--------
>>> from course_lib import checks
>>> checks.check_ward(adata, 10)  # doctest: +SKIP
✔ obs['ward_10']: 10 clusters, the Ward tree of 'X_pca_harmony' cut at 10.
"""

from __future__ import annotations

import anndata as ad

from ..defaults import HARMONY_KEY
from ._feedback import (
    answer_labels,
    check_count,
    fail,
    passed,
    recorded,
    require_adata,
    student_facing,
)
from .reference_answers import UNCORRECTED_KEY, reference_ward
from .scores import ari
from .thresholds import WARD_MIN_ARI


@student_facing
def check_ward(
    adata: ad.AnnData,
    k: int = 10,
    *,
    key: str | None = None,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Ward hierarchical clustering of the Harmony embedding cut at ``k`` clusters.

    The labels in ``obs[key]`` must form ``k`` clusters and agree, by the adjusted Rand
    index, with the Ward tree of the course data's Harmony embedding cut at ``k``
    (ARI >= :data:`~course_lib.checks.thresholds.WARD_MIN_ARI`), whatever tool built the
    tree. When they do not, the recorded parameters (``adata.uns[key]['params']``) and the
    agreement with other linkages and with the uncorrected PCA name the mistake.

    Parameters
    ----------
    adata
        The student's data.
    k
        Number of clusters the question asks for.
    key
        ``obs`` column of the answer; default ``f"ward_{k}"``.
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
    >>> check_ward(adata, 10)  # doctest: +SKIP
    ✔ obs['ward_10']: 10 clusters, the Ward tree of 'X_pca_harmony' cut at 10.
    """
    adata = require_adata(adata)
    key = key or f"ward_{k}"
    hint = (
        "`hierarchical` from `course_lib.tl` builds the tree and cuts it: "
        "`n_clusters=` says into how many clusters, `use_rep=` on which embedding and "
        "`method=` with which linkage; see chapter 3, *Ward linkage on Euclidean distances*"
    )
    labels, ref = answer_labels(adata, key, hint, reference)
    check_count(labels, key, k, hint)
    score = ari(labels, reference_ward(ref, k))
    if score >= WARD_MIN_ARI:
        passed(f"obs[{key!r}]: {k} clusters, the Ward tree of {HARMONY_KEY!r} cut at {k}.")
        return
    used_rep, method = recorded(adata, key, "use_rep"), recorded(adata, key, "method")
    if used_rep not in (None, HARMONY_KEY):
        fail(
            f"`obs[{key!r}]` was computed on {used_rep!r} (see `adata.uns[{key!r}]['params']`); "
            f"the question asks for the Harmony-corrected embedding ({hint})."
        )
    if method not in (None, "ward"):
        fail(
            f"`obs[{key!r}]` was computed with {method!r} linkage (see "
            f"`adata.uns[{key!r}]['params']`); the question asks for Ward linkage ({hint})."
        )
    alternatives = {
        linkage: ari(labels, reference_ward(ref, k, linkage=linkage))
        for linkage in ("average", "complete", "single")
    }
    alternatives["uncorrected"] = ari(labels, reference_ward(ref, k, rep=UNCORRECTED_KEY))
    closest = max(alternatives, key=alternatives.__getitem__)
    if alternatives[closest] > score and closest == "uncorrected":
        fail(
            f"`obs[{key!r}]` matches the Ward tree of the uncorrected PCA better than that "
            f"of the Harmony embedding ({hint})."
        )
    if alternatives[closest] > score:
        fail(
            f"`obs[{key!r}]` looks like {closest} linkage; the question asks for Ward "
            f"linkage ({hint})."
        )
    fail(
        f"`obs[{key!r}]` agrees poorly with the Ward tree of the Harmony embedding cut at "
        f"{k} clusters (ARI {score:.2f}, need ≥ {WARD_MIN_ARI}) ({hint})."
    )
