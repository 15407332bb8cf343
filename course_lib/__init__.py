"""Library behind the scclust-course chapters and exercises.

The main entry point is :func:`load_integrated`, which gives the prepared dataset.
The clustering functions live in modules of the same name and are imported from there
(``from course_lib.kmeans import kmeans``, ``from course_lib.hierarchical import
hierarchical``), so ``course_lib.kmeans`` stays the module.
"""

from .cluster import RESOLUTIONS, graph_clustering, leiden_key
from .compare import agreement, contingency_table
from .composition import QC_METRICS, proportion_table, qc_by_cluster, stacked_bar
from .data import CACHE_ENV, CacheDirError, cache_dir, load_integrated
from .hierarchical import cut_hierarchy, distance_matrix_bytes, linkage_bytes
from .plotting import contingency_heatmap, setup_plotting
from .prepare import HARMONY_KEY, run_harmony
from .simulate import LINEAGE_KEY, SAMPLES, TRUTH_KEY, simulate_pbmc
from .subset import NK_MARKERS, T_MARKERS, marker_means, subset_from_raw, t_nk_clusters

__all__ = [
    "CACHE_ENV",
    "HARMONY_KEY",
    "LINEAGE_KEY",
    "NK_MARKERS",
    "QC_METRICS",
    "RESOLUTIONS",
    "SAMPLES",
    "TRUTH_KEY",
    "T_MARKERS",
    "CacheDirError",
    "agreement",
    "cache_dir",
    "contingency_heatmap",
    "contingency_table",
    "cut_hierarchy",
    "distance_matrix_bytes",
    "graph_clustering",
    "leiden_key",
    "linkage_bytes",
    "load_integrated",
    "marker_means",
    "proportion_table",
    "qc_by_cluster",
    "run_harmony",
    "setup_plotting",
    "simulate_pbmc",
    "stacked_bar",
    "subset_from_raw",
    "t_nk_clusters",
]
