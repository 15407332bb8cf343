"""Measures of how well an embedding mixes samples (the batch effect)."""

from __future__ import annotations

import anndata as ad
import numpy as np
from sklearn.neighbors import NearestNeighbors

from .._validation import check_adata, check_whole_number, require_obs_column, require_obsm
from ..defaults import N_NEIGHBORS, SAMPLE_KEY


def same_sample_neighbour_share(
    adata: ad.AnnData, use_rep: str, *, batch_key: str = SAMPLE_KEY, n_neighbors: int = N_NEIGHBORS
) -> float:
    """Share of each cell's nearest neighbours that come from the cell's own sample.

    With well-mixed samples this approaches the share expected by chance (about
    1 / number of samples); a strong batch effect pushes it towards 1.

    Parameters
    ----------
    adata
        Data with an embedding in ``obsm[use_rep]`` and the batch in ``obs[batch_key]``.
    use_rep
        ``obsm`` key of the embedding, e.g. ``"X_pca"`` or ``"X_pca_harmony"``.
    batch_key
        ``obs`` column with the sample (batch) of each cell.
    n_neighbors
        Neighbours per cell (the cell itself is not counted).

    Returns
    -------
    The mean share, between 0 and 1.

    Examples
    --------
    Two samples side by side (each cell's neighbour is from its own sample), then mixed:

    >>> import anndata as ad, numpy as np, pandas as pd
    >>> cells = ad.AnnData(
    ...     obs=pd.DataFrame({"sample": ["a", "a", "b", "b"]}, index=["c1", "c2", "c3", "c4"]),
    ...     obsm={"apart": np.array([[0.0], [1.0], [10.0], [11.0]]),
    ...           "mixed": np.array([[0.0], [10.0], [1.0], [11.0]])},
    ... )
    >>> same_sample_neighbour_share(cells, "apart", n_neighbors=1)
    1.0
    >>> same_sample_neighbour_share(cells, "mixed", n_neighbors=1)
    0.0
    """
    check_adata(adata)
    require_obsm(adata, use_rep)
    require_obs_column(adata, batch_key)
    check_whole_number("n_neighbors", n_neighbors, minimum=1, example=15)
    if n_neighbors >= adata.n_obs:
        msg = f"n_neighbors must be between 1 and {adata.n_obs - 1} (cells - 1), not {n_neighbors}"
        raise ValueError(msg)
    search = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(adata.obsm[use_rep]))
    neighbours = search.kneighbors(return_distance=False)
    batch = adata.obs[batch_key].astype("category").cat.codes.to_numpy()
    return float((batch[neighbours] == batch[:, None]).mean())


def chance_same_sample_share(adata: ad.AnnData, *, batch_key: str = SAMPLE_KEY) -> float:
    """Same-sample share expected if neighbours were drawn at random (sum of squared shares).

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame({"sample": ["a", "a", "b", "b"]}, index=list("wxyz")))
    >>> chance_same_sample_share(cells)
    0.5
    """
    check_adata(adata)
    require_obs_column(adata, batch_key)
    shares = adata.obs[batch_key].value_counts(normalize=True).to_numpy()
    return float((shares**2).sum())
