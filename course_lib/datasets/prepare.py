"""Reproduce the lab's steps before clustering: QC, normalisation, HVGs, PCA, Harmony, UMAP."""

from __future__ import annotations

from collections.abc import Callable

import anndata as ad
import numpy as np
import scanpy as sc

from ..defaults import HARMONY_KEY, N_NEIGHBORS, N_PCS, N_TOP_GENES, SAMPLE_KEY, SEED
from ..pp import run_harmony

QC_MIN_GENES = 200
"""Cells with fewer detected genes are removed."""
QC_MAX_PCT_MT = 20.0
"""Cells with a larger percentage of mitochondrial counts are removed."""
QC_MIN_CELLS = 3
"""Genes detected in fewer cells are removed."""


def preparation_steps(
    adata: ad.AnnData, *, seed: int = SEED
) -> list[tuple[str, Callable[[], None]]]:
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
        sc.pp.highly_variable_genes(adata, n_top_genes=N_TOP_GENES, batch_key=SAMPLE_KEY)

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
        sc.pp.neighbors(adata, use_rep="X_pca", n_neighbors=N_NEIGHBORS, random_state=seed)
        sc.tl.umap(adata, random_state=seed)
        adata.obsm["X_umap_uncorr"] = adata.obsm.pop("X_umap")

    def harmony() -> None:
        run_harmony(adata, SAMPLE_KEY, random_state=seed)

    def harmony_umap() -> None:
        sc.pp.neighbors(adata, use_rep=HARMONY_KEY, n_neighbors=N_NEIGHBORS, random_state=seed)
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
