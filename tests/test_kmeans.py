"""k-means wrapper: known answers on separated blobs, recorded parameters, bad input."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
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


def test_params_and_inertia_are_recorded() -> None:
    adata = separated_blobs()
    kmeans(adata, 3, n_init=2, random_state=5, key_added="km")
    assert adata.uns["km"]["params"] == {
        "n_clusters": 3,
        "use_rep": REP,
        "n_init": 2,
        "random_state": 5,
    }
    x = adata.obsm[REP].astype(np.float64)
    labels = adata.obs["km"].to_numpy()
    inertia = sum(((x[labels == c] - x[labels == c].mean(0)) ** 2).sum() for c in set(labels))
    assert adata.uns["km"]["inertia"] == pytest.approx(inertia, rel=1e-6)
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


def test_not_anndata() -> None:
    with pytest.raises(TypeError, match="expected an AnnData object, got ndarray; pass your"):
        kmeans(np.zeros((5, 2)), 2)


def test_missing_use_rep() -> None:
    adata = separated_blobs()
    with pytest.raises(KeyError, match=r"obsm has no 'X_pca'; available: \['X_pca_harmony'\]"):
        kmeans(adata, 2, use_rep="X_pca")


@pytest.mark.parametrize("k", [1, 0, -3])
def test_too_few_clusters(k: int) -> None:
    with pytest.raises(ValueError, match=f"n_clusters must be at least 2.*got {k}"):
        kmeans(separated_blobs(), k)


def test_more_clusters_than_cells() -> None:
    adata = separated_blobs(n_per_blob=2, n_blobs=2)
    with pytest.raises(
        ValueError, match="n_clusters=5 is more than the 4 cells; pass n_clusters ≤ 4"
    ):
        kmeans(adata, 5)


@pytest.mark.parametrize("k", [2.5, "10", True, None])
def test_n_clusters_not_a_whole_number(k: object) -> None:
    with pytest.raises(TypeError, match="n_clusters must be a whole number such as 10"):
        kmeans(separated_blobs(), k)


def test_numpy_integer_is_accepted() -> None:
    adata = separated_blobs()
    kmeans(adata, np.int64(4))
    assert adata.uns["kmeans_4"]["params"]["n_clusters"] == 4
    assert type(adata.uns["kmeans_4"]["params"]["n_clusters"]) is int


def test_one_distinct_position() -> None:
    adata = ad.AnnData(obsm={REP: np.ones((10, 3))})
    with pytest.raises(
        ValueError, match=r"only 1 distinct cell position\(s\); pass n_clusters ≤ 1"
    ):
        kmeans(adata, 2)


def test_non_finite_embedding() -> None:
    x = np.zeros((10, 3))
    x[3, 1] = np.nan
    adata = ad.AnnData(obsm={REP: x})
    with pytest.raises(ValueError, match="contains NaN or infinite values; recompute it"):
        kmeans(adata, 2)


@pytest.mark.parametrize(
    ("n_init", "error", "message"),
    [
        (0, ValueError, "n_init must be at least 1, e.g. 10; got 0"),
        (2.5, TypeError, r"n_init must be a whole number such as 10, got 2.5 \(float\)"),
    ],
)
def test_bad_n_init(n_init: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        kmeans(separated_blobs(), 2, n_init=n_init)
