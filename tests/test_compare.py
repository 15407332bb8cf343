"""Comparing clusterings: permutation-invariant scores, contingency tables, the heatmap."""

from __future__ import annotations

import anndata as ad
import matplotlib

matplotlib.use("Agg")  # tests draw off-screen

import numpy as np
import pandas as pd
import pytest

from course_lib import agreement, contingency_heatmap, contingency_table


@pytest.fixture
def labelled() -> ad.AnnData:
    a = np.array(["0", "0", "0", "1", "1", "2", "2", "2"])
    renamed = pd.Series(a).map({"0": "x", "1": "y", "2": "z"}).to_numpy()
    other = np.array(["0", "0", "1", "1", "1", "2", "2", "0"])
    obs = pd.DataFrame(
        {"a": a, "renamed": renamed, "other": other}, index=[f"c{i}" for i in range(8)]
    ).astype("category")
    return ad.AnnData(obs=obs)


def test_different_partitions_agree_less(labelled):
    scores = agreement(labelled, "a", "other")
    assert scores["ari"] < 0.5 and scores["nmi"] < 1


def test_contingency_counts_and_normalisation(labelled):
    counts = contingency_table(labelled, "a", "other")
    assert counts.to_numpy().sum() == labelled.n_obs
    assert counts.loc["0", "0"] == 2 and counts.loc["2", "0"] == 1
    rows = contingency_table(labelled, "a", "other", normalize="index")
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    columns = contingency_table(labelled, "a", "other", normalize="columns")
    np.testing.assert_allclose(columns.sum(axis=0), 1.0)


def test_heatmap_is_titled_and_labelled(labelled):
    ax = contingency_heatmap(contingency_table(labelled, "a", "other"), title="a vs other")
    assert ax.get_title() == "a vs other"
    assert ax.get_xlabel() == "other" and ax.get_ylabel() == "a"
