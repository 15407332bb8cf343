"""Student-facing answer checks for the exercises (one call per question).

Each ``check_*`` function prints a single short line when the answer is right and raises
:class:`AssertionError` otherwise, whose message names what is wrong, what was found and
where to look (the chapter section, the function and the argument), never the code of the
solution (``tests/test_exercise_messages.py`` compares every message with the solution
cells). A question that only needs a partition takes labels of any type. Clusterings
are compared with a reference computed from the same data by the adjusted Rand index
(ARI), which ignores label names; the reference labels are never shown. A check judges
the answer's values, so correct work done another reasonable way (igraph or scikit-learn
directly) passes; recorded parameters (``adata.uns['neighbors']['params']``,
``adata.uns[key]['params']``) are read only to name the exact mistake once the values are
wrong. Docstrings say what is checked, never the solution's call.

A check reads only the answers it is given and the course data it loads itself (the
references, the simulation's truth, the expression): never the student's ``.X``, ``.raw``
or ``.layers``. The grade of a question is the same call as its visible check, run by the
grader outside the student's kernel on the answers recorded there; an exercise's hidden
test adds a check only where the notebook's question table says what it adds (exercise 2's
multiple-choice answer).

=========================  ================================================================
module                     what it holds
=========================  ================================================================
:mod:`.thresholds`         every threshold, with the measurements it was calibrated on
:mod:`.references`         the store of references: each computed once, or handed over
:mod:`.reference_answers`  the reference answers, computed from the data an exercise uses
:mod:`.scores`             the scores compared with the thresholds (shared with calibration)
:mod:`._feedback`          passing, failing, and reading the student's answer
:mod:`.ex1_graph`          exercise 1: kNN graph, Leiden, agreement of two clusterings
:mod:`.ex2_kmeans`         exercise 2: k-means, the inertia curve and its knee
:mod:`.ex3_hierarchical`   exercise 3: the Ward cut
:mod:`.ex4_distribution`   exercise 4: composition tables
:mod:`.cluster_choices`    exercises 1, 3, 4: clusters chosen by markers or QC profile
:mod:`.ex5_subclustering`  exercise 5: the T/NK subset, its variable genes, its subclusters
:mod:`.ex5_embedding`      exercise 5: the subset's PCA and Harmony embedding
:mod:`.ex6_judging`        exercise 6: silhouettes, the least stable cluster
:mod:`.ex6_composition`    exercise 6: one cluster's share per sample, between conditions
=========================  ================================================================

Examples
--------
>>> from course_lib import checks
>>> checks.check_leiden(adata, 0.6)  # doctest: +SKIP
✔ obs['leiden_0.6']: 13 clusters, agrees with the reference clustering at resolution 0.6.
"""

from __future__ import annotations

from .cluster_choices import check_doublet_clusters, check_lineage_clusters
from .ex1_graph import check_agreement, check_leiden, check_neighbors
from .ex2_kmeans import check_inertias, check_kmeans, check_knee
from .ex3_hierarchical import check_ward
from .ex4_distribution import check_condition_composition, check_group_difference, check_proportions
from .ex5_embedding import check_subset_embedding
from .ex5_subclustering import check_subclustering, check_subset_hvg, check_tnk_subset
from .ex6_composition import check_composition_p, check_sample_shares
from .ex6_judging import check_least_stable, check_silhouettes

__all__ = [
    "check_agreement",
    "check_composition_p",
    "check_condition_composition",
    "check_doublet_clusters",
    "check_group_difference",
    "check_inertias",
    "check_kmeans",
    "check_knee",
    "check_least_stable",
    "check_leiden",
    "check_lineage_clusters",
    "check_neighbors",
    "check_proportions",
    "check_sample_shares",
    "check_silhouettes",
    "check_subclustering",
    "check_subset_embedding",
    "check_subset_hvg",
    "check_tnk_subset",
    "check_ward",
]
