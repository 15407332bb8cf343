"""Figure defaults shared by the chapters."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import scanpy as sc


def setup_plotting(*, dpi: int = 80) -> None:
    """Readable figure defaults for the book and quiet scanpy logging.

    Sets scanpy's figure parameters (axes with labels, white background), keeps scanpy's log to
    warnings and errors, and puts legends outside axes where scanpy allows it.

    Examples
    --------
    >>> import course_lib
    >>> course_lib.setup_plotting()
    """
    sc.settings.verbosity = 1
    sc.settings.set_figure_params(dpi=dpi, frameon=True, facecolor="white", figsize=(4.5, 4))
    mpl.rcParams.update({"axes.titlesize": 12, "axes.labelsize": 10, "figure.autolayout": False})


def contingency_heatmap(
    table: pd.DataFrame, *, title: str, ax: plt.Axes | None = None, cmap: str = "Blues"
) -> plt.Axes:
    """Draw a contingency table (e.g. from :func:`course_lib.compare.contingency_table`).

    Parameters
    ----------
    table
        Rows and columns are the clusters of two clusterings.
    title
        Figure title.
    ax
        Axes to draw on; a new figure is made if ``None``.
    cmap
        Matplotlib colour map.

    Returns
    -------
    The axes, with the row/column variable names as axis labels and a colour bar.

    Examples
    --------
    >>> contingency_heatmap(table, title="Leiden 0.6 vs k-means 10")  # doctest: +SKIP
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(0.35 * table.shape[1] + 2.5, 0.3 * table.shape[0] + 1.5))
    image = ax.imshow(table.to_numpy(), aspect="auto", cmap=cmap)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=90)
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    ax.set_xlabel(str(table.columns.name or "columns"))
    ax.set_ylabel(str(table.index.name or "rows"))
    ax.set_title(title)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="fraction" if table.to_numpy().max() <= 1 else "cells")
    return ax
