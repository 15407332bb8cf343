"""Student-facing answer checks for the exercises (one call per question).

Each ``check_*`` function prints a single short line when the answer is right and raises
:class:`AssertionError` whose message names the mistake and the fix otherwise. Clusterings
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

from .cluster import N_NEIGHBORS, leiden_key
from .prepare import HARMONY_KEY

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

SUBSET_MIN_PRECISION = 0.99
"""Visible check: fraction of the subset's cells (doublets and low-quality cells aside)
that are T or NK cells in the simulation's truth.

Calibration (clusters chosen by CD3E/GNLY/NKG7 at Leiden 0.6, seeds 0-4, both flavours):
legitimate subsets have precision 1.000; adding the smallest other cluster gives 0.981,
the largest other 0.688."""

SUBSET_MIN_RECALL = 0.95
"""Visible check: fraction of all T and NK cells that are in the subset.

Calibration: legitimate subsets 1.000; T clusters only (forgetting NK) 0.844."""

SUBCLUSTER_MIN_ARI = 0.6
"""Visible check: best ARI of the subclustering to Leiden references on the subset's own
kNN graph (Harmony).

Calibration (resolution 0.6, the marker-chosen T/NK subset): legitimate answers (seeds
3-4, both flavours) >= 0.835; the graph on ``X_pca`` 0.063; resolution 0.2 0.245; the full
data's labels kept 0.446. Leiden on the graph inherited from the full data scores
0.86-0.87, inside the legitimate spread: it is not treated as a mistake."""

SUBCLUSTER_STRICT_ARI = 0.7
"""Hidden check: as :data:`SUBCLUSTER_MIN_ARI`, closer to the legitimate minimum."""

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


def _cluster_labels(adata: ad.AnnData, key: str, how: str, name: str = "adata") -> pd.Series:
    """The categorical labels in ``obs[key]``, or a failure naming what is wrong."""
    if key not in adata.obs:
        _fail(
            f"`{name}.obs` has no column {key!r}. Store the clustering there, e.g. {how}. "
            f"Clustering columns present: {_cluster_columns(adata) or 'none'}."
        )
    labels = adata.obs[key]
    n_missing = int(labels.isna().sum())
    if n_missing:
        _fail(
            f"`{name}.obs[{key!r}]` has {n_missing} cells without a label (NaN); every cell "
            f"of `{name}` needs a cluster — cluster all of `{name}`, not a subset."
        )
    fix = f"`{name}.obs[{key!r}] = {name}.obs[{key!r}].astype(str).astype('category')`"
    if pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
        _fail(
            f"`{name}.obs[{key!r}]` holds numbers ({labels.dtype}), so scanpy treats it as a "
            f"continuous value, not clusters. Store the labels as categories of strings: {fix}."
        )
    if not isinstance(labels.dtype, pd.CategoricalDtype):
        _fail(
            f"`{name}.obs[{key!r}]` holds {labels.dtype} values but is not categorical; "
            f"convert it: {fix}."
        )
    if not all(isinstance(c, str) for c in labels.cat.categories):
        _fail(
            f"the categories of `{name}.obs[{key!r}]` are numbers, not strings (scanpy "
            f"expects strings); convert them: {fix}."
        )
    return labels


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
    adata: ad.AnnData, key: str, how: str, reference: ad.AnnData | None
) -> tuple[pd.Series, ad.AnnData]:
    """The labels in ``obs[key]`` and the reference data, checked to hold the same cells."""
    labels = _cluster_labels(adata, key, how)
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
        from .data import load_integrated

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
        f"{mistake} — build the graph with `sc.pp.neighbors(adata, use_rep={HARMONY_KEY!r})` "
        f"and cluster again."
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
    how = f"`sc.pp.neighbors(adata, n_neighbors={n_neighbors}, use_rep={HARMONY_KEY!r})`"
    if "neighbors" not in adata.uns or "connectivities" not in adata.obsp:
        _fail(f"`adata` has no kNN graph yet; build it with {how}.")
    use_rep = _recorded(adata, "neighbors", "use_rep")
    if use_rep is None:
        _fail(
            f"the graph does not say which embedding it was built on (no "
            f"`use_rep` in `adata.uns['neighbors']['params']`); build it with {how}."
        )
    if use_rep != HARMONY_KEY:
        uncorrected = " (the uncorrected PCA, which keeps the sample effect)" * (
            use_rep == UNCORRECTED_KEY
        )
        _fail(f"the graph was built on {use_rep!r}{uncorrected}; build it with {how}.")
    recorded_k = _recorded(adata, "neighbors", "n_neighbors")
    if recorded_k != n_neighbors:
        _fail(
            f"the graph has n_neighbors={recorded_k}; the question asks for {n_neighbors}: {how}."
        )
    if strict:
        overlap = knn_overlap(adata, ref)
        if overlap < KNN_MIN_OVERLAP:
            _fail(
                f"only {overlap:.0%} of the graph's neighbours are neighbours in the Harmony "
                f"embedding; build it with {how}."
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
    how = f"`sc.tl.leiden(adata, resolution={resolution:g}, key_added={key!r})`"
    labels, ref = _answer_labels(adata, key, how, reference)

    recorded = _recorded(adata, key, "resolution")
    if recorded is not None and not math.isclose(float(recorded), resolution):
        _fail(
            f"`obs[{key!r}]` was computed with resolution={float(recorded):g} (see "
            f"`adata.uns[{key!r}]['params']`); the question asks for resolution="
            f"{resolution:g}: run {how}."
        )
    if strict and recorded is None:
        _fail(
            f"`adata.uns[{key!r}]['params']` is missing, so the resolution cannot be "
            f"verified; run {how} so scanpy records it."
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
                f"{resolution:g} (expect about {low}–{high}). Did you pass "
                f"`resolution={resolution:g}`? Run {how}."
            )
        _fail(
            f"`obs[{key!r}]` agrees poorly with Leiden at resolution {resolution:g} on the "
            f"Harmony graph (ARI {ari:.2f}, need ≥ {threshold}). Build the graph with "
            f"`sc.pp.neighbors(adata, use_rep={HARMONY_KEY!r})`, then run {how}."
        )
    if strict and used_rep != HARMONY_KEY:
        built = f"was built on {used_rep!r}" if used_rep else "has no recorded `use_rep`"
        _fail(
            f"the kNN graph in `adata` {built}; build it with "
            f"`sc.pp.neighbors(adata, use_rep={HARMONY_KEY!r})` and run {how} again."
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
    how = f"`course_lib.agreement(adata, {key_a!r}, {key_b!r})['ari']`"
    if isinstance(value, Mapping):
        _fail(f"your answer is a dict ({sorted(value)}); store only the ARI number: {how}.")
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        _fail(f"your answer should be a number, got {type(value).__name__}; compute it with {how}.")
    if not math.isfinite(float(value)):
        _fail(f"your answer is {value}; compute the ARI with {how}.")
    a = _cluster_labels(adata, key_a, "by running the earlier questions")
    b = _cluster_labels(adata, key_b, "by running the earlier questions")
    expected = float(adjusted_rand_score(a, b))
    if not math.isclose(float(value), expected, abs_tol=1e-6):
        if not -0.5 <= float(value) <= 1:
            _fail(f"an ARI lies between -0.5 and 1, yours is {float(value):.3g}; use {how}.")
        _fail(
            f"{float(value):.3f} is not the ARI between {key_a!r} and {key_b!r} in `adata` "
            f"(did you compute the NMI, or compare other columns?); use {how}."
        )
    _passed(f"ARI between {key_a!r} and {key_b!r} is right.")


# --------------------------------------------------------------------------- chapters 2-3
def _check_count(labels: pd.Series, key: str, k: int, how: str) -> None:
    n_clusters = labels.nunique()
    if n_clusters != k:
        _fail(f"`obs[{key!r}]` has {n_clusters} clusters; the question asks for {k}: {how}.")


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
    how = (
        f"`KMeans(n_clusters={k}, n_init=10, random_state=0).fit(adata.obsm[{HARMONY_KEY!r}])`, "
        f"then `adata.obs[{key!r}] = pd.Categorical(model.labels_.astype(str))`"
    )
    labels, ref = _answer_labels(adata, key, how, reference)
    _check_count(labels, key, k, how)
    excess = kmeans_excess(labels, ref, k)
    limit = KMEANS_STRICT_EXCESS if strict else KMEANS_MAX_EXCESS
    if excess > limit:
        uncorrected = kmeans_excess(labels, ref, k, rep=UNCORRECTED_KEY)
        if uncorrected <= KMEANS_MAX_EXCESS and uncorrected < excess:
            _fail(
                f"`obs[{key!r}]` looks like k-means on the uncorrected PCA: its clusters are "
                f"compact in `X_pca`, not in the Harmony embedding. Fit k-means on "
                f"`adata.obsm[{HARMONY_KEY!r}]`: {how}."
            )
        _fail(
            f"the clusters of `obs[{key!r}]` are {excess:.0%} less compact in the Harmony "
            f"embedding than k-means finds (allowed {limit:.1%}). Use {how}; "
            f"with `n_init=10` k-means keeps the best of 10 starts."
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
    how = (
        f"`{{k: KMeans(n_clusters=k, n_init={n_init}, random_state=0)"
        f".fit(adata.obsm[{HARMONY_KEY!r}]).inertia_ for k in {ks}}}`"
    )
    if isinstance(inertias, pd.Series):
        inertias = inertias.to_dict()
    if isinstance(inertias, (list, tuple, np.ndarray)):
        if len(inertias) != len(ks):
            _fail(f"got {len(inertias)} values for {len(ks)} values of k; use a dict: {how}.")
        _fail(f"store the inertias in a dict keyed by k, so each value is labelled: {how}.")
    if not isinstance(inertias, Mapping):
        _fail(f"`inertias` should be a dict {{k: inertia}}, got {type(inertias).__name__}: {how}.")
    try:
        given = {int(k): v for k, v in inertias.items()}
    except (TypeError, ValueError):
        _fail(f"the keys of `inertias` should be the numbers of clusters {ks}: {how}.")
    if sorted(given) != sorted(ks):
        _fail(f"`inertias` has keys {sorted(given)}; the question asks for k in {ks}: {how}.")
    for k in ks:
        value = given[k]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            _fail(f"the inertia for k={k} should be a number (`model.inertia_`), got {value!r}.")
        if not math.isfinite(float(value)) or float(value) <= 0:
            _fail(f"the inertia for k={k} is {value}; it should be a positive number: {how}.")
    ref = reference_data(reference)
    rtol = INERTIA_STRICT_RTOL if strict else INERTIA_RTOL
    for k in ks:
        expected = reference_inertia(ref, k, n_init=n_init)
        error = float(given[k]) / expected - 1
        if abs(error) > rtol:
            uncorrected = reference_inertia(ref, k, rep=UNCORRECTED_KEY, n_init=n_init)
            if abs(float(given[k]) / uncorrected - 1) < abs(error):
                _fail(
                    f"the inertia for k={k} matches k-means on the uncorrected PCA; fit on "
                    f"`adata.obsm[{HARMONY_KEY!r}]`: {how}."
                )
            more = "larger" if error > 0 else "smaller"
            _fail(
                f"the inertia for k={k} is {abs(error):.0%} {more} than k-means on the Harmony "
                f"embedding gives (allowed {rtol:.0%}). Is each value stored under its "
                f"own k, from `model.inertia_` (not divided by the number of cells)? Use {how}."
            )
    _passed(f"inertias for k = {', '.join(map(str, ks))} match k-means on {HARMONY_KEY!r}.")


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
    how = (
        f"`AgglomerativeClustering(n_clusters={k}, linkage='ward')"
        f".fit_predict(adata.obsm[{HARMONY_KEY!r}])`, stored with "
        f"`adata.obs[{key!r}] = pd.Categorical(labels.astype(str))`"
    )
    labels, ref = _answer_labels(adata, key, how, reference)
    _check_count(labels, key, k, how)
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
                f"of the Harmony embedding; cluster `adata.obsm[{HARMONY_KEY!r}]`: {how}."
            )
        if alternatives[closest] > ari:
            _fail(
                f"`obs[{key!r}]` looks like {closest} linkage; the question asks for Ward "
                f"linkage (`linkage='ward'`): {how}."
            )
        _fail(
            f"`obs[{key!r}]` agrees poorly with the Ward tree of the Harmony embedding cut at "
            f"{k} clusters (ARI {ari:.2f}, need ≥ {threshold}): {how}."
        )
    _passed(f"obs[{key!r}]: {k} clusters, the Ward tree of {HARMONY_KEY!r} cut at {k}.")


# --------------------------------------------------------------------------- chapter 4
def _as_table(table: Any, name: str, how: str) -> pd.DataFrame:
    if table is None:
        _fail(f"`{name}` is None; build the table with {how}.")
    if isinstance(table, ad.AnnData):
        _fail(f"`{name}` is an AnnData object; the question asks for a table: {how}.")
    if isinstance(table, pd.Series):
        _fail(
            f"`{name}` is a Series (one row or column); the question asks for a whole table, "
            f"samples as rows and clusters as columns: {how}."
        )
    if not isinstance(table, pd.DataFrame):
        _fail(
            f"`{name}` is a {type(table).__name__}, which has no sample or cluster labels; "
            f"build a DataFrame with {how}."
        )
    return table.rename(index=str, columns=str)


def _difference(
    rows: set[str], expected: set[str], what: str, name: str, axis: str, how: str
) -> None:
    if rows != expected:
        missing, extra = sorted(expected - rows), sorted(rows - expected)
        parts = [f"missing {missing}"] if missing else []
        parts += [f"unexpected {extra}"] if extra else []
        detail = "; ".join(parts)
        _fail(f"the {axis} of `{name}` should be the {what} ({detail}): {how}.")


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
    how = f"`pd.crosstab(adata.obs[{sample_key!r}], adata.obs[{cluster_key!r}], normalize='index')`"
    table = _as_table(props, name, how)
    adata = _require_adata(adata)
    clusters = _cluster_labels(adata, cluster_key, "by running the setup cells").astype(str)
    samples = adata.obs[sample_key].astype(str)
    counts = pd.crosstab(samples, clusters)
    expected = counts.div(counts.sum(axis=1), axis=0)
    rows, cols = set(table.index), set(table.columns)
    if rows == set(expected.columns) and cols == set(expected.index):
        _fail(
            f"`{name}` has the clusters as rows and the samples as columns; the question asks "
            f"for samples as rows (transpose it with `{name}.T`, or use {how})."
        )
    _difference(rows, set(expected.index), f"samples of `obs[{sample_key!r}]`", name, "rows", how)
    _difference(
        cols, set(expected.columns), f"clusters of `obs[{cluster_key!r}]`", name, "columns", how
    )
    try:
        values = table.loc[expected.index, expected.columns].astype(float)
    except (TypeError, ValueError):
        _fail(f"`{name}` should hold numbers (fractions of cells): {how}.")
    if values.isna().to_numpy().any():
        _fail(f"`{name}` has missing values (NaN); every sample × cluster needs a fraction: {how}.")
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
            f"so samples of different sizes compare: {how}."
        )
    if np.allclose(values, 100 * expected, atol=100 * atol, rtol=0):
        _fail(f"`{name}` holds percentages; the question asks for fractions (divide by 100).")
    if np.allclose(values.sum(axis=0), 1, atol=1e-6) and not np.allclose(values.sum(axis=1), 1):
        _fail(
            f"each column of `{name}` sums to 1: you normalised by cluster size. Normalise by "
            f"sample size instead, so each sample's row sums to 1: {how}."
        )
    _fail(
        f"`{name}` does not match the cells of `obs[{sample_key!r}]` and "
        f"`obs[{cluster_key!r}]` (was it computed from another clustering or a subset?): {how}."
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
    how = (
        f"`{name} = props.groupby(sample_type).mean().loc[{first!r}] - ...loc[{second!r}]` "
        f"with `sample_type = adata.obs.groupby({sample_key!r}, observed=True)[{group_key!r}]"
        f".first()`"
    )
    if isinstance(diff, pd.DataFrame) and diff.shape[0] == 1:
        diff = diff.iloc[0]
    if not isinstance(diff, pd.Series):
        _fail(
            f"`{name}` should be a pandas Series indexed by cluster, got "
            f"{type(diff).__name__}: {how}."
        )
    diff = diff.rename(index=str)
    adata = _require_adata(adata)
    clusters = _cluster_labels(adata, cluster_key, "by running the setup cells").astype(str)
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
        how,
    )
    try:
        values = diff.loc[expected.index].astype(float)
    except (TypeError, ValueError):
        _fail(f"`{name}` should hold numbers: {how}.")
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
            f"instead, so each sample counts once whatever its size: {how}."
        )
    _fail(f"`{name}` does not match the proportions of `obs[{cluster_key!r}]`: {how}.")


# --------------------------------------------------------------------------- chapter 5
@student_facing
def check_tnk_subset(
    tnk: ad.AnnData, *, strict: bool = False, reference: ad.AnnData | None = None
) -> None:
    """Check the T/NK subset: nearly all of its cells are T or NK cells, and nearly all T and
    NK cells are in it (judged on the simulation's truth, which students cannot see).

    Parameters
    ----------
    tnk
        The student's subset of the course data.
    strict
        Hidden test: precision and recall closer to the legitimate subsets' 1.0.
    reference
        Data holding the truth (``obs['lineage_truth']``); ``None`` for the course data.

    Returns
    -------
    ``None``; prints one line on success.

    Raises
    ------
    AssertionError
        Naming the mistake and the fix.

    Examples
    --------
    >>> check_tnk_subset(tnk)  # doctest: +SKIP
    ✔ tnk: 4,053 cells, the T and NK clusters.
    """
    from .simulate import LINEAGE_KEY

    tnk = _require_adata(tnk, "tnk")
    ref = reference_data(reference)
    if tnk.is_view:
        _fail("`tnk` is a view of `adata`; make it a copy: `tnk = adata[mask].copy()`.")
    if not tnk.obs_names.isin(ref.obs_names).all():
        _fail(
            "the cells of `tnk` are not cells of the exercise data; take them from `adata`: "
            "`tnk = adata[adata.obs['leiden_0.6'].isin(tnk_clusters)].copy()`."
        )
    truth = ref.obs[LINEAGE_KEY].astype(str)
    valid = ~truth.isin(["doublet", "low quality"])
    chosen = ref.obs_names.isin(tnk.obs_names)
    is_tnk = (truth == "T/NK").to_numpy()
    precision = float(is_tnk[chosen & valid].mean()) if (chosen & valid).any() else 0.0
    recall = float(chosen[is_tnk].mean())
    min_precision, min_recall = (
        (0.995, 0.98) if strict else (SUBSET_MIN_PRECISION, SUBSET_MIN_RECALL)
    )
    if recall < min_recall:
        _fail(
            f"`tnk` misses {1 - recall:.0%} of the T and NK cells. Did you include every "
            f"cluster high in the T marker (CD3E) *or* in the NK markers (GNLY, NKG7)? NK "
            f"cells lack CD3E."
        )
    if precision < min_precision:
        _fail(
            f"{1 - precision:.1%} of the cells in `tnk` are not T or NK cells. Keep only the "
            f"clusters high in CD3E or in GNLY/NKG7 (compare the clusters with "
            f"`sc.pl.dotplot(adata, ['CD3E', 'GNLY', 'NKG7'], groupby='leiden_0.6')`)."
        )
    _passed(f"tnk: {tnk.n_obs:,} cells, the T and NK clusters.")


@student_facing
def check_subclustering(
    tnk: ad.AnnData,
    resolution: float = 0.6,
    *,
    key: str | None = None,
    strict: bool = False,
    reference: ad.AnnData | None = None,
) -> None:
    """Check a Leiden subclustering of the T/NK subset on its own kNN graph (Harmony).

    Parameters
    ----------
    tnk
        The student's subset, with the subclustering in ``obs[key]``.
    resolution
        The resolution the question asks for.
    key
        ``obs`` column of the answer; default ``f"sub_{leiden_key(resolution)}"``.
    strict
        Hidden test: ARI >= :data:`SUBCLUSTER_STRICT_ARI` and the recorded resolution.
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
    >>> check_subclustering(tnk, 0.6)  # doctest: +SKIP
    ✔ tnk.obs['sub_leiden_0.6']: 8 subclusters of the T/NK cells.
    """
    tnk = _require_adata(tnk, "tnk")
    key = key or f"sub_{leiden_key(resolution)}"
    how = (
        f"`sc.pp.neighbors(tnk, use_rep={HARMONY_KEY!r})` then "
        f"`sc.tl.leiden(tnk, resolution={resolution:g}, key_added={key!r})`"
    )
    labels = _cluster_labels(tnk, key, how, name="tnk")
    ref = reference_data(reference)
    if not tnk.obs_names.isin(ref.obs_names).all():
        _fail("the cells of `tnk` are not cells of the exercise data; take them from `adata`.")
    recorded = _recorded(tnk, key, "resolution")
    if recorded is not None and not math.isclose(float(recorded), resolution):
        _fail(
            f"`tnk.obs[{key!r}]` was computed with resolution={float(recorded):g}; the "
            f"question asks for {resolution:g}: {how}."
        )
    if strict and recorded is None:
        _fail(f"`tnk.uns[{key!r}]['params']` is missing; run {how} so scanpy records it.")
    subset = ad.AnnData(obs=pd.DataFrame(index=tnk.obs_names.copy()))
    for rep in (HARMONY_KEY, UNCORRECTED_KEY):
        subset.obsm[rep] = np.asarray(ref[tnk.obs_names].obsm[rep])
    ari = leiden_score(labels, subset, resolution)
    threshold = SUBCLUSTER_STRICT_ARI if strict else SUBCLUSTER_MIN_ARI
    if ari < threshold:
        if _ari(labels, reference_leiden(subset, resolution, rep=UNCORRECTED_KEY)) > ari:
            _fail(
                "this subclustering matches the uncorrected PCA better than the Harmony "
                f"embedding; build the subset's graph with {how}."
            )
        _fail(
            f"`tnk.obs[{key!r}]` agrees poorly with Leiden at resolution {resolution:g} on the "
            f"subset's own graph (ARI {ari:.2f}, need ≥ {threshold}). Recompute the graph on "
            f"the subset and cluster it: {how}."
        )
    _passed(f"tnk.obs[{key!r}]: {labels.nunique()} subclusters of the T/NK cells.")
