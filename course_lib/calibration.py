"""Measure how far legitimate and wrong answers land from the checks' references.

The thresholds in :mod:`course_lib.checks` must sit between the lowest score of a
legitimate answer (another seed, the other Leiden flavour, another ``n_init``) and the
highest score of a wrong one (uncorrected embedding, far resolution, wrong linkage).
``tests/test_calibration.py`` recomputes these spreads so a dependency bump that moves
them fails loudly instead of silently failing right answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score

from . import checks
from .prepare import HARMONY_KEY

LEGIT_SEEDS = (3, 4, 5)
"""Seeds of the legitimate answers, disjoint from :data:`course_lib.checks.REFERENCE_SEEDS`."""


@dataclass
class Spread:
    """Scores of legitimate and of wrong answers against a check's reference.

    Attributes
    ----------
    legit
        Score of each legitimate answer, by description.
    wrong
        Score of each wrong answer, by description.
    counts
        Number of clusters of each answer (legitimate and wrong), by description.

    Examples
    --------
    >>> spread = Spread(legit={"seed 3": 0.9}, wrong={"X_pca": 0.2})
    >>> spread.separates(0.5)
    True
    """

    legit: dict[str, float] = field(default_factory=dict)
    wrong: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def legit_min(self) -> float:
        """Lowest score of a legitimate answer."""
        return min(self.legit.values())

    @property
    def wrong_max(self) -> float:
        """Highest score of a wrong answer."""
        return max(self.wrong.values())

    def separates(self, threshold: float) -> bool:
        """Whether ``threshold`` accepts every legitimate answer and rejects every wrong one."""
        return self.wrong_max < threshold <= self.legit_min


def _leiden(ref: ad.AnnData, rep: str, resolution: float, seed: int, flavor: str) -> pd.Series:
    graph = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()))
    graph.obsm[rep] = np.asarray(ref.obsm[rep])
    sc.pp.neighbors(graph, use_rep=rep, random_state=seed)
    options: dict = (
        {"flavor": "igraph", "n_iterations": 2, "directed": False}
        if flavor == "igraph"
        else {"flavor": "leidenalg"}
    )
    sc.tl.leiden(graph, resolution=resolution, random_state=seed, key_added="answer", **options)
    return graph.obs["answer"]


def leiden_spread(
    ref: ad.AnnData,
    resolution: float,
    *,
    seeds: tuple[int, ...] = LEGIT_SEEDS,
    wrong_resolutions: tuple[float, ...] = (3.0,),
) -> Spread:
    """Scores (:func:`course_lib.checks.leiden_score`) of Leiden answers at ``resolution``.

    Parameters
    ----------
    ref
        Prepared data.
    resolution
        Resolution the question asks for.
    seeds
        Seeds of the legitimate answers, each with both Leiden flavours.
    wrong_resolutions
        Resolutions far enough for labels to tell them apart (without recorded
        parameters); nearer ones, even 0.1 against 0.6, are not (see
        :data:`course_lib.checks.LEIDEN_MIN_ARI`).

    Returns
    -------
    A :class:`Spread`; wrong answers: the graph on ``X_pca``, each wrong resolution.

    Examples
    --------
    >>> leiden_spread(course_lib.load_integrated(), 0.6).legit_min  # doctest: +SKIP
    0.80
    """
    spread = Spread()
    for seed in seeds:
        for flavor in ("igraph", "leidenalg"):
            labels = _leiden(ref, HARMONY_KEY, resolution, seed, flavor)
            spread.legit[f"{flavor} seed {seed}"] = checks.leiden_score(labels, ref, resolution)
            spread.counts[f"{flavor} seed {seed}"] = labels.nunique()
    for seed in seeds[:1]:
        labels = _leiden(ref, checks.UNCORRECTED_KEY, resolution, seed, "igraph")
        spread.wrong[f"X_pca seed {seed}"] = checks.leiden_score(labels, ref, resolution)
        spread.counts[f"X_pca seed {seed}"] = labels.nunique()
        for wrong in wrong_resolutions:
            labels = _leiden(ref, HARMONY_KEY, wrong, seed, "igraph")
            spread.wrong[f"resolution {wrong:g}"] = checks.leiden_score(labels, ref, resolution)
            spread.counts[f"resolution {wrong:g}"] = labels.nunique()
    return spread


def knn_spread(ref: ad.AnnData, *, seeds: tuple[int, ...] = LEGIT_SEEDS) -> Spread:
    """Overlaps (:func:`course_lib.checks.knn_overlap`) of kNN graphs with the exact Harmony kNN.

    Parameters
    ----------
    ref
        Prepared data.
    seeds
        ``random_state`` of the legitimate graphs (on Harmony).

    Returns
    -------
    A :class:`Spread`; wrong answer: the graph on ``X_pca``.

    Examples
    --------
    >>> knn_spread(course_lib.load_integrated()).legit_min  # doctest: +SKIP
    1.0
    """
    spread = Spread()
    for rep, seeds_of_rep, side in (
        (HARMONY_KEY, seeds, "legit"),
        (checks.UNCORRECTED_KEY, seeds[:1], "wrong"),
    ):
        for seed in seeds_of_rep:
            graph = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()))
            graph.obsm[rep] = np.asarray(ref.obsm[rep])
            sc.pp.neighbors(graph, use_rep=rep, random_state=seed)
            getattr(spread, side)[f"{rep} seed {seed}"] = checks.knn_overlap(graph, ref)
    return spread


def kmeans_spread(
    ref: ad.AnnData,
    k: int,
    *,
    seeds: tuple[int, ...] = LEGIT_SEEDS,
    n_inits: tuple[int, ...] = (10, 1),
) -> Spread:
    """Compactness (minus :func:`course_lib.checks.kmeans_excess`) of k-means answers.

    The score is ``-excess`` so that, as for ARI, higher is better.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters the question asks for.
    seeds
        Seeds of the legitimate answers.
    n_inits
        Restarts of the legitimate answers (each seed with each).

    Returns
    -------
    A :class:`Spread`; wrong answers: k-means on ``X_pca`` (``n_init=10``) with each seed.

    Examples
    --------
    >>> kmeans_spread(course_lib.load_integrated(), 10).wrong_max  # doctest: +SKIP
    -0.079
    """
    spread = Spread()

    def score(rep: str, seed: int, n_init: int) -> float:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        labels = model.fit(np.asarray(ref.obsm[rep])).labels_.astype(str)
        return -checks.kmeans_excess(pd.Series(labels, index=ref.obs_names), ref, k)

    for seed in seeds:
        for n_init in n_inits:
            spread.legit[f"seed {seed} n_init={n_init}"] = score(HARMONY_KEY, seed, n_init)
        spread.wrong[f"X_pca seed {seed}"] = score(checks.UNCORRECTED_KEY, seed, 10)
    return spread


def inertia_spread(
    ref: ad.AnnData,
    ks: tuple[int, ...] = (2, 6, 10, 14),
    *,
    n_init: int = 3,
    seeds: tuple[int, ...] = LEGIT_SEEDS[:2],
) -> Spread:
    """Largest relative error of elbow curves against the reference inertias, negated.

    Parameters
    ----------
    ref
        Prepared data.
    ks
        Numbers of clusters of the curve.
    n_init
        Restarts of the reference (as in the question).
    seeds
        Seeds of the legitimate answers, each with ``n_init`` and with 10 restarts.

    Returns
    -------
    A :class:`Spread` of ``-max_k |inertia_k / reference_k - 1|``; wrong answers: the
    curve on ``X_pca`` and the curve shifted by two clusters (the inertia of ``k + 2``
    stored under ``k``).

    Examples
    --------
    >>> inertia_spread(course_lib.load_integrated()).legit_min  # doctest: +SKIP
    -0.03
    """
    harmony = np.asarray(ref.obsm[HARMONY_KEY])

    def inertia(data: np.ndarray, k: int, seed: int, restarts: int) -> float:
        return KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(data).inertia_

    def score(values: dict[int, float]) -> float:
        errors = [abs(values[k] / checks.reference_inertia(ref, k, n_init=n_init) - 1) for k in ks]
        return -max(errors)

    spread = Spread()
    for seed in seeds:
        for restarts in (n_init, 10):
            curve = {k: inertia(harmony, k, seed, restarts) for k in ks}
            spread.legit[f"seed {seed} n_init={restarts}"] = score(curve)
    uncorrected = np.asarray(ref.obsm[checks.UNCORRECTED_KEY])
    spread.wrong["X_pca"] = score({k: inertia(uncorrected, k, seeds[0], n_init) for k in ks})
    spread.wrong["shifted by 2"] = score({k: inertia(harmony, k + 2, seeds[0], n_init) for k in ks})
    return spread


def ward_spread(ref: ad.AnnData, k: int) -> Spread:
    """ARI of hierarchical answers with ``k`` clusters to the Ward reference.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters the question asks for.

    Returns
    -------
    A :class:`Spread`; legitimate: scipy's Ward; wrong: Ward on ``X_pca``, average and
    complete linkage on Harmony.

    Examples
    --------
    >>> ward_spread(course_lib.load_integrated(), 10).legit_min  # doctest: +SKIP
    1.0
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    reference = checks.reference_ward(ref, k)
    harmony = np.asarray(ref.obsm[HARMONY_KEY])
    spread = Spread()
    scipy_labels = fcluster(linkage(harmony, method="ward"), t=k, criterion="maxclust")
    spread.legit["scipy ward"] = float(adjusted_rand_score(reference, scipy_labels))
    uncorrected = np.asarray(ref.obsm[checks.UNCORRECTED_KEY])
    labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(uncorrected)
    spread.wrong["ward on X_pca"] = float(adjusted_rand_score(reference, labels))
    for method in ("average", "complete"):
        labels = AgglomerativeClustering(n_clusters=k, linkage=method).fit_predict(harmony)
        spread.wrong[f"{method} linkage"] = float(adjusted_rand_score(reference, labels))
    return spread


def _marker_subset(adata: ad.AnnData, key: str, *, nk: bool = True) -> tuple[list, list]:
    """Clusters chosen as in the exercise's solution, and the other clusters."""
    markers = ["CD3E", "GNLY", "NKG7"]
    expression = pd.DataFrame(
        adata.raw[:, markers].X.toarray(), index=adata.obs_names, columns=markers
    )
    means = expression.groupby(adata.obs[key], observed=True).mean()
    t_score, nk_score = means["CD3E"], means[["GNLY", "NKG7"]].mean(axis=1)
    chosen = (t_score > 0.5 * t_score.max()) | ((nk_score > 0.5 * nk_score.max()) & nk)
    return list(means.index[chosen]), list(means.index[~chosen])


def subset_precision_recall(ref: ad.AnnData, cells: pd.Index) -> tuple[float, float]:
    """Precision and recall of a T/NK subset against the truth, as :func:`check_tnk_subset`.

    Parameters
    ----------
    ref
        Prepared data with ``obs['lineage_truth']``.
    cells
        The subset's ``obs_names``.

    Returns
    -------
    ``(precision, recall)``; doublets and low-quality cells do not count for precision.

    Examples
    --------
    >>> subset_precision_recall(adata, tnk.obs_names)  # doctest: +SKIP
    (1.0, 1.0)
    """
    from .simulate import LINEAGE_KEY

    truth = ref.obs[LINEAGE_KEY].astype(str).to_numpy()
    chosen = ref.obs_names.isin(cells)
    valid = ~np.isin(truth, ["doublet", "low quality"])
    is_tnk = truth == "T/NK"
    return float(is_tnk[chosen & valid].mean()), float(chosen[is_tnk].mean())


def subset_spread(
    ref: ad.AnnData, *, seeds: tuple[int, ...] = LEGIT_SEEDS[:2]
) -> tuple[Spread, Spread]:
    """Precision and recall of T/NK subsets chosen by markers from Leiden 0.6 clusters.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph (Harmony) in ``obsp``.
    seeds
        Leiden seeds of the legitimate subsets, each with both flavours.

    Returns
    -------
    ``(precision, recall)`` :class:`Spread` s; wrong answers: T clusters only (recall),
    the subset plus the smallest other cluster (precision).

    Examples
    --------
    >>> precision, recall = subset_spread(course_lib.load_integrated())  # doctest: +SKIP
    """
    precision, recall = Spread(), Spread()
    data = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()), obsp=ref.obsp)
    data.uns["neighbors"] = ref.uns["neighbors"]
    data.raw = ref.raw.to_adata()
    for seed in seeds:
        for flavor in ("igraph", "leidenalg"):
            options: dict = (
                {"flavor": "igraph", "n_iterations": 2, "directed": False}
                if flavor == "igraph"
                else {"flavor": "leidenalg"}
            )
            sc.tl.leiden(data, resolution=0.6, random_state=seed, key_added="l", **options)
            chosen, others = _marker_subset(data, "l")
            name = f"{flavor} seed {seed}"
            cells = data.obs_names[data.obs["l"].isin(chosen)]
            precision.legit[name], recall.legit[name] = subset_precision_recall(ref, cells)
            t_only, _ = _marker_subset(data, "l", nk=False)
            cells = data.obs_names[data.obs["l"].isin(t_only)]
            recall.wrong[f"T only, {name}"] = subset_precision_recall(ref, cells)[1]
            smallest = min(others, key=lambda c: int((data.obs["l"] == c).sum()))
            cells = data.obs_names[data.obs["l"].isin([*chosen, smallest])]
            precision.wrong[f"plus smallest other, {name}"] = subset_precision_recall(ref, cells)[0]
    return precision, recall


def subcluster_spread(
    ref: ad.AnnData, resolution: float = 0.6, *, seeds: tuple[int, ...] = LEGIT_SEEDS[:2]
) -> Spread:
    """Scores of subclusterings of the marker-chosen T/NK subset against the check's references.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph (Harmony) in ``obsp``.
    resolution
        Resolution the question asks for.
    seeds
        Seeds of the legitimate answers, each with both flavours.

    Returns
    -------
    A :class:`Spread`; wrong answers: the subset's graph on ``X_pca``, resolution 0.2,
    and the full data's clusters kept.

    Examples
    --------
    >>> subcluster_spread(course_lib.load_integrated()).legit_min  # doctest: +SKIP
    0.83
    """
    full = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()), obsp=ref.obsp)
    full.uns["neighbors"] = ref.uns["neighbors"]
    full.raw = ref.raw.to_adata()
    sc.tl.leiden(
        full, resolution=0.6, key_added="l", flavor="igraph", n_iterations=2, directed=False
    )
    chosen, _ = _marker_subset(full, "l")
    cells = full.obs_names[full.obs["l"].isin(chosen)]
    subset = ad.AnnData(obs=pd.DataFrame(index=cells.copy()))
    for rep in (HARMONY_KEY, checks.UNCORRECTED_KEY):
        subset.obsm[rep] = np.asarray(ref[cells].obsm[rep])
    spread = Spread()
    for seed in seeds:
        for flavor in ("igraph", "leidenalg"):
            labels = _leiden(subset, HARMONY_KEY, resolution, seed, flavor)
            spread.legit[f"{flavor} seed {seed}"] = checks.leiden_score(labels, subset, resolution)
    seed = seeds[0]
    labels = _leiden(subset, checks.UNCORRECTED_KEY, resolution, seed, "igraph")
    spread.wrong["X_pca"] = checks.leiden_score(labels, subset, resolution)
    labels = _leiden(subset, HARMONY_KEY, 0.2, seed, "igraph")
    spread.wrong["resolution 0.2"] = checks.leiden_score(labels, subset, resolution)
    spread.wrong["full data's clusters"] = checks.leiden_score(
        full.obs.loc[cells, "l"], subset, resolution
    )
    return spread
