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
    wrong_resolutions: tuple[float, ...] = (0.1, 3.0),
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
        Resolutions far enough to count as wrong answers (without recorded parameters).

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


def kmeans_spread(ref: ad.AnnData, k: int, *, seeds: tuple[int, ...] = LEGIT_SEEDS) -> Spread:
    """Scores (:func:`course_lib.checks.kmeans_score`) of k-means answers with ``k`` clusters.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters the question asks for.
    seeds
        Seeds of the legitimate answers, each with ``n_init`` 10 and ``"auto"``.

    Returns
    -------
    A :class:`Spread`; wrong answers: k-means on ``X_pca``.

    Examples
    --------
    >>> kmeans_spread(course_lib.load_integrated(), 10).wrong_max  # doctest: +SKIP
    0.40
    """
    spread = Spread()
    harmony = np.asarray(ref.obsm[HARMONY_KEY])
    for seed in seeds:
        for n_init in (10, "auto"):
            model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(harmony)
            labels = pd.Series(model.labels_.astype(str), index=ref.obs_names)
            spread.legit[f"seed {seed} n_init={n_init}"] = checks.kmeans_score(labels, ref, k)
    for seed in seeds[:2]:
        uncorrected = np.asarray(ref.obsm[checks.UNCORRECTED_KEY])
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(uncorrected)
        labels = pd.Series(model.labels_.astype(str), index=ref.obs_names)
        spread.wrong[f"X_pca seed {seed}"] = checks.kmeans_score(labels, ref, k)
    return spread


def inertia_spread(ref: ad.AnnData, k: int, *, seeds: tuple[int, ...] = LEGIT_SEEDS) -> Spread:
    """Relative inertia errors ``|inertia / reference - 1|`` of answers with ``k`` clusters.

    Here the score is an error, so it is negated: higher is better, as for ARI.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    seeds
        Seeds of the legitimate answers.

    Returns
    -------
    A :class:`Spread` of ``-error``; wrong answers: inertia on ``X_pca``, and the
    inertia at ``k - 1`` and ``k + 1`` (an off-by-one in the range of ``k``).

    Examples
    --------
    >>> inertia_spread(course_lib.load_integrated(), 10).legit_min  # doctest: +SKIP
    -0.01
    """
    reference = checks.reference_inertia(ref, k)
    harmony = np.asarray(ref.obsm[HARMONY_KEY])

    def error(data: np.ndarray, n_clusters: int, seed: int) -> float:
        model = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit(data)
        return -abs(model.inertia_ / reference - 1)

    spread = Spread()
    for seed in seeds:
        spread.legit[f"seed {seed}"] = error(harmony, k, seed)
    seed = seeds[0]
    spread.wrong["X_pca"] = error(np.asarray(ref.obsm[checks.UNCORRECTED_KEY]), k, seed)
    spread.wrong[f"k={k - 1}"] = error(harmony, k - 1, seed)
    spread.wrong[f"k={k + 1}"] = error(harmony, k + 1, seed)
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
