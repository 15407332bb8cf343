"""Tools (``course_lib.tl``): clustering, comparing clusterings, subsets and composition.

Each function takes an AnnData and records its result under a documented key, like scanpy.

==========================  ============================================================
module                      what it holds
==========================  ============================================================
:mod:`._graph`              kNN graph + Leiden at the lab's resolutions
:mod:`._kmeans`             k-means on an embedding
:mod:`._hierarchical`       one hierarchical tree, cut at many k; its memory estimate
:mod:`._labels`             cluster labels ordered by size, as scanpy gives them
:mod:`._compare`            ARI/NMI, contingency tables, clusters of one population
:mod:`._composition`        proportions per cluster, QC per cluster (doublet candidates)
:mod:`._subset`             the T/NK rule from markers, a subset taken from ``.raw``
:mod:`._diagnostics`        how much the kNN neighbourhoods mix samples
:mod:`._metrics`            internal metrics (kNN purity too) of clusterings; choosing k
:mod:`._stability`          stability under subsampling, seeds and resolutions
:mod:`._composition_test`   cluster shares between conditions, tested per sample
==========================  ============================================================

Examples
--------
>>> import anndata as ad, numpy as np
>>> import course_lib
>>> cells = ad.AnnData(obsm={"X_pca_harmony": np.array([[0.0], [1.0], [10.0], [11.0]])})
>>> course_lib.tl.kmeans(cells, 2)
>>> course_lib.tl.hierarchical(cells, 2)
>>> course_lib.tl.agreement(cells, "kmeans_2", "ward_2")
{'ari': 1.0, 'nmi': 1.0}
"""

from ._compare import agreement, contingency_table, own_clusters
from ._composition import QC_METRICS, proportion_table, qc_by_cluster
from ._composition_test import composition_test, smallest_rank_test_p
from ._diagnostics import chance_same_sample_share, same_sample_neighbour_share
from ._graph import graph_clustering
from ._hierarchical import (
    cut_hierarchy,
    distance_matrix_bytes,
    format_bytes,
    hclust_key,
    hierarchical,
    linkage_bytes,
)
from ._kmeans import kmeans
from ._metrics import (
    choose_k,
    gap_statistic,
    internal_metrics,
    knee,
    neighbourhood_purity,
    sample_cells,
)
from ._stability import best_jaccard, resolution_tree, seed_agreement, subsample_stability
from ._subset import marker_means, subset_from_raw, t_nk_clusters

__all__ = [
    "QC_METRICS",
    "agreement",
    "best_jaccard",
    "chance_same_sample_share",
    "choose_k",
    "composition_test",
    "contingency_table",
    "cut_hierarchy",
    "distance_matrix_bytes",
    "format_bytes",
    "gap_statistic",
    "graph_clustering",
    "hclust_key",
    "hierarchical",
    "internal_metrics",
    "neighbourhood_purity",
    "kmeans",
    "knee",
    "linkage_bytes",
    "marker_means",
    "own_clusters",
    "proportion_table",
    "qc_by_cluster",
    "resolution_tree",
    "same_sample_neighbour_share",
    "sample_cells",
    "seed_agreement",
    "smallest_rank_test_p",
    "subsample_stability",
    "subset_from_raw",
    "t_nk_clusters",
]
