"""Shared fixtures (a small prepared dataset keeps unit tests to seconds) and the run's plan.

The suite runs on pytest-xdist in groups: each test module (or chapter) is one group, so its
module-scoped fixtures (a graded class, a built release) are made once and a chapter's cells
run in one kernel. The test modules that read the book form one group
(:data:`BOOK_READERS`); the book they read renders the chapters nbval executed, on whichever
worker, so each chapter is executed once per run (:mod:`tests.book_build`). The classes
graded in ``test_grading_class.py`` form a group per assignment. Groups are handed out in
the order of :data:`FIRST` (the chapters, longest first, before the book's readers, which wait
for them), then the rest.
"""

from __future__ import annotations

import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from xdist.scheduler import LoadScopeScheduling

from course_lib.datasets import simulate_pbmc
from course_lib.datasets.prepare import preparation_steps
from tests import book_build
from tests.book_build import BookBuild, build_book, record_cell

BOOK_GROUP = "book"
BOOK_READERS = ("tests/test_book.py", "tests/test_browser.py", "tests/test_key_figures.py")
"""The test modules that use the ``built_book`` fixture (checked at collection)."""
CLASSES = "tests/test_grading_class.py"
"""Grades each assignment's class lazily, once per assignment: one group per assignment."""
FIRST = (
    *(f"book/{name}.ipynb" for name in ("06_validation", "05_subclustering", "02_kmeans",
      "03_hierarchical", "07_beyond_one_clustering", "04_distribution", "01_graph_clustering",
      "cost_of_methods", "dataset")),
    BOOK_GROUP, f"{CLASSES}::01_graph_clustering", f"{CLASSES}::06_judging",
    f"{CLASSES}::05_subclustering", f"{CLASSES}::03_hierarchical",
    "tests/test_workshop_rehearsal.py",
)  # fmt: skip
"""Groups handed out before the others, in this order: every chapter before the book's readers
(which wait for them), each part longest first (``--durations`` shows them)."""


def group_of(nodeid: str) -> str:
    """The group a test runs in: the book's readers', its assignment's class, or its own
    file's (a chapter's cells are one group)."""
    path = nodeid.split("::", 1)[0]
    if path in BOOK_READERS:
        return BOOK_GROUP
    assignment = re.search(r"\[(\d\d_[a-z_]+)", nodeid)
    return f"{path}::{assignment.group(1)}" if path == CLASSES and assignment else path


class GroupScheduling(LoadScopeScheduling):
    """xdist's scope scheduling (a group runs on one worker, in collection order), with the
    groups of :func:`group_of`. (xdist's own ``loadgroup`` reads ``xdist_group`` marks from
    the node ids, which pytest 9 no longer lets a plugin rename.)"""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> GroupScheduling | None:
    return GroupScheduling(config, log) if config.getoption("dist") == "loadscope" else None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Collect only test modules here: ``--doctest-modules`` is for ``course_lib``.

    Without this, doctest collection would import every helper module in tests/ (the
    calibration and benchmark scripts, the fixtures), which are not tests.
    """
    helper = not collection_path.name.startswith(("test_", "conftest"))
    return True if collection_path.suffix == ".py" and helper else None


def _order(item: pytest.Item) -> int:
    group = group_of(item.nodeid)
    return FIRST.index(group) if group in FIRST else len(FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the groups of :data:`FIRST` first; fail if a test reads the book outside its group."""
    strays = {item.nodeid for item in items if "built_book" in getattr(item, "fixturenames", ())
              and group_of(item.nodeid) != BOOK_GROUP}  # fmt: skip
    if strays:
        raise pytest.UsageError(f"add their modules to BOOK_READERS: {sorted(strays)}")
    items.sort(key=_order)


class NbvalRecorder:
    """Keeps what nbval's chapter cells output, for the book build to render.

    A plugin, not a hook of this file: a conftest's report hooks only see the items below
    its own folder, and the chapters are in ``book/``.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        record_cell(item, report)
        return report


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the book build which chapters nbval runs in full in this run (it waits for them)."""
    cells: dict[Path, int] = {}
    for item in session.items:
        if item.path.suffix == ".ipynb":
            cells[item.path] = cells.get(item.path, 0) + 1
    book_build.EXPECTED.update(p for p, n in cells.items() if n == book_build.n_code_cells(p))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(NbvalRecorder(), "nbval-recorder")


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
