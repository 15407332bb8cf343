"""Shared fixtures (a small prepared dataset keeps unit tests to seconds) and the run's plan.

The suite runs on pytest-xdist with grouped scheduling (``--dist loadgroup``): each test
module is one group, so its module-scoped fixtures (a graded class, a built release) are made
once, and the chapters nbval executes form one group with every test that reads the book
built from them (:mod:`tests.book_build`), so each chapter is executed once per run. The
longest groups are handed out first.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from course_lib.datasets import simulate_pbmc
from course_lib.datasets.prepare import preparation_steps
from tests.book_build import BookBuild, build_book, record_cell

BOOK_GROUP = "book"
LONGEST_FIRST = (BOOK_GROUP, "tests/test_grading_class.py")
"""Groups started before the others, longest first (``--durations`` shows them)."""


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Collect only test modules here: ``--doctest-modules`` is for ``course_lib``.

    Without this, doctest collection would import every helper module in tests/ (the
    calibration and benchmark scripts, the fixtures), which are not tests.
    """
    helper = not collection_path.name.startswith(("test_", "conftest"))
    return True if collection_path.suffix == ".py" and helper else None


def _group(item: pytest.Item, root: Path) -> str:
    if item.path.suffix == ".ipynb" or "built_book" in getattr(item, "fixturenames", ()):
        return BOOK_GROUP
    return item.path.relative_to(root).as_posix()


def _order(group: str, item: pytest.Item) -> tuple[int, int]:
    rank = LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)
    return rank, item.path.suffix != ".ipynb"  # the chapters run before what reads them


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every test in its group (see the module docstring) and the longest groups first."""
    groups = {item: _group(item, config.rootpath) for item in items}
    for item, group in groups.items():
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: _order(groups[item], item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep what nbval's chapter cells output, for the book build to render."""
    report = yield
    record_cell(item, report)
    return report


def prepare_small(seed: int = 0, n_cells: int = 900) -> ad.AnnData:
    """A small simulated dataset run through every preparation step except the UMAPs."""
    adata = simulate_pbmc(n_cells=n_cells, n_background_genes=400, seed=seed)
    for name, step in preparation_steps(adata, seed=seed):
        if "UMAP" not in name:
            step()
    return adata


def separated_blobs(
    n_per_blob: int = 30, n_blobs: int = 4, seed: int = 0, rep: str = "X_pca_harmony"
) -> ad.AnnData:
    """Tight blobs far apart in 5 dimensions of ``obsm[rep]``; ``obs["truth"]`` is the blob."""
    rng = np.random.default_rng(seed)
    centres = 100.0 * rng.normal(size=(n_blobs, 5))
    truth = np.repeat(np.arange(n_blobs), n_per_blob)
    x = centres[truth] + rng.normal(scale=0.5, size=(truth.size, 5))
    names = [f"cell{i}" for i in range(truth.size)]
    obs = pd.DataFrame({"truth": pd.Categorical(truth.astype(str))}, index=names)
    return ad.AnnData(obs=obs, obsm={rep: x})


@pytest.fixture(scope="session")
def small_prepared_session() -> ad.AnnData:
    return prepare_small()


@pytest.fixture
def small_prepared(small_prepared_session: ad.AnnData) -> ad.AnnData:
    """A fresh copy of the small prepared dataset (tests may modify it)."""
    return small_prepared_session.copy()


@pytest.fixture(scope="session")
def built_book() -> BookBuild:
    """The book built once per session from the chapters nbval executed."""
    return build_book()
