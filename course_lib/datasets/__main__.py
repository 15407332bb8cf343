"""``python -m course_lib.datasets``: build the course dataset once and cache it."""

import logging

from .cache import cache_path
from .load import load_integrated

logging.basicConfig(level=logging.INFO, format="%(message)s")
print(f"course dataset: {cache_path()}")
prepared = load_integrated()
print(f"ready: {prepared.n_obs} cells x {prepared.n_vars} genes")
