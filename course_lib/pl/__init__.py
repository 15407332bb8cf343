"""Plotting (``course_lib.pl``): figure defaults and the course's own figures.

Examples
--------
>>> import course_lib
>>> course_lib.pl.setup_plotting()
"""

from ._plots import contingency_heatmap, setup_plotting, stacked_bar

__all__ = ["contingency_heatmap", "setup_plotting", "stacked_bar"]
