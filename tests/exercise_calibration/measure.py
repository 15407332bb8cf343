"""Measure every exercise threshold's spread over seeds, dataset builds and thread counts.

``make calibrate-exercises`` runs this module once; it writes :data:`TABLE`, the table the
docstrings of :mod:`course_lib.checks.thresholds` quote and ``tests/test_calibration.py``
checks every threshold against. Each build (dataset seed, thread count, CPU kind) is
measured in its own process with its thread settings (:data:`BUILDS`). A build with a
*partner* also scores the partner's answers (labels, silhouette values, chosen clusters
made on the partner's build) against its own references: a student whose machine built
the data with one thread, graded on a machine that built it with two, or with another
CPU's linear algebra (``OPENBLAS_CORETYPE``). Those rows are tagged ``cross``.

Each row of the table is one answer's score: ``build``, ``quantity`` (the score, e.g.
``leiden_ari_1``), ``side`` (``legit`` or ``wrong``), ``answer`` (its description) and
``score``. ``quantity`` names ending in ``_cross`` are scored across builds.

Run ``python -m tests.exercise_calibration.measure`` (about 40 minutes on 2 cores: builds
each dataset first, in a cache directory of its own under ``--work``).
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from course_lib.checks.ex6_judging import own_stability
from course_lib.checks.reference_answers import UNCORRECTED_KEY, cells_only, reference_leiden
from course_lib.checks.scores import (
    SILHOUETTE_CELLS,
    leiden_score,
    mean_silhouette,
    nearest_centre_share,
    silhouette_error,
)
from course_lib.defaults import HARMONY_KEY, RESOLUTIONS
from course_lib.tl import hierarchical, sample_cells

from .choices import doublet_spread, hvg_spread, share_spread, subcluster_spread
from .clusterings import (
    NEIGHBOUR_RESOLUTIONS,
    inertia_spread,
    kmeans_spread,
    knn_spread,
    leiden_spread,
    ward_spread,
)
from .judging import FLAVORS, _clusterings, composition_p_spread, stability_spread
from .spread import Spread

TABLE = Path(__file__).with_name("measured.csv")
"""The measured table (committed)."""

IGRAPH_SEEDS = tuple(range(3, 23))
"""Leiden seeds of legitimate answers with igraph: 20, disjoint from the references' 0-2."""
LEIDENALG_SEEDS = (3, 4, 5, 6, 7)
"""Leiden seeds with leidenalg (five times slower than igraph): 5 per build."""
KMEANS_SEEDS = tuple(range(3, 23))
"""k-means seeds of legitimate answers (each with ``n_init`` 10 and 1)."""
WRONG_SEEDS = (3, 4, 5, 6, 7)
"""Seeds of the wrong clusterings (``X_pca``, ``X_umap``)."""
CHOICE_RUNS = tuple((s, "igraph") for s in range(10)) + tuple((s, "leidenalg") for s in range(3))
"""Leiden 0.6 partitions clusters and cells are chosen from (exercises 1, 3-5)."""
SAMPLE_SEEDS = tuple(range(1, 21))
"""Seeds of other 3,000-cell samples for the silhouettes (legitimate answers)."""
SILHOUETTE_SEEDS = (3, 4)
"""Leiden seeds (both flavours) of the silhouettes' clusterings."""
STABILITY_SEEDS = (0, 3)
"""Leiden seeds (both flavours) of the stability question's clusterings."""
RUN_SEEDS = (0, 1, 2)
"""Subsample seeds of the stability question."""
COMPOSITION_SEEDS = (0, 3, 4)
"""Leiden seeds (both flavours) of the p-value question's clusterings."""

BUILDS = {
    "seed0-t1": (0, 1, {}, None),
    "seed0-t2": (0, 2, {}, "seed0-t1"),
    "seed0-t2-sandybridge": (0, 2, {"OPENBLAS_CORETYPE": "SandyBridge"}, "seed0-t2"),
    "seed1-t1": (1, 1, {}, None),
    "seed1-t2": (1, 2, {}, "seed1-t1"),
    "seed2-t1": (2, 1, {}, None),
    "seed2-t2": (2, 2, {}, "seed2-t1"),
}
"""Build name: (dataset seed, threads, extra environment, partner build)."""

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def rows(build: str, quantity: str, spread: Spread) -> list[dict]:
    """The table's rows of one :class:`Spread`."""
    return [
        {"build": build, "quantity": quantity, "side": side, "answer": name, "score": float(v)}
        for side in ("legit", "wrong")
        for name, v in getattr(spread, side).items()
    ]


def _best_of(labels: pd.Series, ref: ad.AnnData, resolution: float, seeds: Iterable[int]) -> float:
    from course_lib.checks.scores import ari

    return max(ari(labels, reference_leiden(ref, resolution, seed=s)) for s in seeds)


def _side(name: str) -> str:
    return "wrong" if name.startswith(("X_pca", "X_umap", "resolution")) else "legit"


def measure(ref: ad.AnnData, build: str, partner: dict | None) -> tuple[list[dict], dict]:
    """Every quantity of one build; also the answers a partner build scores.

    Parameters
    ----------
    ref
        The build's prepared data.
    build
        Its name (a key of :data:`BUILDS`).
    partner
        The answers measured on the partner build (as returned here), or ``None``.

    Returns
    -------
    The rows, and this build's answers.
    """
    out: list[dict] = []
    answers: dict = {"leiden": {}, "kmeans": {}, "silhouette": {}, "stability": {}}

    def add(quantity: str, spread: Spread) -> None:
        out.extend(rows(build, quantity, spread))
        print(
            f"{build} {quantity}: legit {min(spread.legit.values()):.4f}"
            f"-{max(spread.legit.values()):.4f}, wrong "
            f"{min(spread.wrong.values(), default=np.nan):.4f}-"
            f"{max(spread.wrong.values(), default=np.nan):.4f}",
            flush=True,
        )

    for resolution in (0.6, 1.0):
        kept: dict[str, pd.Series] = {}
        spread = leiden_spread(
            ref,
            resolution,
            seeds=IGRAPH_SEEDS,
            slow_seeds=LEIDENALG_SEEDS,
            wrong_seeds=WRONG_SEEDS,
            wrong_resolutions=NEIGHBOUR_RESOLUTIONS[resolution][1],
            near_resolutions=NEIGHBOUR_RESOLUTIONS[resolution][0],
            answers=kept,
        )
        add(f"leiden_ari_{resolution:g}", spread)
        add(
            f"leiden_count_{resolution:g}",
            Spread(
                legit={k: spread.counts[k] for k in spread.legit},
                wrong={k: spread.counts[k] for k in spread.wrong},
            ),
        )
        refs = [reference_leiden(ref, resolution, seed=s).nunique() for s in (0, 1, 2)]
        out.append(
            {
                "build": build,
                "quantity": f"leiden_reference_median_count_{resolution:g}",
                "side": "reference",
                "answer": "seeds 0-2",
                "score": float(np.median(refs)),
            }
        )
        best10 = Spread()
        for name, labels in kept.items():
            getattr(best10, _side(name))[name] = _best_of(labels, ref, resolution, range(10))
        add(f"leiden_ari_best_of_10_{resolution:g}", best10)
        answers["leiden"][resolution] = kept
        if partner is not None:
            cross = Spread()
            for name, labels in partner["leiden"][resolution].items():
                getattr(cross, _side(name))[name] = leiden_score(labels, ref, resolution)
            add(f"leiden_ari_{resolution:g}_cross", cross)

    add("knn_overlap", knn_spread(ref, seeds=(3,)))

    kept = {}
    kmeans_spread(ref, 10, seeds=KMEANS_SEEDS, wrong_seeds=WRONG_SEEDS, answers=kept)
    answers["kmeans"] = kept
    reps = [HARMONY_KEY, UNCORRECTED_KEY, "X_umap", "X_umap_uncorr"]
    for source, found in (("", kept), ("_cross", partner["kmeans"] if partner else {})):
        for rep in reps:
            if not found:
                continue
            spread = Spread()
            for name, labels in found.items():
                getattr(spread, _side(name))[name] = nearest_centre_share(labels, ref, rep)
            add(f"kmeans_nearest_{rep}{source}", spread)

    add("inertia_error", inertia_spread(ref, seeds=(3, 4, 5)))
    add("ward_ari", ward_spread(ref, 10))

    precision, recall = doublet_spread(ref, runs=CHOICE_RUNS)
    add("doublet_precision", precision)
    add("doublet_recall", recall)
    from .answers import clustered

    clusterings = {f"{fl} seed {s}": clustered(ref, s, fl).obs["l"] for s, fl in CHOICE_RUNS}
    add("tnk_share", share_spread(ref, "T/NK", clusterings))
    add("b_share", share_spread(ref, "B", clusterings))
    tree = cells_only(ref)
    hierarchical(tree, 10)
    add("platelet_share", share_spread(ref, "Platelet", {"Ward 10": tree.obs["ward_10"]}))
    add("hvg_overlap", hvg_spread(ref))
    add("subcluster_ari", subcluster_spread(ref, seeds=(3, 4, 5, 6, 7)))

    _silhouettes(ref, answers, partner, add)

    kept = {}
    add(
        "stability_excess",
        stability_spread(ref, seeds=STABILITY_SEEDS, run_seeds=RUN_SEEDS, flavors=("igraph",),
                         answers=kept),
    )
    add(
        "stability_excess_leidenalg",
        stability_spread(ref, seeds=STABILITY_SEEDS, run_seeds=RUN_SEEDS,
                         flavors=("leidenalg",)),
    )
    answers["stability"] = kept
    if partner is not None:
        cross = Spread()
        for name, (labels, run_seed, chosen) in partner["stability"].items():
            here = own_stability(labels.reindex(ref.obs_names), ref, 0.6, random_state=run_seed)
            for what, label in chosen.items():
                side = cross.legit if what == "legit" else cross.wrong
                side[f"{name}, {what}"] = -float(here[label] - here.min())
        add("stability_excess_cross", cross)

    add("composition_p", composition_p_spread(ref, seeds=COMPOSITION_SEEDS))
    return out, answers


def _silhouettes(ref: ad.AnnData, answers: dict, partner: dict | None, add: Callable) -> None:
    """Silhouette errors against the course's sample and against every cell."""
    every = np.arange(ref.n_obs)
    course = sample_cells(ref.n_obs, SILHOUETTE_CELLS)
    versus_sample, versus_all, cross = Spread(), Spread(), Spread()
    for seed in SILHOUETTE_SEEDS:
        for flavor in FLAVORS:
            labels = _clusterings(ref, seed, flavor)
            expected = {r: mean_silhouette(labels[r], ref, cells=course) for r in RESOLUTIONS}
            full = {r: mean_silhouette(labels[r], ref, cells=every) for r in RESOLUTIONS}
            given_by_seed = {0: expected}
            for sample_seed in SAMPLE_SEEDS:
                cells = sample_cells(ref.n_obs, SILHOUETTE_CELLS, random_state=sample_seed)
                given_by_seed[sample_seed] = {
                    r: mean_silhouette(labels[r], ref, cells=cells) for r in RESOLUTIONS
                }
            name = f"{flavor} seed {seed}"
            for sample_seed, given in given_by_seed.items():
                if sample_seed:
                    versus_sample.legit[f"{name}, sample {sample_seed}"] = -silhouette_error(
                        given, expected
                    )
                versus_all.legit[f"{name}, sample {sample_seed}"] = -silhouette_error(given, full)
            for rep in (UNCORRECTED_KEY, "X_umap"):
                given = {r: mean_silhouette(labels[r], ref, rep, cells=course) for r in RESOLUTIONS}
                versus_sample.wrong[f"{name}, {rep}"] = -silhouette_error(given, expected)
                versus_all.wrong[f"{name}, {rep}"] = -silhouette_error(given, full)
            answers["silhouette"][name] = (labels, given_by_seed)
    add("silhouette_error", versus_sample)
    add("silhouette_error_all_cells", versus_all)
    if partner is not None:
        for name, (labels, given_by_seed) in partner["silhouette"].items():
            expected = {r: mean_silhouette(labels[r], ref, cells=course) for r in RESOLUTIONS}
            for sample_seed, given in given_by_seed.items():
                cross.legit[f"{name}, sample {sample_seed}"] = -silhouette_error(given, expected)
        add("silhouette_error_cross", cross)


def run_build(build: str, work: Path) -> None:
    """Measure one build in this process (its thread settings already set)."""
    from course_lib import load_integrated

    seed, _, _, partner_name = BUILDS[build]
    ref = load_integrated(seed=seed, progress=False)
    partner = None
    if partner_name is not None:
        with open(work / f"{partner_name}.answers.pkl", "rb") as handle:
            partner = pickle.load(handle)  # noqa: S301 (our own file, written below)
    found, answers = measure(ref, build, partner)
    with open(work / f"{build}.answers.pkl", "wb") as handle:
        pickle.dump(answers, handle)
    pd.DataFrame(found).to_csv(work / f"{build}.csv", index=False)


def environment(build: str, work: Path) -> dict[str, str]:
    """The environment of one build's process: its threads, CPU kind and cache directory."""
    _, threads, extra, _ = BUILDS[build]
    env = dict(os.environ, SCCLUST_CACHE_DIR=str(work / build), PYTHONHASHSEED="0", **extra)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/scclust-exercise-calibration"))
    parser.add_argument("--build", choices=sorted(BUILDS), help="measure one build here")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.build:
        run_build(args.build, args.work)
        return
    for build in BUILDS:  # partners come first
        command = [
            sys.executable,
            "-m",
            "tests.exercise_calibration.measure",
            "--work",
            str(args.work),
            "--build",
            build,
        ]
        subprocess.run(command, env=environment(build, args.work), check=True)
    table = pd.concat(pd.read_csv(args.work / f"{b}.csv") for b in BUILDS)
    table.to_csv(TABLE, index=False, float_format="%.6g")
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
