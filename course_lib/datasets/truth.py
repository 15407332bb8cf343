"""The simulation's truth labels: whether a dataset holds them, and data without them.

The chapters guard every cell that compares clusters with the truth with
``if course_lib.has_truth(adata):``, so that on the lab's real data (``SCCLUST_DATASET=lab``)
they skip those cells with one printed line instead of stopping with a ``KeyError``. The
exercises load the data without the truth (:func:`course_lib.load_exercise_data`, which
calls :func:`drop_truth`): the questions that ask which clusters are B cells or doublets
would otherwise be answered by a table of the truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..defaults import LINEAGE_KEY, TRUTH_KEY

if TYPE_CHECKING:
    import anndata as ad

TRUTH_COLUMNS = (TRUTH_KEY, LINEAGE_KEY)
"""The ``obs`` columns with the simulation's truth (every other column is measured data)."""

SKIPPED = (
    f"Real data, no truth labels (obs[{TRUTH_KEY!r}], obs[{LINEAGE_KEY!r}]): "
    "the comparison with the simulation's truth is skipped."
)
"""The line :func:`has_truth` prints where the truth is missing."""


def has_truth(adata: ad.AnnData, *, quiet: bool = False) -> bool:
    """Whether ``adata`` holds the simulation's truth labels (real data do not).

    The truth is the two ``obs`` columns ``"cell_type_truth"`` and ``"lineage_truth"``
    (:data:`~course_lib.defaults.TRUTH_KEY`, :data:`~course_lib.defaults.LINEAGE_KEY`).

    Parameters
    ----------
    adata
        The course dataset or a subset of it (subsets keep the ``obs`` columns).
    quiet
        If false (the default) and the truth is missing, print :data:`SKIPPED`, so that a
        chapter's cell guarded with ``if has_truth(adata):`` says why it shows nothing.

    Returns
    -------
    ``True`` if both truth columns are in ``adata.obs`` (the simulated data), ``False``
    otherwise (real data).

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame(index=["AAAC-1", "AAAG-1"]))
    >>> has_truth(cells)
    Real data, no truth labels (obs['cell_type_truth'], obs['lineage_truth']): ...
    False
    >>> has_truth(cells, quiet=True)
    False
    >>> cells.obs["cell_type_truth"] = ["B", "NK"]
    >>> cells.obs["lineage_truth"] = ["B", "T/NK"]
    >>> has_truth(cells)
    True
    """
    found = TRUTH_KEY in adata.obs and LINEAGE_KEY in adata.obs
    if not found and not quiet:
        print(SKIPPED)
    return found


def drop_truth(adata: ad.AnnData) -> None:
    """Remove the simulation's truth (:data:`TRUTH_COLUMNS`) from ``adata.obs``, in place.

    Parameters
    ----------
    adata
        The course dataset or a subset of it; data without the truth are left unchanged.

    Examples
    --------
    >>> import anndata as ad, pandas as pd
    >>> cells = ad.AnnData(obs=pd.DataFrame(
    ...     {"sample": ["a", "b"], "cell_type_truth": ["B", "NK"], "lineage_truth": ["B", "T/NK"]},
    ...     index=["AAAC-1", "AAAG-1"]))
    >>> drop_truth(cells)
    >>> list(cells.obs.columns)
    ['sample']
    >>> has_truth(cells, quiet=True)
    False
    """
    present = [column for column in TRUTH_COLUMNS if column in adata.obs]
    adata.obs = adata.obs.drop(columns=present)
