"""Library behind the scclust-course chapters and exercises.

The chapters call the public functions from here (``course_lib.load_integrated()``,
``course_lib.graph_clustering(adata)``, …). They are imported on first use, so that
``import course_lib`` and the grader (:mod:`course_lib.grading`) stay light: neither
imports scanpy until a function that needs it is called.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    ".cluster": ("RESOLUTIONS", "graph_clustering", "leiden_key"),
    ".compare": ("agreement", "contingency_table"),
    ".composition": ("QC_METRICS", "proportion_table", "qc_by_cluster", "stacked_bar"),
    ".data": ("CACHE_ENV", "CacheDirError", "cache_dir", "load_integrated"),
    ".hierarchical": ("cut_hierarchy", "distance_matrix_bytes", "linkage_bytes"),
    ".plotting": ("contingency_heatmap", "setup_plotting"),
    ".prepare": ("HARMONY_KEY", "run_harmony"),
    ".simulate": ("LINEAGE_KEY", "SAMPLES", "TRUTH_KEY", "simulate_pbmc"),
    ".subset": ("NK_MARKERS", "T_MARKERS", "marker_means", "subset_from_raw", "t_nk_clusters"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        msg = f"module 'course_lib' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_HOME[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
