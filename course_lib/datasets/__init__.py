"""The course dataset (``course_lib.datasets``): simulated, prepared like the lab, cached.

========================  ==============================================================
module                    what it holds
========================  ==============================================================
:mod:`.simulate`          the simulated COVID-19/control PBMC counts, with the truth
:mod:`.prepare`           the lab's steps before clustering (QC … Harmony, UMAP)
:mod:`.cache`             build once, cache atomically, load; dataset fingerprint
:mod:`.download`          hash-checked downloads of real data (pooch)
:mod:`.lab`               the lab's real 10x files (``SCCLUST_DATASET=lab``)
:mod:`.truth`             whether the data carry the simulation's truth (real data do not)
========================  ==============================================================

Run ``python -m course_lib.datasets`` to build the dataset ahead of time.

Examples
--------
>>> from course_lib.datasets import load_integrated
>>> adata = load_integrated()  # doctest: +SKIP
"""

from .cache import (
    CACHE_ENV,
    DATASET_ENV,
    DATASET_VERSION,
    CacheDirError,
    build_integrated,
    cache_dir,
    cache_path,
    fingerprint,
    load_integrated,
    thread_settings,
)
from .download import fetch_file, load_h5ad
from .lab import LAB_FILES, LabDataError, load_lab
from .simulate import CELL_TYPES, SAMPLES, simulate_pbmc
from .truth import has_truth

__all__ = [
    "CACHE_ENV",
    "CELL_TYPES",
    "DATASET_ENV",
    "DATASET_VERSION",
    "LAB_FILES",
    "SAMPLES",
    "CacheDirError",
    "LabDataError",
    "build_integrated",
    "cache_dir",
    "cache_path",
    "fetch_file",
    "fingerprint",
    "has_truth",
    "load_h5ad",
    "load_integrated",
    "load_lab",
    "simulate_pbmc",
    "thread_settings",
]
