"""Check of exercise 5 (chapter 5): the PCA and Harmony embedding of the T/NK subset.

Both embeddings are judged by each cell's neighbours, against references computed from
the same cells and genes
(:func:`~course_lib.checks.reference_answers.reference_subset_knn`); the usual mistakes
(genes not scaled, all genes, the full data's embedding, Harmony for the wrong batch or
not run) are named by the reference they match instead.

Examples
--------
>>> from course_lib import checks
>>> checks.check_subset_embedding(tnk)  # doctest: +SKIP
✔ tnk: PCA and Harmony recomputed on the subset (30 components).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from .._validation import require_obsm
from ..defaults import CONDITION_KEY, HARMONY_KEY, N_NEIGHBORS, N_PCS, SAMPLE_KEY
from ._feedback import fail, passed, recorded, require_adata, student_facing, validated
from .ex5_subclustering import exercise_cells, full_rows
from .reference_answers import UNCORRECTED_KEY, embedding_knn, reference_subset_knn
from .thresholds import SUBSET_HARMONY_MIN_SHARED, SUBSET_PCA_MIN_SHARED

EMBEDDING_HINT = (
    "keep the subset's variable genes, scale them (`sc.pp.scale`), run `sc.pp.pca`, then "
    "`course_lib.run_harmony` with the batch the question names; see chapter 5, *Rerunning "
    "the pipeline on the subset*"
)
"""Where to look when the subset's PCA or Harmony embedding is wrong."""


def shared_neighbours(knn: np.ndarray, expected: np.ndarray) -> float:
    """Mean fraction of each row's neighbours in ``knn`` that are also in ``expected``.

    Parameters
    ----------
    knn, expected
        Rows × neighbours arrays of row indices (e.g. from
        :func:`~course_lib.checks.reference_answers.embedding_knn`), the same cells in the
        same order.

    Returns
    -------
    A number between 0 and 1 (1: every cell has the same neighbours).

    Examples
    --------
    >>> shared_neighbours(np.array([[1, 2], [0, 2]]), np.array([[2, 1], [0, 3]]))
    0.75
    """
    found = (knn[:, :, None] == expected[:, None, :]).any(axis=2)
    return float(found.mean())


def _pca_genes(tnk: ad.AnnData, ref: ad.AnnData) -> pd.Index:
    """The genes the subset's PCA was asked to use: ``tnk``'s own genes, or those it marks.

    A subset restricted to its variable genes uses all its genes; one that still holds all
    genes and marks some in ``var['highly_variable']`` uses those (as ``sc.pp.pca`` does).
    """
    genes = tnk.var_names
    if "highly_variable" in tnk.var:
        marked = tnk.var["highly_variable"].astype(bool).to_numpy()
        if marked.any():
            genes = genes[marked]
    known = genes.isin(ref.raw.var_names)
    if not known.all():
        fail(
            f"{int((~known).sum()):,} genes of `tnk` are not genes of the exercise data; keep "
            f"the gene names as they are ({EMBEDDING_HINT})."
        )
    return genes


def _name_pca_mistake(
    tnk: ad.AnnData, ref: ad.AnnData, genes: pd.Index, knn: np.ndarray, n_comps: int
) -> None:
    """Fail naming the usual PCA mistake whose reference ``knn`` (the PCA's) matches, if any."""
    unscaled = reference_subset_knn(ref, tnk.obs_names, genes, scale=False, n_comps=n_comps)
    if shared_neighbours(knn, unscaled[:, :N_NEIGHBORS]) >= SUBSET_PCA_MIN_SHARED:
        fail(
            "`tnk.obsm['X_pca']` is a PCA of genes that were not scaled; scale each gene "
            f"before the PCA ({EMBEDDING_HINT})."
        )
    all_genes = ref.raw.var_names
    if len(genes) < len(all_genes):
        everything = reference_subset_knn(ref, tnk.obs_names, all_genes, n_comps=n_comps)
        if shared_neighbours(knn, everything[:, :N_NEIGHBORS]) >= SUBSET_PCA_MIN_SHARED:
            fail(
                "`tnk.obsm['X_pca']` is a PCA of all genes; the question asks for the subset's "
                f"variable genes only ({EMBEDDING_HINT})."
            )


def _subset_embeddings(
    tnk: ad.AnnData, ref: ad.AnnData, n_comps: int
) -> tuple[np.ndarray, np.ndarray]:
    """The subset's PCA and Harmony embedding, after failing unless both are its own.

    Each must be in ``tnk.obsm``, computed on the subset (not the full data's rows), with
    ``n_comps`` components; the Harmony embedding must differ from the PCA.
    """
    for rep in (UNCORRECTED_KEY, HARMONY_KEY):
        validated(
            require_obsm,
            tnk,
            rep,
            missing=f"`tnk.obsm` has no {rep!r}; present: {sorted(tnk.obsm)} ({EMBEDDING_HINT}).",
        )
        if full_rows(tnk, ref, rep):
            fail(
                f"`tnk.obsm[{rep!r}]` is the full data's embedding of these cells; it was "
                f"computed with all cell types, so compute it again on the subset "
                f"({EMBEDDING_HINT})."
            )
        width = np.asarray(tnk.obsm[rep]).shape[1]
        if width != n_comps:
            fail(
                f"`tnk.obsm[{rep!r}]` has {width} components; the question asks for "
                f"{n_comps} ({EMBEDDING_HINT})."
            )
    pca, harmony = np.asarray(tnk.obsm[UNCORRECTED_KEY]), np.asarray(tnk.obsm[HARMONY_KEY])
    if np.allclose(pca, harmony):
        fail(
            f"`tnk.obsm[{HARMONY_KEY!r}]` equals the uncorrected PCA; run Harmony "
            f"({EMBEDDING_HINT})."
        )
    return pca, harmony


def _name_harmony_mistake(
    tnk: ad.AnnData,
    ref: ad.AnnData,
    genes: pd.Index,
    knn: np.ndarray,
    pca: np.ndarray,
    n_comps: int,
) -> None:
    """Fail naming the usual Harmony mistake the neighbours ``knn`` (Harmony's) match, if any."""
    batch = recorded(tnk, "harmony", "batch_key")
    if batch is not None and batch != SAMPLE_KEY:
        fail(
            f"Harmony corrected for {batch!r}; the question asks to correct for the "
            f"sample ({EMBEDDING_HINT})."
        )
    uncorrected = shared_neighbours(knn, embedding_knn(pca, N_NEIGHBORS))
    condition = 0.0
    if CONDITION_KEY in ref.obs:
        other = reference_subset_knn(
            ref, tnk.obs_names, genes, batch_key=CONDITION_KEY, n_comps=n_comps
        )
        condition = shared_neighbours(knn, other[:, N_NEIGHBORS:])
    if max(condition, uncorrected) >= SUBSET_HARMONY_MIN_SHARED:
        if condition > uncorrected:
            fail(
                f"Harmony corrected for {CONDITION_KEY!r}; the question asks to correct "
                f"for the sample ({EMBEDDING_HINT})."
            )
        fail(
            f"`tnk.obsm[{HARMONY_KEY!r}]` keeps the neighbours of the uncorrected PCA; was "
            f"Harmony run on the subset's PCA ({EMBEDDING_HINT})?"
        )


@student_facing
def check_subset_embedding(
    tnk: ad.AnnData, *, n_comps: int = N_PCS, reference: ad.AnnData | None = None
) -> None:
    """Check the PCA and the Harmony embedding of the subset by each cell's neighbours.

    References are computed from the course data's cells of ``tnk`` and the genes of its
    PCA (:func:`~course_lib.checks.reference_answers.reference_subset_knn`: scaled, ``n_comps``
    components, Harmony for the sample). Each cell's nearest neighbours in
    ``tnk.obsm['X_pca']`` and ``tnk.obsm['X_pca_harmony']`` must mostly be its neighbours
    in the references (:data:`~course_lib.checks.thresholds.SUBSET_PCA_MIN_SHARED`,
    :data:`~course_lib.checks.thresholds.SUBSET_HARMONY_MIN_SHARED`); this holds for any
    PCA solver seed and any Harmony seed or implementation. The usual mistakes are named by
    the reference they match instead.

    Parameters
    ----------
    tnk
        The student's subset with ``obsm['X_pca']`` and ``obsm['X_pca_harmony']``.
    n_comps
        Number of principal components the question asks for.
    reference
        Data the references are computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_subset_embedding(tnk)  # doctest: +SKIP
    ✔ tnk: PCA and Harmony recomputed on the subset (30 components).
    """
    tnk = require_adata(tnk, "tnk")
    ref = exercise_cells(tnk, reference, EMBEDDING_HINT)
    pca, harmony = _subset_embeddings(tnk, ref, n_comps)
    genes = _pca_genes(tnk, ref)
    expected = reference_subset_knn(ref, tnk.obs_names, genes, n_comps=n_comps)
    own = embedding_knn(pca, N_NEIGHBORS)
    shared = shared_neighbours(own, expected[:, :N_NEIGHBORS])
    if shared < SUBSET_PCA_MIN_SHARED:
        _name_pca_mistake(tnk, ref, genes, own, n_comps)
        fail(
            f"the cells' neighbours in `tnk.obsm['X_pca']` are not those of a PCA of the "
            f"subset's variable genes, scaled ({shared:.0%} shared, need ≥ "
            f"{SUBSET_PCA_MIN_SHARED:.0%}) ({EMBEDDING_HINT})."
        )
    own = embedding_knn(harmony, N_NEIGHBORS)
    shared = shared_neighbours(own, expected[:, N_NEIGHBORS:])
    if shared < SUBSET_HARMONY_MIN_SHARED:
        _name_harmony_mistake(tnk, ref, genes, own, pca, n_comps)
        fail(
            f"the cells' neighbours in `tnk.obsm[{HARMONY_KEY!r}]` are not those of Harmony "
            f"run on the subset's PCA for the sample ({shared:.0%} shared, need ≥ "
            f"{SUBSET_HARMONY_MIN_SHARED:.0%}) ({EMBEDDING_HINT})."
        )
    passed(f"tnk: PCA and Harmony recomputed on the subset ({n_comps} components).")
