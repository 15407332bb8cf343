"""Library behind the scclust-course chapters and exercises, shaped like a small scanpy.

=====================  ====================================================================
name                   what it holds
=====================  ====================================================================
``datasets``           the simulated dataset: simulate, prepare like the lab, cache, load
``pp``                 preprocessing: Harmony on the PCA embedding
``tl``                 tools: Leiden, k-means, hierarchical, comparisons, subsets, composition
``pl``                 plotting: figure defaults, contingency heatmap, stacked bars
``defaults``           every default and key name, defined once
``checks``             the exercises' checks (what students call in the notebooks)
``grading``            the nbgrader grader (imports neither scanpy nor the rest of the library)
=====================  ====================================================================

The chapters call the public functions from the top level (``course_lib.load_integrated()``,
``course_lib.graph_clustering(adata)``, ``course_lib.kmeans(adata, 10)``); the same
functions are in their namespaces (``course_lib.tl.kmeans``). The exercises load the data
with ``course_lib.load_exercise_data()``, which leaves out the simulation's truth.
Everything is imported on first use, so ``import course_lib`` and the grader stay light.

Examples
--------
>>> import course_lib
>>> course_lib.leiden_key(0.6)
'leiden_0.6'
>>> course_lib.kmeans is course_lib.tl.kmeans
True
"""

from __future__ import annotations

from ._lazy import lazy_exports

_EXPORTS = {
    ".datasets": ("CACHE_ENV", "SAMPLES", "CacheDirError", "cache_dir", "has_truth",
                  "load_exercise_data", "load_integrated", "simulate_pbmc"),
    ".pp": ("run_harmony",),
    ".tl": ("QC_METRICS", "agreement", "contingency_table", "cut_hierarchy",
            "distance_matrix_bytes", "graph_clustering", "hierarchical", "kmeans",
            "linkage_bytes", "marker_means", "own_clusters", "proportion_table",
            "qc_by_cluster", "subset_from_raw", "t_nk_clusters", "best_jaccard", "choose_k",
            "composition_test", "internal_metrics", "neighbourhood_purity", "resolution_tree",
            "seed_agreement",
            "subsample_stability"),
    ".pl": ("cluster_tree", "contingency_heatmap", "setup_plotting", "silhouette_plot",
            "stacked_bar"),
    ".defaults": ("HARMONY_KEY", "LINEAGE_KEY", "NK_MARKERS", "RESOLUTIONS", "TRUTH_KEY",
                  "T_MARKERS", "kmeans_key", "leiden_key"),
    "._validation": ("MemoryBudgetError", "MissingKeyError"),
}
_SUBPACKAGES = ("checks", "datasets", "defaults", "grading", "pl", "pp", "tl")
__all__ = sorted([name for names in _EXPORTS.values() for name in names] + [*_SUBPACKAGES])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBPACKAGES)
