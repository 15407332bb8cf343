"""Shared fixtures: a small prepared dataset keeps unit tests to seconds."""

from __future__ import annotations

import anndata as ad
import pytest

from course_lib.prepare import preparation_steps
from course_lib.simulate import simulate_pbmc


def prepare_small(seed: int = 0, n_cells: int = 900) -> ad.AnnData:
    """A small simulated dataset run through every preparation step except the UMAPs."""
    adata = simulate_pbmc(n_cells=n_cells, n_background_genes=400, seed=seed)
    for name, step in preparation_steps(adata, seed=seed):
        if "UMAP" not in name:
            step()
    return adata


@pytest.fixture(scope="session")
def small_prepared_session() -> ad.AnnData:
    return prepare_small()


@pytest.fixture
def small_prepared(small_prepared_session: ad.AnnData) -> ad.AnnData:
    """A fresh copy of the small prepared dataset (tests may modify it)."""
    return small_prepared_session.copy()
