"""Harmony batch correction of a PCA embedding, called directly from harmonypy."""

from __future__ import annotations

import anndata as ad
import harmonypy
import numpy as np
from scanpy import logging as logg

from .._validation import check_adata, require_obs_column, require_obsm
from ..defaults import HARMONY_KEY, SAMPLE_KEY, SEED


def run_harmony(
    adata: ad.AnnData,
    batch_key: str = SAMPLE_KEY,
    *,
    basis: str = "X_pca",
    key_added: str | None = None,
    random_state: int = SEED,
) -> None:
    """Correct ``obsm[basis]`` for ``batch_key`` with Harmony.

    Calls :func:`harmonypy.run_harmony` directly (``scanpy.external.pp.harmony_integrate``
    mis-reads the result shape of recent harmonypy releases).

    Parameters
    ----------
    adata
        Data with a PCA embedding in ``obsm[basis]``.
    batch_key
        ``obs`` column with the batch (here the sample) of each cell.
    basis
        ``obsm`` key of the embedding to correct.
    key_added
        Where to store the result, as in scanpy: by default ``obsm["X_pca_harmony"]`` and
        ``uns["harmony"]``; otherwise ``obsm[key_added]`` and ``uns[key_added]``.
    random_state
        Seed of Harmony's k-means initialisation.

    Returns
    -------
    ``None``; sets the corrected embedding (cells × components) in ``obsm`` and its
    ``params`` (``batch_key``, ``basis``, ``random_state``) in ``uns``.

    Examples
    --------
    Two samples whose cells are shifted against each other:

    >>> import anndata as ad, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> sample = np.repeat(["a", "b"], 30)
    >>> pca = rng.normal(size=(60, 5)) + np.where(sample == "a", 0.0, 3.0)[:, None]
    >>> obs = pd.DataFrame({"sample": sample}, index=[f"c{i}" for i in range(60)])
    >>> cells = ad.AnnData(obs=obs, obsm={"X_pca": pca})
    >>> run_harmony(cells, "sample")
    >>> cells.obsm["X_pca_harmony"].shape
    (60, 5)
    >>> cells.uns["harmony"]["params"]
    {'batch_key': 'sample', 'basis': 'X_pca', 'random_state': 0}

    The distance between the two samples' mean positions shrinks:

    >>> def gap(x):
    ...     return np.linalg.norm(x[sample == "a"].mean(axis=0) - x[sample == "b"].mean(axis=0))
    >>> bool(gap(cells.obsm["X_pca_harmony"]) < gap(pca) / 2)
    True
    """
    check_adata(adata)
    require_obsm(adata, basis, hint="Run sc.pp.pca first.")
    require_obs_column(adata, batch_key)
    obsm_key, uns_key = (HARMONY_KEY, "harmony") if key_added is None else (key_added, key_added)
    start = logg.info(f"running Harmony on {basis!r}, correcting for {batch_key!r}")
    embedding = np.asarray(adata.obsm[basis], dtype=np.float64)
    result = harmonypy.run_harmony(
        embedding, adata.obs, [batch_key], random_state=random_state, verbose=False
    )
    corrected = np.asarray(result.Z_corr)
    if corrected.shape != embedding.shape:  # older harmonypy returns components × cells
        corrected = corrected.T
    adata.obsm[obsm_key] = corrected.astype(np.float32)
    adata.uns[uns_key] = {
        "params": {"batch_key": batch_key, "basis": basis, "random_state": random_state}
    }
    logg.info(
        "    finished",
        time=start,
        deep=f"added\n    {obsm_key!r}, the corrected embedding (adata.obsm)",
    )
