"""Library behind the scclust-course chapters and exercises.

The main entry point is :func:`load_integrated`, which gives the prepared dataset.
"""

from .cluster import RESOLUTIONS, graph_clustering, leiden_key
from .compare import agreement, contingency_table
from .data import CACHE_ENV, CacheDirError, cache_dir, load_integrated
from .plotting import contingency_heatmap, setup_plotting
from .prepare import HARMONY_KEY, run_harmony
from .simulate import LINEAGE_KEY, SAMPLES, TRUTH_KEY, simulate_pbmc

__all__ = [
    "CACHE_ENV",
    "HARMONY_KEY",
    "LINEAGE_KEY",
    "RESOLUTIONS",
    "SAMPLES",
    "TRUTH_KEY",
    "CacheDirError",
    "agreement",
    "cache_dir",
    "contingency_heatmap",
    "contingency_table",
    "graph_clustering",
    "leiden_key",
    "load_integrated",
    "run_harmony",
    "setup_plotting",
    "simulate_pbmc",
]
