"""Tests for course_lib.tl._subset: marker means, the T/NK rule, taking a subset from .raw."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import course_lib
from course_lib.tl import marker_means, subset_from_raw, t_nk_clusters


@pytest.fixture
def clustered(small_prepared: ad.AnnData) -> ad.AnnData:
    course_lib.graph_clustering(small_prepared, [0.6])
    return small_prepared


def majority_lineage(adata: ad.AnnData, key: str) -> pd.Series:
    return course_lib.contingency_table(adata, key, course_lib.LINEAGE_KEY).idxmax(axis=1)


def test_rule_picks_the_t_nk_clusters(clustered):
    rule = t_nk_clusters(clustered, "leiden_0.6")
    selected = set(rule.index[rule["selected"]])
    lineage = majority_lineage(clustered, "leiden_0.6")
    expected = {str(c) for c in lineage.index[lineage == "T/NK"]}
    assert expected, "the fixture should have T/NK clusters"
    assert selected == expected


def test_rule_separates_t_from_nk(clustered):
    rule = t_nk_clusters(clustered, "leiden_0.6")
    truth = course_lib.contingency_table(clustered, "leiden_0.6", course_lib.TRUTH_KEY)
    majority = truth.idxmax(axis=1)
    nk_clusters = {str(c) for c in majority.index[majority == "NK"]}
    assert set(rule.index[rule["is_nk"]]) == nk_clusters
    assert not (rule["is_t"] & rule["is_nk"]).any()


def test_rule_is_invariant_to_label_names(clustered):
    renamed = clustered.obs["leiden_0.6"].cat.rename_categories(lambda c: f"c{int(c) + 7}")
    clustered.obs["renamed"] = renamed
    original = t_nk_clusters(clustered, "leiden_0.6")
    again = t_nk_clusters(clustered, "renamed")
    cells_original = clustered.obs["leiden_0.6"].isin(original.index[original["selected"]])
    cells_again = clustered.obs["renamed"].isin(again.index[again["selected"]])
    assert (cells_original == cells_again).all()


def test_rule_excludes_clusters(clustered):
    rule = t_nk_clusters(clustered, "leiden_0.6")
    first = rule.index[rule["selected"]][0]
    excluded = t_nk_clusters(clustered, "leiden_0.6", exclude=[first])
    assert not excluded.loc[first, "selected"]
    assert excluded.loc[first, "excluded"]
    assert excluded["selected"].sum() == rule["selected"].sum() - 1


def test_marker_means_known_answer():
    x = sp.csr_matrix(np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 4.0]], dtype=np.float32))
    adata = ad.AnnData(
        X=x,
        obs=pd.DataFrame({"cl": pd.Categorical(["b", "b", "a"])}, index=["c1", "c2", "c3"]),
        var=pd.DataFrame(index=["G1", "G2"]),
    )
    adata.raw = adata
    means = marker_means(adata, "cl", ["G2", "G1"])
    assert list(means.index) == ["a", "b"] and list(means.columns) == ["G2", "G1"]
    np.testing.assert_allclose(means.loc["b"], [1.0, 2.0])
    np.testing.assert_allclose(means.loc["a"], [4.0, 0.0])
    np.testing.assert_allclose(marker_means(adata, "cl", ["G1"], use_raw=False)["G1"], [0, 2])


def test_subset_takes_all_genes_from_raw(clustered):
    rule = t_nk_clusters(clustered, "leiden_0.6")
    chosen = list(rule.index[rule["selected"]])
    subset = subset_from_raw(clustered, "leiden_0.6", chosen)
    in_chosen = clustered.obs["leiden_0.6"].isin(chosen).to_numpy()
    assert subset.n_obs == in_chosen.sum()
    assert list(subset.var_names) == list(clustered.raw.var_names)
    assert list(subset.raw.var_names) == list(clustered.raw.var_names)
    np.testing.assert_allclose(subset.X.toarray(), clustered.raw.X[in_chosen].toarray())
    assert set(subset.obs["leiden_0.6_full"]) == set(chosen)
    assert "leiden_0.6" not in subset.obs
    np.testing.assert_allclose(
        subset.obsm["X_pca_harmony_full"], clustered.obsm["X_pca_harmony"][in_chosen]
    )
    assert subset.uns["subset"]["params"] == {"groupby": "leiden_0.6", "clusters": chosen}


def test_subset_does_not_modify_input(clustered):
    before = clustered.raw.X.copy()
    subset = subset_from_raw(clustered, "leiden_0.6", ["0"])
    subset.X.data[:] = -1
    assert (clustered.raw.X != before).nnz == 0
    assert "leiden_0.6" in clustered.obs
