"""Measure how far legitimate and wrong answers land from the checks' references.

The thresholds in :mod:`course_lib.checks.thresholds` must sit between the lowest score of
a legitimate answer (another seed, the other Leiden flavour, another ``n_init``) and the
highest score of a wrong one (uncorrected embedding, far resolution, wrong linkage).
``tests/test_calibration.py`` recomputes these spreads so a dependency bump that moves
them fails loudly instead of silently failing right answers. The scores are the checks'
own (:mod:`course_lib.checks.scores`); the answers are made with the course's own rules
(:mod:`.answers`).

=====================  ===============================================================
module                 what it holds
=====================  ===============================================================
:mod:`.spread`         :class:`Spread`, the seeds of the legitimate answers
:mod:`.answers`        answers as students make them, with the course's rules
:mod:`.clusterings`    spreads of the graph, Leiden, k-means and Ward questions
:mod:`.choices`        spreads of the questions that choose clusters or cells
:mod:`.judging`        spreads of exercise 6: silhouettes, stability, the p-value
=====================  ===============================================================

Examples
--------
>>> from tests import exercise_calibration as calibration
>>> calibration.ward_spread(course_lib.load_integrated(), 10).legit_min  # doctest: +SKIP
1.0
"""

from .answers import chapter_subset, clustered, doublet_candidates, rerun_subset
from .choices import (
    doublet_spread,
    hvg_spread,
    share_spread,
    subcluster_spread,
)
from .clusterings import (
    NEIGHBOUR_RESOLUTIONS,
    inertia_spread,
    kmeans_spread,
    knn_spread,
    leiden_spread,
    ward_spread,
)
from .judging import composition_p_spread, silhouette_spread, stability_spread
from .spread import LEGIT_SEEDS, Spread

__all__ = [
    "LEGIT_SEEDS",
    "NEIGHBOUR_RESOLUTIONS",
    "Spread",
    "chapter_subset",
    "clustered",
    "composition_p_spread",
    "doublet_candidates",
    "doublet_spread",
    "hvg_spread",
    "inertia_spread",
    "kmeans_spread",
    "knn_spread",
    "leiden_spread",
    "rerun_subset",
    "silhouette_spread",
    "stability_spread",
    "subcluster_spread",
    "share_spread",
    "ward_spread",
]
