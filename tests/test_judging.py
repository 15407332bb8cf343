"""Known answers of the tools that judge clusterings (course_lib.tl._metrics, _stability,
_composition_test): separated blobs, a single cluster, relabelled clusters."""

from __future__ import annotations

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from course_lib import pl, tl
from course_lib.pl._judging import _tree_rows

CENTRES = (0.0, 8.0, 16.0, 24.0)


@pytest.fixture(scope="module")
def blobs() -> ad.AnnData:
    """Four tight, well-separated groups of 50 cells in 3 dimensions, labelled by group."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.2, size=(50, 3)) for c in CENTRES])
    truth = np.repeat(["a", "b", "c", "d"], 50)
    relabelled = pd.Series(truth).map({"a": "d", "b": "c", "c": "a", "d": "b"}).to_numpy()
    obs = pd.DataFrame({"truth": truth, "relabelled": relabelled, "one": "all",
                        "halves": np.repeat(["left", "right"], 100)},
                       index=[f"cell{i}" for i in range(200)])
    return ad.AnnData(obs=obs, obsm={"X_pca_harmony": x})


def test_separated_blobs_score_near_the_best(blobs):
    table = tl.internal_metrics(blobs, ["truth", "halves"], truth_key="truth")
    assert table.loc["truth", "silhouette"] > 0.9
    assert table.loc["truth", "ARI with truth"] == 1.0
    assert table.loc["truth", "Davies-Bouldin"] < table.loc["halves", "Davies-Bouldin"]
    assert table.loc["truth", "Calinski-Harabasz"] > table.loc["halves", "Calinski-Harabasz"]
    assert table["clusters"].to_dict() == {"truth": 4, "halves": 2}


def test_every_metric_ignores_the_cluster_names(blobs):
    table = tl.internal_metrics(blobs, {"named": "truth", "renamed": "relabelled"},
                                truth_key="truth")
    pd.testing.assert_series_equal(table.loc["named"], table.loc["renamed"], check_names=False)
    original = tl.best_jaccard(blobs.obs["truth"], blobs.obs["halves"])
    renamed = tl.best_jaccard(blobs.obs["relabelled"], blobs.obs["halves"])
    assert sorted(original) == sorted(renamed)


def test_a_single_cluster_is_refused_with_a_reason(blobs):
    with pytest.raises(ValueError, match="'one' has 1 cluster; internal metrics need at least 2"):
        tl.internal_metrics(blobs, ["one"])
    assert tl.best_jaccard(blobs.obs["one"], blobs.obs["one"]).tolist() == [1.0]


def test_every_rule_finds_the_four_blobs(blobs):
    table, chosen = tl.choose_k(blobs.obsm["X_pca_harmony"], [2, 3, 4, 5, 6, 7])
    assert chosen == {"elbow": 4, "silhouette": 4, "gap": 4}
    assert table.index.tolist() == [2, 3, 4, 5, 6, 7]
    assert table.loc[4, "silhouette"] > 0.9


def test_choose_k_needs_three_increasing_ks(blobs):
    with pytest.raises(ValueError, match="3 or more increasing numbers of clusters"):
        tl.choose_k(blobs.obsm["X_pca_harmony"], [4, 2])


def test_knee_of_a_curve_with_a_clear_bend():
    assert tl.knee([1, 2, 3, 4, 5, 6], [60, 30, 5, 4, 3, 2]) == 2
    with pytest.raises(ValueError, match="at least 3 points"):
        tl.knee([1, 2], [2, 1])


def test_separated_blobs_are_perfectly_stable(blobs):
    cells = blobs.copy()
    tl.graph_clustering(cells, [0.2], n_neighbors=10, n_pcs=3)
    assert cells.obs["leiden_0.2"].nunique() == 4
    stability = tl.subsample_stability(cells, "leiden_0.2", resolution=0.2, n_runs=4,
                                       n_neighbors=10, n_pcs=3)
    assert stability.tolist() == [1.0] * 4
    assert cells.uns["leiden_0.2_stability"]["params"]["n_runs"] == 4
    seeds = tl.seed_agreement(cells, resolution=0.2, seeds=[0, 1, 2])
    assert seeds["ARI with first"].tolist() == [1.0, 1.0, 1.0]
    assert seeds["clusters"].tolist() == [4, 4, 4]


def test_a_split_that_moves_with_the_cells_is_unstable():
    """One uniform cloud: Leiden cuts it somewhere, and subsamples cut it elsewhere."""
    rng = np.random.default_rng(1)
    cells = ad.AnnData(obsm={"X_pca_harmony": rng.uniform(0, 1, size=(300, 2))})
    tl.graph_clustering(cells, [1.0], n_neighbors=10, n_pcs=2)
    stability = tl.subsample_stability(cells, "leiden_1.0", resolution=1.0, n_runs=4,
                                       n_neighbors=10, n_pcs=2)
    assert stability.min() < 0.9


def test_subsample_stability_refuses_a_fraction_outside_zero_one(blobs):
    with pytest.raises(ValueError, match="fraction must be between 0 and 1"):
        tl.subsample_stability(blobs, "truth", resolution=0.2, fraction=80)


def test_a_nested_tree_has_only_clean_splits(blobs):
    tree = tl.resolution_tree(blobs, ["halves", "truth"])
    assert (tree["child_share"] == 1.0).all()
    assert tree.groupby("parent")["child"].apply(sorted).to_dict() == {
        "left": ["a", "b"], "right": ["c", "d"]}
    reshuffled = tl.resolution_tree(blobs, ["truth", "halves"])
    assert (reshuffled["child_share"] == 0.5).all()


def test_the_cluster_tree_puts_children_under_their_parent():
    # labels in numeric order would cross the edges: "0" and "2" come from b, "1" from a
    obs = pd.DataFrame({"coarse": list("aaabbbbbb"), "fine": list("111002222")},
                       index=[f"c{i}" for i in range(9)])
    tree = tl.resolution_tree(ad.AnnData(obs=obs), ["coarse", "fine"])
    sizes = [obs["coarse"].value_counts(), obs["fine"].value_counts()]
    top, below = _tree_rows(tree, sizes)
    assert top["a"] < top["b"]
    assert below["1"] < min(below["0"], below["2"])
    fig, ax = plt.subplots()
    assert pl.cluster_tree(tree, ["coarse", "fine"], ax=ax) is ax
    plt.close(fig)


def _composition(shares_ctrl, shares_covid, *, cells=200) -> ad.AnnData:
    in_x = [*shares_ctrl, *shares_covid]
    n = len(in_x)
    return ad.AnnData(obs=pd.DataFrame({
        "sample": np.repeat([f"s{i}" for i in range(n)], cells),
        "type": np.repeat(["ctrl"] * len(shares_ctrl) + ["covid"] * len(shares_covid), cells),
        "cluster": np.concatenate(
            [["x"] * int(s * cells) + ["y"] * (cells - int(s * cells)) for s in in_x]),
    }, index=[str(i) for i in range(n * cells)]))


def test_no_difference_gives_no_small_p():
    result = tl.composition_test(_composition([0.3, 0.4, 0.5, 0.4], [0.4, 0.5, 0.3, 0.4]),
                                 "cluster")
    assert result.loc["x", "rank-test p"] > 0.5
    assert result.loc["x", "cell-level p"] > 0.5
    assert result.loc["x", "propeller p"] > 0.5


def test_propeller_falls_back_to_the_ordinary_fit_when_the_robust_one_has_no_solution(
    monkeypatch,
):
    """scanpro's robust empirical Bayes raises (a root search without a sign change) for
    some clusterings of the course data; the ordinary fit is used then, and recorded."""
    import scanpro

    real = scanpro.scanpro
    calls = []

    def robust_fails(*args, robust=True, **kwargs):
        calls.append(robust)
        if robust:
            raise ValueError("f(a) and f(b) must have different signs")
        return real(*args, robust=robust, **kwargs)

    data = _composition([0.3, 0.4, 0.5, 0.4], [0.4, 0.5, 0.3, 0.4])
    assert tl.composition_test(data, "cluster").attrs["propeller_robust"] is True
    monkeypatch.setattr(scanpro, "scanpro", robust_fails)
    result = tl.composition_test(data, "cluster")
    assert calls == [True, False]
    assert result.attrs["propeller_robust"] is False
    assert result.loc["x", "propeller p"] > 0.5


def test_pseudo_replication_is_overconfident_and_the_sample_tests_are_not():
    """Samples scatter widely; the condition means differ a little. Counting cells as
    replicates calls it certain; four samples per condition cannot."""
    result = tl.composition_test(
        _composition([0.2, 0.5, 0.3, 0.6], [0.35, 0.65, 0.45, 0.75], cells=2000), "cluster")
    assert result.loc["x", "cell-level p"] < 1e-10
    assert result.loc["x", "rank-test p"] > 0.05
    assert result.loc["x", "propeller p"] > 0.05


def test_the_rank_test_floor_with_four_samples_each():
    result = tl.composition_test(_composition([0.1, 0.12, 0.11, 0.13], [0.5, 0.52, 0.51, 0.5]),
                                 "cluster")
    assert result.loc["x", "rank-test p"] == pytest.approx(tl.smallest_rank_test_p(4, 4))
    assert result.loc["x", "propeller p"] < 0.01


def test_composition_test_names_the_cluster_whatever_it_is_called():
    data = _composition([0.3, 0.35, 0.4, 0.3], [0.6, 0.55, 0.5, 0.6])
    renamed = data.copy()
    renamed.obs["cluster"] = renamed.obs["cluster"].map({"x": "7", "y": "12"})
    original, relabelled = tl.composition_test(data, "cluster"), tl.composition_test(
        renamed, "cluster")
    pd.testing.assert_frame_equal(original.loc[["x", "y"]].reset_index(drop=True),
                                  relabelled.loc[["7", "12"]].reset_index(drop=True))


def test_a_sample_in_two_conditions_is_refused():
    data = _composition([0.3, 0.35], [0.6, 0.55])
    data.obs.loc[data.obs.index[:5], "type"] = "covid"
    with pytest.raises(ValueError, match=r"samples \['s0'\] have cells of more than one 'type'"):
        tl.composition_test(data, "cluster")


def test_one_sample_per_condition_is_refused():
    with pytest.raises(ValueError, match="two conditions with at least two samples each"):
        tl.composition_test(_composition([0.3], [0.6]), "cluster")


def test_seed_agreement_needs_a_graph(blobs):
    with pytest.raises(KeyError, match="no kNN graph under uns\\['neighbors'\\]; run course_lib"):
        tl.seed_agreement(blobs, resolution=0.2, seeds=[0, 1])


def test_islands_are_pure_and_a_cut_through_one_is_not(blobs):
    assert tl.neighbourhood_purity(blobs, "truth").tolist() == [1.0, 1.0, 1.0, 1.0]
    halves = tl.neighbourhood_purity(blobs, "halves")
    assert halves.tolist() == [1.0, 1.0]  # a cut between islands is still pure
    cut = blobs.obs["truth"].astype(str).to_numpy().copy()
    cut[:25] = "a1"  # split island "a" through its middle (random order: an arbitrary cut)
    blobs_cut = blobs.copy()
    blobs_cut.obs["cut"] = cut
    purity = tl.neighbourhood_purity(blobs_cut, "cut")
    assert purity["a"] < 0.75 and purity["a1"] < 0.75
    assert purity[["b", "c", "d"]].tolist() == [1.0, 1.0, 1.0]
    table = tl.internal_metrics(blobs_cut, ["truth", "cut"])
    assert table.loc["truth", "kNN purity"] == 1.0 > table.loc["cut", "kNN purity"]


def test_purity_ignores_the_cluster_names(blobs):
    named = tl.neighbourhood_purity(blobs, "truth")
    renamed = tl.neighbourhood_purity(blobs, "relabelled")
    assert sorted(named) == sorted(renamed)
    with pytest.raises(ValueError, match="needs more than 200 cells"):
        tl.neighbourhood_purity(blobs, "truth", n_neighbors=200)
