"""Spreads of the clustering questions (exercises 1-3): graph, Leiden, k-means, Ward."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score

from course_lib.checks.reference_answers import (
    UNCORRECTED_KEY,
    cells_only,
    reference_inertia,
    reference_ward,
)
from course_lib.checks.scores import ari, knn_overlap, leiden_score, nearest_centre_share
from course_lib.defaults import HARMONY_KEY
from course_lib.tl import hierarchical

from .answers import graph_answer, leiden_answer
from .spread import LEGIT_SEEDS, Spread

NEIGHBOUR_RESOLUTIONS = {0.6: ((0.4,), (1.0, 2.0, 3.0)), 1.0: ((0.4, 2.0), (3.0,))}
"""By the resolution a question asks for: the resolutions it accepts (their partitions lie
inside the seed-to-seed spread on this data) and those it rejects."""


def leiden_spread(
    ref: ad.AnnData,
    resolution: float,
    *,
    seeds: tuple[int, ...] = LEGIT_SEEDS,
    slow_seeds: tuple[int, ...] | None = None,
    wrong_seeds: tuple[int, ...] | None = None,
    wrong_resolutions: tuple[float, ...] = (3.0,),
    near_resolutions: tuple[float, ...] = (),
    answers: dict[str, pd.Series] | None = None,
) -> Spread:
    """Scores (:func:`course_lib.checks.scores.leiden_score`) of Leiden answers at ``resolution``.

    Parameters
    ----------
    ref
        Prepared data.
    resolution
        Resolution the question asks for.
    seeds
        Seeds of the legitimate answers with the igraph flavour.
    slow_seeds
        Seeds of the legitimate answers with the leidenalg flavour (about five times
        slower); default ``seeds``.
    wrong_seeds
        Seeds of the answers on the graph of ``X_pca``; default the first of ``seeds``.
    wrong_resolutions
        Far resolutions (wrong answers by labels, scored with the first seed). Nearer ones,
        even 0.1 against 0.6, score inside the legitimate spread and are named from the
        recorded parameters (see :data:`course_lib.checks.thresholds.LEIDEN_MIN_ARI`).
    near_resolutions
        Neighbouring resolutions the question accepts (legitimate answers by labels, scored
        with the first seed): their partitions lie inside the seed-to-seed spread.
    answers
        If given, every answer's labels are stored in it by name (to score them against
        another build's references).

    Returns
    -------
    A :class:`Spread`; wrong answers: the graph on ``X_pca``, each wrong resolution.

    Examples
    --------
    >>> leiden_spread(course_lib.load_integrated(), 0.6).legit_min  # doctest: +SKIP
    0.80
    """
    slow_seeds = seeds if slow_seeds is None else slow_seeds
    wrong_seeds = seeds[:1] if wrong_seeds is None else wrong_seeds
    runs = [
        (HARMONY_KEY, resolution, seed, flavor, f"{flavor} seed {seed}", "legit")
        for flavor, of_flavor in (("igraph", seeds), ("leidenalg", slow_seeds))
        for seed in of_flavor
    ]
    runs += [
        (UNCORRECTED_KEY, resolution, seed, "igraph", f"X_pca seed {seed}", "wrong")
        for seed in wrong_seeds
    ]
    runs += [
        (HARMONY_KEY, wrong, seeds[0], "igraph", f"resolution {wrong:g}", "wrong")
        for wrong in wrong_resolutions
    ]
    runs += [
        (HARMONY_KEY, near, seeds[0], "igraph", f"resolution {near:g}", "legit")
        for near in near_resolutions
    ]
    spread = Spread()
    for rep, asked, seed, flavor, name, side in runs:
        labels = leiden_answer(ref, rep, asked, seed, flavor)
        getattr(spread, side)[name] = leiden_score(labels, ref, resolution)
        spread.counts[name] = labels.nunique()
        if answers is not None:
            answers[name] = labels
    return spread


def knn_spread(ref: ad.AnnData, *, seeds: tuple[int, ...] = LEGIT_SEEDS) -> Spread:
    """Overlaps (:func:`course_lib.checks.scores.knn_overlap`) with the exact Harmony kNN.

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
        (UNCORRECTED_KEY, seeds[:1], "wrong"),
    ):
        for seed in seeds_of_rep:
            graph = graph_answer(ref, rep, seed)
            getattr(spread, side)[f"{rep} seed {seed}"] = knn_overlap(graph, ref)
    return spread


KMEANS_WRONG_REPS = (UNCORRECTED_KEY, "X_umap")
"""Embeddings k-means is wrongly fitted on (the question names the Harmony embedding)."""


def kmeans_spread(
    ref: ad.AnnData,
    k: int,
    *,
    seeds: tuple[int, ...] = LEGIT_SEEDS,
    n_inits: tuple[int, ...] = (10, 1),
    wrong_seeds: tuple[int, ...] | None = None,
    answers: dict[str, pd.Series] | None = None,
) -> Spread:
    """How many cells sit nearest their own centre in Harmony, for k-means answers
    (:func:`course_lib.checks.scores.nearest_centre_share`).

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
    wrong_seeds
        Seeds of the wrong answers (``n_init=10``); default ``seeds``.
    answers
        If given, every answer's labels are stored in it by name.

    Returns
    -------
    A :class:`Spread`; wrong answers: k-means on each of :data:`KMEANS_WRONG_REPS`.

    Examples
    --------
    >>> kmeans_spread(course_lib.load_integrated(), 10).wrong_max  # doctest: +SKIP
    0.93
    """
    wrong_seeds = seeds if wrong_seeds is None else wrong_seeds
    runs = [(HARMONY_KEY, s, n, f"seed {s} n_init={n}", "legit") for s in seeds for n in n_inits]
    runs += [
        (rep, s, 10, f"{rep} seed {s}", "wrong") for rep in KMEANS_WRONG_REPS for s in wrong_seeds
    ]
    spread = Spread()
    for rep, seed, n_init, name, side in runs:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        labels = model.fit(np.asarray(ref.obsm[rep])).labels_.astype(str)
        answer = pd.Series(labels, index=ref.obs_names)
        getattr(spread, side)[name] = nearest_centre_share(answer, ref)
        if answers is not None:
            answers[name] = answer
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
        errors = [abs(values[k] / reference_inertia(ref, k, n_init=n_init) - 1) for k in ks]
        return -max(errors)

    spread = Spread()
    for seed in seeds:
        for restarts in (n_init, 10):
            curve = {k: inertia(harmony, k, seed, restarts) for k in ks}
            spread.legit[f"seed {seed} n_init={restarts}"] = score(curve)
    uncorrected = np.asarray(ref.obsm[UNCORRECTED_KEY])
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
    A :class:`Spread`; legitimate: scipy's Ward and :func:`course_lib.tl.hierarchical`;
    wrong: Ward on ``X_pca``, average and complete linkage on Harmony.

    Examples
    --------
    >>> ward_spread(course_lib.load_integrated(), 10).legit_min  # doctest: +SKIP
    1.0
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    reference = reference_ward(ref, k)
    harmony = np.asarray(ref.obsm[HARMONY_KEY])
    spread = Spread()
    scipy_labels = fcluster(linkage(harmony, method="ward"), t=k, criterion="maxclust")
    spread.legit["scipy ward"] = float(adjusted_rand_score(reference, scipy_labels))
    helper = cells_only(ref)
    hierarchical(helper, k)
    spread.legit["course_lib hierarchical"] = ari(helper.obs[f"ward_{k}"], reference)
    uncorrected = np.asarray(ref.obsm[UNCORRECTED_KEY])
    labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(uncorrected)
    spread.wrong["ward on X_pca"] = float(adjusted_rand_score(reference, labels))
    for method in ("average", "complete"):
        labels = AgglomerativeClustering(n_clusters=k, linkage=method).fit_predict(harmony)
        spread.wrong[f"{method} linkage"] = float(adjusted_rand_score(reference, labels))
    return spread
