"""Input checks shared by the library, with one exception type per kind of mistake.

=========================  ====================================================
kind of mistake            exception
=========================  ====================================================
wrong type of argument     :class:`TypeError`
a value out of range       :class:`ValueError`
missing column/key/gene    :class:`MissingKeyError` (a :class:`KeyError`)
too large for the memory   :class:`MemoryBudgetError` (refused before allocating)
=========================  ====================================================

Every message says what is wrong, what was given, and how to fix it.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import anndata as ad
import numpy as np
import pandas as pd


class MissingKeyError(KeyError):
    """A column, embedding, key or gene the function needs is not in the AnnData.

    Prints its message as written (a plain :class:`KeyError` shows it in quotes).

    Examples
    --------
    >>> print(MissingKeyError("obs has no column 'leiden_0.6'"))
    obs has no column 'leiden_0.6'
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MemoryBudgetError(RuntimeError):
    """A computation was refused because it would need more memory than allowed.

    Raised before anything is allocated (unlike :class:`MemoryError`, which reports an
    allocation that failed), with the estimate, the limit and cheaper alternatives.
    """


def check_adata(adata: object) -> ad.AnnData:
    """Return ``adata`` if it is a non-empty AnnData, else raise naming what to pass.

    Examples
    --------
    >>> check_adata("not data")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: expected an AnnData object, got str; pass your `adata` ...
    """
    if not isinstance(adata, ad.AnnData):
        msg = (
            f"expected an AnnData object, got {type(adata).__name__}; pass your `adata` "
            "(e.g. from course_lib.load_integrated())"
        )
        raise TypeError(msg)
    if adata.n_obs == 0:
        msg = "adata has no cells; pass a non-empty AnnData (check the selection you made)"
        raise ValueError(msg)
    return adata


def require_obs_column(adata: ad.AnnData, key: str) -> None:
    """Raise :class:`MissingKeyError` listing the available columns if ``obs`` lacks ``key``.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame({"sample": ["a"]}, index=["c1"]))
    >>> require_obs_column(cells, "leiden_0.6")
    Traceback (most recent call last):
    course_lib._validation.MissingKeyError: obs has no column 'leiden_0.6'; available: ['sample']
    """
    if key not in adata.obs:
        msg = f"obs has no column {key!r}; available: {sorted(adata.obs)}"
        raise MissingKeyError(msg)


def require_obsm(adata: ad.AnnData, key: str, *, hint: str = "") -> None:
    """Raise :class:`MissingKeyError` listing the embeddings if ``obsm`` has no ``key``.

    ``hint`` is appended to the message, e.g. ``"Run sc.pp.pca first."``.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame(index=["c1"]))
    >>> require_obsm(cells, "X_pca", hint="Run sc.pp.pca first.")
    Traceback (most recent call last):
    course_lib._validation.MissingKeyError: obsm has no 'X_pca'; available: []. Run sc.pp.pca first.
    """
    if key not in adata.obsm:
        msg = f"obsm has no {key!r}; available: {sorted(adata.obsm)}"
        raise MissingKeyError(f"{msg}. {hint}" if hint else msg)


def obs_labels(adata: object, key: str) -> pd.Series:
    """``adata.obs[key]``, checked: an AnnData, an existing column, no missing values.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame({"k": [0, 1]}, index=["c1", "c2"]))
    >>> obs_labels(cells, "k").tolist()
    [0, 1]
    """
    adata = check_adata(adata)
    require_obs_column(adata, key)
    labels = adata.obs[key]
    if labels.isna().any():
        msg = f"obs[{key!r}] has {int(labels.isna().sum())} missing values; every cell needs one"
        raise ValueError(msg)
    return labels


def embedding(adata: object, use_rep: str) -> np.ndarray:
    """``adata.obsm[use_rep]`` as a finite float64 cells × dimensions array.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame(index=["c1", "c2"]), obsm={"X_pca": np.eye(2)})
    >>> embedding(cells, "X_pca").dtype
    dtype('float64')
    """
    adata = check_adata(adata)
    require_obsm(adata, use_rep, hint="Pass one as use_rep=")
    x = np.asarray(adata.obsm[use_rep], dtype=np.float64)
    if x.ndim != 2:
        msg = f"obsm[{use_rep!r}] must be a cells × dimensions matrix, got shape {x.shape}"
        raise ValueError(msg)
    if not np.isfinite(x).all():
        msg = (
            f"obsm[{use_rep!r}] contains NaN or infinite values; recompute it "
            "(e.g. sc.pp.pca, course_lib.run_harmony) or pass another use_rep="
        )
        raise ValueError(msg)
    return x


def check_whole_number(name: str, value: object, *, minimum: int, example: int) -> int:
    """``value`` as an ``int`` if it is a whole number ≥ ``minimum``.

    A non-integer (``2.5``, ``"10"``, ``True``) is a :class:`TypeError`; a whole number
    below ``minimum`` a :class:`ValueError`.

    Examples
    --------
    >>> check_whole_number("n_init", 0, minimum=1, example=10)
    Traceback (most recent call last):
    ValueError: n_init must be at least 1, e.g. 10; got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = type(value).__name__
        msg = f"{name} must be a whole number such as {example}, got {value!r} ({kind})"
        raise TypeError(msg)
    if value < minimum:
        msg = f"{name} must be at least {minimum}, e.g. {example}; got {value}"
        raise ValueError(msg)
    return int(value)


def check_number(name: str, value: object, *, example: float | str) -> float:
    """Return ``value`` unchanged if it is a real number (not a bool), else a :class:`TypeError`.

    Examples
    --------
    >>> check_number("fold", "1.5", example=1.5)
    Traceback (most recent call last):
    TypeError: fold must be a number such as 1.5, got '1.5' (str)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a number such as {example}, got {value!r} ({type(value).__name__})"
        raise TypeError(msg)
    return value


def check_list(name: str, value: object, *, example: str) -> list:
    """``value`` as a list if it is list-like; a single string or number is a :class:`TypeError`.

    A string is iterable, so without this check ``"CD3E"`` would be read as the genes
    ``["C", "D", "3", "E"]`` and the cluster ``"12"`` as the clusters ``"1"`` and ``"2"``.

    Examples
    --------
    >>> check_list("genes", ("CD3E", "GNLY"), example="['CD3E']")
    ['CD3E', 'GNLY']
    >>> check_list("genes", "CD3E", example="['CD3E']")
    Traceback (most recent call last):
    TypeError: genes must be a list such as ['CD3E'], got 'CD3E' (str); for one item pass ['CD3E']
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        msg = (
            f"{name} must be a list such as {example}, got {value!r} ({type(value).__name__}); "
            f"for one item pass [{value!r}]"
        )
        raise TypeError(msg)
    return list(value)


def check_n_clusters(n_clusters: object, x: np.ndarray) -> int:
    """Validate a number of clusters for ``x`` (cells × dimensions) and return it as ``int``.

    Examples
    --------
    >>> import numpy as np
    >>> check_n_clusters(3, np.arange(4.0).reshape(2, 2))
    Traceback (most recent call last):
    ValueError: n_clusters=3 is more than the 2 cells; pass n_clusters ≤ 2
    """
    k, n_cells = check_whole_number("n_clusters", n_clusters, minimum=2, example=10), x.shape[0]
    if k > n_cells:
        msg = f"n_clusters={k} is more than the {n_cells} cells; pass n_clusters ≤ {n_cells}"
        raise ValueError(msg)
    n_distinct = len(np.unique(x, axis=0))
    if k > n_distinct:
        msg = (
            f"n_clusters={k} but the embedding has only {n_distinct} distinct cell "
            f"position(s); pass n_clusters ≤ {n_distinct}"
        )
        raise ValueError(msg)
    return k
