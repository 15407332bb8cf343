"""Checks of exercise 5 (chapter 5): the T/NK subset, its variable genes and subclusters.

Every check judges the answer's values, never only their bookkeeping: the subset by the
clusters chosen (their cells, against the simulation's truth of the course data), the
variable genes against those chosen within the same cells, and the subclusters by their
graph (a kNN graph of the subset's own Harmony embedding) and their agreement with Leiden
on it; the subset's PCA and Harmony embedding are checked in
:mod:`course_lib.checks.ex5_embedding`. Recorded parameters (``uns[...]['params']``) only
help name a mistake.

Examples
--------
>>> from course_lib import checks
>>> checks.check_tnk_subset(tnk, tnk_clusters, adata)  # doctest: +SKIP
✔ tnk_clusters: 3 clusters, 3,833 cells: the T and NK clusters without the flagged ones.
"""

from __future__ import annotations

import math
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from .._validation import require_obsm
from ..defaults import (
    HARMONY_KEY,
    LINEAGE_KEY,
    N_TOP_GENES,
    NK_MARKERS,
    T_MARKERS,
    leiden_key,
)
from ._feedback import (
    CLUSTER_KEY,
    aligned,
    cluster_labels,
    fail,
    label_list,
    n_clusters_text,
    passed,
    recorded,
    require_adata,
    student_facing,
    validated,
)
from .reference_answers import (
    UNCORRECTED_KEY,
    cells_only,
    reference_data,
    reference_hvg,
    reference_leiden,
)
from .scores import (
    TECHNICAL,
    TNK_LINEAGE,
    ari,
    hvg_overlap,
    knn_overlap,
    leiden_score,
    matches_uncorrected,
    mostly,
)
from .thresholds import (
    HVG_MIN_OVERLAP,
    KNN_MIN_OVERLAP,
    SUBCLUSTER_MIN_ARI,
)

SUBSET_HINT = (
    "flag the clusters with an odd QC profile (`course_lib.qc_by_cluster`), then choose by "
    "markers among the others (`course_lib.t_nk_clusters` takes the flagged clusters as "
    "`exclude=`) and take the cells out with `course_lib.subset_from_raw`; see chapter 5, "
    "*Where are the T and NK cells?* and *Taking the subset out*"
)
"""Where to look when the T/NK subset is wrong."""


def exercise_cells(tnk: ad.AnnData, reference: ad.AnnData | None, hint: str) -> ad.AnnData:
    """The reference data, after failing unless ``tnk`` holds only its cells."""
    ref = reference_data(reference)
    if not tnk.obs_names.isin(ref.obs_names).all():
        fail(f"the cells of `tnk` are not cells of the exercise data ({hint}).")
    return ref


def full_rows(tnk: ad.AnnData, ref: ad.AnnData, rep: str) -> bool:
    """Whether ``tnk.obsm[rep]`` holds the full data's embedding of the same cells."""
    if rep not in tnk.obsm:
        return False
    own = np.asarray(tnk.obsm[rep])
    for full_key in (HARMONY_KEY, UNCORRECTED_KEY):
        full = np.asarray(ref[tnk.obs_names].obsm[full_key])
        if own.shape == full.shape and np.allclose(own, full, atol=1e-5):
            return True
    return False


def _judge_tnk_clusters(chosen: list[str], clusters: pd.Series, lineage: pd.Series) -> None:
    """Fail unless ``chosen`` names exactly the clusters that are mostly T or NK cells.

    ``lineage`` is the simulation's truth of each cell, in the order of ``clusters``.
    """
    t_markers = ", ".join(T_MARKERS)
    expected = set(mostly(clusters, lineage == TNK_LINEAGE))
    technical = set(mostly(clusters, lineage.isin(TECHNICAL)))
    extra, missing = set(chosen) - expected, expected - set(chosen)
    if extra & technical:
        fail(
            f"`tnk_clusters` keeps {n_clusters_text(sorted(extra & technical))} whose cells are "
            f"mostly doublets or damaged cells; some of them express T markers too. Chapter 5 "
            f"leaves the clusters flagged by their QC profile out before choosing by markers "
            f"({SUBSET_HINT})."
        )
    if extra:
        fail(
            f"`tnk_clusters` holds {n_clusters_text(sorted(extra))} whose cells are not T or NK "
            f"cells. Keep only the clusters high in {t_markers} or in {'/'.join(NK_MARKERS)} "
            f"({SUBSET_HINT})."
        )
    if missing:
        n_cells = int(clusters.isin(missing).sum())
        fail(
            f"`tnk_clusters` misses {n_clusters_text(sorted(missing))} of T or NK cells "
            f"({n_cells:,} cells). Did you include every cluster high in the T marker "
            f"({t_markers}) *or* in the NK markers ({', '.join(NK_MARKERS)})? NK cells lack "
            f"{t_markers} ({SUBSET_HINT})."
        )


@student_facing
def check_tnk_subset(
    tnk: ad.AnnData,
    tnk_clusters: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = CLUSTER_KEY,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the T/NK subset by the clusters chosen, and that ``tnk`` holds their cells.

    Each cluster of ``adata.obs[cluster_key]`` counts as a T/NK cluster when most of its
    cells (:func:`~course_lib.checks.scores.mostly`) are T or NK cells in the simulation's
    truth (of the course data, matched by cell name; the student's data do not hold it).
    ``tnk_clusters`` must name exactly those clusters, by any label type, and ``tnk`` must
    hold exactly their cells.

    Parameters
    ----------
    tnk
        The student's subset of the course data.
    tnk_clusters
        The student's chosen cluster labels (a list; one label works).
    adata
        The student's data, with the clustering in ``obs[cluster_key]``.
    cluster_key
        ``obs`` column the clusters are chosen from.
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
    >>> check_tnk_subset(tnk, tnk_clusters, adata)  # doctest: +SKIP
    ✔ tnk_clusters: 3 clusters, 3,833 cells: the T and NK clusters without the flagged ones.
    """
    tnk = require_adata(tnk, "tnk")
    adata = require_adata(adata)
    chosen = label_list(tnk_clusters, "tnk_clusters")
    if not chosen:
        fail(f"`tnk_clusters` is empty; choose the T and NK clusters ({SUBSET_HINT}).")
    clusters = cluster_labels(adata, cluster_key, "run the earlier cells")
    unknown = sorted(set(chosen) - set(clusters))
    if unknown:
        fail(
            f"{unknown} are not clusters of `adata.obs[{cluster_key!r}]`; its clusters are "
            f"{sorted(set(clusters), key=lambda c: (len(c), c))}."
        )
    ref = reference_data(reference)
    aligned(adata, ref)
    lineage = ref.obs[LINEAGE_KEY].astype(str).reindex(adata.obs_names)
    _judge_tnk_clusters(chosen, clusters, lineage)
    cells = set(adata.obs_names[clusters.isin(chosen).to_numpy()])
    differ = len(cells.symmetric_difference(tnk.obs_names))
    if differ or tnk.n_obs != len(cells):
        fail(
            f"`tnk` does not hold exactly the cells of the clusters in `tnk_clusters` "
            f"({differ:,} cells differ, {tnk.n_obs:,} in `tnk`); take the cells of those "
            f"clusters out of `adata` ({SUBSET_HINT})."
        )
    passed(
        f"tnk_clusters: {n_clusters_text(chosen)}, {tnk.n_obs:,} cells: the T and NK clusters "
        f"without the flagged ones."
    )


@student_facing
def check_subset_hvg(
    tnk: ad.AnnData, *, n_top_genes: int = N_TOP_GENES, reference: ad.AnnData | None = None
) -> None:
    """Check that the highly variable genes were chosen again within the subset.

    The genes marked in ``tnk.var['highly_variable']`` are compared (Jaccard overlap,
    :data:`~course_lib.checks.thresholds.HVG_MIN_OVERLAP`) with the genes chosen within
    the same cells from the course data, ranked within each sample.

    Parameters
    ----------
    tnk
        The student's subset with ``var['highly_variable']``.
    n_top_genes
        Number of genes the question asks for.
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
        "choose the genes with `sc.pp.highly_variable_genes` on the subset itself, as the "
        "question asks; see chapter 5, *Highly variable genes within the subset*"
    )
    tnk = require_adata(tnk, "tnk")
    ref = exercise_cells(tnk, reference, hint)
    if "highly_variable" not in tnk.var:
        fail(f"`tnk.var` has no column 'highly_variable' ({hint}).")
    genes = set(tnk.var_names[tnk.var["highly_variable"].astype(bool).to_numpy()])
    expected = reference_hvg(ref, tnk.obs_names, n_top_genes=n_top_genes)
    overlap = hvg_overlap(genes, expected)
    if overlap >= HVG_MIN_OVERLAP:
        passed(f"tnk: {len(genes):,} highly variable genes chosen within the subset.")
        return
    full = set(ref.var_names[ref.var["highly_variable"]]) if "highly_variable" in ref.var else set()
    if full and hvg_overlap(genes, full) > overlap:
        fail(
            f"`tnk.var['highly_variable']` holds the full data's variable genes; the genes "
            f"that vary *within* the T and NK cells are others ({hint})."
        )
    pooled = reference_hvg(ref, tnk.obs_names, n_top_genes=n_top_genes, batch_key=None)
    if hvg_overlap(genes, pooled) >= HVG_MIN_OVERLAP:
        fail(
            f"the {len(genes):,} genes were ranked over all cells of `tnk` together; the "
            f"question asks to rank them within each sample ({hint})."
        )
    fail(
        f"{len(genes):,} genes are marked variable (the question asks for {n_top_genes:,}), "
        f"and they share only {overlap:.0%} with the genes that vary within the subset ({hint})."
    )


def _graph_keys(tnk: ad.AnnData) -> list[str]:
    """The ``obsp`` keys of kNN distance graphs: ``distances`` first, then ``<key>_distances``."""
    keys = [key for key in tnk.obsp if str(key).endswith("distances")]
    return sorted(keys, key=lambda key: key != "distances")


def _own_graph(tnk: ad.AnnData, ref: ad.AnnData, hint: str) -> None:
    """Fail unless ``tnk`` holds a kNN graph of its own Harmony embedding."""
    keys = _graph_keys(tnk)
    if not keys:
        fail(f"`tnk` has no kNN graph (`tnk.obsp` holds {sorted(tnk.obsp) or 'nothing'}) ({hint}).")
    holder = cells_only(tnk, [HARMONY_KEY])
    best = max(
        knn_overlap(ad.AnnData(obs=holder.obs, obsp={"distances": tnk.obsp[key]}), holder)
        for key in keys
    )
    if best >= KNN_MIN_OVERLAP:
        return
    used_rep = recorded(tnk, "neighbors", "use_rep")
    full_graph = ref[tnk.obs_names].obsp["distances"] if "distances" in ref.obsp else None
    if full_graph is not None and any(
        tnk.obsp[key].shape == full_graph.shape and (tnk.obsp[key] != full_graph).nnz == 0
        for key in keys
    ):
        fail(
            "the kNN graph in `tnk` is the full data's graph of these cells, inherited with "
            f"the cells: its neighbours were found among all cell types ({hint})."
        )
    if isinstance(used_rep, str) and (used_rep.endswith("_full") or full_rows(tnk, ref, used_rep)):
        fail(
            f"the graph of `tnk` was built on {used_rep!r}, the full data's embedding; build it "
            f"on the subset's own ({hint})."
        )
    named = f" (it records `use_rep={used_rep!r}`)" if isinstance(used_rep, str) else ""
    fail(
        f"the kNN graph in `tnk` is not a graph of `tnk.obsm[{HARMONY_KEY!r}]`: only "
        f"{best:.0%} of each cell's neighbours are its neighbours there{named} ({hint})."
    )


@student_facing
def check_subclustering(
    tnk: ad.AnnData,
    resolution: float = 0.6,
    *,
    key: str | None = None,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Leiden subclustering of the T/NK subset on a graph of its own Harmony embedding.

    The graph itself is judged first: ``tnk.obsp['distances']`` must be a kNN graph of
    ``tnk.obsm['X_pca_harmony']`` (each cell's neighbours mostly its nearest there,
    :data:`~course_lib.checks.thresholds.KNN_MIN_OVERLAP`), and that embedding not the full
    data's. The labels are then compared with Leiden references (seeds
    :data:`~course_lib.checks.reference_answers.REFERENCE_SEEDS`) on a kNN graph of the same
    embedding, so this question is scored on its own: the embedding itself is
    :func:`~course_lib.checks.ex5_embedding.check_subset_embedding`'s question. A recorded
    resolution other than the one asked is named as the mistake.

    Parameters
    ----------
    tnk
        The student's subset, with the subclustering in ``obs[key]``.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``leiden_key(resolution)``.
    reference
        Data the full embedding and graph are read from; ``None`` for the course data.

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
        "build a new kNN graph of the subset on its own Harmony embedding, then cluster it "
        "with Leiden at the question's resolution; see chapter 5, *Rerunning the pipeline on "
        "the subset*"
    )
    labels = cluster_labels(tnk, key, hint, name="tnk")
    ref = exercise_cells(tnk, reference, hint)
    validated(
        require_obsm,
        tnk,
        HARMONY_KEY,
        missing=(
            f"`tnk.obsm` has no {HARMONY_KEY!r}, the subset's own Harmony embedding (the "
            f"previous question) ({hint})."
        ),
    )
    if full_rows(tnk, ref, HARMONY_KEY):
        fail(
            f"`tnk.obsm[{HARMONY_KEY!r}]` is the full data's embedding of these cells, so "
            f"the graph on it is not the subset's own; compute the subset's embedding (the "
            f"previous question) and build the graph on it ({hint})."
        )
    _own_graph(tnk, ref, hint)
    subset = cells_only(tnk, (HARMONY_KEY, UNCORRECTED_KEY))
    score = leiden_score(labels, subset, resolution)
    if score < SUBCLUSTER_MIN_ARI:
        used_resolution = recorded(tnk, key, "resolution")
        if used_resolution is not None and not math.isclose(float(used_resolution), resolution):
            fail(
                f"`tnk.obs[{key!r}]` was computed with resolution={float(used_resolution):g}; "
                f"the question asks for {resolution:g} ({hint})."
            )
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
            f"{SUBCLUSTER_MIN_ARI}) ({hint})."
        )
    passed(f"tnk.obs[{key!r}]: {labels.nunique()} subclusters of the T/NK cells.")
