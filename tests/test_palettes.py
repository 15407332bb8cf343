"""The course's categorical colours stay distinguishable with common colour-vision deficiencies.

The chapters colour clusters, samples and methods through ``course_lib.setup_plotting()``,
which gives matplotlib's colour cycle the course's palette (``course_lib.pl.CVD_PALETTE``);
scanpy colours up to that many categories from the cycle. The chapters show at most 18
categories at once (Leiden at resolution 1.4), and any two clusters can lie side by side on a
UMAP, so every pair of colours must differ. Deuteranopia, protanopia and tritanopia are
simulated with colorspacious (Machado et al. 2009, full severity) and distances are measured in
CAM02-UCS, where about 1 unit is a just-noticeable difference for large patches.
"""

from __future__ import annotations

import itertools

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from colorspacious import cspace_convert
from matplotlib.colors import to_hex, to_rgb

import course_lib
from course_lib.pl import CVD_PALETTE

VISIONS = ["normal", "deuteranomaly", "protanomaly", "tritanomaly"]
MIN_DISTANCE = 10.0  # CAM02-UCS units between any two colours, in every vision
MOST_CATEGORIES = 20  # the chapters show up to 18 clusters at once


def _closest_pair(colours: list[str], vision: str) -> tuple[float, str, str]:
    """The smallest CAM02-UCS distance between two of ``colours`` as seen with ``vision``."""
    rgb = np.array([to_rgb(c) for c in colours])
    if vision != "normal":
        cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
        rgb = np.clip(cspace_convert(rgb, cvd, "sRGB1"), 0, 1)
    ucs = cspace_convert(rgb, "sRGB1", "CAM02-UCS")
    return min((float(np.linalg.norm(ucs[i] - ucs[j])), colours[i], colours[j])
               for i, j in itertools.combinations(range(len(colours)), 2))


@pytest.mark.parametrize("vision", VISIONS)
def test_every_pair_of_course_colours_differs(vision):
    distance, first, second = _closest_pair(list(CVD_PALETTE), vision)
    assert distance >= MIN_DISTANCE, (
        f"with {vision}, {first} and {second} are only {distance:.1f} CAM02-UCS units apart "
        f"(at least {MIN_DISTANCE} needed)")


def test_scanpys_default_palette_fails_the_same_check():
    """Guards the check: scanpy's own palette, which the course replaced, does not pass it."""
    default = [to_hex(c) for c in sc.pl.palettes.default_20]
    assert min(_closest_pair(default, vision)[0] for vision in VISIONS) < MIN_DISTANCE


def test_palette_covers_the_most_categories_a_chapter_shows():
    assert len(CVD_PALETTE) >= MOST_CATEGORIES
    assert len(set(CVD_PALETTE)) == len(CVD_PALETTE)


def test_scanpy_colours_clusters_from_the_course_palette():
    """After ``setup_plotting()``, ``sc.pl.umap`` gives 18 clusters the course's colours."""
    n = 18
    adata = ad.AnnData(np.zeros((n, 2), dtype=np.float32))
    adata.obsm["X_umap"] = np.random.default_rng(0).normal(size=(n, 2))
    adata.obs["cluster"] = pd.Categorical([str(i) for i in range(n)])
    with plt.rc_context():  # the figure settings return to what they were
        course_lib.setup_plotting()
        sc.pl.umap(adata, color="cluster", show=False)
        plt.close("all")
    assert [to_hex(c) for c in adata.uns["cluster_colors"]] == list(CVD_PALETTE[:n])
