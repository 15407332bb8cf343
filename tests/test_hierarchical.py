"""Hierarchical clustering: known answers, stored tree and cuts, memory guard.

Wrong arguments are tested in test_bad_input.py.
"""

from __future__ import annotations

import functools

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import adjusted_rand_score

from course_lib import MemoryBudgetError
from course_lib.tl import _hierarchical as hc
from course_lib.tl import (
    cut_hierarchy,
    distance_matrix_bytes,
    format_bytes,
    hclust_key,
    hierarchical,
)
from tests.conftest import separated_blobs

REP = "X_pca_harmony"


blobs = functools.partial(separated_blobs, n_per_blob=25)


@pytest.mark.parametrize(("method", "metric"), [("ward", "euclidean"), ("average", "euclidean")])
def test_separated_blobs_are_recovered(method: str, metric: str) -> None:
    adata = blobs()
    hierarchical(adata, 4, method=method, metric=metric)
    key = f"{hclust_key(method, metric)}_4"
    assert adjusted_rand_score(adata.obs["truth"], adata.obs[key]) == 1.0


def test_correlation_groups_profiles_not_magnitudes() -> None:
    # Two profile shapes, each at several scales: correlation sees 2 groups, Euclidean does not.
    shapes = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 1.0, 3.0, 0.0]])
    scales = np.array([1.0, 1.5, 10.0, 15.0])
    x = np.vstack([s * shape for shape in shapes for s in scales])
    truth = np.repeat([0, 1], scales.size)
    adata = ad.AnnData(obsm={REP: x})
    hierarchical(adata, 2, method="average", metric="correlation")
    hierarchical(adata, 2, method="average", metric="euclidean")
    assert adjusted_rand_score(truth, adata.obs["average_correlation_2"]) == 1.0
    assert adjusted_rand_score(truth, adata.obs["average_2"]) < 1.0


def test_correlation_distance_is_halved() -> None:
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 2.0, 4.0]])
    adata = ad.AnnData(obsm={REP: x})
    hierarchical(adata, 2, method="average", metric="correlation")
    merges = adata.uns["average_correlation"]["linkage"]
    r = np.corrcoef(x)
    first = (1 - r[0, 2]) / 2
    assert merges[0, 2] == pytest.approx(first)
    # The root joins cell 1 (r = -1 with cell 0) to {0, 2}; its height is the average.
    assert merges[1, 2] == pytest.approx(((1 - r[1, 0]) / 2 + (1 - r[1, 2]) / 2) / 2)


def test_several_cuts_nest_and_match_scipy() -> None:
    adata = blobs(n_per_blob=15, n_blobs=6)
    hierarchical(adata, [6, 2, 3])
    assert adata.uns["ward"]["params"]["n_clusters"] == [2, 3, 6]
    merges = adata.uns["ward"]["linkage"]
    for k in (2, 3, 6):
        labels = adata.obs[f"ward_{k}"]
        assert labels.cat.categories.size == k
        assert adata.uns[f"ward_{k}"]["params"]["n_clusters"] == k
        reference = fcluster(merges, k, criterion="maxclust")
        assert adjusted_rand_score(reference, labels) == 1.0
    # Cuts of one tree nest: every k=6 cluster lies inside one k=2 cluster.
    table = pd.crosstab(adata.obs["ward_6"], adata.obs["ward_2"])
    assert ((table > 0).sum(axis=1) == 1).all()


def test_cut_hierarchy_reuses_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    adata = blobs()
    hierarchical(adata, 2)

    def no_linkage(*args: object, **kwargs: object) -> None:
        raise AssertionError("cut_hierarchy recomputed the linkage")

    monkeypatch.setattr(hc, "linkage", no_linkage)
    cut_hierarchy(adata, [4, 3])
    assert adjusted_rand_score(adata.obs["truth"], adata.obs["ward_4"]) == 1.0
    assert adata.uns["ward"]["params"]["n_clusters"] == [2, 3, 4]


def test_two_cells() -> None:
    adata = ad.AnnData(obsm={REP: np.array([[0.0, 0.0], [1.0, 1.0]])})
    hierarchical(adata, 2)
    assert sorted(adata.obs["ward_2"]) == ["0", "1"]


def test_params_recorded(small_prepared: ad.AnnData) -> None:
    hierarchical(small_prepared, [5, 10], method="average", metric="cosine", key_added="h")
    assert small_prepared.uns["h"]["params"] == {
        "use_rep": REP,
        "method": "average",
        "metric": "cosine",
        "n_clusters": [5, 10],
    }
    assert small_prepared.uns["h"]["linkage"].shape == (small_prepared.n_obs - 1, 4)
    assert small_prepared.obs["h_10"].cat.categories.size == 10


@pytest.mark.parametrize("n", [1, 2, 101])
def test_memory_estimates_match_scipy(n: int) -> None:
    x = np.random.default_rng(0).normal(size=(n, 3))
    assert distance_matrix_bytes(n) == pdist(x).nbytes
    assert distance_matrix_bytes(n, condensed=False) == squareform(pdist(x)).nbytes


@pytest.mark.parametrize(
    ("n_bytes", "text"), [(39_999_600_000, "40 GB"), (239_132_000, "239 MB"), (512, "512 B")]
)
def test_format_bytes(n_bytes: int, text: str) -> None:
    assert format_bytes(n_bytes) == text


def test_refuses_more_than_max_bytes() -> None:
    adata = blobs()  # 100 cells: 2 × 4,950 × 8 bytes = 79.2 kB
    with pytest.raises(
        MemoryBudgetError, match=r"100 cells needs about 79.2 kB .* more than 50 kB"
    ) as err:
        hierarchical(adata, 4, max_bytes=50_000)
    assert "subsample" in str(err.value)
    assert "k-means" in str(err.value)
    assert "ward_4" not in adata.obs


def test_default_limit_is_available_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hc, "default_max_bytes", lambda: 10_000)
    with pytest.raises(MemoryBudgetError, match="half of the memory available now"):
        hierarchical(blobs(), 4)


def test_default_max_bytes_is_half_of_available(monkeypatch: pytest.MonkeyPatch) -> None:
    class Memory:
        available = 8_000_000_000

    monkeypatch.setattr(hc.psutil, "virtual_memory", lambda: Memory())
    assert hc.default_max_bytes() == 4_000_000_000


def test_cut_after_subsetting() -> None:
    adata = blobs()
    hierarchical(adata, 2)
    subset = adata[:50].copy()
    with pytest.raises(ValueError, match="joins 100 cells but adata has 50; run hierarchical"):
        cut_hierarchy(subset, 3)
