"""The reference answers the checks compare with, computed from the data an exercise uses.

A reference is computed from :func:`reference_data` (the course data, or the small data a
test passes as ``reference=``) with the course's settings (:mod:`course_lib.defaults`), and
kept in the store of :mod:`course_lib.checks.references`, which computes it once per
process or takes it from the file the grader handed over. The reference labels are never
shown to students.

Examples
--------
>>> from course_lib.checks.reference_answers import reference_data, reference_leiden
>>> reference_leiden(reference_data(), 0.6).nunique()  # doctest: +SKIP
13
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.neighbors import NearestNeighbors

from ..defaults import (
    HARMONY_KEY,
    LEIDEN_OPTIONS,
    N_INIT,
    N_NEIGHBORS,
    N_PCS,
    SAMPLE_KEY,
    SEED,
)
from .references import cached, fingerprint

UNCORRECTED_KEY = "X_pca"
"""``obsm`` key of the uncorrected PCA embedding (the usual wrong answer)."""

REFERENCE_SEEDS = (0, 1, 2)
"""Leiden seeds of the reference clusterings; an answer is scored by its best ARI to them.

Leiden at one resolution lands in slightly different partitions depending on the seed
and flavour (and machine, scanpy issue 2014); several references make the score robust."""

_REFERENCE_DATA: dict[str, ad.AnnData] = {}


def reference_data(reference: ad.AnnData | None = None) -> ad.AnnData:
    """The data the references are computed from: ``reference``, or the course data.

    Parameters
    ----------
    reference
        Prepared data to compute references from (tests pass small simulated data);
        ``None`` loads :func:`course_lib.load_integrated` once per process.

    Returns
    -------
    The :class:`~anndata.AnnData` (not copied; checks only read it).

    Examples
    --------
    >>> reference_data().n_obs  # doctest: +SKIP
    7733
    """
    if reference is not None:
        return reference
    if "course" not in _REFERENCE_DATA:
        from ..datasets import load_integrated

        _REFERENCE_DATA["course"] = load_integrated(progress=False)
    return _REFERENCE_DATA["course"]


def _cell_digest(names: pd.Index) -> str:
    return hashlib.sha1("\0".join(names).encode(), usedforsecurity=False).hexdigest()


def leiden_options(flavor: str = "igraph") -> dict[str, Any]:
    """The ``sc.tl.leiden`` options of a flavour: the course's for igraph, else the flavour.

    Examples
    --------
    >>> leiden_options("igraph") == {"flavor": "igraph", "n_iterations": 2, "directed": False}
    True
    >>> leiden_options("leidenalg")
    {'flavor': 'leidenalg'}
    """
    return dict(LEIDEN_OPTIONS) if flavor == LEIDEN_OPTIONS["flavor"] else {"flavor": flavor}


def cells_only(adata: ad.AnnData, reps: Iterable[str] = (HARMONY_KEY,)) -> ad.AnnData:
    """A new AnnData with only the cells of ``adata`` and its embeddings ``reps``.

    A light copy to build a graph on without touching (or copying) the data itself;
    embeddings ``adata`` does not have are left out.

    Examples
    --------
    >>> adata = ad.AnnData(np.ones((2, 3)), obsm={"X_pca": np.eye(2), "X_pca_harmony": np.eye(2)})
    >>> cells = cells_only(adata, ["X_pca_harmony", "X_pca", "X_umap"])
    >>> sorted(cells.obsm), cells.n_vars
    (['X_pca', 'X_pca_harmony'], 0)
    """
    cells = ad.AnnData(obs=pd.DataFrame(index=adata.obs_names.copy()))
    for rep in reps:
        if rep in adata.obsm:
            cells.obsm[rep] = np.asarray(adata.obsm[rep])
    return cells


def reference_graph(ref: ad.AnnData, rep: str = HARMONY_KEY) -> ad.AnnData:
    """A kNN graph on ``ref.obsm[rep]`` with the course's settings, cached per process.

    Parameters
    ----------
    ref
        Prepared data.
    rep
        ``obsm`` key of the embedding.

    Returns
    -------
    A small :class:`~anndata.AnnData` holding only the cells, ``obsm[rep]`` and the graph.

    Examples
    --------
    >>> reference_graph(reference_data()).obsp["connectivities"].shape  # doctest: +SKIP
    (7733, 7733)
    """

    def compute() -> ad.AnnData:
        graph = cells_only(ref, [rep])
        sc.pp.neighbors(graph, n_neighbors=N_NEIGHBORS, use_rep=rep, random_state=SEED)
        return graph

    return cached(("graph", fingerprint(ref, rep)), compute)


def reference_leiden(
    ref: ad.AnnData,
    resolution: float,
    *,
    rep: str = HARMONY_KEY,
    seed: int = SEED,
    flavor: str = "igraph",
) -> pd.Series:
    """Leiden labels on the reference graph of ``rep``, indexed by cell, cached per process.

    Parameters
    ----------
    ref
        Prepared data.
    resolution
        Leiden resolution.
    rep
        ``obsm`` key the graph is built on.
    seed
        Leiden seed.
    flavor
        ``"igraph"`` (with the course's :data:`~course_lib.defaults.LEIDEN_OPTIONS`) or
        ``"leidenalg"``.

    Returns
    -------
    A :class:`pandas.Series` of cluster labels (strings) indexed by ``obs_names``.

    Examples
    --------
    >>> reference_leiden(reference_data(), 0.6).nunique()  # doctest: +SKIP
    13
    """

    def compute() -> pd.Series:
        graph = reference_graph(ref, rep).copy()
        options = leiden_options(flavor)
        sc.tl.leiden(graph, resolution=resolution, random_state=seed, key_added="ref", **options)
        return graph.obs["ref"].astype(str)

    key = ("leiden", fingerprint(ref, rep), float(resolution), seed, flavor)
    return cached(key, compute)


def reference_inertia(
    ref: ad.AnnData, k: int, *, rep: str = HARMONY_KEY, n_init: int = N_INIT, seed: int = SEED
) -> float:
    """k-means inertia on ``ref.obsm[rep]``, cached per process.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    rep
        ``obsm`` key of the embedding.
    n_init
        Number of k-means restarts.
    seed
        ``random_state`` of :class:`sklearn.cluster.KMeans`.

    Returns
    -------
    The within-cluster sum of squares of the best restart.

    Examples
    --------
    >>> reference_inertia(reference_data(), 10)  # doctest: +SKIP
    21350.7
    """

    def compute() -> float:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        return float(model.fit(np.asarray(ref.obsm[rep])).inertia_)

    return cached(("inertia", fingerprint(ref, rep), int(k), n_init, seed), compute)


def reference_ward(
    ref: ad.AnnData, k: int, *, rep: str = HARMONY_KEY, linkage: str = "ward"
) -> pd.Series:
    """Agglomerative clustering of ``ref.obsm[rep]`` cut at ``k`` clusters, cached.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    rep
        ``obsm`` key of the embedding.
    linkage
        Linkage criterion of :class:`sklearn.cluster.AgglomerativeClustering`.

    Returns
    -------
    A :class:`pandas.Series` of cluster labels (strings) indexed by ``obs_names``.

    Examples
    --------
    >>> reference_ward(reference_data(), 10).nunique()  # doctest: +SKIP
    10
    """

    def compute() -> pd.Series:
        model = AgglomerativeClustering(n_clusters=k, linkage=linkage)
        labels = model.fit_predict(np.asarray(ref.obsm[rep]))
        return pd.Series(labels.astype(str), index=ref.obs_names)

    return cached(("ward", fingerprint(ref, rep), int(k), linkage), compute)


def reference_knn(ref: ad.AnnData, rep: str, n_neighbors: int) -> np.ndarray:
    """The exact ``n_neighbors`` nearest neighbours of each cell in ``ref.obsm[rep]``, cached.

    Returns
    -------
    A cells × ``n_neighbors`` array of row indices into ``ref`` (the cell itself excluded).

    Examples
    --------
    >>> reference_knn(reference_data(), "X_pca_harmony", 15).shape  # doctest: +SKIP
    (7733, 15)
    """

    def compute() -> np.ndarray:
        search = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(ref.obsm[rep]))
        return search.kneighbors(return_distance=False)

    return cached(("exact_knn", fingerprint(ref, rep), n_neighbors), compute)


def reference_hvg(
    ref: ad.AnnData,
    cells: pd.Index,
    *,
    n_top_genes: int = 2000,
    batch_key: str | None = SAMPLE_KEY,
) -> set[str]:
    """Highly variable genes chosen within ``cells`` from ``ref.raw``, cached per process.

    Parameters
    ----------
    ref
        Prepared data with log-normalised expression of all genes in ``.raw``.
    cells
        The subset's ``obs_names``.
    n_top_genes
        Number of genes to select.
    batch_key
        ``obs`` column; genes are ranked within each batch, as in chapter 5 (``None``: over
        all cells together, the usual mistake).

    Returns
    -------
    The set of selected gene names.

    Examples
    --------
    >>> len(reference_hvg(reference_data(), tnk.obs_names))  # doctest: +SKIP
    2000
    """

    def compute() -> set[str]:
        rows = ref.obs_names.get_indexer(cells)
        subset = ad.AnnData(
            X=ref.raw.X[rows],
            obs=ref.obs.iloc[rows][[batch_key] if batch_key else []].copy(),
            var=ref.raw.var[[]],
        )
        subset.uns["log1p"] = dict(ref.uns.get("log1p", {"base": None}))
        sc.pp.highly_variable_genes(subset, n_top_genes=n_top_genes, batch_key=batch_key)
        return set(subset.var_names[subset.var["highly_variable"]])

    return cached(("hvg", _cell_digest(cells), n_top_genes, batch_key), compute)


def embedding_knn(embedding: Any, n_neighbors: int = N_NEIGHBORS) -> np.ndarray:
    """The exact ``n_neighbors`` nearest neighbours of each row of ``embedding``.

    Returns
    -------
    A rows × ``n_neighbors`` array of row indices (the row itself excluded).

    Examples
    --------
    >>> embedding_knn(np.array([[0.0], [1.0], [5.0]]), 1).ravel().tolist()
    [1, 0, 1]
    """
    search = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(embedding, dtype=np.float64))
    return search.kneighbors(return_distance=False)


def reference_subset_knn(
    ref: ad.AnnData,
    cells: pd.Index,
    genes: pd.Index,
    *,
    batch_key: str = SAMPLE_KEY,
    scale: bool = True,
    n_comps: int = N_PCS,
    n_neighbors: int = N_NEIGHBORS,
) -> np.ndarray:
    """Neighbours of each cell in a PCA and a Harmony embedding of a subset, cached per process.

    Exercise 5's re-analysis of a subset, from ``ref.raw``: the ``cells`` and ``genes``,
    each gene scaled (clipped at 10) unless ``scale=False``, a PCA of ``n_comps`` components
    (seed :data:`~course_lib.defaults.SEED`), then Harmony for ``batch_key`` (same seed).
    Variants of the arguments are the usual mistakes, computed only to name one.

    Parameters
    ----------
    ref
        Prepared data with log-normalised expression of all genes in ``.raw``.
    cells
        The subset's ``obs_names``; the rows of the result follow their order.
    genes
        The genes of the PCA (names in ``ref.raw.var_names``).
    batch_key
        ``obs`` column Harmony corrects for.
    scale
        Scale each gene to unit variance before the PCA.
    n_comps
        Number of principal components.
    n_neighbors
        Neighbours per cell.

    Returns
    -------
    A cells × ``2 * n_neighbors`` integer array: each cell's exact nearest neighbours (row
    indices into ``cells``, the cell itself excluded) in the PCA (first ``n_neighbors``
    columns), then in the Harmony embedding.

    Examples
    --------
    >>> reference_subset_knn(reference_data(), tnk.obs_names, tnk.var_names).shape  # doctest: +SKIP
    (3833, 30)
    """

    def compute() -> np.ndarray:
        from ..pp import run_harmony

        rows = ref.obs_names.get_indexer(cells)
        columns = ref.raw.var_names.get_indexer(genes)
        x = ref.raw.X[rows][:, columns]
        x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
        subset = ad.AnnData(X=x.astype(np.float32), obs=ref.obs.iloc[rows][[batch_key]].copy())
        if scale:
            sc.pp.scale(subset, max_value=10)
        sc.pp.pca(subset, n_comps=n_comps, random_state=SEED)
        run_harmony(subset, batch_key, random_state=SEED)
        return np.hstack(
            [
                embedding_knn(subset.obsm["X_pca"], n_neighbors),
                embedding_knn(subset.obsm[HARMONY_KEY], n_neighbors),
            ]
        )

    genes_digest = _cell_digest(pd.Index(genes))
    key = ("subset_knn", _cell_digest(cells), genes_digest, batch_key, scale, n_comps, n_neighbors)
    return cached(key, compute)
