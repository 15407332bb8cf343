"""The simulated dataset: deterministic, realistic structure, markers where they belong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_lib.datasets import CELL_TYPES, SAMPLES, simulate_pbmc
from course_lib.defaults import TRUTH_KEY
from course_lib.tl import chance_same_sample_share, same_sample_neighbour_share


@pytest.fixture(scope="module")
def raw_small():
    return simulate_pbmc(n_cells=1500, n_background_genes=300, seed=3)


def test_same_seed_gives_identical_counts():
    a = simulate_pbmc(n_cells=300, n_background_genes=100, seed=7)
    b = simulate_pbmc(n_cells=300, n_background_genes=100, seed=7)
    assert (a.X != b.X).nnz == 0
    pd.testing.assert_frame_equal(a.obs, b.obs)


def test_other_seed_gives_other_counts():
    a = simulate_pbmc(n_cells=300, n_background_genes=100, seed=7)
    b = simulate_pbmc(n_cells=300, n_background_genes=100, seed=8)
    assert (a.X != b.X).nnz > 0


def test_shape_and_obs_columns(raw_small):
    assert raw_small.n_obs == 1500
    assert {"sample", "type", TRUTH_KEY, "lineage_truth"} <= set(raw_small.obs)
    assert set(raw_small.obs["sample"].cat.categories) == set(SAMPLES)
    for sample, condition in SAMPLES.items():
        assert (raw_small.obs.loc[raw_small.obs["sample"] == sample, "type"] == condition).all()
    assert raw_small.var_names.is_unique
    for prefix in ("MT-", "RPS", "RPL", "HB"):
        assert raw_small.var_names.str.startswith(prefix).any(), prefix


def test_counts_are_sparse_integers_with_library_size_spread(raw_small):
    x = raw_small.X
    assert np.array_equal(x.data, np.round(x.data))
    density = x.nnz / (x.shape[0] * x.shape[1])
    assert 0.05 < density < 0.7
    totals = np.asarray(x.sum(axis=1)).ravel()
    assert totals.max() / np.median(totals) > 3  # doublets and big cells
    assert np.median(totals) / totals.min() > 3  # damaged cells


def test_every_population_and_artefact_present(raw_small):
    found = set(raw_small.obs[TRUTH_KEY].unique())
    assert {ct.name for ct in CELL_TYPES} | {"doublet", "low quality"} == found


def test_each_marker_is_highest_in_a_population_that_lists_it(raw_small):
    x = raw_small.X.toarray()
    x = np.log1p(x / x.sum(axis=1, keepdims=True) * 1e4)
    truth = raw_small.obs[TRUTH_KEY].to_numpy()
    names = [ct.name for ct in CELL_TYPES]
    means = pd.DataFrame(
        [x[truth == name].mean(axis=0) for name in names], index=names, columns=raw_small.var_names
    )
    for ct in CELL_TYPES:
        for marker in ct.markers:
            owners = {c.name for c in CELL_TYPES if marker in c.markers}
            assert means[marker].idxmax() in owners, (marker, means[marker].idxmax())


def test_covid_samples_shift_composition_and_carry_interferon(raw_small):
    obs = raw_small.obs
    mono = obs[TRUTH_KEY] == "Classical monocyte"
    share = mono.groupby(obs["type"], observed=True).mean()
    assert share["covid"] > 1.2 * share["ctrl"]
    isg = np.asarray(raw_small[:, "ISG15"].X.sum(axis=1)).ravel()
    totals = np.asarray(raw_small.X.sum(axis=1)).ravel()
    rate = pd.Series(isg / totals).groupby(obs["type"].to_numpy()).mean()
    assert rate["covid"] > 3 * rate["ctrl"]


def test_batch_effect_present_before_harmony_and_reduced_after(small_prepared):
    chance = chance_same_sample_share(small_prepared)
    before = same_sample_neighbour_share(small_prepared, "X_pca")
    after = same_sample_neighbour_share(small_prepared, "X_pca_harmony")
    assert before > 3 * chance
    assert after < before / 2
