"""Judgement questions: clusters chosen by their markers or their QC profile.

The student reads markers (exercises 1 and 3) or QC metrics (exercise 4) and names
clusters; the answer is judged by the cells those clusters hold, against the simulation's
truth the question does not use, so it does not depend on the clusters' numbers. The
student's data carry no truth (:func:`course_lib.load_exercise_data`): the checks take it,
by cell name, from the course data they load themselves, and never show it.

Examples
--------
>>> from course_lib import checks
>>> checks.check_doublet_clusters(doublet_clusters, adata)  # doctest: +SKIP
✔ doublet_clusters: 2 clusters, 111 cells, nearly all doublets.
"""

from __future__ import annotations

from typing import Any

import anndata as ad
import pandas as pd

from ..defaults import LINEAGE_KEY, TRUTH_KEY
from ..tl import qc_by_cluster
from ._feedback import (
    CLUSTER_KEY,
    aligned,
    cluster_labels,
    fail,
    label_list,
    n_clusters_text,
    passed,
    require_adata,
    student_facing,
)
from .reference_answers import reference_data
from .scores import DOUBLET, doublet_precision_recall, mostly
from .thresholds import DOUBLET_MIN

LINEAGE_HINT = (
    "compare the clusters' mean expression of the lineage's marker genes "
    "(`course_lib.marker_means`); see chapter 1, *What are the clusters? Dendrogram and marker "
    "dotplot*"
)
"""Default of :func:`check_lineage_clusters`' ``hint``: where to look."""


def _chosen_clusters(
    answer: Any, adata: ad.AnnData, cluster_key: str, name: str, hint: str
) -> tuple[list[str], pd.Series]:
    """The student's chosen cluster labels, checked to be clusters of ``obs[cluster_key]``,
    and that clustering's labels (strings)."""
    chosen = label_list(answer, name)
    clusters = cluster_labels(adata, cluster_key, "run the earlier cells")
    if not chosen:
        fail(f"`{name}` is empty; choose at least one cluster ({hint}).")
    unknown = sorted(set(chosen) - set(clusters))
    if unknown:
        fail(
            f"{unknown} are not clusters of `obs[{cluster_key!r}]`; its clusters are "
            f"{sorted(set(clusters), key=lambda c: (len(c), c))}."
        )
    return chosen, clusters


@student_facing
def check_lineage_clusters(
    answer: Any,
    adata: ad.AnnData,
    lineage: str,
    *,
    cluster_key: str = CLUSTER_KEY,
    hint: str = LINEAGE_HINT,
    reference: ad.AnnData | None = None,
    name: str = "clusters",
) -> None:
    """Check the clusters chosen as one cell lineage by their markers, by the cells they hold.

    Judged on the simulation's truth (``obs['lineage_truth']`` of the course data, matched
    by cell name; the student's data do not hold it): the chosen clusters must be exactly
    those made mostly of ``lineage`` cells (:func:`~course_lib.checks.scores.mostly`), by
    any label type. In the course data every cluster is far from half (calibrated in
    ``tests/test_calibration.py``), so the question has one answer.

    Parameters
    ----------
    answer
        The student's cluster labels of ``obs[cluster_key]`` (a list; one label works).
    adata
        The student's data.
    lineage
        The lineage asked for, a value of ``obs['lineage_truth']`` such as ``"B"``.
    cluster_key
        ``obs`` column with the clusters.
    hint
        Where to look (the markers and the chapter section), shown on failure.
    reference
        Data holding the truth; ``None`` for the course data.
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
    >>> check_lineage_clusters(b_clusters, adata, "B", name="b_clusters")  # doctest: +SKIP
    ✔ b_clusters: 2 clusters, 948 cells, the clusters of B cells.
    """
    adata = require_adata(adata)
    chosen_clusters, clusters = _chosen_clusters(answer, adata, cluster_key, name, hint)
    ref = reference_data(reference)
    aligned(adata, ref)
    truth = ref.obs[LINEAGE_KEY].astype(str).reindex(adata.obs_names) == lineage
    expected = set(mostly(clusters, truth))
    extra = sorted(set(chosen_clusters) - expected)
    missing = sorted(expected - set(chosen_clusters))
    if extra:
        n_cells = int(clusters.isin(extra).sum())
        fail(
            f"`{name}` holds {n_clusters_text(extra)} ({n_cells:,} cells) whose cells are "
            f"mostly not {lineage} cells; is each of your clusters high in the markers "
            f"({hint})?"
        )
    if missing:
        n_cells = int(clusters.isin(missing).sum())
        fail(
            f"`{name}` misses {n_clusters_text(missing)} of {lineage} cells ({n_cells:,} "
            f"cells); a lineage can be split over several clusters — is another cluster high "
            f"in the same markers ({hint})?"
        )
    chosen = clusters.isin(chosen_clusters)
    passed(
        f"{name}: {n_clusters_text(chosen_clusters)}, {int(chosen.sum()):,} cells, the "
        f"clusters of {lineage} cells."
    )


@student_facing
def check_doublet_clusters(
    answer: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = CLUSTER_KEY,
    reference: ad.AnnData | None = None,
    name: str = "doublet_clusters",
) -> None:
    """Check the clusters chosen as doublets by their QC profile, by the cells they hold.

    Judged on the simulation's truth (which cells are two captured together, from the
    course data by cell name; the student's data need not hold it): nearly all cells of the
    chosen clusters must be doublets (precision), and the chosen clusters must hold nearly
    all cells of the clusters made mostly of doublets (recall), by
    :data:`~course_lib.checks.thresholds.DOUBLET_MIN`. The message of a wrong choice shows
    the QC profile of the clusters (from ``adata.obs``), never the truth.

    Parameters
    ----------
    answer
        The student's cluster labels of ``obs[cluster_key]`` (a list; one label works).
    adata
        The student's data.
    cluster_key
        ``obs`` column with the clusters.
    reference
        Data holding the truth; ``None`` for the course data.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the QC profile to look at.

    Examples
    --------
    >>> check_doublet_clusters(doublet_clusters, adata)  # doctest: +SKIP
    ✔ doublet_clusters: 2 clusters, 111 cells, nearly all doublets.
    """
    hint = (
        "doublets are two cells captured together: look for clusters with high UMI counts "
        "(`course_lib.qc_by_cluster`) *and* the markers of two lineages; see chapter 4, "
        "*Quality metrics per cluster*"
    )
    adata = require_adata(adata)
    chosen_clusters, clusters = _chosen_clusters(answer, adata, cluster_key, name, hint)
    ref = reference_data(reference)
    aligned(adata, ref)
    is_doublet = (ref.obs[TRUTH_KEY].astype(str) == DOUBLET).reindex(adata.obs_names)
    chosen = clusters.isin(chosen_clusters)
    precision, recall = doublet_precision_recall(clusters, is_doublet, chosen_clusters)
    min_precision, min_recall = DOUBLET_MIN
    qc = qc_by_cluster(ad.AnnData(obs=adata.obs.assign(**{cluster_key: clusters})), cluster_key)
    typical = qc[["median_total_counts", "median_pct_counts_mt"]].median()

    def profile(cluster: str) -> str:
        row = qc.loc[cluster]
        return (
            f"cluster {cluster!r}: median {row['median_total_counts']:,.0f} UMIs (typical "
            f"{typical['median_total_counts']:,.0f}), {row['median_pct_counts_mt']:.1f} % "
            f"mitochondrial (typical {typical['median_pct_counts_mt']:.1f} %)"
        )

    if precision < min_precision:
        wrong = [c for c in chosen_clusters if c not in mostly(clusters, is_doublet)]
        fail(
            f"{1 - precision:.0%} of the cells in your clusters are not doublets. Look again "
            f"at {'; '.join(profile(c) for c in wrong)}. Damaged cells have *low* counts and "
            f"a high mitochondrial share; large real cells have high counts but one lineage "
            f"({hint})."
        )
    if recall < min_recall:
        fail(
            f"your clusters hold {recall:.0%} of the cells of the clusters made mostly of "
            f"doublets; is there another cluster with high counts and two lineages' markers? "
            f"({hint})."
        )
    passed(
        f"{name}: {n_clusters_text(chosen_clusters)}, {int(chosen.sum()):,} cells, nearly all "
        f"doublets."
    )
