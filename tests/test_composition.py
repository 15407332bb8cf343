"""Tests for proportion tables, stacked bars and QC flags per cluster."""

from __future__ import annotations

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import course_lib
from course_lib.pl import stacked_bar
from course_lib.tl import proportion_table, qc_by_cluster


def tiny(clusters: list[str], samples: list[str], **obs: list[float]) -> ad.AnnData:
    frame = pd.DataFrame(
        {"cluster": pd.Categorical(clusters), "sample": pd.Categorical(samples), **obs},
        index=[f"cell{i}" for i in range(len(clusters))],
    )
    return ad.AnnData(X=np.zeros((len(clusters), 1), dtype=np.float32), obs=frame)


@pytest.fixture
def two_samples() -> ad.AnnData:
    # sample A: 4 cells (3 in x, 1 in y); sample B: 2 cells (1 in x, 1 in y)
    return tiny(["x", "x", "x", "y", "x", "y"], ["A", "A", "A", "A", "B", "B"])


def test_rows_sum_to_one_in_both_directions(small_prepared):
    course_lib.graph_clustering(small_prepared, [0.6])
    for groupby, by in [("leiden_0.6", "sample"), ("sample", "leiden_0.6"), ("leiden_0.6", "type")]:
        for normalize in (False, True):
            table = proportion_table(small_prepared, groupby, by, normalize_by_group_size=normalize)
            assert table.index.name == groupby and table.columns.name == by
            np.testing.assert_allclose(table.sum(axis=1), 1.0)
            assert (table.to_numpy() >= 0).all()


def test_raw_proportions_known_answer(two_samples):
    table = proportion_table(two_samples, "cluster", "sample")
    assert table.loc["x", "A"] == pytest.approx(3 / 4)
    assert table.loc["x", "B"] == pytest.approx(1 / 4)
    assert table.loc["y", "A"] == pytest.approx(1 / 2)


def test_normalised_proportions_known_answer(two_samples):
    # per-sample fractions: x gets 3/4 of A and 1/2 of B -> x is 0.75 / 1.25 = 0.6 from A
    table = proportion_table(two_samples, "cluster", "sample", normalize_by_group_size=True)
    assert table.loc["x", "A"] == pytest.approx(0.6)
    assert table.loc["x", "B"] == pytest.approx(0.4)
    # y gets 1/4 of A and 1/2 of B -> 1/3 from A
    assert table.loc["y", "A"] == pytest.approx(1 / 3)


def test_normalisation_removes_sample_size():
    # same composition per sample (half x, half y), sample A ten times larger
    clusters = ["x"] * 10 + ["y"] * 10 + ["x", "y"]
    samples = ["A"] * 20 + ["B"] * 2
    adata = tiny(clusters, samples)
    raw = proportion_table(adata, "cluster", "sample")
    assert raw.loc["x", "A"] == pytest.approx(10 / 11)
    normalised = proportion_table(adata, "cluster", "sample", normalize_by_group_size=True)
    np.testing.assert_allclose(normalised.to_numpy(), 0.5)


def test_other_direction_is_composition_of_each_sample(two_samples):
    table = proportion_table(two_samples, "sample", "cluster")
    assert table.loc["A", "x"] == pytest.approx(3 / 4)
    assert table.loc["B", "y"] == pytest.approx(1 / 2)


def test_unused_categories_are_left_out(two_samples):
    two_samples.obs["cluster"] = two_samples.obs["cluster"].cat.add_categories(["empty"])
    table = proportion_table(two_samples, "cluster", "sample")
    assert list(table.index) == ["x", "y"]


def test_stacked_bar_has_titles_and_legend_outside(two_samples):
    table = proportion_table(two_samples, "cluster", "sample")
    ax = stacked_bar(table, title="Samples per cluster", xlabel="cluster", ylabel="fraction")
    assert ax.get_title() == "Samples per cluster"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cluster", "fraction")
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "sample"
    assert [t.get_text() for t in legend.get_texts()] == ["A", "B"]
    ax.figure.canvas.draw()
    legend_box = legend.get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1  # right of the plotting area
    # one stacked bar per row: segment heights of the first bar add up to 1
    heights = [patch.get_height() for patch in ax.patches[:: table.shape[0]]]
    assert sum(heights) == pytest.approx(1.0)
    plt.close(ax.figure)


def test_stacked_bar_uses_given_axes(two_samples):
    fig, ax = plt.subplots()
    table = proportion_table(two_samples, "cluster", "sample")
    assert stacked_bar(table, title="t", xlabel="x", ylabel="y", ax=ax, legend_title="L") is ax
    assert ax.get_legend().get_title().get_text() == "L"
    plt.close(fig)


@pytest.fixture
def qc_data() -> ad.AnnData:
    # clusters a-d are ordinary; "big" has 4x the counts, "sick" high mito and low counts
    clusters = [c for c in ["a", "b", "c", "d", "big", "sick"] for _ in range(3)]
    counts = [1000.0] * 12 + [4000.0] * 3 + [300.0] * 3
    mito = [5.0] * 15 + [20.0] * 3
    genes = [500.0] * 18
    return tiny(
        clusters,
        ["A"] * 18,
        total_counts=counts,
        pct_counts_mt=mito,
        n_genes_by_counts=genes,
    )


def test_qc_flags_known_clusters(qc_data):
    qc = qc_by_cluster(qc_data, "cluster", fold=1.5)
    assert qc.loc["big", "median_total_counts"] == 4000
    assert list(qc.index[qc["high_counts"]]) == ["big"]
    assert list(qc.index[qc["low_counts"]]) == ["sick"]
    assert list(qc.index[qc["high_pct_mt"]]) == ["sick"]
    assert sorted(qc.index[qc["flagged"]]) == ["big", "sick"]
    assert (qc["n_cells"] == 3).all()


def test_qc_nothing_flagged_when_clusters_alike(qc_data):
    qc_data.obs["total_counts"] = 1000.0
    qc_data.obs["pct_counts_mt"] = 5.0
    assert not qc_by_cluster(qc_data, "cluster")["flagged"].any()
