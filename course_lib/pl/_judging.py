"""Figures for judging clusterings: silhouette plot and cluster tree (chapters 6 and 7)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def _cluster_order(values: Sequence[str]) -> list[str]:
    """Cluster names in numeric order where they are numbers, else alphabetical."""
    names = sorted(set(map(str, values)))
    return sorted(names, key=int) if all(n.isdigit() for n in names) else names


def silhouette_plot(
    widths: np.ndarray,
    labels: Sequence,
    *,
    ax: Axes | None = None,
    title: str = "Silhouette widths",
) -> Axes:
    """Horizontal bars of per-cell silhouette widths, sorted within each cluster.

    Parameters
    ----------
    widths
        Silhouette width of each cell (e.g. :func:`sklearn.metrics.silhouette_samples`).
    labels
        Cluster of each cell, in the same order.
    ax
        Axes to draw on; a new figure if ``None``.
    title
        Title of the axes.

    Returns
    -------
    The :class:`~matplotlib.axes.Axes`; a dashed line marks the mean width.
    """
    widths, labels = np.asarray(widths, dtype=float), np.asarray(labels).astype(str)
    if widths.shape != labels.shape:
        msg = f"{widths.size} widths but {labels.size} labels; pass one label per cell"
        raise ValueError(msg)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    gap = max(1, widths.size // 50)
    y = 0
    for cluster in _cluster_order(labels):
        values = np.sort(widths[labels == cluster])
        ax.fill_betweenx(np.arange(y, y + values.size), 0, values, linewidth=0)
        ax.text(-0.01, y + values.size / 2, cluster, ha="right", va="center", fontsize=8,
                transform=ax.get_yaxis_transform())
        y += values.size + gap
    ax.axvline(widths.mean(), color="black", linestyle="--", linewidth=1,
               label=f"mean {widths.mean():.2f}")
    ax.set_yticks([])
    ax.set_xlabel("silhouette width")
    ax.set_ylabel("cells, grouped by cluster", labelpad=18)
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ax


def _tree_rows(tree: pd.DataFrame, sizes: Sequence[pd.Series]) -> list[dict[str, float]]:
    """Horizontal position of every node, row by row, laid out as a tree.

    The top row is in label order; below it, each cluster sits under the parent it draws
    most cells from, the children of one parent side by side (ordered by the mean position
    of all their parents, weighted by shared cells). Clean splits then never cross.
    """
    rows: list[dict[str, float]] = []
    for level, size in enumerate(sizes):
        order = _cluster_order(size.index)
        if level:
            edges = tree[tree["level"] == level - 1].copy()
            edges["x"] = edges["parent"].map(rows[-1])
            edges["weight"] = edges["x"] * edges["cells"]
            by_child = edges.groupby("child")
            main_parent = edges.loc[by_child["cells"].idxmax()].set_index("child")["x"]
            centre = by_child["weight"].sum() / by_child["cells"].sum()
            order = sorted(order, key=lambda name: (main_parent[name], centre[name]))
        rows.append({name: (i + 1) / (len(order) + 1) for i, name in enumerate(order)})
    return rows


def cluster_tree(
    tree: pd.DataFrame,
    level_names: Sequence[str],
    *,
    ax: Axes | None = None,
    min_share: float = 0.1,
) -> Axes:
    """Draw clusters of successive clusterings as rows of nodes joined by shared cells.

    Parameters
    ----------
    tree
        The table of :func:`course_lib.tl.resolution_tree`.
    level_names
        One name per clustering, coarse to fine (e.g. ``["0.2", "0.4", …]``), for the y axis.
    ax
        Axes to draw on; a new figure if ``None``.
    min_share
        Edges carrying less than this share of the child's cells are not drawn.

    Returns
    -------
    The :class:`~matplotlib.axes.Axes`: node area ∝ cluster size, each node under the
    parent it takes most cells from; edge width ∝ shared cells; an edge is orange when its
    child draws less than 90 % of its cells from it (cells reshuffled between clusters rather
    than a clean split).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    n_levels = len(level_names)
    sizes: list[pd.Series] = []
    for level in range(n_levels):
        rows = tree[tree["level"] == level] if level < n_levels - 1 else None
        if rows is not None:
            sizes.append(rows.groupby("parent")["cells"].sum())
        else:
            sizes.append(tree[tree["level"] == level - 1].groupby("child")["cells"].sum())
    positions = {
        (level, name): (x, n_levels - 1 - level)
        for level, row in enumerate(_tree_rows(tree, sizes))
        for name, x in row.items()
    }
    largest = max(float(s.max()) for s in sizes)
    for row in tree.itertuples():
        if row.child_share < min_share:
            continue
        (x0, y0), (x1, y1) = positions[row.level, row.parent], positions[row.level + 1, row.child]
        colour = "tab:orange" if row.child_share < 0.9 else "grey"
        ax.plot([x0, x1], [y0, y1], color=colour, alpha=0.7, zorder=1,
                linewidth=0.5 + 6 * row.cells / largest)
    for level, size in enumerate(sizes):
        for name, cells in size.items():
            x, y = positions[level, name]
            ax.scatter(x, y, s=30 + 600 * cells / largest, color="tab:blue", zorder=2)
            ax.text(x, y, name, ha="center", va="center", fontsize=7, color="white", zorder=3)
    ax.set_yticks(range(n_levels), list(reversed(level_names)))
    ax.set_xticks([])
    ax.set_ylim(-0.6, n_levels - 0.4)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return ax
