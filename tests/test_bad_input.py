"""Every public function refuses a wrong argument with the right exception and a helpful message.

One row per mistake: the function, the call, the exception type and a fragment of the message
(plain text, not a regular expression). The messages must say what is wrong and, where the
fragment shows it, how to fix it. Arguments written as ``BLOBS``, ``CELLS`` and so on are
built afresh for each row. Checks that need a computed state first (a tree cut after
subsetting, the memory budget) stay with their function's tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from course_lib import MissingKeyError
from course_lib._validation import check_list, check_number
from course_lib.datasets import fetch_file
from course_lib.pl import contingency_heatmap, setup_plotting, stacked_bar
from course_lib.pp import run_harmony
from course_lib.tl import (
    agreement,
    contingency_table,
    cut_hierarchy,
    distance_matrix_bytes,
    graph_clustering,
    hierarchical,
    kmeans,
    marker_means,
    proportion_table,
    qc_by_cluster,
    same_sample_neighbour_share,
    subset_from_raw,
    t_nk_clusters,
)
from tests.conftest import separated_blobs

REP = "X_pca_harmony"


# --- inputs, built afresh for every row ---------------------------------------------------


def _cells(*, raw: bool = True, missing_label: bool = False) -> ad.AnnData:
    """Six cells in three clusters and two samples, with QC columns, markers in .raw, PCA."""
    obs = pd.DataFrame(
        {
            "cluster": pd.Categorical(["0", "0", "1", "1", "2", "2"]),
            "other": pd.Categorical(["a", "b", "a", "b", "a", "b"]),
            "sample": pd.Categorical(["A", "A", "A", "B", "B", "B"]),
            "total_counts": [1000.0, 1100.0, 900.0, 1000.0, 4000.0, 300.0],
            "pct_counts_mt": [5.0, 4.0, 6.0, 5.0, 5.0, 25.0],
            "n_genes_by_counts": [500.0, 520.0, 480.0, 500.0, 900.0, 200.0],
        },
        index=[f"c{i}" for i in range(6)],
    )
    if missing_label:
        obs.loc["c1", "cluster"] = np.nan
    x = np.arange(18, dtype=np.float32).reshape(6, 3) % 5
    pca = np.arange(12, dtype=np.float64).reshape(6, 2)
    cells = ad.AnnData(
        X=x,
        obs=obs,
        var=pd.DataFrame(index=["CD3E", "GNLY", "NKG7"]),
        obsm={"X_pca": pca, REP: pca.copy()},
    )
    if raw:
        cells.raw = cells
    return cells


def _embedding(x: np.ndarray) -> ad.AnnData:
    return ad.AnnData(obsm={REP: x})


def _with_nan() -> ad.AnnData:
    x = np.zeros((10, 3))
    x[3, 1] = np.nan
    return _embedding(x)


class Data(NamedTuple):
    """An AnnData (or table) argument, built afresh for each row so no row sees another's."""

    name: str
    build: Callable[[], Any]

    def __repr__(self) -> str:
        return self.name


BLOBS = Data("BLOBS", separated_blobs)  # 4 blobs of 30 cells in obsm["X_pca_harmony"]
FOUR_CELLS = Data("FOUR_CELLS", lambda: separated_blobs(n_per_blob=2, n_blobs=2))
SAME_POSITION = Data("SAME_POSITION", lambda: _embedding(np.ones((10, 3))))
NAN_EMBEDDING = Data("NAN_EMBEDDING", _with_nan)
FLAT_CELL = Data(  # the first cell's embedding is constant: its correlation is undefined
    "FLAT_CELL", lambda: _embedding(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [3.0, 1.0, 2.0]]))
)
CELLS = Data("CELLS", _cells)
CELLS_NO_RAW = Data("CELLS_NO_RAW", lambda: _cells(raw=False))
CELLS_MISSING_LABEL = Data("CELLS_MISSING_LABEL", lambda: _cells(missing_label=True))
NO_CELLS = Data("NO_CELLS", lambda: _cells()[[]].copy())
AN_ARRAY, A_FRAME = np.zeros((5, 2)), pd.DataFrame({"a": [1.0, 2.0]})
NOT_ADATA = "expected an AnnData object, got"


class Bad(NamedTuple):
    id: str
    function: Callable[..., Any]
    args: tuple
    kwargs: dict[str, Any]
    error: type[Exception]
    message: str


def bad(id_, function, *args, error, message, **kwargs) -> Bad:
    return Bad(id_, function, args, kwargs, error, message)


# --- the table (one row per mistake; not reformatted, to stay readable as a table) ---------

# fmt: off
CASES = [
    # k-means
    bad("kmeans-not-anndata", kmeans, AN_ARRAY, 2,
        error=TypeError, message=f"{NOT_ADATA} ndarray; pass your `adata`"),
    bad("kmeans-no-cells", kmeans, NO_CELLS, 2,
        error=ValueError, message="adata has no cells"),
    bad("kmeans-use_rep-missing", kmeans, BLOBS, 2, use_rep="X_pca",
        error=MissingKeyError, message="obsm has no 'X_pca'; available: ['X_pca_harmony']"),
    bad("kmeans-n_clusters-1", kmeans, BLOBS, 1,
        error=ValueError, message="n_clusters must be at least 2, e.g. 10; got 1"),
    bad("kmeans-n_clusters-negative", kmeans, BLOBS, -3,
        error=ValueError, message="n_clusters must be at least 2, e.g. 10; got -3"),
    bad("kmeans-more-clusters-than-cells", kmeans, FOUR_CELLS, 5,
        error=ValueError, message="n_clusters=5 is more than the 4 cells; pass n_clusters ≤ 4"),
    bad("kmeans-n_clusters-float", kmeans, BLOBS, 2.5,
        error=TypeError, message="n_clusters must be a whole number such as 10, got 2.5 (float)"),
    bad("kmeans-n_clusters-string", kmeans, BLOBS, "10",
        error=TypeError, message="n_clusters must be a whole number such as 10, got '10' (str)"),
    bad("kmeans-n_clusters-bool", kmeans, BLOBS, True,
        error=TypeError, message="n_clusters must be a whole number such as 10, got True"),
    bad("kmeans-n_clusters-None", kmeans, BLOBS, None,
        error=TypeError, message="n_clusters must be a whole number such as 10, got None"),
    bad("kmeans-one-distinct-position", kmeans, SAME_POSITION, 2,
        error=ValueError, message="only 1 distinct cell position(s); pass n_clusters ≤ 1"),
    bad("kmeans-nan-embedding", kmeans, NAN_EMBEDDING, 2,
        error=ValueError, message="contains NaN or infinite values; recompute it"),
    bad("kmeans-n_init-0", kmeans, BLOBS, 2, n_init=0,
        error=ValueError, message="n_init must be at least 1, e.g. 10; got 0"),
    bad("kmeans-n_init-float", kmeans, BLOBS, 2, n_init=2.5,
        error=TypeError, message="n_init must be a whole number such as 10, got 2.5 (float)"),
    # hierarchical clustering and its tree
    bad("hierarchical-not-anndata", hierarchical, A_FRAME, 2,
        error=TypeError, message=f"{NOT_ADATA} DataFrame; pass your `adata`"),
    bad("hierarchical-use_rep-missing", hierarchical, BLOBS, 2, use_rep="X_umap",
        error=MissingKeyError, message="obsm has no 'X_umap'; available: ['X_pca_harmony']"),
    bad("hierarchical-n_clusters-1-in-list", hierarchical, BLOBS, [1, 5],
        error=ValueError, message="n_clusters must be at least 2, e.g. 10; got 1"),
    bad("hierarchical-more-clusters-than-cells", hierarchical, FOUR_CELLS, 9,
        error=ValueError, message="n_clusters=9 is more than the 4 cells; pass n_clusters ≤ 4"),
    bad("hierarchical-n_clusters-float-in-list", hierarchical, BLOBS, [2, 4.0],
        error=TypeError, message="n_clusters must be a whole number such as 10, got 4.0"),
    bad("hierarchical-n_clusters-empty", hierarchical, BLOBS, [],
        error=ValueError, message="n_clusters is empty; pass a number such as 10 or a list"),
    bad("hierarchical-one-distinct-position", hierarchical, SAME_POSITION, 2,
        error=ValueError, message="only 1 distinct cell position(s); pass n_clusters ≤ 1"),
    bad("hierarchical-unknown-method", hierarchical, BLOBS, 4, method="median",
        error=ValueError, message="method must be one of ('ward', 'average'"),
    bad("hierarchical-unknown-metric", hierarchical, BLOBS, 4, method="average", metric="spearman",
        error=ValueError, message="metric must be one of ('euclidean', 'correlation'"),
    bad("hierarchical-ward-correlation", hierarchical, BLOBS, 4, metric="correlation",
        error=ValueError, message="method='ward' needs Euclidean distances"),
    bad("hierarchical-ward-cosine", hierarchical, BLOBS, 4, metric="cosine",
        error=ValueError, message="pass metric='euclidean', or method='average'"),
    bad("hierarchical-correlation-of-flat-cell", hierarchical, FLAT_CELL, 2, method="average",
        metric="correlation", error=ValueError,
        message="metric='correlation' is undefined for cells whose embedding"),
    bad("hierarchical-max_bytes-0", hierarchical, BLOBS, 4, max_bytes=0,
        error=ValueError, message="max_bytes must be a positive number of bytes such as 2e9"),
    bad("hierarchical-max_bytes-negative", hierarchical, BLOBS, 4, max_bytes=-5,
        error=ValueError, message="max_bytes must be a positive number of bytes such as 2e9"),
    bad("hierarchical-max_bytes-string", hierarchical, BLOBS, 4, max_bytes="1GB",
        error=TypeError, message="max_bytes must be a number such as 2e9"),
    bad("cut_hierarchy-without-tree", cut_hierarchy, BLOBS, 3,
        error=MissingKeyError, message="uns has no tree 'ward'; run hierarchical(adata, ...)"),
    bad("distance_matrix_bytes-negative", distance_matrix_bytes, -1,
        error=ValueError, message="n_cells must be at least 0"),
    bad("distance_matrix_bytes-float", distance_matrix_bytes, 2.5,
        error=TypeError, message="n_cells must be a whole number"),
    bad("distance_matrix_bytes-string", distance_matrix_bytes, "100",
        error=TypeError, message="n_cells must be a whole number"),
    # graph clustering
    bad("graph_clustering-not-anndata", graph_clustering, AN_ARRAY,
        error=TypeError, message=f"{NOT_ADATA} ndarray"),
    bad("graph_clustering-use_rep-missing", graph_clustering, CELLS, use_rep="X_scvi",
        error=MissingKeyError, message="obsm has no 'X_scvi'; available: ['X_pca', "),
    bad("graph_clustering-resolutions-string", graph_clustering, CELLS, "0.6", error=TypeError,
        message="resolutions must be a list such as [0.6] or [0.4, 1.0], got '0.6' (str)"),
    bad("graph_clustering-resolutions-number", graph_clustering, CELLS, 0.6,
        error=TypeError, message="resolutions must be a list such as [0.6] or [0.4, 1.0], got 0.6"),
    bad("graph_clustering-resolution-not-a-number", graph_clustering, CELLS, ["high"],
        error=TypeError, message="each resolution must be a number such as 0.6, got 'high' (str)"),
    bad("graph_clustering-n_neighbors-1", graph_clustering, CELLS, [0.6], n_neighbors=1,
        error=ValueError, message="n_neighbors must be at least 2, e.g. 15; got 1"),
    bad("graph_clustering-n_neighbors-float", graph_clustering, CELLS, [0.6], n_neighbors=7.5,
        error=TypeError, message="n_neighbors must be a whole number such as 15, got 7.5"),
    # comparing clusterings
    bad("agreement-not-anndata", agreement, A_FRAME, "a", "b",
        error=TypeError, message=f"{NOT_ADATA} DataFrame; pass your `adata`"),
    bad("agreement-obs-column-missing", agreement, CELLS, "leiden", "cluster",
        error=MissingKeyError, message="obs has no column 'leiden'; available: ['cluster', "),
    bad("agreement-missing-labels", agreement, CELLS_MISSING_LABEL, "cluster", "other",
        error=ValueError, message="obs['cluster'] has 1 missing values; every cell needs one"),
    bad("contingency_table-normalize-rows", contingency_table, CELLS, "cluster", "other",
        normalize="rows", error=ValueError,
        message="normalize must be None, 'index' or 'columns', not 'rows'"),
    bad("contingency_table-obs-column-missing", contingency_table, CELLS, "cluster", "louvain",
        error=MissingKeyError, message="obs has no column 'louvain'"),
    # composition and QC per cluster
    bad("proportion_table-not-anndata", proportion_table, A_FRAME, "cluster", "sample",
        error=TypeError, message=f"{NOT_ADATA} DataFrame"),
    bad("proportion_table-groupby-missing", proportion_table, CELLS, "leiden", "sample",
        error=MissingKeyError, message="obs has no column 'leiden'; available: ['cluster'"),
    bad("proportion_table-by-missing", proportion_table, CELLS, "cluster", "condition",
        error=MissingKeyError, message="obs has no column 'condition'"),
    bad("proportion_table-same-key", proportion_table, CELLS, "sample", "sample",
        error=ValueError, message="groupby and by are both 'sample'; pass two different"),
    bad("proportion_table-no-cells", proportion_table, NO_CELLS, "cluster", "sample",
        error=ValueError, message="adata has no cells"),
    bad("proportion_table-missing-labels", proportion_table, CELLS_MISSING_LABEL, "cluster",
        "sample", error=ValueError, message="obs['cluster'] has 1 missing values"),
    bad("qc_by_cluster-not-anndata", qc_by_cluster, A_FRAME, "cluster",
        error=TypeError, message=NOT_ADATA),
    bad("qc_by_cluster-groupby-missing", qc_by_cluster, CELLS, "leiden_0.6",
        error=MissingKeyError, message="obs has no column 'leiden_0.6'"),
    bad("qc_by_cluster-metric-missing", qc_by_cluster, CELLS, "cluster",
        metrics=["total_counts", "pct_counts_mt", "pct_counts_ribo"], error=MissingKeyError,
        message="obs has no column 'pct_counts_ribo'"),
    bad("qc_by_cluster-metrics-without-counts", qc_by_cluster, CELLS, "cluster",
        metrics=["pct_counts_mt"], error=ValueError,
        message="metrics must include ['total_counts']"),
    bad("qc_by_cluster-fold-1", qc_by_cluster, CELLS, "cluster", fold=1.0,
        error=ValueError, message="fold must be larger than 1 (e.g. 1.5)"),
    bad("qc_by_cluster-fold-string", qc_by_cluster, CELLS, "cluster", fold="1.5",
        error=TypeError, message="fold must be a number such as 1.5, got '1.5' (str)"),
    # markers, the T/NK rule, subsets
    bad("marker_means-gene-missing", marker_means, CELLS, "cluster", ["CD3E", "CD3X"],
        error=MissingKeyError, message="genes ['CD3X'] are not in adata.raw"),
    bad("marker_means-genes-empty", marker_means, CELLS, "cluster", [],
        error=ValueError, message="genes is empty; pass at least one gene symbol"),
    bad("marker_means-genes-string", marker_means, CELLS, "cluster", "CD3E",
        error=TypeError, message="genes must be a list such as ['CD3E'], got 'CD3E' (str)"),
    bad("marker_means-no-raw", marker_means, CELLS_NO_RAW, "cluster", ["CD3E"],
        error=ValueError, message="adata.raw is None; pass use_raw=False"),
    bad("t_nk_clusters-not-anndata", t_nk_clusters, A_FRAME, "cluster",
        error=TypeError, message=f"{NOT_ADATA} DataFrame"),
    bad("t_nk_clusters-groupby-missing", t_nk_clusters, CELLS, "leiden_1",
        error=MissingKeyError, message="obs has no column 'leiden_1'; available: ["),
    bad("t_nk_clusters-min_fraction-above-1", t_nk_clusters, CELLS, "cluster", min_fraction=1.5,
        error=ValueError, message="min_fraction must be in (0, 1]"),
    bad("t_nk_clusters-exclude-unknown", t_nk_clusters, CELLS, "cluster", exclude=["99"],
        error=ValueError, message="cannot exclude ['99']: not clusters of 'cluster'"),
    bad("t_nk_clusters-exclude-string", t_nk_clusters, CELLS, "cluster", exclude="12",
        error=TypeError, message="exclude must be a list such as ['3', '7'], got '12' (str)"),
    bad("t_nk_clusters-markers-empty", t_nk_clusters, CELLS, "cluster", nk_markers=[],
        error=ValueError, message="t_markers and nk_markers each need at least one gene"),
    bad("subset_from_raw-not-anndata", subset_from_raw, [], "cluster", ["0"],
        error=TypeError, message=f"{NOT_ADATA} list"),
    bad("subset_from_raw-groupby-missing", subset_from_raw, CELLS, "louvain", ["0"],
        error=MissingKeyError, message="obs has no column 'louvain'"),
    bad("subset_from_raw-no-clusters", subset_from_raw, CELLS, "cluster", [],
        error=ValueError, message="no clusters chosen; pass at least one of ['0', '1', '2']"),
    bad("subset_from_raw-cluster-unknown", subset_from_raw, CELLS, "cluster", ["0", "99"],
        error=ValueError, message="clusters ['99'] are not in obs['cluster']"),
    bad("subset_from_raw-clusters-string", subset_from_raw, CELLS, "cluster", "12",
        error=TypeError, message="clusters must be a list such as ['1', '4'], got '12' (str)"),
    bad("subset_from_raw-no-raw", subset_from_raw, CELLS_NO_RAW, "cluster", ["0"],
        error=ValueError, message="adata.raw is None; store the log-normalised data"),
    # batch-mixing diagnostic, Harmony
    bad("same_sample_neighbour_share-use_rep-missing", same_sample_neighbour_share, CELLS, "X_nope",
        error=MissingKeyError, message="obsm has no 'X_nope'; available"),
    bad("same_sample_neighbour_share-batch_key-missing", same_sample_neighbour_share, CELLS,
        "X_pca", batch_key="donor", error=MissingKeyError, message="obs has no column 'donor'"),
    bad("same_sample_neighbour_share-n_neighbors-0", same_sample_neighbour_share, CELLS, "X_pca",
        n_neighbors=0, error=ValueError, message="n_neighbors must be at least 1, e.g. 15; got 0"),
    bad("same_sample_neighbour_share-n_neighbors-all-cells", same_sample_neighbour_share, CELLS,
        "X_pca", n_neighbors=6, error=ValueError,
        message="n_neighbors must be between 1 and 5 (cells - 1), not 6"),
    bad("run_harmony-basis-missing", run_harmony, CELLS, "sample", basis="X_pca_scaled",
        error=MissingKeyError, message="obsm has no 'X_pca_scaled'"),
    bad("run_harmony-batch_key-missing", run_harmony, CELLS, "donor",
        error=MissingKeyError, message="obs has no column 'donor'"),
    # plots
    bad("stacked_bar-not-dataframe", stacked_bar, np.ones((2, 2)), title="t", xlabel="x",
        ylabel="y", error=TypeError,
        message="expected a pandas DataFrame, got ndarray; pass proportion_table"),
    bad("stacked_bar-empty-table", stacked_bar, pd.DataFrame(), title="t", xlabel="x", ylabel="y",
        error=ValueError, message="the table is empty"),
    bad("contingency_heatmap-not-dataframe", contingency_heatmap, np.ones((2, 2)), title="t",
        error=TypeError, message="got ndarray; pass contingency_table(...)"),
    bad("setup_plotting-dpi-0", setup_plotting, dpi=0,
        error=ValueError, message="dpi must be at least 1, e.g. 80; got 0"),
    # downloads (refused before any connection)
    bad("fetch_file-sha256-malformed", fetch_file, "http://127.0.0.1:9/x", "abc",
        error=ValueError, message="sha256 must be 64 hexadecimal digits, got 'abc'"),
    bad("fetch_file-sha256-not-a-string", fetch_file, "http://127.0.0.1:9/x", 123,
        error=TypeError, message="sha256 must be a string of 64 hexadecimal digits, got 123"),
    # the shared checks
    bad("check_list-string", check_list, "genes", "CD3E", example="['CD3E']",
        error=TypeError, message="got 'CD3E' (str); for one item pass ['CD3E']"),
    bad("check_list-number", check_list, "clusters", 3, example="['3']",
        error=TypeError, message="clusters must be a list such as ['3'], got 3 (int)"),
    bad("check_number-string", check_number, "fold", "1.5", example=1.5,
        error=TypeError, message="fold must be a number such as 1.5, got '1.5' (str)"),
    bad("check_number-bool", check_number, "fold", True, example=1.5,
        error=TypeError, message="fold must be a number such as 1.5, got True (bool)"),
    bad("check_number-None", check_number, "resolution", None, example=0.6,
        error=TypeError, message="resolution must be a number such as 0.6, got None (NoneType)"),
]
# fmt: on


def _build(value: object) -> object:
    return value.build() if isinstance(value, Data) else value


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_with_a_helpful_message(case: Bad) -> None:
    args = [_build(value) for value in case.args]
    kwargs = {name: _build(value) for name, value in case.kwargs.items()}
    with pytest.raises(case.error, match=re.escape(case.message)) as raised:
        case.function(*args, **kwargs)
    # an exact type, so a KeyError cannot stand in for the MissingKeyError the docs promise
    assert type(raised.value) is case.error


def test_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
