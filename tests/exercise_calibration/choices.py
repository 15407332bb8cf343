"""Spreads of the questions that choose clusters or cells (exercises 1, 3, 4 and 5)."""

from __future__ import annotations

import anndata as ad
import pandas as pd
import scanpy as sc

from course_lib.checks.reference_answers import UNCORRECTED_KEY, cells_only, reference_hvg
from course_lib.checks.scores import (
    DOUBLET,
    doublet_precision_recall,
    hvg_overlap,
    leiden_score,
)
from course_lib.defaults import HARMONY_KEY, LINEAGE_KEY, N_TOP_GENES, SAMPLE_KEY, TRUTH_KEY
from course_lib.tl import qc_by_cluster, subset_from_raw

from .answers import chapter_subset, clustered, doublet_candidates, leiden_answer, rerun_subset
from .spread import LEGIT_SEEDS, Spread

RUNS = ((0, "igraph"), (1, "leidenalg"))
"""Leiden (seed, flavour) of the clusterings chosen from. With igraph seed 2 chapter 5's
rule leaves out a flagged 1,238-cell T cluster (recall 0.70): that partition is not used."""


def share_spread(ref: ad.AnnData, lineage: str, clusterings: dict[str, pd.Series]) -> Spread:
    """Share of ``lineage`` cells in each cluster, the quantity the cluster-choice questions
    are judged by (a cluster is of a lineage when most of its cells are:
    :func:`~course_lib.checks.scores.mostly`).

    Parameters
    ----------
    ref
        Prepared data with ``obs['lineage_truth']``.
    lineage
        A value of ``obs['lineage_truth']``, e.g. ``"B"`` or ``"T/NK"``.
    clusterings
        Labels of each clustering (indexed by cell name), by description.

    Returns
    -------
    A :class:`Spread`: ``legit`` the lowest share of a cluster of the lineage in each
    clustering, ``wrong`` the highest share of any other cluster; far from 0.5 on both
    sides when the question has one answer.

    Examples
    --------
    >>> runs = {"seed 0": clustered(course_lib.load_integrated(), 0, "igraph").obs["l"]}
    >>> share_spread(course_lib.load_integrated(), "B", runs).legit_min  # doctest: +SKIP
    0.985
    """
    spread = Spread()
    is_lineage = ref.obs[LINEAGE_KEY].astype(str) == lineage
    for name, labels in clusterings.items():
        labels = labels.astype(str).reindex(ref.obs_names)
        shares = is_lineage.groupby(labels.to_numpy()).mean()
        spread.legit[f"{lineage} clusters, {name}"] = float(shares[shares > 0.5].min())
        spread.wrong[f"other clusters, {name}"] = float(shares[shares <= 0.5].max())
    return spread


def doublet_spread(
    ref: ad.AnnData, *, runs: tuple[tuple[int, str], ...] = RUNS
) -> tuple[Spread, Spread]:
    """Precision and recall (as :func:`course_lib.checks.check_doublet_clusters`) of doublet
    cluster choices.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph and ``obs['cell_type_truth']``.
    runs
        Leiden (seed, flavour) of the clusterings.

    Returns
    -------
    ``(precision, recall)`` :class:`Spread` s; legitimate: the high-count clusters with
    the markers of two lineages (chapter 4's rule); wrong: plus the low-quality cluster,
    plus the other flagged clusters, and only one of the doublet clusters.

    Examples
    --------
    >>> precision, recall = doublet_spread(course_lib.load_integrated())  # doctest: +SKIP
    """
    precision, recall = Spread(), Spread()
    for seed, flavor in runs:
        data = clustered(ref, seed, flavor)
        labels = data.obs["l"].astype(str)
        is_doublet = data.obs[TRUTH_KEY].astype(str) == DOUBLET

        def score(
            clusters: list[str], labels: pd.Series = labels, is_doublet: pd.Series = is_doublet
        ) -> tuple[float, float]:
            return doublet_precision_recall(labels, is_doublet, clusters)

        qc = qc_by_cluster(data, "l")
        doublets = doublet_candidates(data, "l")
        name = f"{flavor} seed {seed}"
        precision.legit[name], recall.legit[name] = score(doublets)
        others = [c for c in qc.index[qc["flagged"]] if c not in doublets]
        lowq = [c for c in others if qc.loc[c, "low_counts"] or qc.loc[c, "high_pct_mt"]]
        for extra in others:
            kind = "low-quality" if extra in lowq else "other flagged"
            precision.wrong[f"plus {kind} {extra}, {name}"] = score([*doublets, extra])[0]
        for dropped in doublets:
            recall.wrong[f"without {dropped}, {name}"] = score(
                [c for c in doublets if c != dropped]
            )[1]
    return precision, recall


def hvg_spread(ref: ad.AnnData) -> Spread:
    """Overlap of gene sets with the subset's own variable genes (``hvg_overlap``).

    Returns
    -------
    A :class:`Spread`; legitimate: the same call; wrong: the full data's variable genes and
    the genes chosen without ``batch_key``.

    Examples
    --------
    >>> hvg_spread(course_lib.load_integrated()).wrong_max  # doctest: +SKIP
    """
    data = clustered(ref, 0, "igraph")
    cells = data.obs_names[data.obs["l"].isin(chapter_subset(data, "l"))]
    expected = reference_hvg(ref, cells)
    tnk = subset_from_raw(data, "l", chapter_subset(data, "l"))
    sc.pp.highly_variable_genes(tnk, n_top_genes=N_TOP_GENES, batch_key=SAMPLE_KEY)
    spread = Spread()
    spread.legit["same call"] = hvg_overlap(
        set(tnk.var_names[tnk.var["highly_variable"]]), expected
    )
    full = set(ref.var_names[ref.var["highly_variable"]])
    spread.wrong["full data's genes"] = hvg_overlap(full, expected)
    sc.pp.highly_variable_genes(tnk, n_top_genes=N_TOP_GENES)
    spread.wrong["without batch_key"] = hvg_overlap(
        set(tnk.var_names[tnk.var["highly_variable"]]), expected
    )
    return spread


def subcluster_spread(
    ref: ad.AnnData, resolution: float = 0.6, *, seeds: tuple[int, ...] = LEGIT_SEEDS[:2]
) -> Spread:
    """Scores of subclusterings of chapter 5's T/NK subset against the check's references.

    The subset is taken with chapter 5's rule and run through exercise 5's pipeline
    (:func:`rerun_subset`); the references are built on that embedding, as the check
    builds them on the student's.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph (Harmony) in ``obsp``.
    resolution
        Resolution the question asks for.
    seeds
        Seeds of the legitimate answers, each with both flavours.

    Returns
    -------
    A :class:`Spread`; wrong answers: the subset's graph on its uncorrected PCA,
    resolution 0.2, the full data's clusters kept, and Leiden on a graph of the full data's
    Harmony embedding (the old exercise's answer).

    Examples
    --------
    >>> subcluster_spread(course_lib.load_integrated()).legit_min  # doctest: +SKIP
    0.8
    """
    full = clustered(ref, 0, "igraph")
    tnk = subset_from_raw(full, "l", chapter_subset(full, "l"))
    rerun_subset(tnk)
    subset = cells_only(tnk, (HARMONY_KEY, UNCORRECTED_KEY))
    spread = Spread()
    for seed in seeds:
        for flavor in ("igraph", "leidenalg"):
            labels = leiden_answer(subset, HARMONY_KEY, resolution, seed, flavor)
            spread.legit[f"{flavor} seed {seed}"] = leiden_score(labels, subset, resolution)
    seed = seeds[0]
    labels = leiden_answer(subset, UNCORRECTED_KEY, resolution, seed, "igraph")
    spread.wrong["X_pca"] = leiden_score(labels, subset, resolution)
    labels = leiden_answer(subset, HARMONY_KEY, 0.2, seed, "igraph")
    spread.wrong["resolution 0.2"] = leiden_score(labels, subset, resolution)
    spread.wrong["full data's clusters"] = leiden_score(
        full.obs.loc[tnk.obs_names, "l"], subset, resolution
    )
    old = cells_only(ref[tnk.obs_names])
    labels = leiden_answer(old, HARMONY_KEY, resolution, seed, "igraph")
    spread.wrong["graph of the full data's embedding"] = leiden_score(labels, subset, resolution)
    return spread
