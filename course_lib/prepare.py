"""Reproduce the lab's steps before clustering: QC, normalisation, HVGs, PCA, Harmony, UMAP."""

from __future__ import annotations

from collections.abc import Callable

import anndata as ad
import harmonypy
import numpy as np
import scanpy as sc

from .validation import require_obs_column, require_obsm

QC_MIN_GENES = 200
"""Cells with fewer detected genes are removed."""
QC_MAX_PCT_MT = 20.0
"""Cells with a larger percentage of mitochondrial counts are removed."""
QC_MIN_CELLS = 3
"""Genes detected in fewer cells are removed."""
N_TOP_GENES = 2000
N_PCS = 30
HARMONY_KEY = "X_pca_harmony"
"""``obsm`` key of the Harmony-corrected PCA embedding."""


def run_harmony(
    adata: ad.AnnData,
    batch_key: str = "sample",
    *,
    basis: str = "X_pca",
    key_added: str = HARMONY_KEY,
    random_state: int = 0,
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
        ``obsm`` key for the corrected embedding.
    random_state
        Seed of Harmony's k-means initialisation.

    Returns
    -------
    ``None``; sets ``adata.obsm[key_added]`` (cells × components) and
    ``adata.uns["harmony"]["params"]``.

    Examples
    --------
    >>> run_harmony(adata, "sample")  # doctest: +SKIP
    >>> adata.obsm["X_pca_harmony"].shape  # doctest: +SKIP
    (7512, 30)
    """
    require_obsm(adata, basis, hint="Run sc.pp.pca first.")
    require_obs_column(adata, batch_key)
    embedding = np.asarray(adata.obsm[basis], dtype=np.float64)
    result = harmonypy.run_harmony(
        embedding, adata.obs, [batch_key], random_state=random_state, verbose=False
    )
    corrected = np.asarray(result.Z_corr)
    if corrected.shape != embedding.shape:  # older harmonypy returns components × cells
        corrected = corrected.T
    adata.obsm[key_added] = corrected.astype(np.float32)
    adata.uns["harmony"] = {"params": {"batch_key": batch_key, "basis": basis}}


def preparation_steps(adata: ad.AnnData, *, seed: int = 0) -> list[tuple[str, Callable[[], None]]]:
    """The lab's preprocessing as named steps, each modifying ``adata`` in place."""

    def qc_metrics() -> None:
        names = adata.var_names
        adata.var["mt"] = names.str.startswith("MT-")
        adata.var["ribo"] = names.str.startswith(("RPS", "RPL"))
        adata.var["hb"] = names.str.match(r"^HB[^P]")
        sc.pp.calculate_qc_metrics(
            adata, qc_vars=["mt", "ribo", "hb"], percent_top=None, log1p=False, inplace=True
        )

    def filter_cells_and_genes() -> None:
        keep = (adata.obs["n_genes_by_counts"] >= QC_MIN_GENES) & (
            adata.obs["pct_counts_mt"] <= QC_MAX_PCT_MT
        )
        adata._inplace_subset_obs(keep.to_numpy())
        sc.pp.filter_genes(adata, min_cells=QC_MIN_CELLS)

    def normalise() -> None:
        adata.layers["counts"] = adata.X.copy()
        sc.pp.normalize_total(adata, target_sum=1e4)
        sc.pp.log1p(adata)
        adata.raw = adata

    def highly_variable_genes() -> None:
        sc.pp.highly_variable_genes(adata, n_top_genes=N_TOP_GENES, batch_key="sample")

    def scale_and_pca() -> None:
        hvg = adata[:, adata.var["highly_variable"]].copy()
        hvg.X = hvg.X.toarray()  # scaling centres the data: dense anyway
        sc.pp.scale(hvg, max_value=10)
        sc.pp.pca(hvg, n_comps=N_PCS, random_state=seed)
        adata.obsm["X_pca"] = hvg.obsm["X_pca"]
        adata.varm["PCs"] = np.zeros((adata.n_vars, N_PCS), dtype=np.float32)
        adata.varm["PCs"][adata.var["highly_variable"].to_numpy()] = hvg.varm["PCs"]
        adata.uns["pca"] = hvg.uns["pca"]

    def uncorrected_umap() -> None:
        sc.pp.neighbors(adata, use_rep="X_pca", n_neighbors=15, random_state=seed)
        sc.tl.umap(adata, random_state=seed)
        adata.obsm["X_umap_uncorr"] = adata.obsm.pop("X_umap")

    def harmony() -> None:
        run_harmony(adata, "sample", random_state=seed)

    def harmony_umap() -> None:
        sc.pp.neighbors(adata, use_rep=HARMONY_KEY, n_neighbors=15, random_state=seed)
        sc.tl.umap(adata, random_state=seed)

    return [
        ("QC metrics (mt/ribo/hb)", qc_metrics),
        ("filter cells and genes", filter_cells_and_genes),
        ("normalise + log1p (kept in .raw)", normalise),
        ("batch-aware HVGs", highly_variable_genes),
        ("scale + PCA", scale_and_pca),
        ("UMAP of the uncorrected PCA", uncorrected_umap),
        ("Harmony", harmony),
        ("kNN graph + UMAP on Harmony", harmony_umap),
    ]
