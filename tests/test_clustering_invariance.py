"""k-means and hierarchical clustering do not depend on the order of the cells."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from course_lib.tl import hierarchical, kmeans
from tests.conftest import separated_blobs


@pytest.mark.parametrize(("cluster", "key"), [(kmeans, "kmeans_4"), (hierarchical, "ward_4")])
def test_cell_order_does_not_change_the_partition(cluster, key) -> None:
    adata = separated_blobs(seed=1)
    shuffled = adata[np.random.default_rng(2).permutation(adata.n_obs)].copy()
    cluster(adata, 4)
    cluster(shuffled, 4)
    same_cells = shuffled.obs[key].loc[adata.obs_names]
    assert adjusted_rand_score(adata.obs[key], same_cells) == 1.0
