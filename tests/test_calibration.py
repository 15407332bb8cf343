"""The checks' tolerances still separate legitimate from wrong answers on the course data.

Each test recomputes the scores of legitimate answers (other seeds, the other Leiden
flavour, other ``n_init``) and of wrong ones (uncorrected embedding, far resolution, wrong
linkage, ...) with :mod:`tests.exercise_calibration` and asserts each threshold of
:mod:`course_lib.checks.thresholds` lies between them, so a dependency bump that moves the
spread fails here instead of failing right answers in class.
Run with ``pytest tests/test_calibration.py -s`` to see the measured numbers.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest

from course_lib.checks import reference_answers, scores, thresholds
from course_lib.defaults import HARMONY_KEY
from tests import exercise_calibration as calibration

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:In the future, the default backend:FutureWarning"),
]


@pytest.fixture(scope="module")
def course_data() -> ad.AnnData:
    from course_lib import load_integrated

    return load_integrated(progress=False)


SHARE_MARGIN = 0.25
"""How far from half every cluster's share of a lineage must be (cluster-choice questions)."""
CHOICE_RUNS = ((0, "igraph"), (3, "igraph"), (1, "leidenalg"))
"""Leiden 0.6 partitions (seed, flavour) the cluster-choice questions are calibrated on."""


def report(name: str, spread: calibration.Spread) -> None:
    def fmt(scores: dict[str, float]) -> str:
        return ", ".join(f"{k}: {v:.3f}" for k, v in scores.items())

    print(f"\n{name}\n  legit: {fmt(spread.legit)}\n  wrong: {fmt(spread.wrong)}")


@pytest.mark.parametrize("resolution", [0.6, 1.0])
def test_leiden_thresholds(course_data, resolution):
    """A clustering passes when its ARI reaches the threshold and its count is in range:
    every legitimate answer does (neighbouring resolutions the question accepts included),
    no wrong one (resolution 3 at 1.0 fails by its count)."""
    near, far = calibration.NEIGHBOUR_RESOLUTIONS[resolution]
    spread = calibration.leiden_spread(
        course_data, resolution, seeds=(3, 4), wrong_resolutions=far, near_resolutions=near
    )
    report(f"Leiden {resolution}", spread)
    refs = [
        reference_answers.reference_leiden(course_data, resolution, seed=s)
        for s in reference_answers.REFERENCE_SEEDS
    ]
    low, high = scores.count_range(float(np.median([r.nunique() for r in refs])))
    print(f"  counts accepted {low}-{high}: {spread.counts}")

    def accepted(name: str, score: float) -> bool:
        return (score >= thresholds.LEIDEN_MIN_ARI[resolution]
                and low <= spread.counts[name] <= high)  # fmt: skip

    assert all(accepted(name, score) for name, score in spread.legit.items())
    assert not any(accepted(name, score) for name, score in spread.wrong.items())


def test_knn_overlap_threshold(course_data):
    spread = calibration.knn_spread(course_data, seeds=(3,))
    report("kNN overlap", spread)
    assert spread.separates(thresholds.KNN_MIN_OVERLAP)


def test_kmeans_thresholds(course_data):
    spread = calibration.kmeans_spread(course_data, 10)
    report("k-means 10 (share of cells nearest their own centre in Harmony)", spread)
    assert spread.separates(thresholds.KMEANS_MIN_NEAREST)


def test_inertia_tolerance(course_data):
    spread = calibration.inertia_spread(course_data, seeds=(3,))
    report("inertias (-max rel. error)", spread)
    assert spread.separates(-thresholds.INERTIA_RTOL)


def test_ward_thresholds(course_data):
    spread = calibration.ward_spread(course_data, 10)
    report("Ward 10", spread)
    assert spread.separates(thresholds.WARD_MIN_ARI)


def test_tnk_clusters_are_unambiguous(course_data):
    """Exercise 5 question 1 is judged by which clusters are mostly T or NK cells: every
    cluster is far from half, and chapter 5's marker rule picks exactly those clusters."""
    from tests.exercise_calibration.answers import chapter_subset, clustered

    runs = {f"{fl} seed {s}": clustered(course_data, s, fl).obs["l"] for s, fl in CHOICE_RUNS}
    spread = calibration.share_spread(course_data, "T/NK", runs)
    report("T/NK share of the clusters", spread)
    assert spread.legit_min > thresholds.MAJORITY + SHARE_MARGIN
    assert spread.wrong_max < thresholds.MAJORITY - SHARE_MARGIN
    data = clustered(course_data, 0, "igraph")  # the exercise's partition
    tnk = course_data.obs["lineage_truth"] == "T/NK"
    assert set(chapter_subset(data, "l")) == set(scores.mostly(data.obs["l"], tnk))


def test_doublet_thresholds(course_data):
    precision, recall = calibration.doublet_spread(course_data)
    report("doublet clusters precision", precision)
    report("doublet clusters recall", recall)
    min_precision, min_recall = thresholds.DOUBLET_MIN
    assert precision.separates(min_precision)
    assert recall.separates(min_recall)


def test_hvg_thresholds(course_data):
    spread = calibration.hvg_spread(course_data)
    report("subset HVG overlap", spread)
    assert spread.separates(thresholds.HVG_MIN_OVERLAP)


def test_subcluster_thresholds(course_data):
    spread = calibration.subcluster_spread(course_data)
    report("T/NK subclustering 0.6", spread)
    by_labels = calibration.Spread(
        legit=spread.legit,
        wrong={k: v for k, v in spread.wrong.items() if "full data's embedding" not in k},
    )  # that answer is caught by its graph (hidden test), not by its labels
    assert by_labels.separates(thresholds.SUBCLUSTER_MIN_ARI)


def test_lineage_clusters_are_unambiguous(course_data):
    """Exercise 1's B cells (Leiden 0.6) and exercise 3's platelets (Ward at 10) are judged
    by which clusters are mostly of the lineage: every cluster is far from half."""
    from course_lib.tl import hierarchical
    from tests.exercise_calibration.answers import clustered

    runs = {f"{fl} seed {s}": clustered(course_data, s, fl).obs["l"] for s, fl in CHOICE_RUNS}
    tree = reference_answers.cells_only(course_data)
    hierarchical(tree, 10)
    for lineage, clusterings in (("B", runs), ("Platelet", {"Ward 10": tree.obs["ward_10"]})):
        spread = calibration.share_spread(course_data, lineage, clusterings)
        report(f"{lineage} share of the clusters", spread)
        assert spread.legit_min > thresholds.MAJORITY + SHARE_MARGIN
        assert spread.wrong_max < thresholds.MAJORITY - SHARE_MARGIN


def test_knee_is_stable(course_data):
    """The knee of exercise 2's curve is the same for legitimate curves (other seeds)."""
    from sklearn.cluster import KMeans

    embedding = np.asarray(course_data.obsm[HARMONY_KEY])
    ks = range(2, 16, 2)
    knees = {
        (seed, n_init): scores.knee(
            {
                k: KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(embedding).inertia_
                for k in ks
            }
        )
        for seed, n_init in ((0, 3), (3, 3), (4, 10))
    }
    print(f"\nknees: {knees}")
    assert len(set(knees.values())) == 1


def test_ex6_silhouette_tolerances(course_data):
    spread = calibration.silhouette_spread(course_data)
    report("ex6 silhouettes (-max abs error)", spread)
    assert spread.separates(-thresholds.SILHOUETTE_ATOL)


def test_ex6_stability_margins(course_data):
    """On the partitions the exercise's setup cell can give (igraph, its own seed and two
    others), under the three subsample seeds."""
    spread = calibration.stability_spread(course_data, flavors=("igraph",))
    report("ex6 least stable cluster (-excess stability)", spread)
    assert spread.separates(-thresholds.STABILITY_MARGIN)


def test_ex6_composition_p_tolerances(course_data):
    spread = calibration.composition_p_spread(course_data)
    report("ex6 p-value (-log10 distance)", spread)
    visible = calibration.Spread(
        legit=spread.legit,
        wrong={k: v for k, v in spread.wrong.items() if not k.endswith("asymptotic rank test")},
    )  # the normal approximation of the rank test, a sample-level test too, is accepted
    assert visible.separates(-thresholds.COMPOSITION_P_LOG10)
