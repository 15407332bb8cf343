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

from course_lib.checks import references, scores, thresholds
from course_lib.defaults import HARMONY_KEY, N_INIT
from tests import exercise_calibration as calibration

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:In the future, the default backend:FutureWarning"),
]


@pytest.fixture(scope="module")
def course_data() -> ad.AnnData:
    from course_lib import load_integrated

    return load_integrated(progress=False)


def report(name: str, spread: calibration.Spread) -> None:
    def fmt(scores: dict[str, float]) -> str:
        return ", ".join(f"{k}: {v:.3f}" for k, v in scores.items())

    print(f"\n{name}\n  legit: {fmt(spread.legit)}\n  wrong: {fmt(spread.wrong)}")


@pytest.mark.parametrize("resolution", [0.6, 1.0])
def test_leiden_thresholds(course_data, resolution):
    spread = calibration.leiden_spread(course_data, resolution, seeds=(3, 4))
    report(f"Leiden {resolution}", spread)
    assert spread.separates(thresholds.LEIDEN_MIN_ARI)
    assert spread.separates(thresholds.LEIDEN_STRICT_ARI)
    refs = [
        references.reference_leiden(course_data, resolution, seed=s)
        for s in references.REFERENCE_SEEDS
    ]
    low, high = scores.count_range(float(np.median([r.nunique() for r in refs])))
    legit_counts = [spread.counts[name] for name in spread.legit]
    assert all(low <= n <= high for n in legit_counts), (low, high, spread.counts)
    assert not low <= spread.counts["X_pca seed 3"] <= high  # the count also flags X_pca


def test_knn_overlap_threshold(course_data):
    spread = calibration.knn_spread(course_data, seeds=(3,))
    report("kNN overlap", spread)
    assert spread.separates(thresholds.KNN_MIN_OVERLAP)


def test_kmeans_thresholds(course_data):
    spread = calibration.kmeans_spread(course_data, 10)
    report("k-means 10 (-excess)", spread)
    assert spread.separates(-thresholds.KMEANS_MAX_EXCESS)
    as_asked = calibration.Spread(
        legit={k: v for k, v in spread.legit.items() if k.endswith(f"n_init={N_INIT}")},
        wrong=spread.wrong,
    )
    assert as_asked.separates(-thresholds.KMEANS_STRICT_EXCESS)


def test_inertia_tolerance(course_data):
    spread = calibration.inertia_spread(course_data, seeds=(3,))
    report("inertias (-max rel. error)", spread)
    assert spread.separates(-thresholds.INERTIA_RTOL)
    assert spread.separates(-thresholds.INERTIA_STRICT_RTOL)


def test_ward_thresholds(course_data):
    spread = calibration.ward_spread(course_data, 10)
    report("Ward 10", spread)
    assert spread.separates(thresholds.WARD_MIN_ARI)
    assert spread.separates(thresholds.WARD_STRICT_ARI)


def test_subset_thresholds(course_data):
    precision, recall = calibration.subset_spread(course_data)
    report("T/NK subset precision", precision)
    report("T/NK subset recall", recall)
    for min_precision, min_recall in (thresholds.SUBSET_MIN, thresholds.SUBSET_STRICT):
        assert precision.separates(min_precision)
        assert recall.separates(min_recall)
    assert all(
        "flagged kept" not in name or score < thresholds.SUBSET_MIN[0]
        for name, score in precision.wrong.items()
    )  # keeping doublets fails


def test_doublet_thresholds(course_data):
    precision, recall = calibration.doublet_spread(course_data)
    report("doublet clusters precision", precision)
    report("doublet clusters recall", recall)
    for min_precision, min_recall in (thresholds.DOUBLET_MIN, thresholds.DOUBLET_STRICT):
        assert precision.separates(min_precision)
        assert recall.separates(min_recall)


def test_hvg_thresholds(course_data):
    spread = calibration.hvg_spread(course_data)
    report("subset HVG overlap", spread)
    assert spread.separates(thresholds.HVG_MIN_OVERLAP)
    assert spread.separates(thresholds.HVG_STRICT_OVERLAP)


def test_subcluster_thresholds(course_data):
    spread = calibration.subcluster_spread(course_data)
    report("T/NK subclustering 0.6", spread)
    by_labels = calibration.Spread(
        legit=spread.legit,
        wrong={k: v for k, v in spread.wrong.items() if "full data's embedding" not in k},
    )  # that answer is caught by its graph (hidden test), not by its labels
    assert by_labels.separates(thresholds.SUBCLUSTER_MIN_ARI)
    assert by_labels.separates(thresholds.SUBCLUSTER_STRICT_ARI)


def test_lineage_thresholds(course_data):
    precision, recall = calibration.lineage_spread(course_data)
    report("B clusters precision", precision)
    report("B clusters recall", recall)
    for min_precision, min_recall in (thresholds.LINEAGE_MIN, thresholds.LINEAGE_STRICT):
        assert precision.legit_min >= min_precision
        assert recall.separates(min_recall)


def test_ward_platelet_thresholds(course_data):
    from course_lib.tl import hierarchical

    tree = references.cells_only(course_data)
    hierarchical(tree, 10)
    precision, recall = calibration.lineage_spread(
        course_data, "Platelet", clusterings={"Ward 10": tree.obs["ward_10"]}
    )
    report("Ward platelet clusters precision", precision)
    for min_precision, min_recall in (thresholds.LINEAGE_MIN, thresholds.LINEAGE_STRICT):
        assert precision.separates(min_precision)
        assert recall.legit_min >= min_recall


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
    assert spread.separates(-thresholds.SILHOUETTE_STRICT_ATOL)


def test_ex6_stability_margins(course_data):
    spread = calibration.stability_spread(course_data)
    report("ex6 least stable cluster (-excess stability)", spread)
    assert spread.separates(-thresholds.STABILITY_MARGIN)
    assert spread.separates(-thresholds.STABILITY_STRICT_MARGIN)


def test_ex6_composition_p_tolerances(course_data):
    spread = calibration.composition_p_spread(course_data)
    report("ex6 p-value (-log10 distance)", spread)
    visible = calibration.Spread(
        legit=spread.legit,
        wrong={k: v for k, v in spread.wrong.items() if not k.endswith("asymptotic rank test")},
    )  # the normal approximation of the rank test is accepted by the visible check
    assert visible.separates(-thresholds.COMPOSITION_P_LOG10)
    exact = calibration.Spread(
        legit={k: v for k, v in spread.legit.items() if not k.endswith("2 digits")},
        wrong=spread.wrong,
    )
    assert exact.separates(-thresholds.COMPOSITION_P_STRICT_LOG10)
