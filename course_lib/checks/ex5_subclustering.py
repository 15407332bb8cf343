"""Checks of exercise 5 (chapter 5): the T/NK subset and its re-analysis.

Examples
--------
>>> from course_lib import checks
>>> checks.check_tnk_subset(tnk)  # doctest: +SKIP
✔ tnk: 3,863 cells, the T and NK clusters without the flagged ones.
"""

from __future__ import annotations

import math

import anndata as ad
import numpy as np

from .._validation import require_obsm
from ..defaults import (
    HARMONY_KEY,
    LINEAGE_KEY,
    N_TOP_GENES,
    NK_MARKERS,
    SAMPLE_KEY,
    T_MARKERS,
    leiden_key,
)
from ._feedback import (
    cluster_labels,
    fail,
    passed,
    recorded,
    require_adata,
    student_facing,
    validated,
)
from .references import (
    UNCORRECTED_KEY,
    cells_only,
    reference_data,
    reference_hvg,
    reference_leiden,
)
from .scores import (
    TECHNICAL,
    ari,
    hvg_overlap,
    knn_overlap,
    leiden_score,
    matches_uncorrected,
    subset_precision_recall,
)
from .thresholds import (
    HVG_MIN_OVERLAP,
    HVG_STRICT_OVERLAP,
    KNN_MIN_OVERLAP,
    SUBCLUSTER_MIN_ARI,
    SUBCLUSTER_STRICT_ARI,
    SUBSET_MIN,
    SUBSET_STRICT,
)


def _exercise_cells(tnk: ad.AnnData, reference: ad.AnnData | None) -> ad.AnnData:
    """The reference data, after failing unless ``tnk`` holds only its cells."""
    ref = reference_data(reference)
    if not tnk.obs_names.isin(ref.obs_names).all():
        fail("the cells of `tnk` are not cells of the exercise data; take them from `adata`.")
    return ref


def _full_rows(tnk: ad.AnnData, ref: ad.AnnData, rep: str) -> bool:
    """Whether ``tnk.obsm[rep]`` is the full data's ``obsm[rep]`` of the same cells."""
    if rep not in tnk.obsm or rep not in ref.obsm:
        return False
    own, full = np.asarray(tnk.obsm[rep]), np.asarray(ref[tnk.obs_names].obsm[rep])
    return own.shape == full.shape and np.allclose(own, full, atol=1e-5)


@student_facing
def check_tnk_subset(
    tnk: ad.AnnData, *, strict: bool = False, reference: ad.AnnData | None = None
) -> None:
    """Check the T/NK subset: nearly all of its cells are T or NK cells (doublets and damaged
    cells count against it), and nearly all T and NK cells are in it. Judged on the
    simulation's truth, which students do not use.

    Parameters
    ----------
    tnk
        The student's subset of the course data.
    strict
        Hidden test: :data:`SUBSET_STRICT` instead of :data:`SUBSET_MIN`.
    reference
        Data holding the truth (``obs['lineage_truth']``); ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_tnk_subset(tnk)  # doctest: +SKIP
    ✔ tnk: 3,863 cells, the T and NK clusters without the flagged ones.
    """
    hint = (
        "flag the clusters with an odd QC profile (`course_lib.qc_by_cluster`), then choose by "
        "markers among the others (`course_lib.t_nk_clusters` takes the flagged clusters as "
        "`exclude=`) and take the cells out with `course_lib.subset_from_raw`; see chapter 5, "
        "*Where are the T and NK cells?* and *Taking the subset out*"
    )
    t_markers = ", ".join(T_MARKERS)
    tnk = require_adata(tnk, "tnk")
    ref = reference_data(reference)
    if tnk.is_view:
        fail(f"`tnk` is a view of `adata`; it must be a new AnnData ({hint}).")
    if not tnk.obs_names.isin(ref.obs_names).all():
        fail(f"the cells of `tnk` are not cells of the exercise data ({hint}).")
    precision, recall = subset_precision_recall(ref, tnk.obs_names)
    min_precision, min_recall = SUBSET_STRICT if strict else SUBSET_MIN
    if recall < min_recall:
        fail(
            f"`tnk` misses {1 - recall:.0%} of the T and NK cells. Did you include every "
            f"cluster high in the T marker ({t_markers}) *or* in the NK markers "
            f"({', '.join(NK_MARKERS)})? NK cells lack {t_markers} ({hint})."
        )
    if precision < min_precision:
        truth = ref.obs[LINEAGE_KEY].astype(str)
        technical = tnk.obs_names.isin(ref.obs_names[truth.isin(TECHNICAL).to_numpy()])
        n_technical = int(technical.sum())
        if subset_precision_recall(ref, tnk.obs_names[~technical])[0] >= min_precision:
            fail(
                f"`tnk` keeps {n_technical} cells of clusters whose QC profile marks them as "
                f"doublets or damaged cells: {1 - precision:.1%} of its cells are not T or NK "
                f"cells. Chapter 5 leaves the flagged clusters out before choosing by markers "
                f"({hint})."
            )
        fail(
            f"{1 - precision:.1%} of the cells in `tnk` are not T or NK cells. Keep only the "
            f"clusters high in {t_markers} or in {'/'.join(NK_MARKERS)} ({hint})."
        )
    passed(f"tnk: {tnk.n_obs:,} cells, the T and NK clusters without the flagged ones.")


@student_facing
def check_subset_hvg(
    tnk: ad.AnnData,
    *,
    n_top_genes: int = N_TOP_GENES,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check that the highly variable genes were chosen again within the subset.

    Parameters
    ----------
    tnk
        The student's subset with ``var['highly_variable']``.
    n_top_genes
        Number of genes the question asks for.
    strict
        Hidden test: overlap >= :data:`HVG_STRICT_OVERLAP`.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_subset_hvg(tnk)  # doctest: +SKIP
    ✔ tnk: 2,000 highly variable genes chosen within the subset.
    """
    hint = (
        f"`sc.pp.highly_variable_genes` on the subset, with `n_top_genes={n_top_genes}` and "
        f"`batch_key={SAMPLE_KEY!r}` so genes vary within samples; see chapter 5, *Highly variable "
        f"genes within the subset*"
    )
    tnk = require_adata(tnk, "tnk")
    ref = _exercise_cells(tnk, reference)
    if "highly_variable" not in tnk.var:
        fail(f"`tnk.var` has no column 'highly_variable' ({hint}).")
    genes = set(tnk.var_names[tnk.var["highly_variable"].astype(bool).to_numpy()])
    expected = reference_hvg(ref, tnk.obs_names, n_top_genes=n_top_genes)
    full = set(ref.var_names[ref.var["highly_variable"]]) if "highly_variable" in ref.var else set()
    overlap = hvg_overlap(genes, expected)
    threshold = HVG_STRICT_OVERLAP if strict else HVG_MIN_OVERLAP
    if overlap < threshold:
        if full and hvg_overlap(genes, full) > overlap:
            fail(
                f"`tnk.var['highly_variable']` holds the full data's variable genes; the "
                f"genes that vary *within* the T and NK cells are others ({hint})."
            )
        fail(
            f"{len(genes):,} genes are marked variable, and they share only {overlap:.0%} with "
            f"the genes that vary within the subset ({hint})."
        )
    passed(f"tnk: {len(genes):,} highly variable genes chosen within the subset.")


@student_facing
def check_subset_embedding(
    tnk: ad.AnnData, *, strict: bool = False, reference: ad.AnnData | None = None
) -> None:
    """Check that PCA and Harmony were run again on the subset.

    Parameters
    ----------
    tnk
        The student's subset with ``obsm['X_pca']`` and ``obsm['X_pca_harmony']``.
    strict
        Hidden test: also require the parameters scanpy and :func:`course_lib.run_harmony`
        record (``uns['pca']``, ``uns['harmony']['params']['batch_key'] == 'sample'``).
    reference
        Data the full embedding is read from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_subset_embedding(tnk)  # doctest: +SKIP
    ✔ tnk: PCA and Harmony recomputed on the subset (30 components).
    """
    hint = (
        "on the subset's variable genes, scale (`sc.pp.scale`), run `sc.pp.pca`, then "
        "`course_lib.run_harmony` with the sample as batch; see chapter 5, *Rerunning the "
        "pipeline on the subset*"
    )
    tnk = require_adata(tnk, "tnk")
    ref = _exercise_cells(tnk, reference)
    for rep in (UNCORRECTED_KEY, HARMONY_KEY):
        validated(
            require_obsm,
            tnk,
            rep,
            missing=f"`tnk.obsm` has no {rep!r}; present: {sorted(tnk.obsm)} ({hint}).",
        )
        if _full_rows(tnk, ref, rep):
            fail(
                f"`tnk.obsm[{rep!r}]` is the full data's embedding of these cells; it was "
                f"computed with all cell types, so compute it again on the subset ({hint})."
            )
    pca, harmony = np.asarray(tnk.obsm[UNCORRECTED_KEY]), np.asarray(tnk.obsm[HARMONY_KEY])
    if pca.shape == harmony.shape and np.allclose(pca, harmony):
        fail(f"`tnk.obsm[{HARMONY_KEY!r}]` equals the uncorrected PCA; run Harmony ({hint}).")
    if strict:
        if "pca" not in tnk.uns:
            fail(f"`tnk.uns['pca']` is missing; `sc.pp.pca` records it ({hint}).")
        if recorded(tnk, "harmony", "batch_key") != SAMPLE_KEY:
            fail(
                f"`tnk.uns['harmony']['params']` does not say Harmony corrected for {SAMPLE_KEY!r} "
                f"({hint})."
            )
    passed(f"tnk: PCA and Harmony recomputed on the subset ({harmony.shape[1]} components).")


@student_facing
def check_subclustering(
    tnk: ad.AnnData,
    resolution: float = 0.6,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Leiden subclustering of the T/NK subset on a graph of its own Harmony embedding.

    The references are Leiden clusterings (seeds :data:`REFERENCE_SEEDS`) of a kNN graph
    built on the student's ``tnk.obsm['X_pca_harmony']``, so this question is scored on its
    own: the embedding itself is :func:`check_subset_embedding`'s question.

    Parameters
    ----------
    tnk
        The student's subset, with the subclustering in ``obs[key]``.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``leiden_key(resolution)``.
    strict
        Hidden test: ARI >= :data:`SUBCLUSTER_STRICT_ARI`, the recorded resolution, and the
        current graph built on the subset's own embedding (not the full data's).
    reference
        Data the full embedding is read from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_subclustering(tnk, 0.6)  # doctest: +SKIP
    ✔ tnk.obs['leiden_0.6']: 8 subclusters of the T/NK cells.
    """
    tnk = require_adata(tnk, "tnk")
    key = key or leiden_key(resolution)
    hint = (
        f"build a new kNN graph of the subset with `sc.pp.neighbors` on the subset's own "
        f"Harmony embedding (`use_rep=`), then `sc.tl.leiden` with `resolution=` "
        f"{resolution:g} and `key_added=` {key!r}; see chapter 5, *Rerunning the pipeline on "
        f"the subset*"
    )
    labels = cluster_labels(tnk, key, hint, name="tnk")
    ref = _exercise_cells(tnk, reference)
    validated(
        require_obsm,
        tnk,
        HARMONY_KEY,
        missing=(
            f"`tnk.obsm` has no {HARMONY_KEY!r}, the subset's own Harmony embedding (the "
            f"previous question) ({hint})."
        ),
    )
    used_resolution = recorded(tnk, key, "resolution")
    if used_resolution is not None and not math.isclose(float(used_resolution), resolution):
        fail(
            f"`tnk.obs[{key!r}]` was computed with resolution={float(used_resolution):g}; the "
            f"question asks for {resolution:g} ({hint})."
        )
    if strict and used_resolution is None:
        fail(f"`tnk.uns[{key!r}]['params']` is missing; `sc.tl.leiden` records it ({hint}).")
    if strict:
        used_rep = recorded(tnk, "neighbors", "use_rep")
        if "distances" not in tnk.obsp or used_rep is None or used_rep not in tnk.obsm:
            fail(f"`tnk` has no kNN graph of its own with a recorded `use_rep` ({hint}).")
        if _full_rows(tnk, ref, used_rep) or used_rep.endswith("_full"):
            fail(
                f"the graph of `tnk` was built on {used_rep!r}, the full data's embedding; "
                f"build it on the subset's own ({hint})."
            )
        if knn_overlap(tnk, tnk, used_rep) < KNN_MIN_OVERLAP:
            fail(
                f"the kNN graph in `tnk` is not the graph of `tnk.obsm[{used_rep!r}]` (was it "
                f"inherited from the full data?) ({hint})."
            )
    subset = cells_only(tnk, (HARMONY_KEY, UNCORRECTED_KEY))
    score = leiden_score(labels, subset, resolution)
    threshold = SUBCLUSTER_STRICT_ARI if strict else SUBCLUSTER_MIN_ARI
    if score < threshold:
        if UNCORRECTED_KEY in subset.obsm and matches_uncorrected(
            ari(labels, reference_leiden(subset, resolution, rep=UNCORRECTED_KEY)), score
        ):
            fail(
                "this subclustering matches the subset's uncorrected PCA better than its "
                f"Harmony embedding ({hint})."
            )
        fail(
            f"`tnk.obs[{key!r}]` agrees poorly with Leiden at resolution {resolution:g} on a "
            f"graph of the subset's own Harmony embedding (ARI {score:.2f}, need ≥ "
            f"{threshold}) ({hint})."
        )
    passed(f"tnk.obs[{key!r}]: {labels.nunique()} subclusters of the T/NK cells.")
