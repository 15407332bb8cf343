"""Check messages teach without solving: no message contains a line of a solution.

Every ``check_*`` of :mod:`course_lib.checks` runs against wrong, missing and malformed
answers (on the small simulated data); each must fail with an ``AssertionError`` whose
message contains no line of code from the solution cells of ``solutions/`` (the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION``), quotes normalised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import anndata as ad
import nbformat
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from scipy.stats import fisher_exact
from sklearn.metrics import adjusted_rand_score

from course_lib import checks
from course_lib.checks import reference_answers, scores
from course_lib.checks.ex6_judging import own_stability
from course_lib.tl import composition_test, hierarchical, internal_metrics, subset_from_raw

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
MIN_LINE = 10
"""Solution lines shorter than this (``)``, ``adata,``) are too generic to count as code."""


def _normalise(text: str) -> str:
    return text.replace('"', "'").strip().rstrip(",")


def solution_lines() -> set[str]:
    """Every line of every solution cell, normalised."""
    lines = set()
    for path in sorted(SOLUTIONS.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            match = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            if match:
                lines |= {_normalise(line) for line in match.group(1).splitlines()}
    return {line for line in lines if len(line) >= MIN_LINE}


def leiden(adata: ad.AnnData, resolution: float, key: str) -> None:
    sc.tl.leiden(
        adata,
        resolution=resolution,
        key_added=key,
        flavor="igraph",
        n_iterations=2,
        directed=False,
    )


@pytest.fixture(scope="module")
def world(small_prepared_session: ad.AnnData) -> dict:
    """A correct answer to each exercise on the small data, for making wrong ones from."""
    ref = small_prepared_session
    adata = ref.copy()
    sc.pp.neighbors(adata, n_neighbors=15, use_rep="X_pca_harmony")
    leiden(adata, 0.6, "leiden_0.6")
    leiden(adata, 1.0, "leiden_1.0")
    clusters = adata.obs["leiden_0.6"].cat.categories.tolist()
    tnk = subset_from_raw(adata, "leiden_0.6", clusters[:2])
    sc.pp.highly_variable_genes(tnk, n_top_genes=200, batch_key="sample")
    tnk = tnk[:, tnk.var["highly_variable"]].copy()
    sc.pp.pca(tnk, n_comps=10, random_state=0)
    tnk.obsm["X_pca_harmony"] = tnk.obsm["X_pca"] + 1.0
    judged = adata.copy()
    leiden(judged, 0.4, "leiden_0.4")
    leiden(judged, 1.4, "leiden_1.4")
    split = judged.copy()
    labels = split.obs["leiden_0.6"].astype(str)
    halves = np.random.default_rng(0).random(split.n_obs) < 0.5
    labels[(labels == labels.value_counts().index[0]).to_numpy() & halves] = "half"
    split.obs["leiden_0.6"] = pd.Categorical(labels)
    return {
        "ref": ref,
        "adata": adata,
        "tnk": tnk,
        "clusters": clusters,
        "judged": judged,
        "split": split,
    }


def _copy(world: dict, **obs: Callable[[ad.AnnData], object]) -> ad.AnnData:
    adata = world["adata"].copy()
    for key, make in obs.items():
        adata.obs[key] = make(adata)
    return adata


def wrong_answers(w: dict) -> list[tuple[str, Callable[[], None]]]:
    """(check name, call) pairs, each a wrong, missing or malformed answer."""
    ref, adata, tnk, judged, split = w["ref"], w["adata"], w["tnk"], w["judged"], w["split"]
    chosen = w["clusters"][:2]
    rng = np.random.default_rng(0)
    random10 = pd.Categorical(rng.integers(10, size=adata.n_obs).astype(str))

    def uncorrected() -> ad.AnnData:
        bad = adata.copy()
        sc.pp.neighbors(bad, use_rep="X_pca")
        leiden(bad, 0.6, "leiden_0.6")
        return bad

    def far_resolution() -> ad.AnnData:
        bad = adata.copy()
        leiden(bad, 5.0, "leiden_0.6")
        return bad

    def default_representation() -> ad.AnnData:
        bad = adata.copy()
        sc.pp.neighbors(bad)
        return bad

    def without_graph() -> ad.AnnData:
        bad = adata.copy()
        del bad.obsp["connectivities"], bad.obsp["distances"], bad.uns["neighbors"]
        return bad

    def tree(method: str, rep: str = "X_pca_harmony") -> ad.AnnData:
        bad = adata.copy()
        hierarchical(bad, 10, use_rep=rep, method=method, key_added="ward")
        return bad

    props = pd.crosstab(adata.obs["sample"], adata.obs["leiden_0.6"], normalize="index")
    counts = pd.crosstab(adata.obs["leiden_0.6"], adata.obs["type"])
    kw = {"reference": ref}
    resolutions = {r: f"leiden_{r}" for r in (0.4, 0.6, 1.0, 1.4)}
    on_pca = internal_metrics(judged, resolutions, use_rep="X_pca")["silhouette"]
    cluster = str(judged.obs["leiden_0.6"].value_counts().idxmax())
    cells = pd.crosstab(judged.obs["sample"], judged.obs["leiden_0.6"])[cluster]
    cell_level_p = composition_test(judged, "leiden_0.6").loc[cluster, "cell-level p"]
    in_cluster = judged.obs["leiden_0.6"].astype(str) == cluster
    fisher_p = fisher_exact(pd.crosstab(in_cluster, judged.obs["type"]).to_numpy())[1]
    stability = own_stability(split.obs["leiden_0.6"].astype(str), ref, 0.6)
    sizes = split.obs["leiden_0.6"].value_counts()
    recorded = split.copy()
    recorded.uns["leiden_0.6_stability"] = {"params": {"fraction": 0.5}}
    bigger = adata.copy()
    leiden(bigger, 3.0, "leiden_1.0")  # on the small data 1.0 gives the partition of 0.6
    ari_value = adjusted_rand_score(bigger.obs["leiden_0.6"], bigger.obs["leiden_1.0"])
    ks = range(2, 9, 2)
    inertia_cases = [
        None,
        [1.0, 2.0],
        {2: 1.0},
        {"two": 1.0},
        {2: 1.0, 4: "x", 6: 1.0, 8: 1.0},
        dict.fromkeys(ks, 1.0),
        dict.fromkeys(ks, float("nan")),
    ]
    return [
        ("check_neighbors", lambda: checks.check_neighbors(without_graph(), **kw)),
        ("check_neighbors", lambda: checks.check_neighbors(uncorrected(), **kw)),
        ("check_neighbors", lambda: checks.check_neighbors(default_representation(), **kw)),
        ("check_neighbors", lambda: checks.check_neighbors(None, **kw)),
        ("check_neighbors", lambda: checks.check_neighbors(adata.obs, **kw)),
        ("check_neighbors", lambda: checks.check_neighbors(adata, n_neighbors=30, **kw)),
        ("check_leiden", lambda: checks.check_leiden(far_resolution(), 0.6, **kw)),
        ("check_leiden", lambda: checks.check_leiden(adata, 0.6, key="missing", **kw)),
        ("check_leiden", lambda: checks.check_leiden(bigger, 0.6, key="leiden_1.0", **kw)),
        (
            "check_leiden",
            lambda: checks.check_leiden(_copy(w, x=lambda a: random10), 0.6, key="x", **kw),
        ),
        ("check_leiden", lambda: checks.check_leiden(adata[:50].copy(), 0.6, **kw)),
        (
            "check_agreement",
            lambda: checks.check_agreement(0.123, adata, "leiden_0.6", "leiden_1.0"),
        ),
        (
            "check_agreement",
            lambda: checks.check_agreement({"ari": 1}, adata, "leiden_0.6", "leiden_1.0"),
        ),
        ("check_agreement", lambda: checks.check_agreement(None, adata, "leiden_0.6", "x")),
        ("check_agreement", lambda: checks.check_agreement(3.0, adata, "leiden_0.6", "leiden_1.0")),
        ("check_agreement", lambda: checks.check_agreement(0.5, adata, "leiden_0.6", "x")),
        (
            "check_agreement",
            lambda: checks.check_agreement(round(ari_value, 2), bigger, "leiden_0.6", "leiden_1.0"),
        ),
        ("check_kmeans", lambda: checks.check_kmeans(adata, 10, **kw)),
        (
            "check_kmeans",
            lambda: checks.check_kmeans(
                _copy(w, kmeans_10=lambda a: np.arange(a.n_obs) % 10), 10, **kw
            ),
        ),
        (
            "check_kmeans",
            lambda: checks.check_kmeans(
                _copy(w, kmeans_10=lambda a: random10.astype(str)), 10, **kw
            ),
        ),
        (
            "check_kmeans",
            lambda: checks.check_kmeans(_copy(w, kmeans_10=lambda a: random10), 10, **kw),
        ),
        (
            "check_kmeans",
            lambda: checks.check_kmeans(
                _copy(w, kmeans_10=lambda a: a.obs["leiden_0.6"]), 10, **kw
            ),
        ),
        *[
            ("check_inertias", lambda case=case: checks.check_inertias(case, ks, **kw))
            for case in inertia_cases
        ],
        ("check_knee", lambda: checks.check_knee(99, "b", None, ks, **kw)),
        ("check_knee", lambda: checks.check_knee("4", "b", None, ks, **kw)),
        (
            "check_knee",
            lambda: checks.check_knee(
                scores.knee({k: reference_answers.reference_inertia(ref, k, n_init=3) for k in ks}),
                "B",
                None,
                ks,
                **kw,
            ),
        ),
        ("check_ward", lambda: checks.check_ward(adata, 10, **kw)),
        ("check_ward", lambda: checks.check_ward(tree("average"), 10, **kw)),
        ("check_ward", lambda: checks.check_ward(tree("ward", "X_pca"), 10, **kw)),
        ("check_ward", lambda: checks.check_ward(_copy(w, ward_10=lambda a: random10), 10, **kw)),
        (
            "check_ward",
            lambda: checks.check_ward(_copy(w, ward_10=lambda a: a.obs["leiden_0.6"]), 10, **kw),
        ),
        ("check_proportions", lambda: checks.check_proportions(props.T, adata)),
        ("check_proportions", lambda: checks.check_proportions(props * 100, adata)),
        ("check_proportions", lambda: checks.check_proportions(None, adata)),
        ("check_proportions", lambda: checks.check_proportions(props.iloc[0], adata)),
        ("check_proportions", lambda: checks.check_proportions(props.iloc[1:], adata)),
        (
            "check_proportions",
            lambda: checks.check_proportions(
                pd.crosstab(adata.obs["sample"], adata.obs["leiden_0.6"], normalize="columns"),
                adata,
            ),
        ),
        ("check_group_difference", lambda: checks.check_group_difference(props.iloc[0], adata)),
        ("check_group_difference", lambda: checks.check_group_difference(None, adata)),
        (
            "check_group_difference",
            lambda: checks.check_group_difference(props.iloc[0] - props.iloc[1], adata),
        ),
        (
            "check_condition_composition",
            lambda: checks.check_condition_composition(
                counts.div(counts.sum(axis=1), axis=0), adata
            ),
        ),
        (
            "check_condition_composition",
            lambda: checks.check_condition_composition(counts.T, adata),
        ),
        (
            "check_condition_composition",
            lambda: checks.check_condition_composition(counts / counts.sum(axis=0), adata),
        ),
        ("check_condition_composition", lambda: checks.check_condition_composition(props, adata)),
        ("check_doublet_clusters", lambda: checks.check_doublet_clusters([], adata, **kw)),
        ("check_doublet_clusters", lambda: checks.check_doublet_clusters(["99"], adata, **kw)),
        ("check_doublet_clusters", lambda: checks.check_doublet_clusters({"a": 1}, adata, **kw)),
        (
            "check_doublet_clusters",
            lambda: checks.check_doublet_clusters(w["clusters"][:1], adata, **kw),
        ),
        (
            "check_lineage_clusters",
            lambda: checks.check_lineage_clusters(w["clusters"][:1], adata, "B", **kw),
        ),
        (
            "check_lineage_clusters",
            lambda: checks.check_lineage_clusters(w["clusters"], adata, "B", **kw),
        ),
        ("check_lineage_clusters", lambda: checks.check_lineage_clusters(None, adata, "B", **kw)),
        ("check_tnk_subset", lambda: checks.check_tnk_subset(None, chosen, adata, **kw)),
        ("check_tnk_subset", lambda: checks.check_tnk_subset(adata[:10], chosen, adata, **kw)),
        ("check_tnk_subset", lambda: checks.check_tnk_subset(adata.copy(), chosen, adata, **kw)),
        ("check_tnk_subset", lambda: checks.check_tnk_subset(tnk, chosen, adata, **kw)),
        ("check_tnk_subset", lambda: checks.check_tnk_subset(tnk, ["99"], adata, **kw)),
        ("check_tnk_subset", lambda: checks.check_tnk_subset(tnk, None, adata, **kw)),
        ("check_subset_hvg", lambda: checks.check_subset_hvg(adata.copy(), n_top_genes=200, **kw)),
        (
            "check_subset_hvg",
            lambda: checks.check_subset_hvg(tnk[:, :50].copy(), n_top_genes=200, **kw),
        ),
        (
            "check_subset_hvg",
            lambda: checks.check_subset_hvg(ad.AnnData(obs=tnk.obs), n_top_genes=200, **kw),
        ),
        (
            "check_subset_embedding",
            lambda: checks.check_subset_embedding(ad.AnnData(obs=tnk.obs), **kw),
        ),
        (
            "check_subset_embedding",
            lambda: checks.check_subset_embedding(adata[tnk.obs_names].copy(), **kw),
        ),
        (
            "check_subset_embedding",
            lambda: checks.check_subset_embedding(
                ad.AnnData(
                    obs=tnk.obs,
                    obsm={"X_pca": tnk.obsm["X_pca"], "X_pca_harmony": tnk.obsm["X_pca"]},
                ),
                **kw,
            ),
        ),
        ("check_subclustering", lambda: checks.check_subclustering(tnk, 0.6, **kw)),
        (
            "check_subclustering",
            lambda: checks.check_subclustering(
                ad.AnnData(obs=tnk.obs.assign(**{"leiden_0.6": random10[: tnk.n_obs]})), 0.6, **kw
            ),
        ),
        (
            "check_subclustering",
            lambda: checks.check_subclustering(
                ad.AnnData(
                    obs=tnk.obs.assign(**{"leiden_0.6": random10[: tnk.n_obs]}), obsm=dict(tnk.obsm)
                ),
                0.6,
                **kw,
            ),
        ),
        *[
            ("check_silhouettes", lambda case=case: checks.check_silhouettes(case, judged, **kw))
            for case in (
                on_pca,
                on_pca.tolist(),
                None,
                {"x": 0.1},
                on_pca.drop(1.4),
                on_pca * 100,
                on_pca.to_frame("Calinski-Harabasz"),
            )
        ],
        ("check_silhouettes", lambda: checks.check_silhouettes(on_pca, adata, **kw)),
        *[
            ("check_least_stable", lambda case=case: checks.check_least_stable(case, judged, **kw))
            for case in (0.78, "99", ["0", "1"], None)
        ],
        (
            "check_least_stable",
            lambda: checks.check_least_stable(stability.idxmax(), recorded, **kw),
        ),
        (
            "check_least_stable",
            lambda: checks.check_least_stable(stability.idxmax(), split, **kw),
        ),
        ("check_least_stable", lambda: checks.check_least_stable(sizes.index[-1], split, **kw)),
        *[
            (
                "check_sample_shares",
                lambda case=case: checks.check_sample_shares(case, judged, cluster),
            )
            for case in (cells, 100 * cells / cells.sum(), cells / cells.sum(), props, None, "x")
        ],
        ("check_sample_shares", lambda: checks.check_sample_shares(cells, judged, "99")),
        *[
            (
                "check_composition_p",
                lambda case=case: checks.check_composition_p(case, judged, cluster),
            )
            for case in (cell_level_p, fisher_p, 1e-9, 1.5, "0.1", None, [0.1, 0.2])
        ],
    ]


@pytest.fixture(scope="module")
def messages(world: dict) -> list[tuple[str, str]]:
    found = []
    for name, call in wrong_answers(world):
        with pytest.raises(AssertionError) as info:
            call()
        found.append((name, str(info.value)))
    return found


def test_every_check_is_tried(messages):
    public = {name for name in dir(checks) if name.startswith("check_")}
    assert public <= {name for name, _ in messages}, public - {name for name, _ in messages}


def test_no_message_contains_solution_code(messages):
    lines = solution_lines()
    assert len(lines) > 20, "no solution lines found"
    for name, message in messages:
        text = _normalise(message)
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{name} leaks {leaked}: {message}"


def test_no_docstring_contains_solution_code():
    """What a student opens with Shift-Tab (a check's docstring) shows no solution line, and
    no check names the letter of exercise 2's multiple-choice answer."""
    import inspect

    lines = solution_lines()
    for name in checks.__all__:
        doc = _normalise(inspect.getdoc(getattr(checks, name)) or "")
        leaked = [line for line in lines if line in doc]
        assert not leaked, f"{name}'s docstring shows {leaked}"
    source = inspect.getsource(checks.ex2_kmeans)
    assert not re.search(r"""meaning\s*[!=]=\s*['"]""", source)


WHERE_TO_LOOK = re.compile(r"[Cc]hapter \d|help\(course_lib\.\w+\)")
"""A wrong answer's message names the chapter (or the course function's help) to read."""
WHAT_WAS_FOUND = re.compile(
    r"got \w+|is None|has no column|not clusters of|not one cluster of|holds (numbers|object"
    r" values|percentages)|has \d+ cells|should be a number"
)
"""Bad input (a wrong type, a missing column, no such cluster) is named as what was found."""


def test_messages_say_where_to_look(messages):
    """A message names the chapter or function to read, or, for bad input, what it found."""
    for name, message in messages:
        assert WHERE_TO_LOOK.search(message) or WHAT_WAS_FOUND.search(message), (name, message)


def test_message_for_a_missing_subset_says_how_to_make_it_again():
    from course_lib.checks._feedback import require_adata

    with pytest.raises(AssertionError, match="re-run the cells that make `tnk`") as info:
        require_adata(None, "tnk")
    assert "load_exercise_data" not in str(info.value)


def test_solution_lines_are_found():
    lines = solution_lines()
    assert "sc.pp.neighbors(adata, n_neighbors=15, use_rep='X_pca_harmony')" in lines
