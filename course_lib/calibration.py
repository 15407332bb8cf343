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
from .defaults import HARMONY_KEY
from .pp import run_harmony
from .tl import hierarchical, marker_means, qc_by_cluster, subset_from_raw, t_nk_clusters

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


def _leiden_options(flavor: str) -> dict:
    if flavor == "igraph":
        return {"flavor": "igraph", "n_iterations": 2, "directed": False}
    return {"flavor": "leidenalg"}


def _leiden(ref: ad.AnnData, rep: str, resolution: float, seed: int, flavor: str) -> pd.Series:
    graph = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()))
    graph.obsm[rep] = np.asarray(ref.obsm[rep])
    sc.pp.neighbors(graph, use_rep=rep, random_state=seed)
    sc.tl.leiden(
        graph,
        resolution=resolution,
        random_state=seed,
        key_added="answer",
        **_leiden_options(flavor),
    )
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
    helper = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()), obsm={HARMONY_KEY: harmony})
    hierarchical(helper, k)
    spread.legit["course_lib hierarchical"] = checks._ari(helper.obs[f"ward_{k}"], reference)
    uncorrected = np.asarray(ref.obsm[checks.UNCORRECTED_KEY])
    labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(uncorrected)
    spread.wrong["ward on X_pca"] = float(adjusted_rand_score(reference, labels))
    for method in ("average", "complete"):
        labels = AgglomerativeClustering(n_clusters=k, linkage=method).fit_predict(harmony)
        spread.wrong[f"{method} linkage"] = float(adjusted_rand_score(reference, labels))
    return spread


def _clustered(ref: ad.AnnData, seed: int, flavor: str) -> ad.AnnData:
    """The course data's cells with Leiden 0.6 (``obs['l']``) on the stored Harmony graph."""
    data = ad.AnnData(obs=ref.obs.copy(), obsp=ref.obsp)
    data.uns["neighbors"] = ref.uns["neighbors"]
    data.raw = ref.raw.to_adata()
    sc.tl.leiden(data, resolution=0.6, random_state=seed, key_added="l", **_leiden_options(flavor))
    return data


def chapter_subset(data: ad.AnnData, key: str, *, exclude_flagged: bool = True) -> list[str]:
    """Chapter 5's rule: T or NK clusters by markers, the QC-flagged clusters left out.

    Examples
    --------
    >>> chapter_subset(adata, "leiden_0.6")  # doctest: +SKIP
    ['0', '1', '3', '4', '8']
    """
    flagged = qc_by_cluster(data, key).query("flagged").index if exclude_flagged else []
    rule = t_nk_clusters(data, key, exclude=list(flagged))
    return list(rule.index[rule["selected"]])


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
    ``(precision, recall)``; doublets and low-quality cells count against precision.

    Examples
    --------
    >>> subset_precision_recall(adata, tnk.obs_names)  # doctest: +SKIP
    (0.996, 0.999)
    """
    from .defaults import LINEAGE_KEY

    is_tnk = ref.obs[LINEAGE_KEY].astype(str).to_numpy() == "T/NK"
    chosen = ref.obs_names.isin(cells)
    return float(is_tnk[chosen].mean()), float(chosen[is_tnk].mean())


def subset_spread(
    ref: ad.AnnData, *, runs: tuple[tuple[int, str], ...] = ((0, "igraph"), (1, "leidenalg"))
) -> tuple[Spread, Spread]:
    """Precision and recall of T/NK subsets chosen by chapter 5's rule from Leiden 0.6.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph (Harmony) in ``obsp``.
    runs
        Leiden (seed, flavour) of the legitimate subsets. With igraph seed 2 the rule
        leaves out a flagged 1,238-cell T cluster (recall 0.70): that partition is not used.

    Returns
    -------
    ``(precision, recall)`` :class:`Spread` s; wrong answers: the flagged clusters kept,
    the subset plus the smallest other cluster (precision), T clusters only (recall).

    Examples
    --------
    >>> precision, recall = subset_spread(course_lib.load_integrated())  # doctest: +SKIP
    """
    precision, recall = Spread(), Spread()
    for seed, flavor in runs:
        data = _clustered(ref, seed, flavor)
        name = f"{flavor} seed {seed}"

        def score(clusters: list[str], data: ad.AnnData = data) -> tuple[float, float]:
            return subset_precision_recall(ref, data.obs_names[data.obs["l"].isin(clusters)])

        chosen = chapter_subset(data, "l")
        precision.legit[name], recall.legit[name] = score(chosen)
        precision.wrong[f"flagged kept, {name}"] = score(
            chapter_subset(data, "l", exclude_flagged=False)
        )[0]
        others = [c for c in data.obs["l"].cat.categories if c not in chosen]
        sizes = data.obs["l"].value_counts()
        smallest = min(others, key=lambda c: int(sizes[c]))
        precision.wrong[f"plus smallest other, {name}"] = score([*chosen, smallest])[0]
        rule = t_nk_clusters(data, "l", exclude=[c for c in others if c not in chosen])
        t_only = list(rule.index[rule["is_t"] & ~rule["is_nk"] & rule["selected"]])
        recall.wrong[f"T only, {name}"] = score(t_only)[1]
    return precision, recall


def _doublet_scores(
    labels: pd.Series, is_doublet: pd.Series, clusters: list[str]
) -> tuple[float, float]:
    share = is_doublet.groupby(labels).mean()
    target = labels.isin(share.index[share > 0.5])
    chosen = labels.isin(clusters)
    return float(is_doublet[chosen].mean()), float(chosen[target].mean())


def doublet_spread(
    ref: ad.AnnData, *, runs: tuple[tuple[int, str], ...] = ((0, "igraph"), (1, "leidenalg"))
) -> tuple[Spread, Spread]:
    """Precision and recall (as :func:`course_lib.checks.check_doublet_clusters`) of doublet
    cluster choices.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph and ``obs['truth']``.
    runs
        Leiden (seed, flavour) of the clusterings.

    Returns
    -------
    ``(precision, recall)`` :class:`Spread` s; legitimate: the high-count clusters with
    the markers of two lineages (chapter 4's rule); wrong: plus the low-quality cluster,
    plus the other flagged clusters, and only one of the doublet clusters.

    Examples
    --------
    >>> precision, recall = doublet_spread(course_lib.load_integrated())  # doctest: +SKIP
    """
    from .defaults import TRUTH_KEY

    precision, recall = Spread(), Spread()
    for seed, flavor in runs:
        data = _clustered(ref, seed, flavor)
        labels = data.obs["l"].astype(str)
        is_doublet = data.obs[TRUTH_KEY].astype(str) == "doublet"

        def score(
            clusters: list[str], labels: pd.Series = labels, is_doublet: pd.Series = is_doublet
        ) -> tuple[float, float]:
            return _doublet_scores(labels, is_doublet, clusters)

        qc = qc_by_cluster(data, "l")
        genes = ["CD3E", "GNLY", "MS4A1", "JCHAIN", "CD14", "LILRA4", "PPBP"]
        means = marker_means(data, "l", genes)
        two_lineages = (means >= 0.5 * means.max()).sum(axis=1) >= 2
        doublets = list(qc.index[qc["high_counts"] & two_lineages.reindex(qc.index)])
        name = f"{flavor} seed {seed}"
        precision.legit[name], recall.legit[name] = score(doublets)
        others = [c for c in qc.index[qc["flagged"]] if c not in doublets]
        lowq = [c for c in others if qc.loc[c, "low_counts"] or qc.loc[c, "high_pct_mt"]]
        for extra in others:
            kind = "low-quality" if extra in lowq else "other flagged"
            precision.wrong[f"plus {kind} {extra}, {name}"] = score([*doublets, extra])[0]
        for dropped in doublets:
            recall.wrong[f"without {dropped}, {name}"] = score(
                [c for c in doublets if c != dropped]
            )[1]
    return precision, recall


def rerun_subset(tnk: ad.AnnData, *, regress: bool = False, seed: int = 0) -> None:
    """Exercise 5's pipeline on a subset from :func:`course_lib.subset_from_raw`, in place.

    Variable genes within the subset (2,000, by sample), scaling, PCA (30 components) and
    Harmony by sample; with ``regress=True`` also chapter 5's regression of counts and
    mitochondrial share before scaling.

    Examples
    --------
    >>> rerun_subset(tnk)  # doctest: +SKIP
    """
    sc.pp.highly_variable_genes(tnk, n_top_genes=2000, batch_key="sample")
    hvg = tnk[:, tnk.var["highly_variable"]].copy()
    if regress:
        sc.pp.regress_out(hvg, ["total_counts", "pct_counts_mt"])
    sc.pp.scale(hvg, max_value=10)
    sc.pp.pca(hvg, n_comps=30, random_state=seed)
    run_harmony(hvg, "sample", random_state=seed)
    tnk.obsm[checks.UNCORRECTED_KEY] = hvg.obsm[checks.UNCORRECTED_KEY]
    tnk.obsm[HARMONY_KEY] = hvg.obsm[HARMONY_KEY]


def hvg_spread(ref: ad.AnnData) -> Spread:
    """Overlap of gene sets with the subset's own variable genes (:func:`checks.hvg_overlap`).

    Returns
    -------
    A :class:`Spread`; legitimate: the same call; wrong: the full data's variable genes and
    the genes chosen without ``batch_key``.

    Examples
    --------
    >>> hvg_spread(course_lib.load_integrated()).wrong_max  # doctest: +SKIP
    """
    data = _clustered(ref, 0, "igraph")
    cells = data.obs_names[data.obs["l"].isin(chapter_subset(data, "l"))]
    expected = checks.reference_hvg(ref, cells)
    tnk = subset_from_raw(data, "l", chapter_subset(data, "l"))
    sc.pp.highly_variable_genes(tnk, n_top_genes=2000, batch_key="sample")
    spread = Spread()
    spread.legit["same call"] = checks.hvg_overlap(
        set(tnk.var_names[tnk.var["highly_variable"]]), expected
    )
    full = set(ref.var_names[ref.var["highly_variable"]])
    spread.wrong["full data's genes"] = checks.hvg_overlap(full, expected)
    sc.pp.highly_variable_genes(tnk, n_top_genes=2000)
    spread.wrong["without batch_key"] = checks.hvg_overlap(
        set(tnk.var_names[tnk.var["highly_variable"]]), expected
    )
    return spread


def subcluster_spread(
    ref: ad.AnnData, resolution: float = 0.6, *, seeds: tuple[int, ...] = LEGIT_SEEDS[:2]
) -> Spread:
    """Scores of subclusterings of chapter 5's T/NK subset against the check's references.

    The subset is taken with chapter 5's rule and run through exercise 5's pipeline
    (:func:`rerun_subset`); the references are built on that embedding, as the check
    builds them on the student's.

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
    A :class:`Spread`; wrong answers: the subset's graph on its uncorrected PCA,
    resolution 0.2, the full data's clusters kept, and Leiden on a graph of the full data's
    Harmony embedding (the old exercise's answer).

    Examples
    --------
    >>> subcluster_spread(course_lib.load_integrated()).legit_min  # doctest: +SKIP
    0.8
    """
    full = _clustered(ref, 0, "igraph")
    tnk = subset_from_raw(full, "l", chapter_subset(full, "l"))
    rerun_subset(tnk)
    subset = ad.AnnData(obs=pd.DataFrame(index=tnk.obs_names.copy()))
    for rep in (HARMONY_KEY, checks.UNCORRECTED_KEY):
        subset.obsm[rep] = np.asarray(tnk.obsm[rep])
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
        full.obs.loc[tnk.obs_names, "l"], subset, resolution
    )
    old = ad.AnnData(obs=pd.DataFrame(index=tnk.obs_names.copy()))
    old.obsm[HARMONY_KEY] = np.asarray(ref[tnk.obs_names].obsm[HARMONY_KEY])
    labels = _leiden(old, HARMONY_KEY, resolution, seed, "igraph")
    spread.wrong["graph of the full data's embedding"] = checks.leiden_score(
        labels, subset, resolution
    )
    return spread


def lineage_spread(
    ref: ad.AnnData, lineage: str = "B", *, clusterings: dict[str, pd.Series] | None = None
) -> tuple[Spread, Spread]:
    """Precision and recall (as :func:`course_lib.checks.check_lineage_clusters`) of
    cluster choices for one lineage.

    Parameters
    ----------
    ref
        Prepared data with its kNN graph and ``obs['lineage_truth']``.
    lineage
        The lineage asked for.
    clusterings
        Cluster labels indexed by cell, by name; default Leiden 0.6 with igraph seed 0 and
        leidenalg seed 1.

    Returns
    -------
    ``(precision, recall)`` :class:`Spread` s; legitimate: the clusters made mostly of
    ``lineage``; wrong: each of them alone (recall), and them plus any one other cluster
    (precision).

    Examples
    --------
    >>> precision, recall = lineage_spread(course_lib.load_integrated())  # doctest: +SKIP
    """
    from .defaults import LINEAGE_KEY

    if clusterings is None:
        clusterings = {
            f"{flavor} seed {seed}": _clustered(ref, seed, flavor).obs["l"]
            for seed, flavor in ((0, "igraph"), (1, "leidenalg"))
        }
    precision, recall = Spread(), Spread()
    is_lineage = ref.obs[LINEAGE_KEY].astype(str) == lineage
    for name, clustering in clusterings.items():
        labels = clustering.astype(str).reindex(ref.obs_names)

        def score(clusters: list[str], labels: pd.Series = labels) -> tuple[float, float]:
            chosen = labels.isin(clusters)
            return float(is_lineage[chosen].mean()), float(chosen[is_lineage].mean())

        share = is_lineage.groupby(labels).mean()
        chosen = list(share.index[share > 0.5])
        precision.legit[name], recall.legit[name] = score(chosen)
        for other in share.index.difference(chosen):
            precision.wrong[f"plus {other}, {name}"] = score([*chosen, other])[0]
        for kept in chosen if len(chosen) > 1 else []:
            recall.wrong[f"only {kept}, {name}"] = score([kept])[1]
    return precision, recall
