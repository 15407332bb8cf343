"""Preprocessing (``course_lib.pp``): batch correction of the PCA embedding.

Examples
--------
>>> import course_lib
>>> course_lib.pp.run_harmony  # doctest: +ELLIPSIS
<function run_harmony at ...>
"""

from ._harmony import run_harmony

__all__ = ["run_harmony"]
