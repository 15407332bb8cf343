"""Graph clustering with the course's defaults: kNN graph on Harmony, Leiden (igraph)."""

from __future__ import annotations

from collections.abc import Iterable

import anndata as ad
import scanpy as sc
from scanpy import logging as logg

from .._validation import check_adata, check_list, check_number, check_whole_number, require_obsm
from ..defaults import (
    HARMONY_KEY,
    LEIDEN_OPTIONS,
    N_NEIGHBORS,
    N_PCS,
    RESOLUTIONS,
    SEED,
    leiden_key,
)


def graph_clustering(
    adata: ad.AnnData,
    resolutions: Iterable[float] = RESOLUTIONS,
    *,
    use_rep: str = HARMONY_KEY,
    n_neighbors: int = N_NEIGHBORS,
    n_pcs: int = N_PCS,
    random_state: int = SEED,
) -> None:
    """Build the kNN graph on ``use_rep`` and run Leiden at each resolution.

    The same calls a student makes in chapter 1, with the igraph flavour of Leiden
    (about five times faster than ``leidenalg``) and a fixed seed.

    Parameters
    ----------
    adata
        Prepared data, e.g. from :func:`course_lib.load_integrated`.
    resolutions
        Leiden resolutions; higher gives more, smaller clusters.
    use_rep
        ``obsm`` key of the representation the graph is built on.
    n_neighbors
        Neighbours per cell in the kNN graph.
    n_pcs
        Number of dimensions of ``use_rep`` used for distances.
    random_state
        Seed of the graph's approximate search and of Leiden.

    Returns
    -------
    ``None``; sets ``adata.obsp["connectivities"]``, ``adata.obsp["distances"]``,
    ``adata.uns["neighbors"]`` and, per resolution, ``adata.obs["leiden_<resolution>"]``
    (categorical) and ``adata.uns["leiden_<resolution>"]["params"]``.

    Examples
    --------
    Three groups of 20 cells, far apart in a 2-dimensional embedding:

    >>> import anndata as ad, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.repeat([[0.0, 0.0], [10.0, 10.0], [0.0, 20.0]], 20, axis=0)
    >>> cells = ad.AnnData(obsm={"X_pca_harmony": x + rng.normal(size=x.shape)})
    >>> graph_clustering(cells, resolutions=[0.6], n_neighbors=10, n_pcs=2)
    >>> cells.obs["leiden_0.6"].value_counts().tolist()
    [20, 20, 20]
    >>> cells.uns["leiden_0.6"]["params"]["resolution"]
    0.6
    """
    check_adata(adata)
    require_obsm(adata, use_rep)
    resolutions = check_list("resolutions", resolutions, example="[0.6] or [0.4, 1.0]")
    for resolution in resolutions:
        check_number("each resolution", resolution, example=0.6)
    check_whole_number("n_neighbors", n_neighbors, minimum=2, example=N_NEIGHBORS)
    if n_pcs is not None:
        check_whole_number("n_pcs", n_pcs, minimum=1, example=N_PCS)
    start = logg.info(
        f"graph clustering on {use_rep!r}: {n_neighbors} neighbours, Leiden at {resolutions}"
    )
    sc.pp.neighbors(
        adata, n_neighbors=n_neighbors, n_pcs=n_pcs, use_rep=use_rep, random_state=random_state
    )
    for resolution in resolutions:
        sc.tl.leiden(
            adata,
            resolution=resolution,
            key_added=leiden_key(resolution),
            random_state=random_state,
            **LEIDEN_OPTIONS,
        )
    logg.info(
        "    finished",
        time=start,
        deep="added\n    " + ", ".join(repr(leiden_key(r)) for r in resolutions)
        + ", the cluster labels (adata.obs, categorical)",
    )
