"""Student-facing answer checks for the exercises (one call per question).

Each ``check_*`` function prints a single short line when the answer is right and raises
:class:`AssertionError` whose message names the mistake and the fix otherwise. Clusterings
are compared with a reference computed from the same data by the adjusted Rand index
(ARI), which ignores label names; the reference labels are never shown. Recorded
parameters (``adata.uns['neighbors']['params']``, ``adata.uns[key]['params']``) are read to
name the exact mistake where scanpy wrote them.

The ARI thresholds are calibrated, not guessed: ``tests/test_calibration.py`` recomputes
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
from collections.abc import Callable, Mapping
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
(0.205); resolution 3 scores 0.378 (0.525). Resolutions close to the asked one are *not*
separable by labels (resolution 0.1 scores 0.802 against the 0.6 references, inside the
legitimate spread): a wrong resolution is named from the recorded
``uns[key]['params']['resolution']``, and far ones are caught by the cluster count."""

LEIDEN_STRICT_ARI = 0.65
"""Hidden check: as :data:`LEIDEN_MIN_ARI`, closer to the legitimate minimum (0.749)."""

KNN_MIN_OVERLAP = 0.9
"""Hidden check: mean fraction of each cell's neighbours shared with the exact kNN on Harmony.

Calibration: graphs on Harmony with other seeds share 1.00 of the neighbours (exact search
below 8,192 cells); the graph on ``X_pca`` shares <= 0.45."""

KMEANS_MIN_ARI = 0.7
"""Visible check: best ARI of ``kmeans_<k>`` to k-means references on Harmony.

Calibration (k=10): other seeds and ``n_init`` >= 0.87; ``X_pca`` <= 0.40. A wrong ``k``
is caught exactly (k-means returns exactly ``k`` clusters)."""

KMEANS_STRICT_ARI = 0.8
"""Hidden check: as :data:`KMEANS_MIN_ARI`, closer to the legitimate minimum."""

WARD_MIN_ARI = 0.8
"""Visible check: ARI of ``ward_<k>`` to the Ward cut of the Harmony embedding.

Calibration (k=10): scipy and scikit-learn Ward give ARI 1.00; ``X_pca`` <= 0.40,
average linkage <= 0.60."""

WARD_STRICT_ARI = 0.95
"""Hidden check: Ward is deterministic, so the hidden test expects (almost) the same cut."""

INERTIA_RTOL = 0.05
"""Relative tolerance on each k-means inertia: other seeds differ by <= 1.5 %; using
``X_pca`` or unscaled-by-k mistakes differ by > 15 %."""

COUNT_RANGE = (0.6, 1.6)
"""Cluster-count sanity range, as factors of the reference count (rounded outwards)."""

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


def reference_kmeans(
    ref: ad.AnnData, k: int, *, rep: str = HARMONY_KEY, seed: int = 0
) -> pd.Series:
    """k-means labels (``n_init=10``) on ``ref.obsm[rep]``, indexed by cell, cached.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    rep
        ``obsm`` key of the embedding.
    seed
        ``random_state`` of :class:`sklearn.cluster.KMeans`.

    Returns
    -------
    A :class:`pandas.Series` of cluster labels (strings) indexed by ``obs_names``.

    Examples
    --------
    >>> reference_kmeans(reference_data(), 10).nunique()  # doctest: +SKIP
    10
    """

    def compute() -> pd.Series:
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(np.asarray(ref.obsm[rep]))
        return pd.Series(model.labels_.astype(str), index=ref.obs_names)

    return _cached(("kmeans", _fingerprint(ref, rep), int(k), seed), compute)


def reference_inertia(ref: ad.AnnData, k: int, *, rep: str = HARMONY_KEY, seed: int = 0) -> float:
    """k-means inertia (``n_init=10``) on ``ref.obsm[rep]``, cached.

    Parameters
    ----------
    ref
        Prepared data.
    k
        Number of clusters.
    rep
        ``obsm`` key of the embedding.
    seed
        ``random_state`` of :class:`sklearn.cluster.KMeans`.

    Returns
    -------
    The within-cluster sum of squares.

    Examples
    --------
    >>> reference_inertia(reference_data(), 10)  # doctest: +SKIP
    21350.7
    """

    def compute() -> float:
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(np.asarray(ref.obsm[rep]))
        return float(model.inertia_)

    return _cached(("inertia", _fingerprint(ref, rep), int(k), seed), compute)


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


def kmeans_score(labels: pd.Series, ref: ad.AnnData, k: int) -> float:
    """Best ARI of ``labels`` to the Harmony k-means references (seeds :data:`REFERENCE_SEEDS`).

    Parameters
    ----------
    labels
        Cluster labels indexed by cell name.
    ref
        Prepared data.
    k
        Number of clusters of the references.

    Returns
    -------
    The largest adjusted Rand index, the score :func:`check_kmeans` compares with
    :data:`KMEANS_MIN_ARI`.

    Examples
    --------
    >>> kmeans_score(adata.obs["kmeans_10"], reference_data(), 10)  # doctest: +SKIP
    1.0
    """
    return max(_ari(labels, reference_kmeans(ref, k, seed=s)) for s in REFERENCE_SEEDS)


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
def _embedding_hint(adata: ad.AnnData) -> str:
    use_rep = _recorded(adata, "neighbors", "use_rep")
    recorded = f" (your graph was built with `use_rep={use_rep!r}`)" if use_rep else ""
    return (
        f"this clustering matches the uncorrected PCA better than the Harmony embedding"
        f"{recorded} — build the graph with "
        f"`sc.pp.neighbors(adata, use_rep={HARMONY_KEY!r})` and cluster again."
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
    labels = _cluster_labels(adata, key, how)
    ref = reference_data(reference)
    _aligned(adata, ref)

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

    references = [reference_leiden(ref, resolution, seed=s) for s in REFERENCE_SEEDS]
    ari = leiden_score(labels, ref, resolution)
    threshold = LEIDEN_STRICT_ARI if strict else LEIDEN_MIN_ARI
    n_clusters = labels.nunique()
    low, high = _count_range(float(np.median([r.nunique() for r in references])))
    if ari < threshold or not low <= n_clusters <= high:
        uncorrected = reference_leiden(ref, resolution, rep=UNCORRECTED_KEY)
        used_rep = _recorded(adata, "neighbors", "use_rep")
        if _ari(labels, uncorrected) > ari or (used_rep not in (None, HARMONY_KEY)):
            _fail(_embedding_hint(adata))
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
    if strict:
        used_rep = _recorded(adata, "neighbors", "use_rep")
        if used_rep != HARMONY_KEY:
            _fail(_embedding_hint(adata))
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
    >>> ari = course_lib.agreement(adata, "leiden_0.6", "leiden_1")["ari"]  # doctest: +SKIP
    >>> check_agreement(ari, adata, "leiden_0.6", "leiden_1")  # doctest: +SKIP
    ✔ ARI between 'leiden_0.6' and 'leiden_1' is right.
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
