"""Figure defaults and the course's own figures (contingency heatmap, stacked bars)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import scanpy as sc
from cycler import cycler

from .._validation import check_whole_number

#: The course's categorical colours, for up to 20 categories (clusters, samples, methods).
#: The first eight are Okabe and Ito's colour-blind-safe palette (2008), reordered so that
#: yellow, the faintest on white, comes seventh; the other twelve were chosen one at a time
#: from a grid of sRGB colours, each the farthest (in CAM02-UCS) from those already chosen in
#: normal vision and in simulated deuteranopia, protanopia and tritanopia (Machado et al. 2009,
#: full severity), among colours neither too light for a white background nor grey. Any two
#: of them are at least 11 CAM02-UCS units apart in each of the four views (scanpy's default
#: palette: 0.6 in protanopia); tests/test_palettes.py checks it.
CVD_PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000",
    "#781e00", "#1e3c4b", "#a5d296", "#5a0096", "#784b4b", "#9678ff", "#695a78", "#0f00ff",
    "#a53c00", "#5a2d2d", "#d2a5b4", "#78b469",
)


def setup_plotting(*, dpi: int = 80) -> None:
    """Readable figure defaults for the book and quiet scanpy logging.

    Sets scanpy's figure parameters (axes with labels, white background), keeps scanpy's log to
    warnings and errors, and puts legends outside axes where scanpy allows it. Categorical
    colours come from :data:`CVD_PALETTE`, which stays distinguishable with the common
    colour-vision deficiencies: scanpy colours up to 20 categories (clusters, samples) from
    matplotlib's colour cycle, and matplotlib's own line and bar plots use it too.

    Parameters
    ----------
    dpi
        Resolution of the figures shown in notebooks.

    Examples
    --------
    >>> import course_lib
    >>> course_lib.setup_plotting()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.prop_cycle"].by_key()["color"][:2]
    ['#0072b2', '#e69f00']
    """
    check_whole_number("dpi", dpi, minimum=1, example=80)
    sc.settings.verbosity = 1
    sc.settings.set_figure_params(dpi=dpi, frameon=True, facecolor="white", figsize=(4.5, 4))
    mpl.rcParams.update({"axes.titlesize": 12, "axes.labelsize": 10, "figure.autolayout": False,
                         "axes.prop_cycle": cycler(color=list(CVD_PALETTE))})


def _check_table(table: object, source: str) -> None:
    if not isinstance(table, pd.DataFrame):
        msg = f"expected a pandas DataFrame, got {type(table).__name__}; pass {source}(...)"
        raise TypeError(msg)
    if table.empty:
        msg = "the table is empty; pass a table with at least one row and one column"
        raise ValueError(msg)


def contingency_heatmap(
    table: pd.DataFrame, *, title: str, ax: plt.Axes | None = None, cmap: str = "Blues"
) -> plt.Axes:
    """Draw a contingency table (e.g. from :func:`course_lib.contingency_table`).

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
    >>> import pandas as pd
    >>> table = pd.DataFrame([[8, 1], [0, 5]], index=pd.Index(["0", "1"], name="leiden_0.6"),
    ...                      columns=pd.Index(["0", "1"], name="kmeans_2"))
    >>> ax = contingency_heatmap(table, title="Leiden 0.6 vs k-means 2")
    >>> ax.get_xlabel(), ax.get_ylabel(), ax.get_title()
    ('kmeans_2', 'leiden_0.6', 'Leiden 0.6 vs k-means 2')
    >>> plt.close(ax.figure)
    """
    _check_table(table, "contingency_table")
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


def stacked_bar(
    table: pd.DataFrame,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    ax: plt.Axes | None = None,
    legend_title: str | None = None,
) -> plt.Axes:
    """Draw each row of ``table`` as one stacked bar, with the legend outside the axes.

    Parameters
    ----------
    table
        E.g. from :func:`course_lib.proportion_table`: rows become bars, columns become
        stacked segments.
    title, xlabel, ylabel
        Figure title and axis labels.
    ax
        Axes to draw on; a new figure is made if ``None``.
    legend_title
        Legend title; defaults to the name of ``table.columns``.

    Returns
    -------
    The axes; the legend sits to the right of them, outside the plotting area.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"ctrl": [0.7, 0.2], "covid": [0.3, 0.8]},
    ...                      index=pd.Index(["0", "1"], name="leiden_0.6"))
    >>> ax = stacked_bar(table, title="Condition per cluster", xlabel="cluster",
    ...                  ylabel="fraction of cells", legend_title="type")
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['ctrl', 'covid']
    >>> plt.close(ax.figure)
    """
    _check_table(table, "proportion_table")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.3 * table.shape[0] + 2.5, 3.5))
    table.plot.bar(stacked=True, ax=ax, width=0.85, edgecolor="none", legend=False)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    ax.legend(
        title=legend_title if legend_title is not None else table.columns.name,
        loc="center left",
        bbox_to_anchor=(1.02, 0.5),
        frameon=False,
    )
    return ax
