"""Cluster labels in the form scanpy gives them: strings "0", "1", … by decreasing size."""

from __future__ import annotations

import numpy as np
import pandas as pd


def size_ordered_labels(labels: np.ndarray) -> pd.Categorical:
    """Rename cluster ids to ``"0"``, ``"1"``, … by decreasing size (ties: first appearance).

    Scanpy orders Leiden clusters the same way, so cluster ``"0"`` is always the largest.

    Examples
    --------
    >>> size_ordered_labels(np.array([7, 3, 3])).tolist()
    ['1', '0', '0']
    """
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    rename = {ids[old]: str(new) for new, old in enumerate(order)}
    names = [rename[label] for label in labels]
    return pd.Categorical(names, categories=[str(i) for i in range(len(ids))])
