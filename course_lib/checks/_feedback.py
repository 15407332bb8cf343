"""Plumbing of the checks: passing and failing, and reading the student's answer.

A check prints one line when the answer is right (:func:`passed`) and raises
:class:`AssertionError` otherwise (:func:`fail`); :func:`student_facing` turns any other
error inside a check into one clear :class:`AssertionError`. The checks validate their
input with :mod:`course_lib._validation`, as the library does; :func:`validated` is the one
place where a library error becomes a failed check, with the check's own wording.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, ParamSpec, TypeVar

import anndata as ad
import numpy as np
import pandas as pd

from .._validation import MissingKeyError, check_adata, obs_labels
from ..defaults import leiden_key
from .reference_answers import reference_data

P = ParamSpec("P")
R = TypeVar("R")

CLUSTER_KEY = leiden_key(0.6)
"""The clustering the questions on tables and chosen clusters describe, unless told otherwise."""

CLUSTER_PREFIXES = ("leiden", "louvain", "kmeans", "ward", "cluster")
"""``obs`` columns starting with these are listed as clusterings when a key is missing."""

_KINDS = ((MissingKeyError, "missing"), (TypeError, "type"), (ValueError, "value"))
"""The kinds of :mod:`course_lib._validation` errors, by exception type (first match)."""


def fail(msg: str) -> NoReturn:
    """Fail the check with ``msg`` (what is wrong, what was found, where to look)."""
    raise AssertionError(msg)


def passed(msg: str) -> None:
    """Print the single line of a passed check."""
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


def validated(helper: Callable[..., R], *args: Any, **messages: str | Callable[[], str]) -> R:
    """Run a :mod:`course_lib._validation` helper; turn its error into a failed check.

    Parameters
    ----------
    helper
        The helper, e.g. :func:`~course_lib._validation.obs_labels`.
    *args
        Its arguments, e.g. ``adata, key``.
    **messages
        The check's message for each kind of mistake: ``missing``
        (:class:`~course_lib._validation.MissingKeyError`), ``type`` (:class:`TypeError`),
        ``value`` (:class:`ValueError`); a callable is called only on failure. A kind
        without a message re-raises the library error (:func:`student_facing` reports it).

    Returns
    -------
    What ``helper`` returns.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> from course_lib._validation import require_obs_column
    >>> cells = ad.AnnData(obs=pd.DataFrame(index=["c1"]))
    >>> validated(require_obs_column, cells, "k", missing="`adata.obs` has no 'k'.")
    Traceback (most recent call last):
    AssertionError: `adata.obs` has no 'k'.
    """
    try:
        return helper(*args)
    except (MissingKeyError, TypeError, ValueError) as error:
        kind = next(kind for cls, kind in _KINDS if isinstance(error, cls))
        if kind not in messages:
            raise
        message = messages[kind]
    fail(message() if callable(message) else message)  # outside `except`: no chained traceback


def require_adata(adata: Any, name: str = "adata") -> ad.AnnData:
    """``adata`` if it is a non-empty AnnData, else a failure naming the usual cause.

    Examples
    --------
    >>> require_adata(None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: `adata` is None. Pass your AnnData object. ...
    """
    if adata is None:
        again = (
            "reload the data with `adata = course_lib.load_exercise_data()` and re-run your cells"
            if name == "adata"
            else f"re-run the cells that make `{name}` from `adata`"
        )
        fail(
            f"`{name}` is None. Pass your AnnData object. A common cause: "
            f"`{name} = sc.pp.neighbors({name})` — scanpy functions change `{name}` in place "
            f"and return None, so call them without `{name} =`, then {again}."
        )
    if isinstance(adata, pd.DataFrame):
        fail(
            f"got a pandas DataFrame (did you pass `{name}.obs`?); pass the AnnData object "
            f"itself, e.g. `{name}`."
        )
    return validated(
        check_adata,
        adata,
        type=f"expected an AnnData object for `{name}`, got {type(adata).__name__}.",
        value=(
            f"`{name}` has no cells; pass the AnnData object the question asks for, not an "
            f"empty selection of it."
        ),
    )


def cluster_columns(adata: ad.AnnData) -> list[str]:
    """The ``obs`` columns that look like clusterings (see :data:`CLUSTER_PREFIXES`)."""
    return sorted(c for c in adata.obs.columns if str(c).lower().startswith(CLUSTER_PREFIXES))


def cluster_labels(
    adata: ad.AnnData, key: str, hint: str, name: str = "adata", *, categorical: bool = False
) -> pd.Series:
    """The labels in ``obs[key]`` as strings, or a failure naming what is wrong.

    ``adata`` has passed :func:`require_adata`. Only the question that asks for categories
    of strings passes ``categorical=True``; a question that only needs the partition takes
    any label type, so one formatting slip costs one question, not every later one.

    Examples
    --------
    >>> cluster_labels(adata, "leiden_0.6", "see chapter 1")  # doctest: +SKIP
    """
    labels = validated(
        obs_labels,
        adata,
        key,
        missing=lambda: (
            f"`{name}.obs` has no column {key!r}; store the clustering there ({hint}). "
            f"Clustering columns present: {cluster_columns(adata) or 'none'}."
        ),
        value=lambda: (
            f"`{name}.obs[{key!r}]` has {int(adata.obs[key].isna().sum())} cells without a "
            f"label (NaN); every cell of `{name}` needs a cluster — cluster all of `{name}`, "
            f"not a subset."
        ),
    )
    if categorical:
        fix = "convert the labels to strings (`astype(str)`), then to a categorical column"
        if pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
            fail(
                f"`{name}.obs[{key!r}]` holds numbers ({labels.dtype}), so scanpy treats it as "
                f"a continuous value, not clusters. The question asks for categories of "
                f"strings: {fix}."
            )
        if not isinstance(labels.dtype, pd.CategoricalDtype):
            fail(
                f"`{name}.obs[{key!r}]` holds {labels.dtype} values but is not categorical; "
                f"the question asks for categories of strings: {fix}."
            )
        if not all(isinstance(c, str) for c in labels.cat.categories):
            fail(
                f"the categories of `{name}.obs[{key!r}]` are numbers, not strings; the "
                f"question asks for categories of strings: {fix}."
            )
    return labels.astype(str)


def aligned(adata: ad.AnnData, ref: ad.AnnData, name: str = "adata") -> None:
    """Fail unless ``adata`` holds exactly the cells of the reference data (any order)."""
    if adata.n_obs != ref.n_obs:
        fail(
            f"`{name}` has {adata.n_obs:,} cells but the exercise data has {ref.n_obs:,}. "
            f"Did you subset or filter `{name}`? Reload it with "
            f"`{name} = course_lib.load_exercise_data()` and re-run your cells."
        )
    if not adata.obs_names.isin(ref.obs_names).all():
        fail(
            f"the cell names (`{name}.obs_names`) do not match the exercise data. Reload "
            f"it with `{name} = course_lib.load_exercise_data()` and do not rename cells."
        )


def recorded(adata: ad.AnnData, key: str, param: str) -> Any:
    """``adata.uns[key]['params'][param]`` if scanpy recorded it, else ``None``.

    Examples
    --------
    >>> adata = ad.AnnData(uns={"neighbors": {"params": {"use_rep": "X_pca_harmony"}}})
    >>> recorded(adata, "neighbors", "use_rep")
    'X_pca_harmony'
    >>> recorded(adata, "leiden_0.6", "resolution") is None
    True
    """
    params = adata.uns.get(key, {})
    params = params.get("params", {}) if isinstance(params, Mapping) else {}
    return params.get(param) if isinstance(params, Mapping) else None


def label_list(answer: Any, name: str) -> list[str]:
    """A student's cluster choice as a list of label strings, or a failure naming the type.

    Examples
    --------
    >>> label_list(3, "clusters"), label_list(["1", 2], "clusters")
    (['3'], ['1', '2'])
    """
    if isinstance(answer, (str, int, np.integer)):
        return [str(answer)]
    if isinstance(answer, (list, tuple, set, pd.Index, pd.Series, np.ndarray)):
        return [str(a) for a in answer]
    fail(f"`{name}` should be a list of cluster labels, e.g. `['3']`, got {type(answer).__name__}.")


def answer_number(value: Any, what: str, hint: str) -> float:
    """A student's number (``value``) as a finite float, or a failure naming what it should be.

    Examples
    --------
    >>> answer_number(pd.Series([0.25]), "`p_value`", "see chapter 7")
    0.25
    """
    if isinstance(value, (pd.Series, pd.DataFrame)) and value.size == 1:
        value = value.to_numpy().ravel()[0]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        fail(f"{what} should be a number, got {type(value).__name__} ({hint}).")
    if not math.isfinite(float(value)):
        fail(f"{what} is {value}; it should be a finite number ({hint}).")
    return float(value)


def n_clusters_text(chosen: list[str]) -> str:
    """``"1 cluster"``, ``"2 clusters"``: the number of distinct labels in ``chosen``.

    Examples
    --------
    >>> n_clusters_text(["3", "3"]), n_clusters_text(["1", "2"])
    ('1 cluster', '2 clusters')
    """
    n = len(set(chosen))
    return f"{n} cluster{'s' * (n != 1)}"


def answer_labels(
    adata: ad.AnnData,
    key: str,
    hint: str,
    reference: ad.AnnData | None,
    *,
    categorical: bool = False,
) -> tuple[pd.Series, ad.AnnData]:
    """The labels in ``obs[key]`` and the reference data, checked to hold the same cells."""
    labels = cluster_labels(adata, key, hint, categorical=categorical)
    ref = reference_data(reference)
    aligned(adata, ref)
    return labels, ref


def check_count(labels: pd.Series, key: str, k: int, hint: str) -> None:
    """Fail unless ``labels`` has exactly the ``k`` clusters the question asks for."""
    n_clusters = labels.nunique()
    if n_clusters != k:
        fail(f"`obs[{key!r}]` has {n_clusters} clusters; the question asks for {k} ({hint}).")
