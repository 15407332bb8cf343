"""Plotting (``course_lib.pl``): figure defaults and the course's own figures.

Examples
--------
>>> import course_lib
>>> course_lib.pl.setup_plotting()
"""

from ._judging import cluster_tree, silhouette_plot
from ._plots import CVD_PALETTE, contingency_heatmap, setup_plotting, stacked_bar

__all__ = ["CVD_PALETTE", "cluster_tree", "contingency_heatmap", "setup_plotting",
           "silhouette_plot", "stacked_bar"]
