"""The course's defaults and key names, each defined once.

The chapters, the library, the exercise checks and the tests all read them from here, so a
change (another seed, another number of neighbours) reaches every place at once. The module
imports nothing heavy: the grader and the checks can use it without loading scanpy.

Examples
--------
>>> from course_lib.defaults import leiden_key, kmeans_key, LEIDEN_OPTIONS
>>> leiden_key(1), kmeans_key(10)
('leiden_1.0', 'kmeans_10')
>>> LEIDEN_OPTIONS["flavor"]
'igraph'
"""

from __future__ import annotations

SAMPLE_KEY = "sample"
"""``obs`` column with each cell's sample (the batch Harmony corrects for)."""
CONDITION_KEY = "type"
"""``obs`` column with each cell's condition (``"ctrl"`` or ``"covid"``)."""
TRUTH_KEY = "cell_type_truth"
"""``obs`` column with each cell's simulated population (or ``"doublet"``, ``"low quality"``)."""
LINEAGE_KEY = "lineage_truth"
"""``obs`` column with the simulated lineage (T/NK, B, myeloid, …) of each cell."""
HARMONY_KEY = "X_pca_harmony"
"""``obsm`` key of the Harmony-corrected PCA embedding, the representation clustered."""
UMAP_KEY = "X_umap"
"""``obsm`` key of the UMAP of the Harmony embedding (for plots, not for clustering)."""

SEED = 0
"""Seed of every random step (PCA, Harmony, kNN search, Leiden, k-means, UMAP)."""
N_TOP_GENES = 2000
"""Highly variable genes kept for PCA."""
N_PCS = 30
"""Principal components computed and used for distances."""
N_NEIGHBORS = 15
"""Neighbours per cell in the kNN graph."""
RESOLUTIONS = (0.4, 0.6, 1.0, 1.4)
"""The Leiden resolutions of the lab."""
LEIDEN_OPTIONS: dict[str, object] = {"flavor": "igraph", "n_iterations": 2, "directed": False}
"""Options of every ``sc.tl.leiden`` call: the igraph flavour (about five times faster than
``leidenalg``; the two flavours give different partitions) with its recommended settings."""
N_INIT = 10
"""Number of k-means initialisations (scikit-learn's ``n_init``)."""
SCAN_N_INIT = 3
"""k-means initialisations per ``k`` when many ``k`` are fitted (elbow, silhouette, gap)."""

T_MARKERS = ("CD3E",)
"""Genes of T cells (the CD3 complex; NK cells lack it)."""
NK_MARKERS = ("GNLY", "NKG7")
"""Genes of NK cells (granulysin and NKG7, also in cytotoxic T cells at lower levels)."""
T_NK_MIN_FRACTION = 0.5
"""A cluster is T (NK) if its T (NK) score reaches this fraction of the top cluster's."""


# Grading (course_lib.grading)
DEFAULT_TIMEOUT = 120
"""Seconds each cell may run before it is interrupted (neighbours + Leiden take ~10-40 s)."""

DEFAULT_MEMORY_LIMIT = "4G"
"""Address-space cap of the grading kernel (a chapter peaks at about 1.3 GB)."""

DEFAULT_JOBS = 1
"""Local Dask worker processes grading in parallel."""

SUBMISSION_TIMEOUT_MARGIN = 300
"""Seconds added to the per-cell timeouts of a notebook for the wall-clock limit of grading
one submission (starting nbgrader and the kernel, writing the feedback)."""

DEFAULT_MAX_OUTPUT_CHARS = 200_000
"""Characters of output kept per cell; the rest is replaced by a truncation note."""

GRADER_KERNEL = "scclust-grader"
"""Name of the memory-capped kernelspec every submission is executed with."""

TRUNCATION_NOTE = "... Output truncated ..."
"""What nbgrader's ``LimitOutput`` (and ``LimitOutputSize``) leave in place of output."""

HIDDEN_TESTS_BEGIN = "BEGIN HIDDEN TESTS"
"""Marker of the start of a hidden-test region in a test cell."""

def leiden_key(resolution: float) -> str:
    """``obs`` column of a Leiden clustering, as in the lab.

    Examples
    --------
    >>> leiden_key(0.6)
    'leiden_0.6'
    """
    return f"leiden_{float(resolution)}"


def kmeans_key(n_clusters: int) -> str:
    """``obs`` column of a k-means clustering.

    Examples
    --------
    >>> kmeans_key(10)
    'kmeans_10'
    """
    return f"kmeans_{n_clusters}"
