"""k-means wrapper: known answers on separated blobs, recorded parameters.

Wrong arguments are tested in test_bad_input.py.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from course_lib.defaults import kmeans_key
from course_lib.tl import kmeans
from course_lib.tl._labels import size_ordered_labels
from tests.conftest import separated_blobs

REP = "X_pca_harmony"


def test_separated_blobs_are_recovered() -> None:
    adata = separated_blobs()
    kmeans(adata, 4)
    assert adjusted_rand_score(adata.obs["truth"], adata.obs["kmeans_4"]) == 1.0


def test_labels_are_strings_ordered_by_size() -> None:
    adata = separated_blobs(n_per_blob=10, n_blobs=2)
    keep = np.r_[0:10, 10:14]  # blob "1" keeps 4 cells, blob "0" keeps 10
    adata = adata[keep].copy()
    kmeans(adata, 2)
    labels = adata.obs["kmeans_2"]
    assert isinstance(labels.dtype, pd.CategoricalDtype)
    assert list(labels.cat.categories) == ["0", "1"]
    assert labels.value_counts()["0"] == 10
    assert (labels.iloc[:10] == "0").all()


def test_size_ordering_is_a_relabelling() -> None:
    labels = np.array([7, 7, 3, 3, 3, 9])
    renamed = size_ordered_labels(labels)
    assert list(renamed) == ["1", "1", "0", "0", "0", "2"]
    assert adjusted_rand_score(labels, renamed) == 1.0


def test_two_cells_two_clusters() -> None:
    adata = ad.AnnData(obsm={REP: np.array([[0.0, 0.0], [1.0, 1.0]])})
    kmeans(adata, 2)
    assert sorted(adata.obs["kmeans_2"]) == ["0", "1"]


def test_params_and_inertia_are_recorded_under_key_added() -> None:
    adata = separated_blobs()
    kmeans(adata, 3, n_init=2, random_state=5, key_added="km")
    assert adata.uns["km"]["params"] == {
        "n_clusters": 3,
        "use_rep": REP,
        "n_init": 2,
        "random_state": 5,
    }
    assert "inertia" in adata.uns["km"]
    assert "kmeans_3" not in adata.obs


def test_inertia_falls_with_k() -> None:
    adata = separated_blobs()
    for k in (2, 4, 8):
        kmeans(adata, k)
    inertias = [adata.uns[kmeans_key(k)]["inertia"] for k in (2, 4, 8)]
    assert inertias[0] > inertias[1] > inertias[2]


def test_runs_on_the_prepared_embedding(small_prepared: ad.AnnData) -> None:
    kmeans(small_prepared, 8)
    labels = small_prepared.obs["kmeans_8"]
    assert labels.cat.categories.size == 8
    assert adjusted_rand_score(small_prepared.obs["lineage_truth"], labels) > 0.3


def test_numpy_integer_is_accepted() -> None:
    adata = separated_blobs()
    kmeans(adata, np.int64(4))
    assert adata.uns["kmeans_4"]["params"]["n_clusters"] == 4
    assert type(adata.uns["kmeans_4"]["params"]["n_clusters"]) is int
