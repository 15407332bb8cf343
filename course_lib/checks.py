"""Student-facing answer checks for the exercises (one call per question).

Each ``check_*`` function prints a single short line when the answer is right and raises
:class:`AssertionError` otherwise, whose message names what is wrong, what was found and
where to look (the chapter section, the function and the argument), never the code of the
solution (``tests/test_exercise_messages.py`` compares every message with the solution
cells). A question that only needs a partition takes labels of any type. Clusterings
are compared with a reference computed from the same data by the adjusted Rand index
(ARI), which ignores label names; the reference labels are never shown. Recorded
parameters (``adata.uns['neighbors']['params']``, ``adata.uns[key]['params']``) are read to
name the exact mistake where scanpy wrote them.

The thresholds are calibrated, not guessed: ``tests/test_calibration.py`` recomputes
the agreement of legitimate answers (other seeds, the other Leiden flavour) and of wrong
answers (uncorrected embedding, far resolutions, wrong ``k``, wrong linkage) with the
reference and asserts every threshold still sits between them. The numbers below were
measured on the course data (``course_lib.load_integrated()``, scanpy 1.11.5, igraph 1.0.0,
leidenalg 0.12.0, scikit-learn 1.9.1).

Hidden tests call the same functions with ``strict=True``, which also requires the
recorded parameters and a higher agreement.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

from .defaults import HARMONY_KEY, N_NEIGHBORS, leiden_key

UNCORRECTED_KEY = "X_pca"
"""``obsm`` key of the uncorrected PCA embedding (the usual wrong answer)."""

REFERENCE_SEEDS = (0, 1, 2)
"""Leiden seeds of the reference clusterings; an answer is scored by its best ARI to them.

Leiden at one resolution lands in slightly different partitions depending on the seed
and flavour (and machine, scanpy issue 2014); several references make the score robust."""

LEIDEN_MIN_ARI = 0.6
"""Visible check: best ARI to the Harmony references at the asked resolution.

Calibration (resolution 0.6; 1.0 in brackets): legitimate answers (seeds 3-5, igraph and
leidenalg flavours) score >= 0.749 (0.887); the graph on uncorrected ``X_pca`` <= 0.226
(0.205); resolution 3 scores 0.378 (0.525). Other resolutions are *not* separable by
labels on this data: 0.4 scores 0.82 and even 0.1 (9 clusters) scores 0.802 against the 0.6
references, inside the legitimate spread, and within :data:`COUNT_RANGE`. A wrong
resolution is therefore named from the recorded ``uns[key]['params']['resolution']``
(scanpy always writes it; the hidden test requires it)."""

LEIDEN_STRICT_ARI = 0.65
"""Hidden check: as :data:`LEIDEN_MIN_ARI`, closer to the legitimate minimum (0.749)."""

KNN_MIN_OVERLAP = 0.9
"""Hidden check: mean fraction of each cell's neighbours shared with the exact kNN on Harmony.

Calibration: graphs on Harmony with other seeds share 1.00 of the neighbours (exact search
below 8,192 cells); the graph on ``X_pca`` shares 0.21."""

KMEANS_MAX_EXCESS = 0.065
"""Visible check: how much larger the within-cluster sum of squares of ``kmeans_<k>`` in
the Harmony embedding may be than that of the reference k-means (``n_init=10``, seed 0).

k-means partitions at ``k=10`` differ a lot between seeds (ARI 0.67-1.0) and k-means on
``X_pca`` can agree with one by ARI 0.76, so labels alone cannot tell the embeddings
apart; compactness in the Harmony embedding can. Calibration (k=10): legitimate answers
(seeds 3-5, ``n_init`` 10 or 1) are at most 5.4 % less compact; k-means on ``X_pca`` at
least 7.9 %. A wrong ``k`` is caught exactly (k-means returns exactly ``k`` clusters)."""

KMEANS_STRICT_EXCESS = 0.045
"""Hidden check: the question asks for ``n_init=10`` (legitimate answers <= 3.0 %)."""

WARD_MIN_ARI = 0.8
"""Visible check: ARI of ``ward_<k>`` to the Ward cut of the Harmony embedding.

Calibration (k=10): scipy and scikit-learn Ward give the same tree (ARI 1.00); Ward on
``X_pca`` scores 0.556, average linkage 0.559, complete linkage 0.534."""

WARD_STRICT_ARI = 0.95
"""Hidden check: Ward is deterministic, so the hidden test expects (almost) the same cut."""

INERTIA_RTOL = 0.1
"""Relative tolerance on each k-means inertia of the elbow curve.

Calibration (k = 2, 6, 10, 14, ``n_init=3`` reference): other seeds with ``n_init`` 3 or 10
differ by <= 1.3 %; the curve on ``X_pca`` by 52 %, a curve shifted by one step of the
question's k (the inertia of k + 2 stored under k) by 30 %."""

INERTIA_STRICT_RTOL = 0.05
"""Hidden check: as :data:`INERTIA_RTOL`, closer to the legitimate spread (<= 1.3 %)."""

SUBSET_MIN = (0.99, 0.95)
"""Visible check: (precision, recall) of the T/NK subset, judged on the simulation's truth.

Precision: the fraction of the subset's cells that are T or NK cells (doublets and damaged
cells count against it); recall: the fraction of all T and NK cells in the subset.
Calibration (chapter 5's rule: flagged clusters excluded, then CD3E or GNLY/NKG7 at half the
top cluster's score, Leiden 0.6, seeds 0-4, both flavours): legitimate subsets have
precision 0.9948-0.9978 and recall >= 0.994; keeping the flagged clusters (doublets, about
190 cells) gives precision 0.949-0.957, adding the smallest other cluster 0.976-0.988, T
clusters only (forgetting NK) recall 0.838-0.844. One partition of the ten (igraph seed 2)
flags a 1,238-cell T cluster for its high counts, so chapter 5's rule leaves it out (recall
0.70); the exercise's seed-0 partition does not."""

SUBSET_STRICT = (0.992, 0.98)
"""Hidden check: as :data:`SUBSET_MIN`, closer to the legitimate subsets."""

HVG_MIN_OVERLAP = 0.9
"""Visible check: Jaccard overlap of the subset's highly variable genes with those chosen
within the same cells (``n_top_genes=2000``, ``batch_key='sample'``).

Calibration (chapter 5's subset): the same call gives 1.00 (it is deterministic); the
genes chosen without ``batch_key`` 0.64; the full data's variable genes 0.47."""

HVG_STRICT_OVERLAP = 0.95
"""Hidden check: as :data:`HVG_MIN_OVERLAP`, closer to the legitimate 1.00."""

SUBCLUSTER_MIN_ARI = 0.45
"""Visible check: best ARI of the subclustering to Leiden references on a kNN graph of the
subset's own Harmony embedding (the student's ``tnk.obsm['X_pca_harmony']``).

Calibration (resolution 0.6, chapter 5's subset re-run as in exercise 5): Leiden on the
subset's own embedding is unstable, legitimate answers (seeds 3-4, both flavours) score
0.579-0.801 against the seed 0-2 references (the exercise's seed 0 scores 1.0); the graph
on the subset's uncorrected PCA 0.043, resolution 0.2 0.161, the full data's labels kept
0.317. Leiden on a graph of the full data's Harmony embedding scores 0.558, inside the
legitimate spread: the hidden test catches it by the graph itself (built on the subset's
own embedding), not by labels."""

SUBCLUSTER_STRICT_ARI = 0.5
"""Hidden check: as :data:`SUBCLUSTER_MIN_ARI`, closer to the legitimate minimum (0.579)."""

LINEAGE_MIN = (0.9, 0.9)
"""Visible check: (precision, recall) of clusters chosen as one lineage, judged on the truth.

Calibration (B lineage, Leiden 0.6, igraph seed 0 and leidenalg seed 1): the two B
clusters (641 B cells, and 251 plasmablasts, which lack MS4A1) together score precision
0.929-0.959, recall 1.00; either B cluster alone recall <= 0.72. Adding the small doublet
cluster that expresses MS4A1 scores precision 0.929, inside the legitimate spread: not
treated as a mistake (exercise 4 asks about doublets). Platelets in the Ward cut at 10
(exercise 3): the one platelet cluster scores (0.936, 1.00); adding any other cluster
precision <= 0.787."""

LINEAGE_STRICT = (0.92, 0.95)
"""Hidden check: as :data:`LINEAGE_MIN`, closer to the legitimate answers."""

DOUBLET_MIN = (0.9, 0.9)
"""Visible check: (precision, recall) of the clusters chosen as doublets, judged on the truth.

Precision: the fraction of doublets among the cells of the chosen clusters; recall: the
fraction of the cells of clusters made mostly (> 50 %) of doublets that were chosen.
Calibration (Leiden 0.6, seeds 0-4, both flavours): the two doublet clusters (30 and 81
cells) are 100 % doublets, so the right answer scores (1.00, 1.00); adding the low-quality
cluster gives precision <= 0.59, any other flagged cluster <= 0.30, and only one of the
two doublet clusters recall <= 0.73."""

DOUBLET_STRICT = (0.95, 0.95)
"""Hidden check: as :data:`DOUBLET_MIN`, closer to the right answer's (1.00, 1.00)."""

COUNT_RANGE = (0.6, 1.6)
"""Cluster-count sanity range, as factors of the references' median count (rounded outwards).

Calibration: at resolution 0.6 (1.0) the references have 13 (15) clusters, so the range is
7-21 (9-24); legitimate answers have 11-14 (13-15), the graph on ``X_pca`` 28-29."""

_CLUSTER_PREFIXES = ("leiden", "louvain", "kmeans", "ward", "cluster")

P = ParamSpec("P")
R = TypeVar("R")


# --------------------------------------------------------------------------- plumbing
def _fail(msg: str) -> None:
    raise AssertionError(msg)


def _passed(msg: str) -> None:
    print(f"✔ {msg}")


def student_facing(func: Callable[P, R]) -> Callable[P, R]:
    """Turn unexpected errors inside a check into one clear :class:`AssertionError`.

    Parameters
    ----------
    func
        A check function.

    Returns
    -------
    The wrapped function; its own ``AssertionError`` messages pass through unchanged.

    Examples
    --------
    >>> @student_facing
    ... def check_x(value):
    ...     return 1 / value
    >>> check_x(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: check_x could not check your answer (ZeroDivisionError: ...
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        __tracebackhide__ = True  # noqa: F841  (IPython and pytest hide this frame)
        try:
            return func(*args, **kwargs)
        except AssertionError:
            raise
        except Exception as error:  # noqa: BLE001  (any library error becomes a student message)
            msg = (
                f"{func.__name__} could not check your answer ({type(error).__name__}: {error}). "
                "Check that you pass the objects the question asks for, then re-run your "
                "notebook from the top (Kernel → Restart & Run All)."
            )
            raise AssertionError(msg) from None

    return wrapper


def _require_adata(adata: Any, name: str = "adata") -> ad.AnnData:
    if adata is None:
        _fail(
            f"`{name}` is None. Pass your AnnData object. A common cause: "
            f"`{name} = sc.pp.neighbors({name})` — scanpy functions change `{name}` in place "
            f"and return None, so call them without `{name} =`, then reload the data with "
            f"`{name} = course_lib.load_integrated()` and re-run your cells."
        )
    if isinstance(adata, pd.DataFrame):
        _fail(
            f"got a pandas DataFrame (did you pass `{name}.obs`?); pass the AnnData object "
            f"itself, e.g. `{name}`."
        )
    if not isinstance(adata, ad.AnnData):
        _fail(f"expected an AnnData object for `{name}`, got {type(adata).__name__}.")
    return adata


def _cluster_columns(adata: ad.AnnData) -> list[str]:
    return sorted(c for c in adata.obs.columns if str(c).lower().startswith(_CLUSTER_PREFIXES))


def _cluster_labels(
    adata: ad.AnnData, key: str, hint: str, name: str = "adata", *, categorical: bool = False
) -> pd.Series:
    """The labels in ``obs[key]`` as strings, or a failure naming what is wrong.

    Only the question that asks for categories of strings passes ``categorical=True``; a
    question that only needs the partition takes any label type, so one formatting slip
    costs one question, not every later one.
    """
    if key not in adata.obs:
        _fail(
            f"`{name}.obs` has no column {key!r}; store the clustering there ({hint}). "
            f"Clustering columns present: {_cluster_columns(adata) or 'none'}."
        )
    labels = adata.obs[key]
    n_missing = int(labels.isna().sum())
    if n_missing:
        _fail(
            f"`{name}.obs[{key!r}]` has {n_missing} cells without a label (NaN); every cell "
            f"of `{name}` needs a cluster — cluster all of `{name}`, not a subset."
        )
    if categorical:
        fix = "convert the labels to strings (`astype(str)`), then to a categorical column"
        if pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
            _fail(
                f"`{name}.obs[{key!r}]` holds numbers ({labels.dtype}), so scanpy treats it as "
                f"a continuous value, not clusters. The question asks for categories of "
                f"strings: {fix}."
            )
        if not isinstance(labels.dtype, pd.CategoricalDtype):
            _fail(
                f"`{name}.obs[{key!r}]` holds {labels.dtype} values but is not categorical; "
                f"the question asks for categories of strings: {fix}."
            )
        if not all(isinstance(c, str) for c in labels.cat.categories):
            _fail(
                f"the categories of `{name}.obs[{key!r}]` are numbers, not strings; the "
                f"question asks for categories of strings: {fix}."
            )
    return labels.astype(str)


def _aligned(adata: ad.AnnData, ref: ad.AnnData, name: str = "adata") -> None:
    """Fail unless ``adata`` holds exactly the cells of the reference data (any order)."""
    if adata.n_obs != ref.n_obs:
        _fail(
            f"`{name}` has {adata.n_obs:,} cells but the exercise data has {ref.n_obs:,}. "
            f"Did you subset or filter `{name}`? Reload it with "
            f"`{name} = course_lib.load_integrated()` and re-run your cells."
        )
    if not adata.obs_names.isin(ref.obs_names).all():
        _fail(
            f"the cell names (`{name}.obs_names`) do not match the exercise data. Reload "
            f"it with `{name} = course_lib.load_integrated()` and do not rename cells."
        )


def _answer_labels(
    adata: ad.AnnData,
    key: str,
    hint: str,
    reference: ad.AnnData | None,
    *,
    categorical: bool = False,
) -> tuple[pd.Series, ad.AnnData]:
    """The labels in ``obs[key]`` and the reference data, checked to hold the same cells."""
    labels = _cluster_labels(adata, key, hint, categorical=categorical)
    ref = reference_data(reference)
    _aligned(adata, ref)
    return labels, ref


def _recorded(adata: ad.AnnData, key: str, param: str) -> Any:
    """``adata.uns[key]['params'][param]`` if scanpy recorded it, else ``None``."""
    params = adata.uns.get(key, {})
    params = params.get("params", {}) if isinstance(params, Mapping) else {}
    return params.get(param) if isinstance(params, Mapping) else None


def _ari(labels: pd.Series, reference: pd.Series) -> float:
    return float(adjusted_rand_score(reference.to_numpy(), labels.reindex(reference.index)))


def _count_range(n_reference: float) -> tuple[int, int]:
    low, high = COUNT_RANGE
    return max(2, math.floor(low * n_reference)), math.ceil(high * n_reference)


# --------------------------------------------------------------------------- references
_REFERENCE_DATA: dict[str, ad.AnnData] = {}
_CACHE: dict[tuple, Any] = {}


def reference_data(reference: ad.AnnData | None = None) -> ad.AnnData:
    """The data the references are computed from: ``reference``, or the course data.

    Parameters
    ----------
    reference
        Prepared data to compute references from (tests pass small simulated data);
        ``None`` loads :func:`course_lib.load_integrated` once per process.

    Returns
    -------
    The :class:`~anndata.AnnData` (not copied; checks only read it).

    Examples
    --------
    >>> reference_data().n_obs  # doctest: +SKIP
    7733
    """
    if reference is not None:
        return reference
    if "course" not in _REFERENCE_DATA:
        from .datasets import load_integrated

        _REFERENCE_DATA["course"] = load_integrated(progress=False)
    return _REFERENCE_DATA["course"]


def _fingerprint(ref: ad.AnnData, rep: str) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update("\0".join(ref.obs_names).encode())
    digest.update(np.ascontiguousarray(ref.obsm[rep]).tobytes())
    return digest.hexdigest()


def _cached(key: tuple, compute: Callable[[], R]) -> R:
    if key not in _CACHE:
        _CACHE[key] = compute()
    return _CACHE[key]


def reference_graph(ref: ad.AnnData, rep: str = HARMONY_KEY) -> ad.AnnData:
    """A kNN graph on ``ref.obsm[rep]`` with the course's settings, cached per process.

    Parameters
    ----------
    ref
        Prepared data.
    rep
        ``obsm`` key of the embedding.

    Returns
    -------
    A small :class:`~anndata.AnnData` holding only the cells, ``obsm[rep]`` and the graph.

    Examples
    --------
    >>> reference_graph(reference_data()).obsp["connectivities"].shape  # doctest: +SKIP
    (7733, 7733)
    """

    def compute() -> ad.AnnData:
        graph = ad.AnnData(obs=pd.DataFrame(index=ref.obs_names.copy()))
        graph.obsm[rep] = np.asarray(ref.obsm[rep])
        sc.pp.neighbors(graph, n_neighbors=N_NEIGHBORS, use_rep=rep, random_state=0)
        return graph

    return _cached(("graph", _fingerprint(ref, rep)), compute)


def reference_leiden(
    ref: ad.AnnData,
    resolution: float,
    *,
    rep: str = HARMONY_KEY,
    seed: int = 0,
    flavor: str = "igraph",
) -> pd.Series:
    """Leiden labels on the reference graph of ``rep``, indexed by cell, cached per process.

    Parameters
    ----------
    ref
        Prepared data.
    resolution
        Leiden resolution.
    rep
        ``obsm`` key the graph is built on.
    seed
        Leiden seed.
    flavor
        ``"igraph"`` or ``"leidenalg"``.

    Returns
    -------
    A :class:`pandas.Series` of cluster labels (strings) indexed by ``obs_names``.

    Examples
    --------
    >>> reference_leiden(reference_data(), 0.6).nunique()  # doctest: +SKIP
    13
    """

    def compute() -> pd.Series:
        graph = reference_graph(ref, rep).copy()
        options: dict[str, Any] = (
            {"flavor": "igraph", "n_iterations": 2, "directed": False}
            if flavor == "igraph"
            else {"flavor": "leidenalg"}
        )
        sc.tl.leiden(graph, resolution=resolution, random_state=seed, key_added="ref", **options)
        return graph.obs["ref"].astype(str)

    key = ("leiden", _fingerprint(ref, rep), float(resolution), seed, flavor)
    return _cached(key, compute)


def reference_inertia(
    ref: ad.AnnData, k: int, *, rep: str = HARMONY_KEY, n_init: int = 10, seed: int = 0
) -> float:
    """k-means inertia on ``ref.obsm[rep]``, cached per process.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    rep
        ``obsm`` key of the embedding.
    n_init
        Number of k-means restarts.
    seed
        ``random_state`` of :class:`sklearn.cluster.KMeans`.

    Returns
    -------
    The within-cluster sum of squares of the best restart.

    Examples
    --------
    >>> reference_inertia(reference_data(), 10)  # doctest: +SKIP
    21350.7
    """

    def compute() -> float:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        return float(model.fit(np.asarray(ref.obsm[rep])).inertia_)

    return _cached(("inertia", _fingerprint(ref, rep), int(k), n_init, seed), compute)


def within_ss(labels: pd.Series, ref: ad.AnnData, rep: str = HARMONY_KEY) -> float:
    """Within-cluster sum of squares of ``labels`` in ``ref.obsm[rep]`` (k-means' inertia).

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name.
    ref
        Prepared data with the embedding.
    rep
        ``obsm`` key of the embedding.

    Returns
    -------
    The sum over clusters of squared distances of cells to their cluster's mean.

    Examples
    --------
    >>> within_ss(adata.obs["kmeans_10"], reference_data())  # doctest: +SKIP
    21350.7
    """
    data = pd.DataFrame(np.asarray(ref.obsm[rep]), index=ref.obs_names)
    codes = labels.reindex(ref.obs_names).astype(str).to_numpy()
    centred = data - data.groupby(codes).transform("mean")
    return float((centred.to_numpy() ** 2).sum())


def reference_ward(
    ref: ad.AnnData, k: int, *, rep: str = HARMONY_KEY, linkage: str = "ward"
) -> pd.Series:
    """Agglomerative clustering of ``ref.obsm[rep]`` cut at ``k`` clusters, cached.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    rep
        ``obsm`` key of the embedding.
    linkage
        Linkage criterion of :class:`sklearn.cluster.AgglomerativeClustering`.

    Returns
    -------
    A :class:`pandas.Series` of cluster labels (strings) indexed by ``obs_names``.

    Examples
    --------
    >>> reference_ward(reference_data(), 10).nunique()  # doctest: +SKIP
    10
    """

    def compute() -> pd.Series:
        model = AgglomerativeClustering(n_clusters=k, linkage=linkage)
        labels = model.fit_predict(np.asarray(ref.obsm[rep]))
        return pd.Series(labels.astype(str), index=ref.obs_names)

    return _cached(("ward", _fingerprint(ref, rep), int(k), linkage), compute)


def leiden_score(labels: pd.Series, ref: ad.AnnData, resolution: float) -> float:
    """Best ARI of ``labels`` to the Harmony Leiden references (seeds :data:`REFERENCE_SEEDS`).

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name (any order, all cells of ``ref``).
    ref
        Prepared data.
    resolution
        Leiden resolution of the references.

    Returns
    -------
    The largest adjusted Rand index, the score :func:`check_leiden` compares with
    :data:`LEIDEN_MIN_ARI`.

    Examples
    --------
    >>> leiden_score(adata.obs["leiden_0.6"], reference_data(), 0.6)  # doctest: +SKIP
    1.0
    """
    return max(_ari(labels, reference_leiden(ref, resolution, seed=s)) for s in REFERENCE_SEEDS)


def kmeans_excess(labels: pd.Series, ref: ad.AnnData, k: int, rep: str = HARMONY_KEY) -> float:
    """How much less compact in ``rep`` the clusters are than the reference k-means there.

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name.
    ref
        Prepared data.
    k
        Number of clusters of the reference k-means (``n_init=10``, seed 0).
    rep
        ``obsm`` key of the embedding.

    Returns
    -------
    ``within_ss(labels) / reference_inertia - 1``; about 0 for a k-means answer on ``rep``,
    the score :func:`check_kmeans` compares with :data:`KMEANS_MAX_EXCESS`.

    Examples
    --------
    >>> kmeans_excess(adata.obs["kmeans_10"], reference_data(), 10)  # doctest: +SKIP
    0.0
    """
    return within_ss(labels, ref, rep) / reference_inertia(ref, k, rep=rep) - 1


def knn_overlap(adata: ad.AnnData, ref: ad.AnnData, rep: str = HARMONY_KEY) -> float:
    """Mean fraction of each cell's graph neighbours that are exact neighbours in ``rep``.

    Parameters
    ----------
    adata
        Data with a kNN graph in ``obsp['distances']``.
    ref
        Data with the embedding ``obsm[rep]`` (same cells).
    rep
        ``obsm`` key of the embedding the graph should have been built on.

    Returns
    -------
    A number between 0 and 1 (1: the graph is the exact kNN graph of ``rep``).

    Examples
    --------
    >>> knn_overlap(adata, reference_data())  # doctest: +SKIP
    1.0
    """
    distances = adata.obsp["distances"].tocsr()
    order = ref.obs_names.get_indexer(adata.obs_names)
    n_neighbors = int(np.diff(distances.indptr).max()) + 1

    def compute() -> np.ndarray:
        search = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(ref.obsm[rep]))
        return search.kneighbors(return_distance=False)

    exact = _cached(("exact_knn", _fingerprint(ref, rep), n_neighbors), compute)
    shared = [
        np.isin(
            order[distances.indices[distances.indptr[i] : distances.indptr[i + 1]]], exact[order[i]]
        ).mean()
        for i in range(adata.n_obs)
        if distances.indptr[i + 1] > distances.indptr[i]
    ]
    return float(np.mean(shared)) if shared else 0.0


# --------------------------------------------------------------------------- chapter 1
GRAPH_HINT = (
    "`sc.pp.neighbors` builds the graph; its `use_rep=` argument names the `adata.obsm` key "
    "of the embedding — which key holds the Harmony-corrected one? See chapter 1, "
    "*Building the kNN graph*"
)
"""Where to look when the kNN graph is wrong (names the function and argument, not the code)."""


def _embedding_hint(used_rep: str | None, closer_to_uncorrected: bool) -> str:
    if closer_to_uncorrected:
        recorded = f" (your graph was built with `use_rep={used_rep!r}`)" if used_rep else ""
        mistake = (
            f"this clustering matches the uncorrected PCA better than the Harmony embedding"
            f"{recorded}"
        )
    else:
        mistake = f"the kNN graph was built on {used_rep!r}"
    return (
        f"{mistake} — rebuild the graph on the corrected embedding and cluster again "
        f"({GRAPH_HINT})."
    )


@student_facing
def check_neighbors(
    adata: ad.AnnData,
    *,
    n_neighbors: int = N_NEIGHBORS,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the kNN graph: built on the Harmony embedding with ``n_neighbors`` neighbours.

    Parameters
    ----------
    adata
        The student's data after ``sc.pp.neighbors``.
    n_neighbors
        Neighbours per cell the question asks for.
    strict
        Hidden test: also compare the graph's neighbours with the exact kNN on Harmony.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> sc.pp.neighbors(adata, use_rep="X_pca_harmony")  # doctest: +SKIP
    >>> check_neighbors(adata)  # doctest: +SKIP
    ✔ kNN graph on 'X_pca_harmony' with 15 neighbours.
    """
    adata = _require_adata(adata)
    ref = reference_data(reference)
    _aligned(adata, ref)
    hint = f"{GRAPH_HINT}; `n_neighbors=` sets the neighbours per cell ({n_neighbors} here)"
    if "neighbors" not in adata.uns or "connectivities" not in adata.obsp:
        _fail(f"`adata` has no kNN graph yet. {hint}.")
    use_rep = _recorded(adata, "neighbors", "use_rep")
    if use_rep is None:
        _fail(
            f"the graph does not say which embedding it was built on (no "
            f"`use_rep` in `adata.uns['neighbors']['params']`). {hint}."
        )
    if use_rep != HARMONY_KEY:
        uncorrected = " (the uncorrected PCA, which keeps the sample effect)" * (
            use_rep == UNCORRECTED_KEY
        )
        _fail(f"the graph was built on {use_rep!r}{uncorrected}. {hint}.")
    recorded_k = _recorded(adata, "neighbors", "n_neighbors")
    if recorded_k != n_neighbors:
        _fail(
            f"the graph has n_neighbors={recorded_k}; the question asks for {n_neighbors}. {hint}."
        )
    if strict:
        overlap = knn_overlap(adata, ref)
        if overlap < KNN_MIN_OVERLAP:
            _fail(
                f"only {overlap:.0%} of the graph's neighbours are neighbours in the Harmony "
                f"embedding (was the graph edited, or its parameters?). {hint}."
            )
    _passed(f"kNN graph on {HARMONY_KEY!r} with {n_neighbors} neighbours.")


@student_facing
def check_leiden(
    adata: ad.AnnData,
    resolution: float,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Leiden clustering of the Harmony graph at ``resolution``.

    Parameters
    ----------
    adata
        The student's data.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``leiden_key(resolution)``, e.g. ``"leiden_0.6"``.
    strict
        Hidden test: require the recorded parameters and ARI >= :data:`LEIDEN_STRICT_ARI`.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> sc.tl.leiden(adata, resolution=0.6, key_added="leiden_0.6")  # doctest: +SKIP
    >>> check_leiden(adata, 0.6)  # doctest: +SKIP
    ✔ obs['leiden_0.6']: 13 clusters, agrees with the reference clustering at resolution 0.6.
    """
    adata = _require_adata(adata)
    key = key or leiden_key(resolution)
    hint = (
        f"`sc.tl.leiden` takes `resolution=` ({resolution:g} here) and `key_added=`, the `obs` "
        f"column ({key!r}); see chapter 1, *Leiden clustering at four resolutions*"
    )
    labels, ref = _answer_labels(adata, key, hint, reference)

    recorded = _recorded(adata, key, "resolution")
    if recorded is not None and not math.isclose(float(recorded), resolution):
        _fail(
            f"`obs[{key!r}]` was computed with resolution={float(recorded):g} (see "
            f"`adata.uns[{key!r}]['params']`); the question asks for resolution "
            f"{resolution:g}. {hint}."
        )
    if strict and recorded is None:
        _fail(
            f"`adata.uns[{key!r}]['params']` is missing, so the resolution cannot be "
            f"verified; cluster with `sc.tl.leiden`, which records it ({hint})."
        )

    used_rep = _recorded(adata, "neighbors", "use_rep")
    references = [reference_leiden(ref, resolution, seed=s) for s in REFERENCE_SEEDS]
    ari = leiden_score(labels, ref, resolution)
    threshold = LEIDEN_STRICT_ARI if strict else LEIDEN_MIN_ARI
    n_clusters = labels.nunique()
    low, high = _count_range(float(np.median([r.nunique() for r in references])))
    if ari < threshold or not low <= n_clusters <= high:
        uncorrected = reference_leiden(ref, resolution, rep=UNCORRECTED_KEY)
        closer = _ari(labels, uncorrected) > ari
        if closer or used_rep not in (None, HARMONY_KEY):
            _fail(_embedding_hint(used_rep, closer))
        if not low <= n_clusters <= high:
            few = "few" if n_clusters < low else "many"
            _fail(
                f"`obs[{key!r}]` has {n_clusters} clusters — too {few} for resolution "
                f"{resolution:g} (expect about {low}–{high}). Did you pass the resolution? "
                f"{hint}."
            )
        _fail(
            f"`obs[{key!r}]` agrees poorly with Leiden at resolution {resolution:g} on the "
            f"Harmony graph (ARI {ari:.2f}, need ≥ {threshold}). Check the graph "
            f"({GRAPH_HINT}) and the clustering ({hint})."
        )
    if strict and used_rep != HARMONY_KEY:
        built = f"was built on {used_rep!r}" if used_rep else "has no recorded `use_rep`"
        _fail(
            f"the kNN graph in `adata` {built}; rebuild it ({GRAPH_HINT}) and cluster "
            f"it again ({hint})."
        )
    _passed(
        f"obs[{key!r}]: {n_clusters} clusters, agrees with the reference clustering at "
        f"resolution {resolution:g}."
    )


@student_facing
def check_agreement(value: Any, adata: ad.AnnData, key_a: str, key_b: str) -> None:
    """Check an adjusted Rand index the student computed between two of their clusterings.

    Parameters
    ----------
    value
        The student's number.
    adata
        The student's data.
    key_a, key_b
        ``obs`` columns of the two clusterings.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> ari = course_lib.agreement(adata, "leiden_0.6", "leiden_1.0")["ari"]  # doctest: +SKIP
    >>> check_agreement(ari, adata, "leiden_0.6", "leiden_1.0")  # doctest: +SKIP
    ✔ ARI between 'leiden_0.6' and 'leiden_1.0' is right.
    """
    adata = _require_adata(adata)
    hint = (
        "`course_lib.agreement` compares two `obs` columns and returns a dict with the ARI "
        "and the NMI (`sklearn.metrics.adjusted_rand_score` gives the ARI alone); see "
        "chapter 2, *K-means versus Leiden*"
    )
    if isinstance(value, Mapping):
        _fail(f"your answer is a dict ({sorted(value)}); store only the ARI number ({hint}).")
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        _fail(f"your answer should be a number, got {type(value).__name__} ({hint}).")
    if not math.isfinite(float(value)):
        _fail(f"your answer is {value}; an ARI is a finite number ({hint}).")
    earlier = "run the earlier questions first"
    a = _cluster_labels(adata, key_a, earlier)
    b = _cluster_labels(adata, key_b, earlier)
    expected = float(adjusted_rand_score(a, b))
    if not math.isclose(float(value), expected, abs_tol=1e-6):
        if not -0.5 <= float(value) <= 1:
            _fail(f"an ARI lies between -0.5 and 1, yours is {float(value):.3g} ({hint}).")
        _fail(
            f"{float(value):.3f} is not the ARI between {key_a!r} and {key_b!r} in `adata` "
            f"(did you compute the NMI, or compare other columns?) ({hint})."
        )
    _passed(f"ARI between {key_a!r} and {key_b!r} is right.")


# --------------------------------------------------------------------------- chapters 2-3
def _check_count(labels: pd.Series, key: str, k: int, hint: str) -> None:
    n_clusters = labels.nunique()
    if n_clusters != k:
        _fail(f"`obs[{key!r}]` has {n_clusters} clusters; the question asks for {k} ({hint}).")


@student_facing
def check_kmeans(
    adata: ad.AnnData,
    k: int = 10,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a k-means clustering of the Harmony embedding into ``k`` clusters.

    Parameters
    ----------
    adata
        The student's data.
    k
        Number of clusters the question asks for.
    key
        ``obs`` column of the answer; default ``f"kmeans_{k}"``.
    strict
        Hidden test: compactness within :data:`KMEANS_STRICT_EXCESS`.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_kmeans(adata, 10)  # doctest: +SKIP
    ✔ obs['kmeans_10']: 10 clusters, as compact as k-means on 'X_pca_harmony'.
    """
    adata = _require_adata(adata)
    key = key or f"kmeans_{k}"
    hint = (
        f"fit `sklearn.cluster.KMeans` with `n_clusters={k}`, `n_init=10` and "
        f"`random_state=0` on the Harmony embedding in `adata.obsm`, and store the fitted "
        f"model's `labels_` in `adata.obs[{key!r}]` as categories of strings; see chapter 2, "
        f"*K-means for k = 5, 10 and 15*"
    )
    labels, ref = _answer_labels(adata, key, hint, reference, categorical=True)
    _check_count(labels, key, k, hint)
    excess = kmeans_excess(labels, ref, k)
    limit = KMEANS_STRICT_EXCESS if strict else KMEANS_MAX_EXCESS
    if excess > limit:
        uncorrected = kmeans_excess(labels, ref, k, rep=UNCORRECTED_KEY)
        if uncorrected <= KMEANS_MAX_EXCESS and uncorrected < excess:
            _fail(
                f"`obs[{key!r}]` looks like k-means on the uncorrected PCA: its clusters are "
                f"compact in `X_pca`, not in the Harmony embedding. Which `obsm` key did you "
                f"fit on? ({hint})."
            )
        _fail(
            f"the clusters of `obs[{key!r}]` are {excess:.0%} less compact in the Harmony "
            f"embedding than k-means finds (allowed {limit:.1%}). With `n_init=10` k-means "
            f"keeps the best of 10 starts ({hint})."
        )
    _passed(f"obs[{key!r}]: {k} clusters, as compact as k-means on {HARMONY_KEY!r}.")


@student_facing
def check_inertias(
    inertias: Any,
    ks: Sequence[int],
    *,
    n_init: int = 3,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check an elbow curve: the k-means inertia on Harmony for each ``k`` in ``ks``.

    Parameters
    ----------
    inertias
        The student's ``{k: inertia}`` dict (a :class:`pandas.Series` indexed by ``k`` works).
    ks
        The numbers of clusters the question asks for.
    n_init
        Restarts the question asks for (the reference uses the same).
    strict
        Hidden test: relative tolerance :data:`INERTIA_STRICT_RTOL`.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_inertias(inertias, range(2, 16, 2))  # doctest: +SKIP
    ✔ inertias for k = 2, 4, ..., 14 match k-means on 'X_pca_harmony'.
    """
    ks = [int(k) for k in ks]
    hint = (
        f"for each k, fit `KMeans` with `n_init={n_init}` and `random_state=0` on the Harmony "
        f"embedding and keep the fitted model's `inertia_`; see chapter 2, *Choosing k: the "
        f"inertia curve*"
    )
    if isinstance(inertias, pd.Series):
        inertias = inertias.to_dict()
    if isinstance(inertias, (list, tuple, np.ndarray)):
        if len(inertias) != len(ks):
            _fail(f"got {len(inertias)} values for {len(ks)} values of k; use a dict ({hint}).")
        _fail(f"store the inertias in a dict keyed by k, so each value is labelled ({hint}).")
    if not isinstance(inertias, Mapping):
        _fail(
            f"`inertias` should be a dict {{k: inertia}}, got {type(inertias).__name__} ({hint})."
        )
    try:
        given = {int(k): v for k, v in inertias.items()}
    except (TypeError, ValueError):
        _fail(f"the keys of `inertias` should be the numbers of clusters {ks} ({hint}).")
    if sorted(given) != sorted(ks):
        _fail(f"`inertias` has keys {sorted(given)}; the question asks for k in {ks} ({hint}).")
    for k in ks:
        value = given[k]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            _fail(f"the inertia for k={k} should be a number (`inertia_`), got {value!r}.")
        if not math.isfinite(float(value)) or float(value) <= 0:
            _fail(f"the inertia for k={k} is {value}; it should be a positive number ({hint}).")
    ref = reference_data(reference)
    rtol = INERTIA_STRICT_RTOL if strict else INERTIA_RTOL
    for k in ks:
        expected = reference_inertia(ref, k, n_init=n_init)
        error = float(given[k]) / expected - 1
        if abs(error) > rtol:
            uncorrected = reference_inertia(ref, k, rep=UNCORRECTED_KEY, n_init=n_init)
            if abs(float(given[k]) / uncorrected - 1) < abs(error):
                _fail(
                    f"the inertia for k={k} matches k-means on the uncorrected PCA; which "
                    f"`obsm` key did you fit on? ({hint})."
                )
            more = "larger" if error > 0 else "smaller"
            _fail(
                f"the inertia for k={k} is {abs(error):.0%} {more} than k-means on the Harmony "
                f"embedding gives (allowed {rtol:.0%}). Is each value stored under its "
                f"own k, from `inertia_` (not divided by the number of cells)? ({hint})."
            )
    _passed(f"inertias for k = {', '.join(map(str, ks))} match k-means on {HARMONY_KEY!r}.")


KNEE_CHOICES = {
    "a": "the number of cell populations in the data",
    "b": "where the main lineages are separated; finer populations need markers and biology",
    "c": "the k with the lowest inertia",
}
"""The options of exercise 2's question on what the knee of the inertia curve tells."""


def knee(inertias: Mapping[int, float]) -> int:
    """The knee of an inertia curve: the k farthest below the line joining its ends (chapter 2).

    Parameters
    ----------
    inertias
        ``{k: inertia}`` for at least three values of k.

    Returns
    -------
    The k of the knee.

    Examples
    --------
    >>> knee({2: 10.0, 4: 4.0, 6: 3.0, 8: 2.5})
    4
    """
    curve = pd.Series({int(k): float(v) for k, v in inertias.items()}).sort_index()
    x = (curve.index - curve.index[0]) / (curve.index[-1] - curve.index[0])
    y = (curve - curve.iloc[-1]) / (curve.iloc[0] - curve.iloc[-1])
    return int(curve.index[np.argmax((1 - x) - y.to_numpy())])


@student_facing
def check_knee(
    knee_k: Any,
    meaning: Any,
    inertias: Any,
    ks: Sequence[int],
    *,
    n_init: int = 3,
    reference: ad.AnnData | None = None,
) -> None:
    """Check the knee of the student's elbow curve and what they read from it.

    ``knee_k`` must be the knee (:func:`knee`) of the student's own ``inertias`` when those
    are a valid curve over ``ks``, else of the reference curve, so a mistake in the elbow
    question is not counted twice. ``meaning`` is one key of :data:`KNEE_CHOICES`.

    Parameters
    ----------
    knee_k
        The student's k.
    meaning
        The student's choice, ``"a"``, ``"b"`` or ``"c"``.
    inertias
        The student's ``{k: inertia}`` of the elbow question.
    ks
        The values of k of the elbow question.
    n_init
        Restarts of the reference curve.
    reference
        Data the reference curve is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_knee(4, "b", inertias, range(2, 16, 2))  # doctest: +SKIP
    ✔ knee at k = 4, and what it tells.
    """
    hint = "see chapter 2, *Choosing k: the inertia curve*"
    ks = [int(k) for k in ks]
    own = isinstance(inertias, Mapping) and sorted(int(k) for k in inertias) == sorted(ks)
    if own:
        try:
            curve = {int(k): float(v) for k, v in inertias.items()}
        except (TypeError, ValueError):
            own = False
    if not own or not all(math.isfinite(v) and v > 0 for v in curve.values()):
        ref = reference_data(reference)
        curve = {k: reference_inertia(ref, k, n_init=n_init) for k in ks}
    if isinstance(knee_k, bool) or not isinstance(knee_k, (int, np.integer, float)):
        _fail(f"`knee_k` should be a number of clusters, got {type(knee_k).__name__} ({hint}).")
    expected = knee(curve)
    if knee_k != expected:
        _fail(
            f"k = {knee_k} is not the knee of your curve: the knee is the point farthest "
            f"*below* the straight line from the first to the last point, after scaling both "
            f"axes to 0-1 ({hint})."
        )
    if meaning not in KNEE_CHOICES:
        _fail(f"`knee_meaning` should be one of {sorted(KNEE_CHOICES)}, got {meaning!r}.")
    if meaning != "b":
        _fail(
            f"the knee is not {KNEE_CHOICES[str(meaning)]!r}: compare it with the number of "
            f"populations the chapter and exercise 1 found, and with how the inertia behaves "
            f"as k grows ({hint})."
        )
    _passed(f"knee at k = {expected}, and what it tells.")


@student_facing
def check_ward(
    adata: ad.AnnData,
    k: int = 10,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Ward hierarchical clustering of the Harmony embedding cut at ``k`` clusters.

    Parameters
    ----------
    adata
        The student's data.
    k
        Number of clusters the question asks for.
    key
        ``obs`` column of the answer; default ``f"ward_{k}"``.
    strict
        Hidden test: ARI >= :data:`WARD_STRICT_ARI`.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_ward(adata, 10)  # doctest: +SKIP
    ✔ obs['ward_10']: 10 clusters, the Ward tree of 'X_pca_harmony' cut at 10.
    """
    adata = _require_adata(adata)
    key = key or f"ward_{k}"
    hint = (
        "`hierarchical` from `course_lib.tl` builds the tree and cuts it: "
        "`n_clusters=` says into how many clusters, `use_rep=` on which embedding and "
        "`method=` with which linkage; see chapter 3, *Ward linkage on Euclidean distances*"
    )
    labels, ref = _answer_labels(adata, key, hint, reference)
    _check_count(labels, key, k, hint)
    used_rep, method = _recorded(adata, key, "use_rep"), _recorded(adata, key, "method")
    if used_rep not in (None, HARMONY_KEY):
        _fail(
            f"`obs[{key!r}]` was computed on {used_rep!r} (see `adata.uns[{key!r}]['params']`); "
            f"the question asks for the Harmony-corrected embedding ({hint})."
        )
    if method not in (None, "ward"):
        _fail(
            f"`obs[{key!r}]` was computed with {method!r} linkage (see "
            f"`adata.uns[{key!r}]['params']`); the question asks for Ward linkage ({hint})."
        )
    ari = _ari(labels, reference_ward(ref, k))
    threshold = WARD_STRICT_ARI if strict else WARD_MIN_ARI
    if ari < threshold:
        alternatives = {
            linkage: _ari(labels, reference_ward(ref, k, linkage=linkage))
            for linkage in ("average", "complete", "single")
        }
        alternatives["uncorrected"] = _ari(labels, reference_ward(ref, k, rep=UNCORRECTED_KEY))
        closest = max(alternatives, key=alternatives.__getitem__)
        if alternatives[closest] > ari and closest == "uncorrected":
            _fail(
                f"`obs[{key!r}]` matches the Ward tree of the uncorrected PCA better than that "
                f"of the Harmony embedding ({hint})."
            )
        if alternatives[closest] > ari:
            _fail(
                f"`obs[{key!r}]` looks like {closest} linkage; the question asks for Ward "
                f"linkage ({hint})."
            )
        _fail(
            f"`obs[{key!r}]` agrees poorly with the Ward tree of the Harmony embedding cut at "
            f"{k} clusters (ARI {ari:.2f}, need ≥ {threshold}) ({hint})."
        )
    _passed(f"obs[{key!r}]: {k} clusters, the Ward tree of {HARMONY_KEY!r} cut at {k}.")


# --------------------------------------------------------------------------- chapter 4
def _as_table(table: Any, name: str, shape: str, hint: str) -> pd.DataFrame:
    if table is None:
        _fail(f"`{name}` is None; build the table ({hint}).")
    if isinstance(table, ad.AnnData):
        _fail(f"`{name}` is an AnnData object; the question asks for a table ({hint}).")
    if isinstance(table, pd.Series):
        _fail(
            f"`{name}` is a Series (one row or column); the question asks for a whole table, "
            f"{shape} ({hint})."
        )
    if not isinstance(table, pd.DataFrame):
        _fail(
            f"`{name}` is a {type(table).__name__}, which has no row or column labels; "
            f"build a DataFrame ({hint})."
        )
    return table.rename(index=str, columns=str)


def _difference(
    rows: set[str], expected: set[str], what: str, name: str, axis: str, hint: str
) -> None:
    if rows != expected:
        missing, extra = sorted(expected - rows), sorted(rows - expected)
        parts = [f"missing {missing}"] if missing else []
        parts += [f"unexpected {extra}"] if extra else []
        detail = "; ".join(parts)
        _fail(f"the {axis} of `{name}` should be the {what} ({detail}) ({hint}).")


def _table_values(
    table: pd.DataFrame, expected: pd.DataFrame, name: str, hint: str
) -> pd.DataFrame:
    try:
        values = table.loc[expected.index, expected.columns].astype(float)
    except (TypeError, ValueError):
        _fail(f"`{name}` should hold numbers (fractions of cells) ({hint}).")
    if values.isna().to_numpy().any():
        _fail(f"`{name}` has missing values (NaN); every entry needs a fraction ({hint}).")
    return values


@student_facing
def check_proportions(
    props: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = "leiden_0.6",
    sample_key: str = "sample",
    strict: bool = False,
    name: str = "props",
) -> None:
    """Check a sample × cluster table of proportions normalised by sample size.

    Parameters
    ----------
    props
        The student's table: one row per sample, one column per cluster, rows summing to 1.
    adata
        The student's data (the table must describe its ``obs`` columns).
    cluster_key, sample_key
        ``obs`` columns with the clusters and the samples.
    strict
        Hidden test: values exact to 1e-12 rather than 1e-6.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> props = pd.crosstab(
    ...     adata.obs["sample"], adata.obs["leiden_0.6"], normalize="index"
    ... )  # doctest: +SKIP
    >>> check_proportions(props, adata)  # doctest: +SKIP
    ✔ props: 8 samples × 13 clusters, each sample's row sums to 1.
    """
    hint = (
        f"`pd.crosstab` counts the pairs of `obs[{sample_key!r}]` and `obs[{cluster_key!r}]`; "
        f"its first argument gives the rows and its `normalize=` argument decides what sums "
        f"to 1; see chapter 4, *The other direction: clusters within each sample*"
    )
    table = _as_table(props, name, "samples as rows and clusters as columns", hint)
    adata = _require_adata(adata)
    clusters = _cluster_labels(adata, cluster_key, "run the setup cells")
    samples = adata.obs[sample_key].astype(str)
    counts = pd.crosstab(samples, clusters)
    expected = counts.div(counts.sum(axis=1), axis=0)
    rows, cols = set(table.index), set(table.columns)
    if rows == set(expected.columns) and cols == set(expected.index):
        _fail(
            f"`{name}` has the clusters as rows and the samples as columns; the question asks "
            f"for samples as rows ({hint})."
        )
    _difference(rows, set(expected.index), f"samples of `obs[{sample_key!r}]`", name, "rows", hint)
    _difference(
        cols, set(expected.columns), f"clusters of `obs[{cluster_key!r}]`", name, "columns", hint
    )
    values = _table_values(table, expected, name, hint)
    atol = 1e-12 if strict else 1e-6
    if np.allclose(values, expected, atol=atol, rtol=0):
        _passed(
            f"{name}: {len(expected.index)} samples × {len(expected.columns)} clusters, "
            f"each sample's row sums to 1."
        )
        return
    if np.allclose(values, counts, atol=atol, rtol=0):
        _fail(
            f"`{name}` holds numbers of cells; divide each row by the sample's number of cells "
            f"so samples of different sizes compare ({hint})."
        )
    if np.allclose(values, 100 * expected, atol=100 * atol, rtol=0):
        _fail(f"`{name}` holds percentages; the question asks for fractions (divide by 100).")
    if np.allclose(values.sum(axis=0), 1, atol=1e-6) and not np.allclose(values.sum(axis=1), 1):
        _fail(
            f"each column of `{name}` sums to 1: you normalised by cluster size. Normalise by "
            f"sample size instead, so each sample's row sums to 1 ({hint})."
        )
    _fail(
        f"`{name}` does not match the cells of `obs[{sample_key!r}]` and "
        f"`obs[{cluster_key!r}]` (was it computed from another clustering or a subset?) ({hint})."
    )


@student_facing
def check_group_difference(
    diff: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = "leiden_0.6",
    sample_key: str = "sample",
    group_key: str = "type",
    groups: tuple[str, str] = ("covid", "ctrl"),
    strict: bool = False,
    name: str = "covid_minus_ctrl",
) -> None:
    """Check the per-cluster difference of mean sample proportions between two groups.

    Each sample counts once: the mean over the samples of a group of their proportion
    table rows, ``groups[0]`` minus ``groups[1]``.

    Parameters
    ----------
    diff
        The student's :class:`pandas.Series` indexed by cluster.
    adata
        The student's data.
    cluster_key, sample_key, group_key
        ``obs`` columns with the clusters, the samples and the sample groups.
    groups
        The two groups, first minus second.
    strict
        Hidden test: values exact to 1e-12 rather than 1e-6.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_group_difference(covid_minus_ctrl, adata)  # doctest: +SKIP
    ✔ covid_minus_ctrl: mean proportion in covid minus ctrl samples, for each of 13 clusters.
    """
    first, second = groups
    hint = (
        f"find each sample's `obs[{group_key!r}]` (one value per sample), average the rows of "
        f"your sample × cluster table within each group, then subtract the {second} mean from "
        f"the {first} mean; see chapter 4, *The other direction: clusters within each sample*"
    )
    if isinstance(diff, pd.DataFrame) and diff.shape[0] == 1:
        diff = diff.iloc[0]
    if not isinstance(diff, pd.Series):
        _fail(
            f"`{name}` should be a pandas Series indexed by cluster, got "
            f"{type(diff).__name__} ({hint})."
        )
    diff = diff.rename(index=str)
    adata = _require_adata(adata)
    clusters = _cluster_labels(adata, cluster_key, "run the setup cells")
    samples = adata.obs[sample_key].astype(str)
    table = pd.crosstab(samples, clusters, normalize="index")
    sample_group = adata.obs.groupby(samples, observed=True)[group_key].first().astype(str)
    means = table.groupby(sample_group).mean()
    expected = means.loc[first] - means.loc[second]
    _difference(
        set(diff.index),
        set(expected.index),
        f"clusters of `obs[{cluster_key!r}]`",
        name,
        "index",
        hint,
    )
    try:
        values = diff.loc[expected.index].astype(float)
    except (TypeError, ValueError):
        _fail(f"`{name}` should hold numbers ({hint}).")
    atol = 1e-12 if strict else 1e-6
    if np.allclose(values, expected, atol=atol, rtol=0):
        _passed(
            f"{name}: mean proportion in {first} minus {second} samples, for each of "
            f"{len(expected)} clusters."
        )
        return
    if np.allclose(values, -expected, atol=atol, rtol=0):
        _fail(f"`{name}` has the wrong sign: compute {first} minus {second}, not the reverse.")
    groups_of_cells = adata.obs[group_key].astype(str)
    pooled = pd.crosstab(groups_of_cells, clusters, normalize="index")
    if np.allclose(values, pooled.loc[first] - pooled.loc[second], atol=1e-6, rtol=0):
        _fail(
            f"`{name}` pools the cells of all {first} samples; average the samples' proportions "
            f"instead, so each sample counts once whatever its size ({hint})."
        )
    _fail(f"`{name}` does not match the proportions of `obs[{cluster_key!r}]` ({hint}).")


@student_facing
def check_condition_composition(
    table: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = "leiden_0.6",
    group_key: str = "type",
    strict: bool = False,
    name: str = "by_type_norm",
) -> None:
    """Check a cluster × condition table normalised for the size of each condition.

    Each condition's counts are divided by its number of cells first (as if both
    conditions had as many cells), then each cluster's row is made to sum to 1: the table
    of :func:`course_lib.proportion_table` with ``normalize_by_group_size=True``.

    Parameters
    ----------
    table
        The student's table: one row per cluster, one column per condition.
    adata
        The student's data.
    cluster_key, group_key
        ``obs`` columns with the clusters and the conditions.
    strict
        Hidden test: values exact to 1e-12 rather than 1e-6.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_condition_composition(by_type_norm, adata)  # doctest: +SKIP
    ✔ by_type_norm: 13 clusters × 2 conditions, normalised for the size of each condition.
    """
    hint = (
        f"count the cells of each cluster (rows) in each `obs[{group_key!r}]` (columns), "
        f"divide each column by that condition's number of cells, then make each row sum to "
        f"1; `course_lib.proportion_table` has an argument for it. See chapter 4, "
        f"*Normalising for the number of cells per sample*"
    )
    given = _as_table(table, name, "clusters as rows and conditions as columns", hint)
    adata = _require_adata(adata)
    clusters = _cluster_labels(adata, cluster_key, "run the setup cells")
    groups = adata.obs[group_key].astype(str)
    counts = pd.crosstab(clusters, groups).astype(float)
    expected = counts / counts.sum(axis=0)
    expected = expected.div(expected.sum(axis=1), axis=0)
    rows, cols = set(given.index), set(given.columns)
    if rows == set(expected.columns) and cols == set(expected.index):
        _fail(
            f"`{name}` has the conditions as rows and the clusters as columns; the question "
            f"asks which conditions each cluster's cells come from, one row per cluster "
            f"({hint})."
        )
    _difference(
        rows, set(expected.index), f"clusters of `obs[{cluster_key!r}]`", name, "rows", hint
    )
    _difference(
        cols, set(expected.columns), f"conditions of `obs[{group_key!r}]`", name, "columns", hint
    )
    values = _table_values(given, expected, name, hint)
    atol = 1e-12 if strict else 1e-6
    if np.allclose(values, expected, atol=atol, rtol=0):
        _passed(
            f"{name}: {len(expected.index)} clusters × {len(expected.columns)} conditions, "
            f"normalised for the size of each condition."
        )
        return
    raw = counts.div(counts.sum(axis=1), axis=0)
    if np.allclose(values, raw, atol=1e-6, rtol=0):
        larger = counts.sum(axis=0).idxmax()
        _fail(
            f"each row of `{name}` sums to 1, but the counts were not normalised first: "
            f"{larger!r} has more cells, so it looks over-represented in every cluster ({hint})."
        )
    if np.allclose(values.sum(axis=0), 1, atol=1e-6) and not np.allclose(values.sum(axis=1), 1):
        _fail(
            f"each column of `{name}` sums to 1; that is the first step. Then make each "
            f"cluster's row sum to 1 ({hint})."
        )
    _fail(
        f"`{name}` does not match the cells of `obs[{cluster_key!r}]` and `obs[{group_key!r}]` "
        f"({hint})."
    )


LINEAGE_HINT = (
    "compare the clusters' mean expression of the lineage's marker genes "
    "(`course_lib.marker_means`); see chapter 1, *What are the clusters? Dendrogram and marker "
    "dotplot*"
)
"""Default of :func:`check_lineage_clusters`' ``hint``: where to look."""


def _chosen_clusters(
    answer: Any, adata: ad.AnnData, cluster_key: str, name: str, hint: str
) -> tuple[list[str], pd.Series]:
    """The student's chosen cluster labels, checked to be clusters of ``obs[cluster_key]``,
    and that clustering's labels (strings)."""
    chosen = _label_list(answer, name)
    clusters = _cluster_labels(adata, cluster_key, "run the earlier cells")
    if not chosen:
        _fail(f"`{name}` is empty; choose at least one cluster ({hint}).")
    unknown = sorted(set(chosen) - set(clusters))
    if unknown:
        _fail(
            f"{unknown} are not clusters of `obs[{cluster_key!r}]`; its clusters are "
            f"{sorted(set(clusters), key=lambda c: (len(c), c))}."
        )
    return chosen, clusters


@student_facing
def check_lineage_clusters(
    answer: Any,
    adata: ad.AnnData,
    lineage: str,
    *,
    cluster_key: str = "leiden_0.6",
    hint: str = LINEAGE_HINT,
    strict: bool = False,
    reference: ad.AnnData | None = None,
    name: str = "clusters",
) -> None:
    """Check the clusters chosen as one cell lineage by their markers, by the cells they hold.

    Judged on the simulation's truth (``obs['lineage_truth']``), which the question does
    not use: nearly all cells of the chosen clusters must be of ``lineage`` (precision),
    and nearly all cells of ``lineage`` must be in them (recall).

    Parameters
    ----------
    answer
        The student's cluster labels of ``obs[cluster_key]`` (a list; one label works).
    adata
        The student's data.
    lineage
        The lineage asked for, a value of ``obs['lineage_truth']`` such as ``"B"``.
    cluster_key
        ``obs`` column with the clusters.
    hint
        Where to look (the markers and the chapter section), shown on failure.
    strict
        Hidden test: :data:`LINEAGE_STRICT` instead of :data:`LINEAGE_MIN`.
    reference
        Data holding the truth; ``None`` for the course data.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_lineage_clusters(["6", "8"], adata, "B", name="b_clusters")  # doctest: +SKIP
    ✔ b_clusters: 2 clusters, 929 cells, nearly all of them B cells.
    """
    from .defaults import LINEAGE_KEY

    adata = _require_adata(adata)
    chosen_clusters, clusters = _chosen_clusters(answer, adata, cluster_key, name, hint)
    ref = reference_data(reference)
    _aligned(adata, ref)
    truth = ref.obs[LINEAGE_KEY].astype(str).reindex(adata.obs_names) == lineage
    chosen = clusters.isin(chosen_clusters)
    precision = float(truth[chosen].mean())
    recall = float(chosen[truth].mean()) if truth.any() else 1.0
    min_precision, min_recall = LINEAGE_STRICT if strict else LINEAGE_MIN
    if precision < min_precision:
        _fail(
            f"{1 - precision:.0%} of the cells in your clusters are not {lineage} cells; is "
            f"each of your clusters high in the markers ({hint})?"
        )
    if recall < min_recall:
        _fail(
            f"your clusters hold {recall:.0%} of the {lineage} cells; a lineage can be split "
            f"over several clusters — is another cluster high in the same markers ({hint})?"
        )
    _passed(
        f"{name}: {_n_clusters(chosen_clusters)}, {int(chosen.sum()):,} cells, nearly "
        f"all of them {lineage} cells."
    )


def _n_clusters(chosen: list[str]) -> str:
    n = len(set(chosen))
    return f"{n} cluster{'s' * (n != 1)}"


def _label_list(answer: Any, name: str) -> list[str]:
    """A student's cluster choice as a list of label strings, or a failure naming the type."""
    if isinstance(answer, (str, int, np.integer)):
        return [str(answer)]
    if isinstance(answer, (list, tuple, set, pd.Index, pd.Series, np.ndarray)):
        return [str(a) for a in answer]
    _fail(
        f"`{name}` should be a list of cluster labels, e.g. `['3']`, got {type(answer).__name__}."
    )
    return []


@student_facing
def check_doublet_clusters(
    answer: Any,
    adata: ad.AnnData,
    *,
    cluster_key: str = "leiden_0.6",
    strict: bool = False,
    reference: ad.AnnData | None = None,
    name: str = "doublet_clusters",
) -> None:
    """Check the clusters chosen as doublets by their QC profile, by the cells they hold.

    Judged on the simulation's truth (cells that are two captured together), which the
    student does not use: nearly all cells of the chosen clusters must be doublets
    (precision), and the chosen clusters must hold nearly all cells of the clusters made
    mostly of doublets (recall).

    Parameters
    ----------
    answer
        The student's cluster labels of ``obs[cluster_key]`` (a list; one label works).
    adata
        The student's data.
    cluster_key
        ``obs`` column with the clusters.
    strict
        Hidden test: :data:`DOUBLET_STRICT` instead of :data:`DOUBLET_MIN`.
    reference
        Data holding the truth; ``None`` for the course data.
    name
        The variable name used in messages.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the QC profile to look at.

    Examples
    --------
    >>> check_doublet_clusters(["9", "12"], adata)  # doctest: +SKIP
    ✔ doublet_clusters: 2 clusters, 111 cells, nearly all doublets.
    """
    from .defaults import TRUTH_KEY
    from .tl import qc_by_cluster

    hint = (
        "doublets are two cells captured together: look for clusters with high UMI counts "
        "(`course_lib.qc_by_cluster`) *and* the markers of two lineages; see chapter 4, "
        "*Quality metrics per cluster*"
    )
    adata = _require_adata(adata)
    chosen_clusters, clusters = _chosen_clusters(answer, adata, cluster_key, name, hint)
    ref = reference_data(reference)
    _aligned(adata, ref)
    is_doublet = (ref.obs[TRUTH_KEY].astype(str) == "doublet").reindex(adata.obs_names)
    share = is_doublet.groupby(clusters).mean()
    doublet_like = set(share.index[share > 0.5])
    chosen = clusters.isin(chosen_clusters)
    precision = float(is_doublet[chosen].mean())
    target = clusters.isin(doublet_like)
    recall = float(chosen[target].mean()) if target.any() else 1.0
    min_precision, min_recall = DOUBLET_STRICT if strict else DOUBLET_MIN
    qc = qc_by_cluster(ad.AnnData(obs=adata.obs.assign(**{cluster_key: clusters})), cluster_key)
    typical = qc[["median_total_counts", "median_pct_counts_mt"]].median()

    def profile(cluster: str) -> str:
        row = qc.loc[cluster]
        return (
            f"cluster {cluster!r}: median {row['median_total_counts']:,.0f} UMIs (typical "
            f"{typical['median_total_counts']:,.0f}), {row['median_pct_counts_mt']:.1f} % "
            f"mitochondrial (typical {typical['median_pct_counts_mt']:.1f} %)"
        )

    if precision < min_precision:
        wrong = [c for c in chosen_clusters if c not in doublet_like]
        _fail(
            f"{1 - precision:.0%} of the cells in your clusters are not doublets. Look again "
            f"at {'; '.join(profile(c) for c in wrong)}. Damaged cells have *low* counts and "
            f"a high mitochondrial share; large real cells have high counts but one lineage "
            f"({hint})."
        )
    if recall < min_recall:
        _fail(
            f"your clusters hold {recall:.0%} of the cells of the clusters made mostly of "
            f"doublets; is there another cluster with high counts and two lineages' markers? "
            f"({hint})."
        )
    _passed(
        f"{name}: {_n_clusters(chosen_clusters)}, {int(chosen.sum()):,} cells, nearly all doublets."
    )


# --------------------------------------------------------------------------- chapter 5
def _cell_digest(names: pd.Index) -> str:
    return hashlib.sha1("\0".join(names).encode(), usedforsecurity=False).hexdigest()


def _full_rows(tnk: ad.AnnData, ref: ad.AnnData, rep: str) -> bool:
    """Whether ``tnk.obsm[rep]`` is the full data's ``obsm[rep]`` of the same cells."""
    if rep not in tnk.obsm or rep not in ref.obsm:
        return False
    own, full = np.asarray(tnk.obsm[rep]), np.asarray(ref[tnk.obs_names].obsm[rep])
    return own.shape == full.shape and np.allclose(own, full, atol=1e-5)


def reference_hvg(
    ref: ad.AnnData, cells: pd.Index, *, n_top_genes: int = 2000, batch_key: str = "sample"
) -> set[str]:
    """Highly variable genes chosen within ``cells`` from ``ref.raw``, cached per process.

    Parameters
    ----------
    ref
        Prepared data with log-normalised expression of all genes in ``.raw``.
    cells
        The subset's ``obs_names``.
    n_top_genes
        Number of genes to select.
    batch_key
        ``obs`` column; genes are ranked within each batch, as in chapter 5.

    Returns
    -------
    The set of selected gene names.

    Examples
    --------
    >>> len(reference_hvg(reference_data(), tnk.obs_names))  # doctest: +SKIP
    2000
    """

    def compute() -> set[str]:
        rows = ref.obs_names.get_indexer(cells)
        subset = ad.AnnData(
            X=ref.raw.X[rows], obs=ref.obs.iloc[rows][[batch_key]].copy(), var=ref.raw.var[[]]
        )
        subset.uns["log1p"] = dict(ref.uns.get("log1p", {"base": None}))
        sc.pp.highly_variable_genes(subset, n_top_genes=n_top_genes, batch_key=batch_key)
        return set(subset.var_names[subset.var["highly_variable"]])

    return _cached(("hvg", _cell_digest(cells), n_top_genes, batch_key), compute)


def hvg_overlap(genes: set[str], reference: set[str]) -> float:
    """Jaccard overlap of two gene sets: shared genes over genes in either.

    Examples
    --------
    >>> hvg_overlap({"A", "B"}, {"B", "C"})
    0.3333333333333333
    """
    return len(genes & reference) / len(genes | reference) if genes | reference else 1.0


@student_facing
def check_tnk_subset(
    tnk: ad.AnnData, *, strict: bool = False, reference: ad.AnnData | None = None
) -> None:
    """Check the T/NK subset: nearly all of its cells are T or NK cells (doublets and damaged
    cells count against it), and nearly all T and NK cells are in it. Judged on the
    simulation's truth, which students do not use.

    Parameters
    ----------
    tnk
        The student's subset of the course data.
    strict
        Hidden test: :data:`SUBSET_STRICT` instead of :data:`SUBSET_MIN`.
    reference
        Data holding the truth (``obs['lineage_truth']``); ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_tnk_subset(tnk)  # doctest: +SKIP
    ✔ tnk: 3,863 cells, the T and NK clusters without the flagged ones.
    """
    from .defaults import LINEAGE_KEY

    hint = (
        "flag the clusters with an odd QC profile (`course_lib.qc_by_cluster`), then choose by "
        "markers among the others (`course_lib.t_nk_clusters` takes the flagged clusters as "
        "`exclude=`) and take the cells out with `course_lib.subset_from_raw`; see chapter 5, "
        "*Where are the T and NK cells?* and *Taking the subset out*"
    )
    tnk = _require_adata(tnk, "tnk")
    ref = reference_data(reference)
    if tnk.is_view:
        _fail(f"`tnk` is a view of `adata`; it must be a new AnnData ({hint}).")
    if not tnk.obs_names.isin(ref.obs_names).all():
        _fail(f"the cells of `tnk` are not cells of the exercise data ({hint}).")
    truth = ref.obs[LINEAGE_KEY].astype(str)
    technical = truth.isin(["doublet", "low quality"]).to_numpy()
    chosen = ref.obs_names.isin(tnk.obs_names)
    is_tnk = (truth == "T/NK").to_numpy()
    precision = float(is_tnk[chosen].mean()) if chosen.any() else 0.0
    recall = float(chosen[is_tnk].mean())
    min_precision, min_recall = SUBSET_STRICT if strict else SUBSET_MIN
    if recall < min_recall:
        _fail(
            f"`tnk` misses {1 - recall:.0%} of the T and NK cells. Did you include every "
            f"cluster high in the T marker (CD3E) *or* in the NK markers (GNLY, NKG7)? NK "
            f"cells lack CD3E ({hint})."
        )
    if precision < min_precision:
        n_technical = int((chosen & technical).sum())
        if is_tnk[chosen & ~technical].mean() >= min_precision:
            _fail(
                f"`tnk` keeps {n_technical} cells of clusters whose QC profile marks them as "
                f"doublets or damaged cells: {1 - precision:.1%} of its cells are not T or NK "
                f"cells. Chapter 5 leaves the flagged clusters out before choosing by markers "
                f"({hint})."
            )
        _fail(
            f"{1 - precision:.1%} of the cells in `tnk` are not T or NK cells. Keep only the "
            f"clusters high in CD3E or in GNLY/NKG7 ({hint})."
        )
    _passed(f"tnk: {tnk.n_obs:,} cells, the T and NK clusters without the flagged ones.")


@student_facing
def check_subset_hvg(
    tnk: ad.AnnData,
    *,
    n_top_genes: int = 2000,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check that the highly variable genes were chosen again within the subset.

    Parameters
    ----------
    tnk
        The student's subset with ``var['highly_variable']``.
    n_top_genes
        Number of genes the question asks for.
    strict
        Hidden test: overlap >= :data:`HVG_STRICT_OVERLAP`.
    reference
        Data the reference is computed from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_subset_hvg(tnk)  # doctest: +SKIP
    ✔ tnk: 2,000 highly variable genes chosen within the subset.
    """
    hint = (
        f"`sc.pp.highly_variable_genes` on the subset, with `n_top_genes={n_top_genes}` and "
        f"`batch_key='sample'` so genes vary within samples; see chapter 5, *Highly variable "
        f"genes within the subset*"
    )
    tnk = _require_adata(tnk, "tnk")
    ref = reference_data(reference)
    if not tnk.obs_names.isin(ref.obs_names).all():
        _fail("the cells of `tnk` are not cells of the exercise data; take them from `adata`.")
    if "highly_variable" not in tnk.var:
        _fail(f"`tnk.var` has no column 'highly_variable' ({hint}).")
    genes = set(tnk.var_names[tnk.var["highly_variable"].astype(bool).to_numpy()])
    expected = reference_hvg(ref, tnk.obs_names, n_top_genes=n_top_genes)
    full = set(ref.var_names[ref.var["highly_variable"]]) if "highly_variable" in ref.var else set()
    overlap = hvg_overlap(genes, expected)
    threshold = HVG_STRICT_OVERLAP if strict else HVG_MIN_OVERLAP
    if overlap < threshold:
        if full and hvg_overlap(genes, full) > overlap:
            _fail(
                f"`tnk.var['highly_variable']` holds the full data's variable genes; the "
                f"genes that vary *within* the T and NK cells are others ({hint})."
            )
        _fail(
            f"{len(genes):,} genes are marked variable, and they share only {overlap:.0%} with "
            f"the genes that vary within the subset ({hint})."
        )
    _passed(f"tnk: {len(genes):,} highly variable genes chosen within the subset.")


@student_facing
def check_subset_embedding(
    tnk: ad.AnnData, *, strict: bool = False, reference: ad.AnnData | None = None
) -> None:
    """Check that PCA and Harmony were run again on the subset.

    Parameters
    ----------
    tnk
        The student's subset with ``obsm['X_pca']`` and ``obsm['X_pca_harmony']``.
    strict
        Hidden test: also require the parameters scanpy and :func:`course_lib.run_harmony`
        record (``uns['pca']``, ``uns['harmony']['params']['batch_key'] == 'sample'``).
    reference
        Data the full embedding is read from; ``None`` for the course data.

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
    hint = (
        "on the subset's variable genes, scale (`sc.pp.scale`), run `sc.pp.pca`, then "
        "`course_lib.run_harmony` with the sample as batch; see chapter 5, *Rerunning the "
        "pipeline on the subset*"
    )
    tnk = _require_adata(tnk, "tnk")
    ref = reference_data(reference)
    if not tnk.obs_names.isin(ref.obs_names).all():
        _fail("the cells of `tnk` are not cells of the exercise data; take them from `adata`.")
    for rep in (UNCORRECTED_KEY, HARMONY_KEY):
        if rep not in tnk.obsm:
            _fail(f"`tnk.obsm` has no {rep!r}; present: {sorted(tnk.obsm)} ({hint}).")
        if _full_rows(tnk, ref, rep):
            _fail(
                f"`tnk.obsm[{rep!r}]` is the full data's embedding of these cells; it was "
                f"computed with all cell types, so compute it again on the subset ({hint})."
            )
    pca, harmony = np.asarray(tnk.obsm[UNCORRECTED_KEY]), np.asarray(tnk.obsm[HARMONY_KEY])
    if pca.shape == harmony.shape and np.allclose(pca, harmony):
        _fail(f"`tnk.obsm[{HARMONY_KEY!r}]` equals the uncorrected PCA; run Harmony ({hint}).")
    if strict:
        if "pca" not in tnk.uns:
            _fail(f"`tnk.uns['pca']` is missing; `sc.pp.pca` records it ({hint}).")
        if _recorded(tnk, "harmony", "batch_key") != "sample":
            _fail(
                f"`tnk.uns['harmony']['params']` does not say Harmony corrected for 'sample' "
                f"({hint})."
            )
    _passed(f"tnk: PCA and Harmony recomputed on the subset ({harmony.shape[1]} components).")


@student_facing
def check_subclustering(
    tnk: ad.AnnData,
    resolution: float = 0.6,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Leiden subclustering of the T/NK subset on a graph of its own Harmony embedding.

    The references are Leiden clusterings (seeds :data:`REFERENCE_SEEDS`) of a kNN graph
    built on the student's ``tnk.obsm['X_pca_harmony']``, so this question is scored on its
    own: the embedding itself is :func:`check_subset_embedding`'s question.

    Parameters
    ----------
    tnk
        The student's subset, with the subclustering in ``obs[key]``.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``leiden_key(resolution)``.
    strict
        Hidden test: ARI >= :data:`SUBCLUSTER_STRICT_ARI`, the recorded resolution, and the
        current graph built on the subset's own embedding (not the full data's).
    reference
        Data the full embedding is read from; ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and where to look.

    Examples
    --------
    >>> check_subclustering(tnk, 0.6)  # doctest: +SKIP
    ✔ tnk.obs['leiden_0.6']: 8 subclusters of the T/NK cells.
    """
    tnk = _require_adata(tnk, "tnk")
    key = key or leiden_key(resolution)
    hint = (
        f"build a new kNN graph of the subset with `sc.pp.neighbors` on the subset's own "
        f"Harmony embedding (`use_rep=`), then `sc.tl.leiden` with `resolution=` "
        f"{resolution:g} and `key_added=` {key!r}; see chapter 5, *Rerunning the pipeline on "
        f"the subset*"
    )
    labels = _cluster_labels(tnk, key, hint, name="tnk")
    ref = reference_data(reference)
    if not tnk.obs_names.isin(ref.obs_names).all():
        _fail("the cells of `tnk` are not cells of the exercise data; take them from `adata`.")
    if HARMONY_KEY not in tnk.obsm:
        _fail(
            f"`tnk.obsm` has no {HARMONY_KEY!r}, the subset's own Harmony embedding (the "
            f"previous question) ({hint})."
        )
    recorded = _recorded(tnk, key, "resolution")
    if recorded is not None and not math.isclose(float(recorded), resolution):
        _fail(
            f"`tnk.obs[{key!r}]` was computed with resolution={float(recorded):g}; the "
            f"question asks for {resolution:g} ({hint})."
        )
    if strict and recorded is None:
        _fail(f"`tnk.uns[{key!r}]['params']` is missing; `sc.tl.leiden` records it ({hint}).")
    subset = ad.AnnData(obs=pd.DataFrame(index=tnk.obs_names.copy()))
    for rep in (HARMONY_KEY, UNCORRECTED_KEY):
        if rep in tnk.obsm:
            subset.obsm[rep] = np.asarray(tnk.obsm[rep])
    ari = leiden_score(labels, subset, resolution)
    threshold = SUBCLUSTER_STRICT_ARI if strict else SUBCLUSTER_MIN_ARI
    if ari < threshold:
        if UNCORRECTED_KEY in subset.obsm and (
            _ari(labels, reference_leiden(subset, resolution, rep=UNCORRECTED_KEY)) > ari
        ):
            _fail(
                "this subclustering matches the subset's uncorrected PCA better than its "
                f"Harmony embedding ({hint})."
            )
        _fail(
            f"`tnk.obs[{key!r}]` agrees poorly with Leiden at resolution {resolution:g} on a "
            f"graph of the subset's own Harmony embedding (ARI {ari:.2f}, need ≥ "
            f"{threshold}) ({hint})."
        )
    if strict:
        used_rep = _recorded(tnk, "neighbors", "use_rep")
        if "distances" not in tnk.obsp or used_rep is None or used_rep not in tnk.obsm:
            _fail(f"`tnk` has no kNN graph of its own with a recorded `use_rep` ({hint}).")
        if _full_rows(tnk, ref, used_rep) or used_rep.endswith("_full"):
            _fail(
                f"the graph of `tnk` was built on {used_rep!r}, the full data's embedding; "
                f"build it on the subset's own ({hint})."
            )
        if knn_overlap(tnk, tnk, used_rep) < KNN_MIN_OVERLAP:
            _fail(
                f"the kNN graph in `tnk` is not the graph of `tnk.obsm[{used_rep!r}]` (was it "
                f"inherited from the full data?) ({hint})."
            )
    _passed(f"tnk.obs[{key!r}]: {labels.nunique()} subclusters of the T/NK cells.")
