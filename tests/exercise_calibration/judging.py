"""Spreads of the questions of exercise 6: silhouettes, the least stable cluster, the p-value.

Each legitimate answer is made as the question asks, with another seed (Leiden seeds and
flavours for the clustering, another cell sample or other subsamples); each wrong answer
is a mistake students make (another embedding, the most stable cluster, counting cells).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from scipy.stats import chi2_contingency, mannwhitneyu, ttest_ind

from course_lib.checks.ex6_judging import own_stability
from course_lib.checks.reference_answers import UNCORRECTED_KEY, leiden_options
from course_lib.checks.scores import (
    SILHOUETTE_CELLS,
    log10_distance,
    mean_silhouette,
    silhouette_error,
)
from course_lib.defaults import CONDITION_KEY, HARMONY_KEY, RESOLUTIONS, SAMPLE_KEY
from course_lib.tl import composition_test, marker_means, sample_cells

from .answers import CHAPTER_RESOLUTION, clustered, graph_answer, leiden_answer
from .spread import Spread

FLAVORS = ("igraph", "leidenalg")
"""The Leiden implementations a student may use."""

WRONG_EMBEDDINGS = (UNCORRECTED_KEY, "X_umap")
"""Embeddings a silhouette may wrongly be measured in."""

FOUND_AGAIN = 0.95
"""Mean best Jaccard from which chapter 6 calls a cluster found again (nearly) every time."""


def _clusterings(ref: ad.AnnData, seed: int, flavor: str) -> dict[float, pd.Series]:
    """Leiden at every resolution of the question on one graph (one seed, one flavour)."""
    graph = graph_answer(ref, HARMONY_KEY, seed)
    found = {}
    for resolution in RESOLUTIONS:
        options = leiden_options(flavor)
        sc.tl.leiden(graph, resolution=resolution, random_state=seed, key_added="l", **options)
        found[resolution] = graph.obs["l"].astype(str)
    return found


def silhouette_spread(
    ref: ad.AnnData, *, seeds: tuple[int, ...] = (3,), sample_seeds: tuple[int, ...] = (1, 2, 3)
) -> Spread:
    """Errors (negated :func:`~course_lib.checks.scores.silhouette_error`) of silhouette tables.

    Parameters
    ----------
    ref
        Prepared data with ``X_pca`` and ``X_umap``.
    seeds
        Leiden seeds of the clusterings, each with both flavours; the check compares with
        the silhouettes of the same clusterings on the course's cell sample.
    sample_seeds
        Seeds of other 3,000-cell samples (legitimate answers).

    Returns
    -------
    A :class:`Spread` of ``-error``; wrong answers: the same sample measured in
    :data:`WRONG_EMBEDDINGS`.
    """
    spread = Spread()
    for seed in seeds:
        for flavor in FLAVORS:
            labels = _clusterings(ref, seed, flavor)
            expected = {r: mean_silhouette(labels[r], ref) for r in RESOLUTIONS}
            for sample_seed in sample_seeds:
                cells = sample_cells(ref.n_obs, SILHOUETTE_CELLS, random_state=sample_seed)
                given = {r: mean_silhouette(labels[r], ref, cells=cells) for r in RESOLUTIONS}
                name = f"{flavor} seed {seed}, cell sample {sample_seed}"
                spread.legit[name] = -silhouette_error(given, expected)
            for rep in WRONG_EMBEDDINGS:
                given = {r: mean_silhouette(labels[r], ref, rep) for r in RESOLUTIONS}
                spread.wrong[f"{flavor} seed {seed}, {rep}"] = -silhouette_error(given, expected)
    return spread


def stability_spread(
    ref: ad.AnnData,
    *,
    seeds: tuple[int, ...] = (0, 3, 4),
    run_seeds: tuple[int, ...] = (0, 1, 2),
    flavors: tuple[str, ...] = FLAVORS,
    answers: dict[str, tuple[pd.Series, int, dict[str, str]]] | None = None,
) -> Spread:
    """Excess stabilities (negated), scored as :func:`~course_lib.checks.check_least_stable`.

    Each clustering's stability is computed by the check's own :func:`own_stability` with
    every seed of ``run_seeds``. The check reruns the subsampling with the seed the
    student's run recorded (the hidden test requires the record), so an answer made with
    the subsamples of seed ``s`` is scored under ``s``: the stability of the named cluster
    minus the lowest. Under *another* seed the least stable cluster of the continuous data
    often changes (several clusters are cut out of continua and are about equally
    unstable: excess up to 0.2, as large as a stable cluster's), which is why the check
    does not score an answer under a seed other than its own.

    Parameters
    ----------
    ref
        Prepared data.
    seeds
        Leiden seeds of the students' clusterings at 0.6, each with both flavours (seed 0
        with igraph is the clustering of the exercise's setup cell).
    run_seeds
        ``random_state`` of the students' and the check's subsamples.
    flavors
        Leiden flavours of the clusterings (the exercise's setup cell uses igraph).
    answers
        If given, each clustering and run stores in it, by name, ``(labels, run seed,
        {answer: cluster})`` with the answers ``"legit"`` and the wrong ones (to score them
        against another build's stabilities).

    Returns
    -------
    A :class:`Spread` of ``-excess``. Legitimate: the least stable cluster under ``s``,
    for every Leiden seed, flavour and ``s``. Wrong, under every ``s``: the most stable
    cluster, the smallest cluster
    (unless it is itself unstable, below :data:`FOUND_AGAIN`, and so a near-tie), and the
    least stable of the clusters found again nearly always (>= :data:`FOUND_AGAIN`), the
    wrong answer nearest to the legitimate ones.
    """
    spread = Spread()
    for seed in seeds:
        for flavor in flavors:
            labels = leiden_answer(ref, HARMONY_KEY, CHAPTER_RESOLUTION, seed, flavor).astype(str)
            labels = labels.reindex(ref.obs_names)
            runs = {
                s: own_stability(labels, ref, CHAPTER_RESOLUTION, random_state=s) for s in run_seeds
            }
            smallest = labels.value_counts().idxmin()
            for s, student in runs.items():
                found = student[student >= FOUND_AGAIN]
                wrong = {"most stable": student.idxmax(), "found again": found.idxmin()}
                if student[smallest] >= FOUND_AGAIN:
                    wrong["smallest"] = smallest
                name = f"{flavor} seed {seed}, subsamples {s}"
                spread.legit[name] = -float(student[student.idxmin()] - student.min())
                for what, label in wrong.items():
                    spread.wrong[f"{name}, {what}"] = -float(student[label] - student.min())
                if answers is not None:
                    answers[name] = (labels, s, {"legit": str(student.idxmin()), **wrong})
    return spread


def _p_values(data: ad.AnnData, key: str, cluster: str) -> dict[str, float]:
    """The p-values a student may give for ``cluster``, right and wrong, by name."""
    samples = data.obs[SAMPLE_KEY].astype(str)
    counts = pd.crosstab(samples, data.obs[key].astype(str))
    condition = data.obs.groupby(samples, observed=True)[CONDITION_KEY].first().astype(str)
    shares = counts[cluster] / counts.sum(axis=1)
    covid, ctrl = shares[condition == "covid"], shares[condition == "ctrl"]
    by_condition = counts.groupby(condition).sum()
    inside = by_condition[cluster]
    table = np.array([inside, by_condition.sum(axis=1) - inside])
    rank = mannwhitneyu(covid, ctrl, method="exact").pvalue
    light = ad.AnnData(obs=data.obs[[key, SAMPLE_KEY, CONDITION_KEY]].copy())
    return {
        "rank test": rank,
        "propeller": composition_test(light, key).loc[cluster, "propeller p"],
        "rank test, 3 digits": float(f"{rank:.3g}"),
        "rank test, 2 digits": float(f"{rank:.2g}"),
        "cell-level chi-square": chi2_contingency(table)[1],
        "one-sided rank test": min(
            mannwhitneyu(covid, ctrl, alternative=side, method="exact").pvalue
            for side in ("less", "greater")
        ),
        "Welch t-test": ttest_ind(covid, ctrl, equal_var=False).pvalue,
        "asymptotic rank test": mannwhitneyu(covid, ctrl, method="asymptotic").pvalue,
    }


LEGIT_P = ("rank test", "propeller", "rank test, 3 digits", "rank test, 2 digits")
"""The p-values of :func:`_p_values` that answer question 4 (the last only to 2 digits)."""
CLOSE_TO_PROPELLER = ("Welch t-test",)
"""Sample-level tests whose p falls on propeller's in these data (a t-test on the shares vs
propeller's moderated t-test on their logits: 0.001-0.038 apart on a log10 scale), so no
tolerance can tell them apart; the check accepts such a value as propeller's and names the
t-test only when it lies farther away. Left out of the spread."""


def composition_p_spread(ref: ad.AnnData, *, seeds: tuple[int, ...] = (0, 3)) -> Spread:
    """Distances (negated, log10) of p-values for the B cluster to the accepted tests.

    Parameters
    ----------
    ref
        Prepared data with ``.raw`` (for the marker that finds the B cluster).
    seeds
        Leiden seeds of the clusterings at 0.6, each with both flavours.

    Returns
    -------
    A :class:`Spread` of ``-min(distance to the rank test, distance to propeller)``;
    legitimate: :data:`LEGIT_P`; wrong: the others of :func:`_p_values`.
    """
    spread = Spread()
    for seed in seeds:
        for flavor in FLAVORS:
            data = clustered(ref, seed, flavor)
            cluster = str(marker_means(data, "l", ["MS4A1"])["MS4A1"].idxmax())
            found = _p_values(data, "l", cluster)
            accepted = (found["rank test"], found["propeller"])
            for name, p in found.items():
                if name in CLOSE_TO_PROPELLER:
                    continue
                score = -min(log10_distance(p, q) for q in accepted)
                side = spread.legit if name in LEGIT_P else spread.wrong
                side[f"{flavor} seed {seed}, {name}"] = score
    return spread
