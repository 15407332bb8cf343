"""Answers as students make them, right or wrong, built with the course's own rules.

Every rule comes from where the course defines it: the settings from
:mod:`course_lib.defaults`, the T/NK rule from :func:`course_lib.tl.t_nk_clusters`, the
QC flags from :func:`course_lib.tl.qc_by_cluster`, the Leiden options and the light copy
of the cells from :mod:`course_lib.checks.reference_answers`.
"""

from __future__ import annotations

import anndata as ad
import pandas as pd
import scanpy as sc

from course_lib.checks.reference_answers import UNCORRECTED_KEY, cells_only, leiden_options
from course_lib.defaults import (
    HARMONY_KEY,
    N_NEIGHBORS,
    N_PCS,
    N_TOP_GENES,
    NK_MARKERS,
    SAMPLE_KEY,
    T_MARKERS,
)
from course_lib.pp import run_harmony
from course_lib.tl import qc_by_cluster, t_nk_clusters

CHAPTER_RESOLUTION = 0.6
"""Resolution of the clustering chapters 4 and 5 choose clusters from."""

LINEAGE_MARKERS = {
    "T": T_MARKERS[0],
    "NK": NK_MARKERS[0],
    "B": "MS4A1",
    "Plasmablast": "JCHAIN",
    "Monocyte": "CD14",
    "pDC": "LILRA4",
    "Platelet": "PPBP",
}
"""One marker per lineage, as in chapter 4's search for doublets (two lineages' markers)."""


def leiden_answer(
    ref: ad.AnnData, rep: str, resolution: float, seed: int, flavor: str
) -> pd.Series:
    """A student's Leiden labels: a kNN graph on ``ref.obsm[rep]``, then Leiden, one seed.

    Examples
    --------
    >>> leiden_answer(adata, "X_pca_harmony", 0.6, 3, "leidenalg").nunique()  # doctest: +SKIP
    13
    """
    graph = graph_answer(ref, rep, seed)
    options = leiden_options(flavor)
    sc.tl.leiden(graph, resolution=resolution, random_state=seed, key_added="answer", **options)
    return graph.obs["answer"].copy()


EXACT_KNN_CELLS = 8192
"""Below this many cells scanpy's kNN search is exact, so the graph does not depend on the
seed (checked in ``tests/test_calibration.py``) and is built once per data and embedding."""

_GRAPHS: dict[tuple, tuple[ad.AnnData, ad.AnnData]] = {}
_LABELS: dict[tuple, tuple[ad.AnnData, pd.Series]] = {}


def graph_answer(ref: ad.AnnData, rep: str, seed: int) -> ad.AnnData:
    """A student's kNN graph on ``ref.obsm[rep]`` (the course's ``n_neighbors``), one seed.

    Built once per data and embedding when the search is exact (:data:`EXACT_KNN_CELLS`);
    callers may add ``obs`` columns to it but not change the graph.
    """
    key = (id(ref), rep, None if ref.n_obs < EXACT_KNN_CELLS else seed)
    if key not in _GRAPHS:
        graph = cells_only(ref, [rep])
        sc.pp.neighbors(graph, n_neighbors=N_NEIGHBORS, use_rep=rep, random_state=seed)
        _GRAPHS[key] = (ref, graph)  # ref is kept so that its id is not reused
    return _GRAPHS[key][1]


def clustered(ref: ad.AnnData, seed: int, flavor: str) -> ad.AnnData:
    """The course data's cells with Leiden 0.6 (``obs['l']``) on the stored Harmony graph.

    The labels are computed once per data, seed and flavour.
    """
    data = ad.AnnData(obs=ref.obs.copy(), obsp=ref.obsp)
    data.uns["neighbors"] = ref.uns["neighbors"]
    data.raw = ref.raw.to_adata()
    key = (id(ref), seed, flavor)
    if key not in _LABELS:
        options = leiden_options(flavor)
        sc.tl.leiden(
            data, resolution=CHAPTER_RESOLUTION, random_state=seed, key_added="l", **options
        )
        _LABELS[key] = (ref, data.obs["l"].copy())
    data.obs["l"] = _LABELS[key][1]
    return data


def chapter_subset(
    data: ad.AnnData, key: str, *, exclude_flagged: bool = True, with_nk: bool = True
) -> list[str]:
    """Chapter 5's rule: T or NK clusters by markers, the QC-flagged clusters left out.

    ``exclude_flagged=False`` is the mistake of keeping the flagged clusters (doublets);
    ``with_nk=False`` that of choosing by the T marker only (NK cells lack it).

    Examples
    --------
    >>> chapter_subset(adata, "leiden_0.6")  # doctest: +SKIP
    ['0', '1', '3', '4', '8']
    """
    flagged = qc_by_cluster(data, key).query("flagged").index if exclude_flagged else []
    rule = t_nk_clusters(data, key, exclude=list(flagged))
    selected = rule["selected"] if with_nk else rule["is_t"] & ~rule["excluded"]
    return list(rule.index[selected])


def high_in(data: ad.AnnData, key: str, marker: str) -> pd.Series:
    """Whether each cluster is high in ``marker``: chapter 5's rule for one gene.

    The rule of :func:`course_lib.tl.t_nk_clusters` (a cluster's mean reaches
    ``T_NK_MIN_FRACTION`` of the top cluster's), which chapter 4 applies to one marker per
    lineage.
    """
    return t_nk_clusters(data, key, t_markers=[marker], nk_markers=[marker])["is_t"]


def doublet_candidates(data: ad.AnnData, key: str) -> list[str]:
    """Chapter 4's rule: flagged for high counts and high in the markers of two lineages.

    Examples
    --------
    >>> doublet_candidates(adata, "leiden_0.6")  # doctest: +SKIP
    ['12', '14']
    """
    qc = qc_by_cluster(data, key)
    high = pd.DataFrame({name: high_in(data, key, m) for name, m in LINEAGE_MARKERS.items()})
    two_lineages = high.sum(axis=1) >= 2
    return list(qc.index[qc["high_counts"] & two_lineages.reindex(qc.index)])


def rerun_subset(tnk: ad.AnnData, *, regress: bool = False, seed: int = 0) -> None:
    """Exercise 5's pipeline on a subset from :func:`course_lib.subset_from_raw`, in place.

    Variable genes within the subset (by sample), scaling, PCA and Harmony by sample; with
    ``regress=True`` also chapter 5's regression of counts and mitochondrial share before
    scaling. Sets ``tnk.obsm['X_pca']`` and ``tnk.obsm['X_pca_harmony']``.

    Examples
    --------
    >>> rerun_subset(tnk)  # doctest: +SKIP
    """
    sc.pp.highly_variable_genes(tnk, n_top_genes=N_TOP_GENES, batch_key=SAMPLE_KEY)
    hvg = tnk[:, tnk.var["highly_variable"]].copy()
    if regress:
        sc.pp.regress_out(hvg, ["total_counts", "pct_counts_mt"])
    sc.pp.scale(hvg, max_value=10)
    sc.pp.pca(hvg, n_comps=N_PCS, random_state=seed)
    run_harmony(hvg, SAMPLE_KEY, random_state=seed)
    tnk.obsm[UNCORRECTED_KEY] = hvg.obsm[UNCORRECTED_KEY]
    tnk.obsm[HARMONY_KEY] = hvg.obsm[HARMONY_KEY]
