"""The course dataset (``course_lib.datasets``): simulated, prepared like the lab, cached.

========================  ==============================================================
module                    what it holds
========================  ==============================================================
:mod:`.simulate`          the simulated COVID-19/control PBMC counts, with the truth
:mod:`.prepare`           the lab's steps before clustering (QC … Harmony, UMAP)
:mod:`.cache`             build once, cache atomically, load; dataset fingerprint
:mod:`.download`          hash-checked downloads of real data (pooch)
:mod:`.lab`               the lab's real 10x files (``SCCLUST_DATASET=lab``)
:mod:`.truth`             the simulation's truth: whether data carry it, data without it
========================  ==============================================================

Run ``python -m course_lib.datasets`` to build the dataset ahead of time. The chapters load
it with :func:`load_integrated`, the exercises with :func:`load_exercise_data` (the same
data without the simulation's truth labels).

Examples
--------
>>> from course_lib.datasets import load_exercise_data, load_integrated
>>> adata = load_integrated()  # doctest: +SKIP
>>> exercise_data = load_exercise_data()  # doctest: +SKIP
"""

from ..environment import CACHE_ENV, DATASET_ENV, cache_dir
from .cache import (
    DATASET_VERSION,
    CacheDirError,
    build_integrated,
    cache_path,
    fingerprint,
    load_simulated,
    thread_settings,
)
from .download import fetch_file, load_h5ad
from .lab import LAB_FILES, LabDataError, load_lab
from .load import load_exercise_data, load_integrated
from .simulate import CELL_TYPES, SAMPLES, simulate_pbmc
from .truth import TRUTH_COLUMNS, drop_truth, has_truth

__all__ = [
    "CACHE_ENV",
    "CELL_TYPES",
    "DATASET_ENV",
    "DATASET_VERSION",
    "LAB_FILES",
    "SAMPLES",
    "TRUTH_COLUMNS",
    "CacheDirError",
    "LabDataError",
    "build_integrated",
    "cache_dir",
    "cache_path",
    "drop_truth",
    "fetch_file",
    "fingerprint",
    "has_truth",
    "load_exercise_data",
    "load_h5ad",
    "load_integrated",
    "load_lab",
    "load_simulated",
    "simulate_pbmc",
    "thread_settings",
]
