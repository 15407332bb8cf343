"""Input checks shared by the library: errors that say what to pass instead."""

from __future__ import annotations

import anndata as ad
import pandas as pd


def check_adata(adata: object) -> None:
    """Raise a :class:`TypeError` naming what to pass if ``adata`` is not an AnnData.

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


def require_obs_column(adata: ad.AnnData, key: str) -> None:
    """Raise a :class:`KeyError` listing the available columns if ``obs`` has no ``key``.

    Examples
    --------
    >>> require_obs_column(adata, "sample")  # doctest: +SKIP
    """
    if key not in adata.obs:
        msg = f"obs has no column {key!r}; available: {sorted(adata.obs)}"
        raise KeyError(msg)


def require_obsm(adata: ad.AnnData, key: str, *, hint: str = "") -> None:
    """Raise a :class:`KeyError` listing the available embeddings if ``obsm`` has no ``key``.

    ``hint`` is appended to the message, e.g. ``"Run sc.pp.pca first."``.

    Examples
    --------
    >>> require_obsm(adata, "X_pca_harmony")  # doctest: +SKIP
    """
    if key not in adata.obsm:
        msg = f"obsm has no {key!r}; available: {sorted(adata.obsm)}"
        raise KeyError(f"{msg}. {hint}" if hint else msg)


def obs_labels(adata: ad.AnnData, key: str) -> pd.Series:
    """``adata.obs[key]``, checked: an AnnData, an existing column, no missing values.

    Examples
    --------
    >>> obs_labels(adata, "leiden_0.6")  # doctest: +SKIP
    """
    check_adata(adata)
    require_obs_column(adata, key)
    labels = adata.obs[key]
    if labels.isna().any():
        msg = f"obs[{key!r}] has {int(labels.isna().sum())} missing values; every cell needs one"
        raise ValueError(msg)
    return labels
