"""Student-facing checks: right answers pass (any seed, either Leiden flavour), wrong ones
fail with a message naming the mistake, bad input gives a clear message.

All tests use the small simulated dataset and pass it as ``reference=``.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from sklearn.metrics import adjusted_rand_score

from course_lib import checks
from course_lib.checks import reference_answers, scores, thresholds
from course_lib.defaults import HARMONY_KEY, LINEAGE_KEY, N_NEIGHBORS, RESOLUTIONS, TRUTH_KEY
from tests.exercise_calibration import chapter_subset

pytestmark = pytest.mark.filterwarnings("ignore:In the future, the default backend:FutureWarning")


def leiden(adata: ad.AnnData, resolution: float, key: str, *, seed: int = 0, flavor="igraph"):
    options = reference_answers.leiden_options(flavor)
    sc.tl.leiden(adata, resolution=resolution, key_added=key, random_state=seed, **options)


@pytest.fixture
def ref(small_prepared_session: ad.AnnData) -> ad.AnnData:
    """The pristine small dataset the references are computed from (checks only read it)."""
    return small_prepared_session


@pytest.fixture
def answered(small_prepared: ad.AnnData) -> ad.AnnData:
    """A correct student answer to exercise 1."""
    sc.pp.neighbors(small_prepared, n_neighbors=N_NEIGHBORS, use_rep=HARMONY_KEY)
    leiden(small_prepared, 0.6, "leiden_0.6")
    leiden(small_prepared, 1.0, "leiden_1.0")
    return small_prepared


@pytest.fixture
def uncorrected(small_prepared: ad.AnnData) -> ad.AnnData:
    """The usual mistake: graph and clustering on the uncorrected PCA."""
    sc.pp.neighbors(small_prepared, n_neighbors=N_NEIGHBORS, use_rep="X_pca")
    leiden(small_prepared, 0.6, "leiden_0.6")
    return small_prepared


def fails(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


# ----------------------------------------------------------------------------- neighbours
def test_neighbors_pass(answered, ref, capsys):
    checks.check_neighbors(answered, reference=ref)
    out = capsys.readouterr().out.splitlines()
    assert out == ["✔ kNN graph on 'X_pca_harmony' with 15 neighbours."]


def test_neighbors_other_seed_pass(small_prepared, ref):
    sc.pp.neighbors(small_prepared, use_rep="X_pca_harmony", random_state=7)
    checks.check_neighbors(small_prepared, reference=ref)


def test_neighbors_without_recorded_params_pass(small_prepared, ref, capsys):
    """A right graph built another way (no `uns['neighbors']`) is judged by its neighbours."""
    from sklearn.neighbors import kneighbors_graph

    embedding = small_prepared.obsm["X_pca_harmony"]
    graph = kneighbors_graph(embedding, n_neighbors=N_NEIGHBORS - 1, mode="distance")
    small_prepared.obsp["distances"] = graph
    small_prepared.obsp["connectivities"] = (graph > 0).astype(float)
    assert "neighbors" not in small_prepared.uns
    checks.check_neighbors(small_prepared, reference=ref)
    assert capsys.readouterr().out.startswith("✔ kNN graph on 'X_pca_harmony'")
    small_prepared.obsp["distances"] = kneighbors_graph(embedding, n_neighbors=29)
    msg = fails(checks.check_neighbors, small_prepared, reference=ref)
    assert "links each cell to up to 29 others" in msg and "asks for 15" in msg


def test_neighbors_wrong_embedding(uncorrected, ref):
    msg = fails(checks.check_neighbors, uncorrected, reference=ref)
    assert "built on 'X_pca'" in msg and "uncorrected" in msg
    assert "`use_rep=` argument" in msg and "*Building the kNN graph*" in msg


def test_neighbors_judged_by_the_graph_itself(uncorrected, ref):
    """A graph on X_pca whose recorded parameters were edited still fails: the neighbours
    are compared with the Harmony embedding's, and found closer to the uncorrected PCA's."""
    uncorrected.uns["neighbors"]["params"]["use_rep"] = "X_pca_harmony"
    msg = fails(checks.check_neighbors, uncorrected, reference=ref)
    assert "of the graph's neighbours are neighbours in 'X_pca_harmony'" in msg
    assert "closer to the neighbours in 'X_pca', the uncorrected PCA" in msg


def test_neighbors_default_representation_named(small_prepared, ref):
    """`sc.pp.neighbors(adata)` without `use_rep`: the message says what scanpy took."""
    sc.pp.neighbors(small_prepared, n_neighbors=N_NEIGHBORS)
    msg = fails(checks.check_neighbors, small_prepared, reference=ref)
    assert "scanpy's default representation (no `use_rep`" in msg
    assert "took 'X_pca', the uncorrected PCA" in msg and "`use_rep=` argument" in msg


def test_neighbors_wrong_n_neighbors(small_prepared, ref):
    sc.pp.neighbors(small_prepared, n_neighbors=30, use_rep="X_pca_harmony")
    msg = fails(checks.check_neighbors, small_prepared, reference=ref)
    assert "n_neighbors=30" in msg and "asks for 15" in msg


def test_neighbors_missing_graph(small_prepared, ref):
    msg = fails(checks.check_neighbors, small_prepared, reference=ref)
    assert "no kNN graph yet" in msg and "sc.pp.neighbors" in msg


# ----------------------------------------------------------------------------- Leiden
def test_leiden_pass(answered, ref, capsys):
    checks.check_leiden(answered, 0.6, reference=ref)
    checks.check_leiden(answered, 1.0, reference=ref)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("✔ obs['leiden_") for line in lines)


def test_leiden_through_igraph_directly_pass(small_prepared, ref, capsys):
    """Leiden run with igraph itself (nothing recorded in `uns`) is judged by its labels."""
    sc.pp.neighbors(small_prepared, use_rep="X_pca_harmony")
    graph = sc._utils.get_igraph_from_adjacency(small_prepared.obsp["connectivities"])
    partition = graph.community_leiden(
        objective_function="modularity", weights="weight", resolution=0.6, n_iterations=2
    )
    small_prepared.obs["leiden_0.6"] = pd.Categorical(np.array(partition.membership).astype(str))
    del small_prepared.uns["neighbors"]
    checks.check_leiden(small_prepared, 0.6, reference=ref)
    assert capsys.readouterr().out.startswith("✔ obs['leiden_0.6']")


@pytest.mark.parametrize(("seed", "flavor"), [(3, "igraph"), (0, "leidenalg"), (4, "leidenalg")])
def test_leiden_other_seed_or_flavor_pass(small_prepared, ref, seed, flavor):
    sc.pp.neighbors(small_prepared, use_rep="X_pca_harmony", random_state=seed)
    leiden(small_prepared, 0.6, "leiden_0.6", seed=seed, flavor=flavor)
    checks.check_leiden(small_prepared, 0.6, reference=ref)


def test_leiden_renamed_and_reordered_labels_pass(answered, ref):
    """Label names and cell order do not matter (permutation-invariant comparison)."""
    labels = answered.obs["leiden_0.6"]
    answered.obs["leiden_0.6"] = labels.cat.rename_categories(
        [f"c{i}" for i in range(len(labels.cat.categories))][::-1]
    )
    shuffled = answered[np.random.default_rng(0).permutation(answered.n_obs)].copy()
    checks.check_leiden(shuffled, 0.6, reference=ref)


@pytest.fixture(scope="module")
def course_uncorrected() -> ad.AnnData:
    """The usual mistake on the course data (the small data's sample effect is too weak for
    the calibrated threshold): graph and Leiden 0.6 on the uncorrected PCA."""
    import course_lib

    adata = course_lib.load_exercise_data(progress=False)
    sc.pp.neighbors(adata, n_neighbors=N_NEIGHBORS, use_rep="X_pca")
    leiden(adata, 0.6, "leiden_0.6")
    return adata


@pytest.mark.slow
def test_leiden_wrong_embedding(course_uncorrected):
    msg = fails(checks.check_leiden, course_uncorrected, 0.6)
    assert "matches the uncorrected PCA better than the Harmony embedding" in msg
    assert "built with `use_rep='X_pca'`" in msg and "`use_rep=` argument" in msg


@pytest.mark.slow
def test_leiden_wrong_embedding_without_recorded_params(course_uncorrected):
    """Named from the labels alone when the parameters are gone."""
    adata = course_uncorrected.copy()
    del adata.uns["neighbors"], adata.uns["leiden_0.6"]
    msg = fails(checks.check_leiden, adata, 0.6)
    assert "matches the uncorrected PCA better" in msg


def test_leiden_wrong_resolution_named_from_params(answered, ref):
    leiden(answered, 5.0, "leiden_0.6")
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "computed with resolution=5" in msg and "asks for resolution 0.6" in msg


def test_leiden_recorded_params_do_not_judge_right_labels(answered, ref, capsys):
    """Recorded parameters only name a mistake once the labels are wrong: right labels with
    a record saying resolution 1 and the uncorrected PCA still pass."""
    sc.tl.leiden(
        answered, key_added="leiden_0.6", resolution=0.6, **reference_answers.leiden_options()
    )
    answered.uns["leiden_0.6"]["params"]["resolution"] = 1
    checks.check_leiden(answered, 0.6, reference=ref)
    answered.uns["neighbors"]["params"]["use_rep"] = "X_pca"
    checks.check_leiden(answered, 0.6, reference=ref)
    assert capsys.readouterr().out.count("✔ obs['leiden_0.6']") == 2


def _two_clusters(answered: ad.AnnData) -> None:
    """Too few clusters for any resolution the lab uses (the small data keeps about 7
    connected groups even at resolution 0.005, so a low resolution cannot give this)."""
    merged = answered.obs["leiden_0.6"].astype(int) % 2
    answered.obs["leiden_0.6"] = merged.astype(str).astype("category")
    del answered.uns["leiden_0.6"]


def test_leiden_too_few_clusters(answered, ref):
    _two_clusters(answered)
    n_clusters = answered.obs["leiden_0.6"].nunique()
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert f"has {n_clusters} clusters — too few for resolution 0.6" in msg
    assert "`resolution=` (0.6 here)" in msg


def test_leiden_too_many_clusters(answered, ref):
    leiden(answered, 5.0, "leiden_0.6")
    del answered.uns["leiden_0.6"]
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "too many for resolution 0.6" in msg


def test_leiden_random_labels_fail_with_ari(answered, ref):
    rng = np.random.default_rng(0)
    n_clusters = answered.obs["leiden_0.6"].nunique()
    labels = rng.integers(n_clusters, size=answered.n_obs).astype(str)
    answered.obs["leiden_0.6"] = pd.Categorical(labels)
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "agrees poorly" in msg and "ARI" in msg


def test_leiden_reference_computed_once(answered, ref, monkeypatch):
    """The references are cached per process: a second check runs no Leiden."""
    checks.check_leiden(answered, 0.6, reference=ref)

    def no_leiden(*args, **kwargs):
        raise RuntimeError("reference recomputed")

    monkeypatch.setattr(sc.tl, "leiden", no_leiden)
    checks.check_leiden(answered, 0.6, reference=ref)


def test_leiden_message_does_not_leak_reference(answered, ref):
    """A failure reports scores and counts, never the reference's labels or cluster sizes."""
    _two_clusters(answered)
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    sizes = reference_answers.reference_leiden(ref, 0.6).value_counts()
    assert not any(f"{size}" in msg.split() for size in sizes if size > 100)


# ----------------------------------------------------------------------------- bad input
def test_bad_input_none(ref):
    msg = fails(checks.check_leiden, None, 0.6, reference=ref)
    assert "`adata` is None" in msg and "return None" in msg


def test_bad_input_dataframe(answered, ref):
    msg = fails(checks.check_leiden, answered.obs, 0.6, reference=ref)
    assert "got a pandas DataFrame" in msg and "adata.obs" in msg


def test_bad_input_other_type(ref):
    msg = fails(checks.check_neighbors, "adata", reference=ref)
    assert "expected an AnnData object for `adata`, got str" in msg


def test_bad_input_empty(answered, ref):
    msg = fails(checks.check_leiden, answered[:0].copy(), 0.6, reference=ref)
    assert "`adata` has no cells" in msg and "not an empty selection" in msg


def test_library_validation_becomes_the_checks_message():
    """A course_lib._validation error is a failed check in the check's wording, without the
    library's traceback; a kind of error the check has no wording for is re-raised."""
    from course_lib._validation import MissingKeyError, require_obs_column
    from course_lib.checks._feedback import validated

    cells = ad.AnnData(obs=pd.DataFrame(index=["c1"]))
    with pytest.raises(AssertionError, match="^no column 'k'$") as info:
        validated(require_obs_column, cells, "k", missing="no column 'k'")
    assert info.value.__context__ is None
    with pytest.raises(MissingKeyError):
        validated(require_obs_column, cells, "k", value="not used")


def test_bad_input_missing_key(answered, ref):
    answered.obs["leiden_0.6_mine"] = answered.obs.pop("leiden_0.6")
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "has no column 'leiden_0.6'" in msg and "`key_added=`" in msg
    assert "leiden_0.6_mine" in msg


def test_bad_input_nan_labels(answered, ref):
    labels = answered.obs["leiden_0.6"].copy()
    labels.iloc[:5] = np.nan
    answered.obs["leiden_0.6"] = labels
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "5 cells without a label (NaN)" in msg


def test_bad_input_wrong_length(answered, ref):
    subset = answered[:100].copy()
    msg = fails(checks.check_leiden, subset, 0.6, reference=ref)
    assert f"has 100 cells but the exercise data has {ref.n_obs:,}" in msg
    assert "course_lib.load_exercise_data()" in msg


def test_bad_input_renamed_cells(answered, ref):
    answered.obs_names = [f"cell{i}" for i in range(answered.n_obs)]
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "cell names (`adata.obs_names`) do not match" in msg


@pytest.mark.parametrize(
    "convert",
    [
        lambda labels: labels.cat.codes.astype(int),
        lambda labels: labels.astype(str),
        lambda labels: pd.Categorical(labels.cat.codes),
    ],
    ids=["int", "str", "int categories"],
)
def test_partition_questions_take_any_label_type(answered, ref, convert, capsys):
    """A question that only needs the partition does not fail on the format of the labels."""
    value = adjusted_rand_score(answered.obs["leiden_0.6"], answered.obs["leiden_1.0"])
    for key in ("leiden_0.6", "leiden_1.0"):
        answered.obs[key] = convert(answered.obs[key])
    checks.check_leiden(answered, 0.6, reference=ref)
    checks.check_agreement(value, answered, "leiden_0.6", "leiden_1.0")
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize(
    ("convert", "expected"),
    [
        (lambda labels: labels.cat.codes.astype(int), "holds numbers (int64)"),
        (lambda labels: labels.astype(str), "is not categorical"),
        (lambda labels: pd.Categorical(labels.cat.codes), "are numbers, not strings"),
    ],
    ids=["int", "str", "int categories"],
)
def test_format_costs_only_the_question_that_asks(small_prepared, ref, convert, expected):
    """k-means question 1 asks for categories of strings; it says so and how to convert."""
    kmeans(small_prepared)
    small_prepared.obs["kmeans_10"] = convert(small_prepared.obs["kmeans_10"])
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert expected in msg and "categories of strings" in msg


def test_unexpected_error_becomes_student_message(answered, ref):
    """A library error inside a check becomes one clear AssertionError, no deep traceback."""
    with pytest.raises(AssertionError) as info:
        checks.check_leiden(answered, "0.6", reference=ref)
    assert "check_leiden could not check your answer" in str(info.value)
    assert "Restart & Run All" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ----------------------------------------------------------------------------- agreement
def test_agreement_pass(answered, capsys):
    value = adjusted_rand_score(answered.obs["leiden_0.6"], answered.obs["leiden_1.0"])
    checks.check_agreement(value, answered, "leiden_0.6", "leiden_1.0")
    assert capsys.readouterr().out.startswith("✔ ARI between 'leiden_0.6' and 'leiden_1.0'")


def test_agreement_wrong_score(answered):
    from sklearn.metrics import normalized_mutual_info_score

    leiden(answered, 3.0, "leiden_1.0")  # on the small data 0.6 and 1 give the same partition
    nmi = normalized_mutual_info_score(answered.obs["leiden_0.6"], answered.obs["leiden_1.0"])
    msg = fails(checks.check_agreement, nmi, answered, "leiden_0.6", "leiden_1.0")
    assert "is not the ARI" in msg and "NMI" in msg and "difference of 1e-06" in msg
    assert "chapter 2" not in msg and "help(course_lib.agreement)" in msg


def test_agreement_rounded(answered):
    """A rounded ARI is named as rounded, with the tolerance; each exercise's own chapter."""
    leiden(answered, 3.0, "leiden_1.0")
    value = adjusted_rand_score(answered.obs["leiden_0.6"], answered.obs["leiden_1.0"])
    digits = next(d for d in (2, 3) if abs(round(value, d) - value) > 1e-6)
    msg = fails(checks.check_agreement, round(value, digits), answered, "leiden_0.6", "leiden_1.0")
    assert f"looks rounded to {digits} decimals" in msg and "to 1e-06" in msg
    assert "without rounding" in msg and "is not the ARI" not in msg
    answered.obs["kmeans_10"] = answered.obs["leiden_1.0"]
    msg = fails(checks.check_agreement, round(value, digits), answered, "kmeans_10", "leiden_0.6")
    assert "chapter 2, *K-means versus Leiden*" in msg
    answered.obs["ward_10"] = answered.obs["leiden_1.0"]
    msg = fails(checks.check_agreement, round(value, digits), answered, "ward_10", "leiden_0.6")
    assert "chapter 3, *Agreement with Leiden and k-means*" in msg


def test_agreement_out_of_range(answered):
    msg = fails(checks.check_agreement, 3.0, answered, "leiden_0.6", "leiden_1.0")
    assert "between -0.5 and 1" in msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"ari": 0.5, "nmi": 0.6}, "is a dict"),
        (None, "should be a number, got NoneType"),
        ("0.7", "should be a number, got str"),
        (float("nan"), "your answer is nan"),
    ],
)
def test_agreement_bad_value(answered, value, expected):
    msg = fails(checks.check_agreement, value, answered, "leiden_0.6", "leiden_1.0")
    assert expected in msg


# ----------------------------------------------------------------------------- k-means
def kmeans(adata, k=10, *, rep="X_pca_harmony", seed=0, n_init=10, key=None):
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(adata.obsm[rep])
    adata.obs[key or f"kmeans_{k}"] = pd.Categorical(model.labels_.astype(str))
    return model


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_kmeans_pass_any_seed(small_prepared, ref, seed, capsys):
    kmeans(small_prepared, seed=seed)
    checks.check_kmeans(small_prepared, 10, reference=ref)
    assert capsys.readouterr().out.startswith("✔ obs['kmeans_10']: 10 clusters")


def test_kmeans_wrong_k(small_prepared, ref):
    kmeans(small_prepared, 8, key="kmeans_10")
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "has 8 clusters; the question asks for 10" in msg and "`n_clusters=`, 10 here" in msg


@pytest.mark.slow
def test_kmeans_uncorrected():
    """On the course data (the small data's sample effect is too weak to tell k-means apart)."""
    import course_lib

    adata = course_lib.load_integrated(progress=False)
    kmeans(adata, rep="X_pca")
    msg = fails(checks.check_kmeans, adata, 10)
    assert "looks like k-means on the uncorrected PCA" in msg
    assert "Which `obsm` key did you fit on?" in msg


def test_kmeans_not_kmeans(small_prepared, ref):
    labels = np.random.default_rng(0).permutation(np.arange(small_prepared.n_obs) % 10)
    small_prepared.obs["kmeans_10"] = pd.Categorical(labels.astype(str))
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "not what k-means ends with on the Harmony embedding" in msg


@pytest.mark.slow
def test_kmeans_on_the_umap():
    import course_lib

    adata = course_lib.load_integrated(progress=False)
    kmeans(adata, rep="X_umap")
    msg = fails(checks.check_kmeans, adata, 10)
    assert "looks like k-means on the UMAP" in msg


def test_kmeans_int_labels(small_prepared, ref):
    model = kmeans(small_prepared)
    small_prepared.obs["kmeans_10"] = model.labels_
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "`adata.obs['kmeans_10']` holds numbers (int32)" in msg


def test_ari_after_int_kmeans_labels(answered, capsys):
    """The k-means vs Leiden question scores the ARI even if k-means labels are integers."""
    model = kmeans(answered)
    answered.obs["kmeans_10"] = model.labels_
    value = adjusted_rand_score(model.labels_, answered.obs["leiden_0.6"])
    checks.check_agreement(value, answered, "kmeans_10", "leiden_0.6")
    assert capsys.readouterr().out.startswith("✔")


def test_kmeans_missing_key(small_prepared, ref):
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "has no column 'kmeans_10'" in msg and "`sklearn.cluster.KMeans`" in msg


# ----------------------------------------------------------------------------- inertias
KS = range(2, 9, 2)


@pytest.fixture
def inertias(small_prepared):
    from sklearn.cluster import KMeans

    data = small_prepared.obsm["X_pca_harmony"]
    return {k: KMeans(n_clusters=k, n_init=3, random_state=0).fit(data).inertia_ for k in KS}


def test_inertias_pass(inertias, ref, capsys):
    checks.check_inertias(inertias, KS, reference=ref)
    checks.check_inertias(pd.Series(inertias), KS, reference=ref)
    assert capsys.readouterr().out.startswith("✔ inertias for k = 2, 4, 6, 8")


def test_inertias_other_seed_pass(small_prepared, ref):
    from sklearn.cluster import KMeans

    data = small_prepared.obsm["X_pca_harmony"]
    values = {k: KMeans(n_clusters=k, n_init=10, random_state=5).fit(data).inertia_ for k in KS}
    checks.check_inertias(values, KS, reference=ref)


def test_inertias_shifted(inertias, ref):
    shifted = dict(zip(KS, [*list(inertias.values())[1:], 1.0], strict=True))
    msg = fails(checks.check_inertias, shifted, KS, reference=ref)
    assert "the inertia for k=2 is" in msg and "smaller" in msg and "its own k" in msg


def test_inertias_per_cell(inertias, ref, small_prepared):
    per_cell = {k: v / small_prepared.n_obs for k, v in inertias.items()}
    msg = fails(checks.check_inertias, per_cell, KS, reference=ref)
    assert "not divided by the number of cells" in msg


def test_inertias_uncorrected(small_prepared, ref):
    from sklearn.cluster import KMeans

    data = small_prepared.obsm["X_pca"]
    values = {k: KMeans(n_clusters=k, n_init=3, random_state=0).fit(data).inertia_ for k in KS}
    msg = fails(checks.check_inertias, values, KS, reference=ref)
    assert "matches k-means on the uncorrected PCA" in msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "should be a dict {k: inertia}, got NoneType"),
        ([1.0, 2.0, 3.0, 4.0], "store the inertias in a dict keyed by k"),
        ([1.0, 2.0], "got 2 values for 4 values of k"),
        ({2: 1.0, 4: 1.0}, "has keys [2, 4]; the question asks for k in [2, 4, 6, 8]"),
        ({"two": 1.0}, "keys of `inertias` should be the numbers of clusters"),
        ({2: 1.0, 4: "x", 6: 1.0, 8: 1.0}, "inertia for k=4 should be a number"),
        ({2: 1.0, 4: float("nan"), 6: 1.0, 8: 1.0}, "inertia for k=4 is nan"),
    ],
)
def test_inertias_bad_input(ref, value, expected):
    msg = fails(checks.check_inertias, value, KS, reference=ref)
    assert expected in msg


# ----------------------------------------------------------------------------- Ward
def ward(adata, k=10, *, rep="X_pca_harmony", linkage="ward"):
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit_predict(adata.obsm[rep])
    adata.obs["ward_10"] = pd.Categorical(labels.astype(str))


def test_ward_pass_sklearn_and_scipy(small_prepared, ref, capsys):
    from scipy.cluster.hierarchy import fcluster, linkage

    ward(small_prepared)
    checks.check_ward(small_prepared, 10, reference=ref)
    tree = linkage(small_prepared.obsm["X_pca_harmony"], method="ward")
    labels = fcluster(tree, t=10, criterion="maxclust")
    small_prepared.obs["ward_10"] = pd.Categorical(labels.astype(str))
    checks.check_ward(small_prepared, 10, reference=ref)
    assert capsys.readouterr().out.count("✔ obs['ward_10']: 10 clusters") == 2


def test_ward_uncorrected(small_prepared, ref):
    ward(small_prepared, rep="X_pca")
    msg = fails(checks.check_ward, small_prepared, 10, reference=ref)
    assert "Ward tree of the uncorrected PCA" in msg


def test_ward_wrong_linkage(small_prepared, ref):
    ward(small_prepared, linkage="average")
    msg = fails(checks.check_ward, small_prepared, 10, reference=ref)
    assert "looks like average linkage" in msg and "Ward linkage" in msg


def test_ward_recorded_linkage_names_the_mistake(small_prepared, ref):
    """The course's `hierarchical` records its linkage; a wrong tree is named by it."""
    from course_lib.tl import hierarchical

    hierarchical(small_prepared, 10, use_rep="X_pca_harmony", method="average", key_added="ward")
    msg = fails(checks.check_ward, small_prepared, 10, reference=ref)
    assert "computed with 'average' linkage" in msg and "asks for Ward linkage" in msg


def test_ward_wrong_k(small_prepared, ref):
    ward(small_prepared, 12)
    msg = fails(checks.check_ward, small_prepared, 10, reference=ref)
    assert "has 12 clusters; the question asks for 10" in msg


# ----------------------------------------------------------------------------- proportions
@pytest.fixture
def clustered(answered):
    return answered


def proportions(adata, **kwargs):
    return pd.crosstab(adata.obs["sample"], adata.obs["leiden_0.6"], **kwargs)


def test_proportions_pass(clustered, capsys):
    checks.check_proportions(proportions(clustered, normalize="index"), clustered)
    assert capsys.readouterr().out.startswith("✔ props: 8 samples × ")


def test_proportions_reordered_pass(clustered):
    table = proportions(clustered, normalize="index")
    checks.check_proportions(table.iloc[::-1, ::-1], clustered)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda a: proportions(a, normalize="index").T, "clusters as rows and the samples"),
        (lambda a: proportions(a), "holds numbers of cells; divide each row"),
        (lambda a: 100 * proportions(a, normalize="index"), "holds percentages"),
        (lambda a: proportions(a, normalize="columns"), "you normalised by cluster size"),
        (lambda a: proportions(a, normalize="index").iloc[1:], "rows of `props` should be"),
        (lambda a: proportions(a, normalize="index").iloc[0], "is a Series"),
        (lambda a: proportions(a, normalize="index").to_numpy(), "is a ndarray"),
        (lambda a: a, "is an AnnData object"),
        (lambda a: None, "`props` is None"),
    ],
)
def test_proportions_mistakes(clustered, make, expected):
    msg = fails(checks.check_proportions, make(clustered), clustered)
    assert expected in msg


def test_proportions_nan(clustered):
    table = proportions(clustered, normalize="index")
    table.iloc[0, 0] = np.nan
    msg = fails(checks.check_proportions, table, clustered)
    assert "has missing values (NaN)" in msg


def test_proportions_other_clustering(clustered):
    table = pd.crosstab(clustered.obs["sample"], clustered.obs["leiden_1.0"], normalize="index")
    leiden(clustered, 0.6, "leiden_0.6", seed=9)
    clustered.obs["leiden_0.6"] = clustered.obs["leiden_0.6"].cat.rename_categories(
        lambda c: f"x{c}"
    )
    msg = fails(checks.check_proportions, table, clustered)
    assert "columns of `props` should be the clusters" in msg


def test_proportions_tolerance(clustered):
    """Values are exact up to 1e-6 (float noise passes; a slip of 1e-4 does not)."""
    table = proportions(clustered, normalize="index")
    checks.check_proportions(table + 1e-9, clustered)
    msg = fails(checks.check_proportions, table + 1e-4, clustered)
    assert "does not match" in msg


def group_difference(adata):
    props = proportions(adata, normalize="index")
    sample_type = adata.obs.groupby("sample", observed=True)["type"].first()
    means = props.groupby(sample_type, observed=True).mean()
    return means.loc["covid"] - means.loc["ctrl"]


def test_group_difference_pass(clustered, capsys):
    checks.check_group_difference(group_difference(clustered), clustered)
    assert capsys.readouterr().out.startswith("✔ covid_minus_ctrl: mean proportion in covid")


def test_group_difference_sign(clustered):
    msg = fails(checks.check_group_difference, -group_difference(clustered), clustered)
    assert "wrong sign" in msg


def test_group_difference_pooled(clustered):
    pooled = pd.crosstab(clustered.obs["type"], clustered.obs["leiden_0.6"], normalize="index")
    msg = fails(checks.check_group_difference, pooled.loc["covid"] - pooled.loc["ctrl"], clustered)
    assert "pools the cells of all covid samples" in msg


def test_group_difference_bad_input(clustered):
    msg = fails(checks.check_group_difference, group_difference(clustered).to_numpy(), clustered)
    assert "should be a pandas Series indexed by cluster, got ndarray" in msg
    msg = fails(checks.check_group_difference, group_difference(clustered).iloc[1:], clustered)
    assert "index of `covid_minus_ctrl` should be the clusters" in msg and "missing" in msg


# ----------------------------------------------------------------------------- conditions
def by_type_norm(adata):
    counts = pd.crosstab(adata.obs["leiden_0.6"], adata.obs["type"])
    normalised = counts / counts.sum(axis=0)
    return normalised.div(normalised.sum(axis=1), axis=0)


def test_condition_composition_pass(clustered, capsys):
    import course_lib

    checks.check_condition_composition(by_type_norm(clustered), clustered)
    table = course_lib.proportion_table(
        clustered, "leiden_0.6", "type", normalize_by_group_size=True
    )
    checks.check_condition_composition(table.iloc[::-1], clustered)
    assert capsys.readouterr().out.count("normalised for the size of each condition") == 2


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda a: by_type_norm(a).T, "conditions as rows and the clusters as columns"),
        (
            lambda a: pd.crosstab(a.obs["leiden_0.6"], a.obs["type"], normalize="index"),
            "the counts were not normalised first",
        ),
        (
            lambda a: pd.crosstab(a.obs["leiden_0.6"], a.obs["type"], normalize="columns"),
            "that is the first step",
        ),
        (lambda a: by_type_norm(a)["covid"], "is a Series"),
    ],
)
def test_condition_composition_mistakes(clustered, make, expected):
    msg = fails(checks.check_condition_composition, make(clustered), clustered)
    assert expected in msg and "*Normalising for the number of cells per sample*" in msg


# ----------------------------------------------------------------------------- cluster choices
def truth_clusters(adata, column, value, key="leiden_0.6"):
    """The clusters made mostly of cells with ``obs[column] == value`` (the right answer)."""
    return scores.mostly(adata.obs[key], adata.obs[column].astype(str) == value)


def test_doublet_clusters_pass(clustered, ref, capsys):
    """A clustering with a cluster of doublets ('d'); integer labels work too."""
    is_doublet = (clustered.obs[TRUTH_KEY] == scores.DOUBLET).to_numpy()
    codes = clustered.obs["leiden_0.6"].cat.codes.to_numpy().copy()
    codes[is_doublet] = 99
    clustered.obs["leiden_0.6"] = codes
    checks.check_doublet_clusters([99], clustered, reference=ref)
    checks.check_doublet_clusters("99", clustered, reference=ref)
    assert capsys.readouterr().out.count("✔ doublet_clusters: 1 cluster,") == 2


def test_doublet_clusters_mistakes(clustered, ref):
    msg = fails(checks.check_doublet_clusters, [], clustered, reference=ref)
    assert "is empty" in msg
    msg = fails(checks.check_doublet_clusters, ["nope"], clustered, reference=ref)
    assert "['nope'] are not clusters of `obs['leiden_0.6']`" in msg
    largest = clustered.obs["leiden_0.6"].value_counts().index[0]
    msg = fails(checks.check_doublet_clusters, [largest], clustered, reference=ref)
    assert "are not doublets" in msg and "median" in msg and "UMIs" in msg


def test_cluster_choices_judged_without_truth_in_the_students_data(clustered, ref, capsys):
    """The student's data carry no truth (as loaded by the exercises); the checks take it
    from the reference data by cell name, and their messages never show it."""
    from course_lib.datasets import drop_truth

    b_cells = truth_clusters(clustered, LINEAGE_KEY, "B")
    largest = clustered.obs["leiden_0.6"].value_counts().index[0]
    drop_truth(clustered)
    assert LINEAGE_KEY not in clustered.obs and TRUTH_KEY not in clustered.obs
    checks.check_lineage_clusters(b_cells, clustered, "B", reference=ref)
    assert capsys.readouterr().out.startswith("✔ clusters: ")
    msg = fails(checks.check_doublet_clusters, [largest], clustered, reference=ref)
    assert "are not doublets" in msg and TRUTH_KEY not in msg and LINEAGE_KEY not in msg


def test_lineage_clusters(clustered, ref, capsys):
    b_cells = truth_clusters(clustered, LINEAGE_KEY, "B")
    checks.check_lineage_clusters(b_cells, clustered, "B", reference=ref)
    assert capsys.readouterr().out.startswith("✔ clusters: ")
    others = [c for c in clustered.obs["leiden_0.6"].cat.categories if c not in b_cells]
    msg = fails(checks.check_lineage_clusters, others[:1], clustered, "B", reference=ref)
    assert "mostly not B cells" in msg and "marker_means" in msg
    msg = fails(checks.check_lineage_clusters, b_cells[:1], clustered, "B", reference=ref)
    assert "misses" in msg


# ----------------------------------------------------------------------------- T/NK subset
def tnk_subset(adata, *, with_nk=True):
    """Chapter 5's rule on the small data: ``(clusters, other clusters)``."""
    chosen = chapter_subset(adata, "leiden_0.6", with_nk=with_nk)
    others = [c for c in adata.obs["leiden_0.6"].cat.categories if c not in chosen]
    return chosen, others


def take(adata, clusters):
    from course_lib.tl import subset_from_raw

    return subset_from_raw(adata, "leiden_0.6", clusters)


def test_tnk_subset_pass(answered, ref, capsys):
    """Chapter 5's rule passes, with the labels as strings or as typed numbers."""
    clusters, _ = tnk_subset(answered)
    tnk = take(answered, clusters)
    checks.check_tnk_subset(tnk, clusters, answered, reference=ref)
    checks.check_tnk_subset(tnk, [int(c) for c in clusters], answered, reference=ref)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("✔ tnk_clusters: ") for line in out)


def test_tnk_subset_without_nk(answered, ref):
    clusters, _ = tnk_subset(answered, with_nk=False)
    msg = fails(
        checks.check_tnk_subset, take(answered, clusters), clusters, answered, reference=ref
    )
    assert "misses 1 cluster of T or NK cells" in msg and "NK cells lack CD3E" in msg


def test_tnk_subset_with_other_cluster(answered, ref):
    clusters, others = tnk_subset(answered)
    sizes = answered.obs["leiden_0.6"].value_counts()
    chosen = [*clusters, max(others, key=lambda c: sizes[c])]
    msg = fails(checks.check_tnk_subset, take(answered, chosen), chosen, answered, reference=ref)
    assert "holds 1 cluster whose cells are not T or NK cells" in msg


def test_tnk_subset_keeping_doublets_fails(answered, ref):
    """A cluster made of the technical cells (doublets, damaged cells) is named as such."""
    clusters, _ = tnk_subset(answered)
    labels = answered.obs["leiden_0.6"].astype(str)
    labels[answered.obs[LINEAGE_KEY].isin(scores.TECHNICAL)] = "technical"
    answered.obs["leiden_0.6"] = pd.Categorical(labels)
    chosen = [c for c in clusters if c in set(labels)] + ["technical"]
    msg = fails(checks.check_tnk_subset, take(answered, chosen), chosen, answered, reference=ref)
    assert "mostly doublets or damaged cells" in msg and "flagged by their QC profile" in msg


def test_tnk_subset_cells_must_be_those_of_the_clusters(answered, ref):
    clusters, others = tnk_subset(answered)
    tnk = take(answered, [*clusters, others[0]])
    msg = fails(checks.check_tnk_subset, tnk, clusters, answered, reference=ref)
    assert "does not hold exactly the cells of the clusters in `tnk_clusters`" in msg


def test_tnk_subset_bad_input(answered, ref):
    clusters, _ = tnk_subset(answered)
    tnk = take(answered, clusters)
    assert "`tnk` is None" in fails(checks.check_tnk_subset, None, clusters, answered)
    msg = fails(checks.check_tnk_subset, tnk, [], answered, reference=ref)
    assert "`tnk_clusters` is empty" in msg
    msg = fails(checks.check_tnk_subset, tnk, ["99"], answered, reference=ref)
    assert "['99'] are not clusters of `adata.obs['leiden_0.6']`" in msg
    msg = fails(checks.check_tnk_subset, tnk, {"a": 1}, answered, reference=ref)
    assert "should be a list of cluster labels" in msg
    renamed = tnk.copy()
    renamed.obs_names = [f"cell{i}" for i in range(renamed.n_obs)]
    msg = fails(checks.check_tnk_subset, renamed, clusters, answered, reference=ref)
    assert "does not hold exactly the cells" in msg


# ----------------------------------------------------------------------------- re-analysis
N_TOP = 200
"""Variable genes of the small data's subset (it has 557 genes)."""

N_COMPS = 20
"""Principal components of the small data's subset."""


def rerun(tnk, *, batch="sample", scale=True, n_comps=N_COMPS, restrict=True, mask_var="default"):
    """Exercise 5's PCA and Harmony on a subset with variable genes, in place (or a copy)."""
    import course_lib

    if restrict:
        tnk = tnk[:, tnk.var["highly_variable"]].copy()
    if scale:
        sc.pp.scale(tnk, max_value=10)
    options = {} if mask_var == "default" else {"mask_var": mask_var}
    sc.pp.pca(tnk, n_comps=n_comps, random_state=0, **options)
    course_lib.run_harmony(tnk, batch)
    return tnk


@pytest.fixture
def with_hvg(answered):
    """The T/NK subset with its own variable genes (exercise 5, Q1-2)."""
    clusters, _ = tnk_subset(answered)
    subset = take(answered, clusters)
    sc.pp.highly_variable_genes(subset, n_top_genes=N_TOP, batch_key="sample")
    return subset


@pytest.fixture
def tnk(with_hvg):
    """The T/NK subset with its own variable genes, PCA and Harmony (exercise 5, Q1-3)."""
    return rerun(with_hvg)


def test_subset_hvg(answered, tnk, ref, capsys):
    checks.check_subset_hvg(tnk, n_top_genes=N_TOP, reference=ref)
    assert capsys.readouterr().out.startswith(f"✔ tnk: {N_TOP} highly variable genes")
    full = take(answered, tnk_subset(answered)[0])
    full.var["highly_variable"] = answered.var["highly_variable"].reindex(full.var_names)
    msg = fails(checks.check_subset_hvg, full, n_top_genes=N_TOP, reference=ref)
    assert "the full data's variable genes" in msg
    msg = fails(checks.check_subset_hvg, take(answered, ["0"]), reference=ref)
    assert "has no column 'highly_variable'" in msg


def test_subset_hvg_without_batch_named(answered, ref):
    pooled = take(answered, tnk_subset(answered)[0])
    sc.pp.highly_variable_genes(pooled, n_top_genes=N_TOP)
    msg = fails(checks.check_subset_hvg, pooled, n_top_genes=N_TOP, reference=ref)
    assert "ranked over all cells of `tnk` together" in msg and "within each sample" in msg
    assert "batch_key" not in msg and "n_top_genes" not in msg  # no solution parameter


def test_subset_embedding(tnk, ref, capsys):
    checks.check_subset_embedding(tnk, n_comps=N_COMPS, reference=ref)
    assert capsys.readouterr().out.startswith("✔ tnk: PCA and Harmony recomputed")


def test_subset_embedding_harmonypy_directly_passes(with_hvg, ref, capsys):
    """Correct values without the parameters course_lib records (another seed, too)."""
    import harmonypy

    tnk = rerun(with_hvg)
    del tnk.uns["harmony"], tnk.uns["pca"]
    result = harmonypy.run_harmony(tnk.obsm["X_pca"], tnk.obs, "sample", random_state=3)
    tnk.obsm["X_pca_harmony"] = np.asarray(result.Z_corr).reshape(tnk.obsm["X_pca"].shape)
    checks.check_subset_embedding(tnk, n_comps=N_COMPS, reference=ref)
    assert capsys.readouterr().out.startswith("✔ tnk: PCA and Harmony recomputed")


def test_subset_embedding_unrestricted_genes_with_masked_pca_passes(with_hvg, ref):
    """All genes kept, the PCA on the marked ones (scanpy's default): the same embedding."""
    tnk = rerun(with_hvg, restrict=False)
    checks.check_subset_embedding(tnk, n_comps=N_COMPS, reference=ref)


def batchy(n_cells: int = 480, seed: int = 0) -> ad.AnnData:
    """Cells of 6 groups in 8 samples (4 per ``type``), each sample shifting 40 of 80 genes.

    The small simulated data's sample effect barely moves a subset's neighbours (Harmony
    keeps 58 % of them), so the Harmony mistakes are tested on data where it matters.
    """
    rng = np.random.default_rng(seed)
    samples = np.array([f"s{i}" for i in range(8)])
    sample = samples[rng.integers(0, 8, n_cells)]
    obs = pd.DataFrame(
        {"sample": sample, "type": np.where(np.isin(sample, samples[:4]), "ctrl", "covid")},
        index=[f"c{i}" for i in range(n_cells)],
    )
    x = rng.normal(0, 1, (n_cells, 80))
    x[:, :40] += 3 * rng.normal(0, 1, (6, 40))[rng.integers(0, 6, n_cells)]
    x[:, 40:] += 3 * rng.normal(0, 1, (8, 40))[pd.factorize(sample, sort=True)[0]]
    var = pd.DataFrame(
        {"highly_variable": np.arange(80) % 2 == 0}, index=[f"g{i}" for i in range(80)]
    )
    data = ad.AnnData(X=x.astype(np.float32), obs=obs, var=var)
    data.raw = data
    data.obsm["X_pca"] = rng.normal(size=(n_cells, 10))  # the "full data's" embeddings
    data.obsm["X_pca_harmony"] = rng.normal(size=(n_cells, 10))
    return data


@pytest.fixture(scope="module")
def batch_ref() -> ad.AnnData:
    return batchy()


def batch_answer(ref, **options):
    """Exercise 5's PCA (10 components) and Harmony on :func:`batchy` data."""
    return rerun(
        ad.AnnData(ref.raw.X.copy(), obs=ref.obs.copy(), var=ref.var.copy()), n_comps=10, **options
    )


def test_subset_embedding_other_harmony_seed_passes(batch_ref):
    import course_lib

    tnk = batch_answer(batch_ref)
    course_lib.run_harmony(tnk, "sample", random_state=2)
    checks.check_subset_embedding(tnk, n_comps=10, reference=batch_ref)


@pytest.mark.parametrize("recorded", [True, False])
def test_subset_embedding_wrong_batch_named(batch_ref, recorded):
    tnk = batch_answer(batch_ref, batch="type")
    if not recorded:
        del tnk.uns["harmony"]
    msg = fails(checks.check_subset_embedding, tnk, n_comps=10, reference=batch_ref)
    assert "Harmony corrected for 'type'" in msg and "correct for the sample" in msg


def test_subset_embedding_uncorrected_named(batch_ref):
    tnk = batch_answer(batch_ref)
    tnk.obsm["X_pca_harmony"] = tnk.obsm["X_pca"] * 1.001
    msg = fails(checks.check_subset_embedding, tnk, n_comps=10, reference=batch_ref)
    assert "keeps the neighbours of the uncorrected PCA" in msg


def test_subset_embedding_unscaled_named(batch_ref):
    tnk = batch_answer(batch_ref, scale=False)
    msg = fails(checks.check_subset_embedding, tnk, n_comps=10, reference=batch_ref)
    assert "genes that were not scaled" in msg and "*Rerunning the pipeline on the subset*" in msg


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"restrict": False, "mask_var": None}, "a PCA of all genes"),
        ({"n_comps": N_COMPS + 10}, f"has {N_COMPS + 10} components; the question asks for 20"),
    ],
)
def test_subset_embedding_wrong_pca_named(with_hvg, ref, options, expected):
    tnk = rerun(with_hvg, **options)
    msg = fails(checks.check_subset_embedding, tnk, n_comps=N_COMPS, reference=ref)
    assert expected in msg and "*Rerunning the pipeline on the subset*" in msg


def test_subset_embedding_inherited_or_missing(answered, tnk, ref):
    inherited = answered[tnk.obs_names].copy()
    msg = fails(checks.check_subset_embedding, inherited, reference=ref)
    assert "is the full data's embedding" in msg
    del tnk.obsm["X_pca_harmony"]
    msg = fails(checks.check_subset_embedding, tnk, n_comps=N_COMPS, reference=ref)
    assert "has no 'X_pca_harmony'" in msg


def subcluster(tnk, *, rep="X_pca_harmony", resolution=0.6, seed=0, flavor="igraph"):
    sc.pp.neighbors(tnk, use_rep=rep, random_state=seed)
    leiden(tnk, resolution, "leiden_0.6", seed=seed, flavor=flavor)


@pytest.mark.parametrize(("seed", "flavor"), [(0, "igraph"), (0, "leidenalg")])
def test_subclustering_pass(tnk, ref, seed, flavor, capsys):
    subcluster(tnk, seed=seed, flavor=flavor)
    checks.check_subclustering(tnk, 0.6, reference=ref)
    assert capsys.readouterr().out.startswith("✔ tnk.obs['leiden_0.6']: ")


def test_subclustering_without_records_passes(tnk, ref):
    """Correct values pass without the parameters scanpy records."""
    subcluster(tnk)
    del tnk.uns["neighbors"], tnk.uns["leiden_0.6"]
    checks.check_subclustering(tnk, 0.6, reference=ref)


def test_subclustering_random_labels(tnk, ref):
    subcluster(tnk)
    labels = np.random.default_rng(0).permutation(tnk.obs["leiden_0.6"].to_numpy())
    tnk.obs["leiden_0.6"] = pd.Categorical(labels)
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "agrees poorly" in msg and "subset's own Harmony embedding" in msg


def test_subclustering_wrong_resolution(tnk, ref):
    subcluster(tnk, resolution=4.0)
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "computed with resolution=4" in msg


def test_subclustering_missing_key(tnk, ref):
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "`tnk.obs` has no column 'leiden_0.6'" in msg


def test_subclustering_inherited_graph(answered, tnk, ref):
    """The mistake the exercise exists to catch: clustering the graph the data came with."""
    data = ref.copy()  # course data with its graph, as the exercise's `adata` holds it
    for key in ("distances", "connectivities"):
        data.obsp[key] = answered.obsp[key]
        tnk.obsp[key] = answered[tnk.obs_names].obsp[key]
    tnk.uns["neighbors"] = dict(answered.uns["neighbors"])
    leiden(tnk, 0.6, "leiden_0.6")
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=data)
    assert "the full data's graph of these cells, inherited" in msg


def test_subclustering_graph_on_full_embedding(answered, tnk, ref):
    tnk.obsm["X_pca_harmony_full"] = np.asarray(answered[tnk.obs_names].obsm["X_pca_harmony"])
    subcluster(tnk, rep="X_pca_harmony_full")
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "built on 'X_pca_harmony_full', the full data's embedding" in msg


def test_subclustering_graph_on_uncorrected_pca(tnk, ref):
    subcluster(tnk, rep="X_pca")
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "is not a graph of `tnk.obsm['X_pca_harmony']`" in msg and "'X_pca'" in msg


def test_subclustering_without_graph(tnk, ref):
    leiden_labels = np.random.default_rng(0).integers(0, 3, tnk.n_obs).astype(str)
    tnk.obs["leiden_0.6"] = pd.Categorical(leiden_labels)
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "`tnk` has no kNN graph" in msg


def test_shared_neighbours_known_answers():
    knn = reference_answers.embedding_knn(np.array([[0.0], [1.0], [3.0], [10.0]]), 1)
    assert knn.ravel().tolist() == [1, 0, 1, 2]
    assert checks.ex5_embedding.shared_neighbours(knn, knn) == 1.0
    assert checks.ex5_embedding.shared_neighbours(knn, (knn + 1) % 4) == 0.0


def test_leiden_wrong_labels_named_by_recorded_graph(answered, ref):
    """Labels that fail, from a graph recorded on another embedding: the graph is named."""
    leiden(answered, 5.0, "leiden_0.6")
    del answered.uns["leiden_0.6"]
    answered.uns["neighbors"]["params"]["use_rep"] = "X_pca"
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "the kNN graph was built on 'X_pca'" in msg


# ----------------------------------------------------------------------------- knee
def test_knee_known_answer():
    assert scores.knee({2: 10.0, 4: 4.0, 6: 3.0, 8: 2.5}) == 4
    assert scores.knee({2: 10.0, 4: 9.0, 6: 2.0, 8: 1.5}) == 6


def test_knee_pass_on_own_curve(inertias, ref, capsys):
    """The check confirms the knee and that the reading is an option, not which option:
    the key of the multiple-choice question lives in the exercise's hidden test."""
    own = scores.knee(inertias)
    for meaning in checks.ex2_kmeans.KNEE_CHOICES:
        checks.check_knee(own, meaning, inertias, KS, reference=ref)
    checks.check_knee(float(own), "a", inertias, KS, reference=ref)
    out = capsys.readouterr().out
    assert out.count(f"✔ knee_k: k = {own} is the knee of your curve") == 4
    assert "the grade checks which" in out


def test_knee_uses_reference_curve_when_own_is_broken(ref, capsys):
    """A broken elbow answer costs the elbow question only."""
    curve = {k: reference_answers.reference_inertia(ref, k, n_init=3) for k in KS}
    checks.check_knee(scores.knee(curve), "c", None, KS, reference=ref)
    assert capsys.readouterr().out.startswith("✔ knee_k: k = ")


@pytest.mark.parametrize(
    ("knee_shift", "meaning", "expected"),
    [
        (2, "b", "is not the knee of your curve"),
        (0, "d", "should be one of the letters ['a', 'b', 'c']"),
        (0, "B", "should be one of the letters ['a', 'b', 'c']"),
        (0, None, "should be one of the letters ['a', 'b', 'c']"),
    ],
)
def test_knee_mistakes(inertias, ref, knee_shift, meaning, expected):
    value = scores.knee(inertias) + knee_shift
    msg = fails(checks.check_knee, value, meaning, inertias, KS, reference=ref)
    assert expected in msg and "chapter 2" in msg


# ----------------------------------------------------------------------------- scores
def test_precision_recall_known_answers():
    chosen = np.array([True, True, False, False])
    truth = np.array([True, False, True, False])
    assert scores.precision_recall(chosen, truth) == (0.5, 0.5)
    assert scores.precision_recall(np.zeros(4, bool), truth) == (0.0, 0.0)  # nothing chosen
    assert scores.precision_recall(chosen, np.zeros(4, bool)) == (0.0, 1.0)  # nothing to find


def test_mostly_ignores_label_names():
    truth = pd.Series([True, True, False, True, False])
    labels = pd.Series(["a", "a", "b", "c", "c"])
    assert scores.mostly(labels, truth) == ["a"]
    assert scores.mostly(labels.map({"a": "z", "b": "y", "c": "x"}), truth) == ["z"]


def test_doublet_precision_recall():
    labels = pd.Series(["a", "a", "b", "b", "c"])
    is_doublet = pd.Series([True, True, True, False, False])  # 'a' is mostly doublets
    assert scores.doublet_precision_recall(labels, is_doublet, ["a"]) == (1.0, 1.0)
    assert scores.doublet_precision_recall(labels, is_doublet, ["a", "b"]) == (0.75, 1.0)
    assert scores.doublet_precision_recall(labels, is_doublet, ["b"]) == (0.5, 0.0)


# ----------------------------------------------------------------------------- exercise 6
@pytest.fixture(scope="module")
def judged(small_prepared_session: ad.AnnData) -> ad.AnnData:
    """Exercise 6's setup on the small data: Leiden at the four resolutions."""
    import course_lib

    adata = small_prepared_session.copy()
    course_lib.graph_clustering(adata, list(RESOLUTIONS))
    return adata


def silhouettes_of(adata: ad.AnnData, rep: str = HARMONY_KEY) -> pd.Series:
    from course_lib.tl import internal_metrics

    keys = {r: f"leiden_{r}" for r in RESOLUTIONS}
    return internal_metrics(adata, keys, use_rep=rep, n_sample=3000)["silhouette"]


def test_ex6_silhouettes_pass_in_any_format(judged, ref, capsys):
    table = silhouettes_of(judged)
    checks.check_silhouettes(table, judged, reference=ref)
    checks.check_silhouettes({f"leiden_{r}": v for r, v in table.items()}, judged, reference=ref)
    checks.check_silhouettes({f"Leiden {r}": v for r, v in table.items()}, judged, reference=ref)
    keys = {r: f"leiden_{r}" for r in RESOLUTIONS}
    from course_lib.tl import internal_metrics

    checks.check_silhouettes(internal_metrics(judged, keys), judged, reference=ref)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.startswith("✔ silhouettes:") for line in lines)


def test_ex6_silhouettes_wrong_embedding_is_named(judged, ref):
    msg = fails(checks.check_silhouettes, silhouettes_of(judged, "X_pca"), judged, reference=ref)
    assert "measured in 'X_pca'" in msg and "uncorrected PCA" in msg and "chapter 6" in msg
    with_umap = ref.copy()
    with_umap.obsm["X_umap"] = 10 * np.asarray(ref.obsm[HARMONY_KEY])[:, :2]
    answer = judged.copy()
    answer.obsm["X_umap"] = with_umap.obsm["X_umap"]
    msg = fails(
        checks.check_silhouettes, silhouettes_of(answer, "X_umap"), answer, reference=with_umap
    )
    assert "measured in 'X_umap'" in msg and "UMAP" in msg


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda t: t.tolist(), "label each value with its resolution"),
        (lambda t: t.drop(1.4), "the question asks for [0.4, 0.6, 1.0, 1.4]"),
        (lambda t: t * 100, "lies between -1 and 1"),
        (lambda t: t + 0.05, f"off by more than {thresholds.SILHOUETTE_ATOL}"),
        (lambda t: {"x": 0.1}, "cannot read a resolution"),
        (lambda t: None, "should be a dict or a Series"),
    ],
)
def test_ex6_silhouettes_mistakes(judged, ref, make, expected):
    msg = fails(checks.check_silhouettes, make(silhouettes_of(judged)), judged, reference=ref)
    assert expected in msg, msg


def test_ex6_silhouettes_in_another_order(judged, ref):
    """Values stored under the wrong resolutions are named as such."""
    table = silhouettes_of(judged)
    reversed_table = pd.Series(table.to_numpy()[::-1], index=table.index)
    assert (reversed_table - table).abs().max() > thresholds.SILHOUETTE_ATOL
    msg = fails(checks.check_silhouettes, reversed_table, judged, reference=ref)
    assert "in another order" in msg


def test_ex6_least_stable_pass(judged, ref, capsys):
    """The question's own way passes, with the label as a string or an integer."""
    from course_lib.tl import subsample_stability

    answer = judged.copy()
    stability = subsample_stability(answer, "leiden_0.6", resolution=0.6, n_runs=10)
    checks.check_least_stable(stability.idxmin(), answer, reference=ref)
    checks.check_least_stable(int(stability.idxmin()), answer, reference=ref)
    assert capsys.readouterr().out.startswith("✔ least_stable: cluster")


def test_ex6_least_stable_judges_the_students_own_clustering(judged, ref, capsys):
    """The check recomputes the stability of the student's own clusters (here another
    Leiden seed and flavour), with the seed the student's run recorded."""
    from course_lib.checks.ex6_judging import own_stability
    from course_lib.tl import subsample_stability

    answer = judged.copy()
    sc.tl.leiden(answer, resolution=0.6, random_state=3, key_added="leiden_0.6", flavor="leidenalg")
    stability = subsample_stability(answer, "leiden_0.6", resolution=0.6, n_runs=10, random_state=1)
    own = own_stability(answer.obs["leiden_0.6"].astype(str), ref, 0.6, random_state=1)
    pd.testing.assert_series_equal(own, stability.rename(index=str), check_names=False)
    checks.check_least_stable(stability.idxmin(), answer, reference=ref)
    assert capsys.readouterr().out.startswith("✔ least_stable: cluster")


@pytest.fixture(scope="module")
def split_answer(judged: ad.AnnData) -> ad.AnnData:
    """Exercise 6's clustering with its largest cluster cut in two at random (relabelled
    'r…'): the two halves fall apart under subsampling, the other clusters do not."""
    answer = judged.copy()
    labels = "r" + answer.obs["leiden_0.6"].astype(str)
    largest = labels.value_counts().index[0]
    halves = np.random.default_rng(0).random(answer.n_obs) < 0.5
    labels[(labels == largest).to_numpy() & halves] = "rhalf"
    answer.obs["leiden_0.6"] = pd.Categorical(labels)
    return answer


def test_ex6_least_stable_judged_by_cells_not_labels(split_answer, ref, capsys):
    """The check reruns the student's own (renamed, here partly random) clusters; the most
    stable and the smallest cluster are named as such when chosen."""
    from course_lib.checks.ex6_judging import own_stability

    labels = split_answer.obs["leiden_0.6"].astype(str)
    stability = own_stability(labels, ref, 0.6)
    assert stability.max() - stability.min() > thresholds.STABILITY_MARGIN
    checks.check_least_stable(stability.idxmin(), split_answer, reference=ref)
    assert capsys.readouterr().out.startswith("✔ least_stable: cluster 'r")
    sizes = labels.value_counts()
    smallest = sizes.index[-1]
    most = next(c for c in sizes.index[:-1] if np.isclose(stability[c], stability.max()))
    msg = fails(checks.check_least_stable, most, split_answer, reference=ref)
    assert "*most* stable" in msg and "did you take the maximum?" in msg
    assert f"down to {stability.min():.2f}" in msg and "chapter 6" in msg
    msg = fails(checks.check_least_stable, smallest, split_answer, reference=ref)
    assert "the smallest of your clusters" in msg and "maximum" not in msg
    for leaked in ("resolution=", "fraction=", "n_runs=", "subsample_stability", "lowest"):
        assert leaked not in msg


def test_ex6_least_stable_recorded_settings_name_a_wrong_answer(split_answer, ref, capsys):
    """Recorded settings only name the mistake of a wrong answer; a right one passes."""
    from course_lib.checks.ex6_judging import own_stability

    answer = split_answer.copy()
    answer.uns["leiden_0.6_stability"] = {"params": {"fraction": 0.5}}
    stability = own_stability(answer.obs["leiden_0.6"].astype(str), ref, 0.6)
    checks.check_least_stable(stability.idxmin(), answer, reference=ref)
    assert capsys.readouterr().out.startswith("✔ least_stable:")
    msg = fails(checks.check_least_stable, stability.idxmax(), answer, reference=ref)
    assert "`fraction=` 0.5" in msg and "asks for 0.8" in msg


def test_ex6_least_stable_mistakes(judged, ref):
    msg = fails(checks.check_least_stable, 0.78, judged, reference=ref)
    assert "like a stability value" in msg
    msg = fails(checks.check_least_stable, "99", judged, reference=ref)
    assert "is not a cluster of `obs['leiden_0.6']`" in msg
    msg = fails(checks.check_least_stable, ["0", "1"], judged, reference=ref)
    assert "name exactly one" in msg


def b_cluster(adata: ad.AnnData) -> str:
    return str(adata.obs["leiden_0.6"].value_counts().idxmax())


def test_ex6_sample_shares(judged, capsys):
    cluster = b_cluster(judged)
    table = pd.crosstab(judged.obs["sample"], judged.obs["leiden_0.6"])
    shares = table[cluster] / table.sum(axis=1)
    checks.check_sample_shares(shares, judged, cluster)
    checks.check_sample_shares(shares.to_dict(), judged, int(cluster))
    assert capsys.readouterr().out.startswith(f"✔ shares: cluster '{cluster}'")
    by_condition = judged.obs.groupby("type", observed=True)["leiden_0.6"].apply(
        lambda labels: (labels == cluster).mean()
    )
    mistakes = [
        (table[cluster], "numbers of cells"),
        (100 * shares, "percentages"),
        (table[cluster] / table[cluster].sum(), "sums to 1 over the samples"),
        (by_condition, "one value per condition"),
        (table, "is a table"),
        (shares.iloc[1:], "the index of `shares` should be the samples"),
        ("x", "should be a pandas Series"),
    ]
    for answer, expected in mistakes:
        assert expected in fails(checks.check_sample_shares, answer, judged, cluster)


def test_ex6_b_cluster_found_by_the_check(judged, ref, capsys):
    """Without `cluster`, the checks find the setup's B cluster from the course data's
    expression (the grade cells read no helper variable of the notebook)."""
    import course_lib
    from course_lib.checks.ex6_composition import b_cluster as found

    cluster = course_lib.marker_means(judged, "leiden_0.6", ["MS4A1"])["MS4A1"].idxmax()
    assert found(judged.obs["leiden_0.6"].astype(str), ref) == cluster
    table = pd.crosstab(judged.obs["sample"], judged.obs["leiden_0.6"], normalize="index")
    checks.check_sample_shares(table[cluster], judged, reference=ref)
    assert capsys.readouterr().out.startswith(f"✔ shares: cluster '{cluster}'")
    other = next(c for c in table.columns if c != cluster)
    msg = fails(checks.check_sample_shares, table[other], judged, reference=ref)
    assert f"does not match cluster '{cluster}'" in msg
    p_value = course_lib.composition_test(judged, "leiden_0.6").loc[cluster, "propeller p"]
    checks.check_composition_p(p_value, judged, reference=ref)
    out = capsys.readouterr().out
    assert out.startswith(f"✔ p_value: a sample-level test of cluster '{cluster}'")


def test_ex6_composition_p(judged, capsys):
    from scipy.stats import mannwhitneyu

    from course_lib.tl import composition_test

    cluster = b_cluster(judged)
    table = pd.crosstab(judged.obs["sample"], judged.obs["leiden_0.6"])
    shares = table[cluster] / table.sum(axis=1)
    condition = judged.obs.groupby("sample", observed=True)["type"].first()
    covid, ctrl = shares[condition == "covid"], shares[condition == "ctrl"]
    tests = composition_test(judged, "leiden_0.6").loc[cluster]
    checks.check_composition_p(mannwhitneyu(covid, ctrl, method="exact").pvalue, judged, cluster)
    checks.check_composition_p(tests["propeller p"], judged, cluster)
    assert capsys.readouterr().out.count("✔ p_value: a sample-level test") == 2
    msg = fails(checks.check_composition_p, tests["cell-level p"], judged, cluster)
    assert "matches a chi-square test on the cell counts" in msg
    assert "pseudo-replication" in msg and "chapter 7" in msg
    tiny = min(1e-9, tests["cell-level p"]) / 100  # below the floor, not the cell-level p
    msg = fails(checks.check_composition_p, tiny, judged, cluster)
    assert "below 0.0286" in msg and "replicates are the samples" in msg
    one_sided = min(
        mannwhitneyu(covid, ctrl, alternative=side, method="exact").pvalue
        for side in ("less", "greater")
    )
    assert "two-sided" in fails(checks.check_composition_p, one_sided, judged, cluster)
    for bad, expected in ((1.5, "between 0 and 1"), ("0.1", "should be a number")):
        assert expected in fails(checks.check_composition_p, bad, judged, cluster)
    exact = mannwhitneyu(covid, ctrl, method="exact").pvalue
    approximate = mannwhitneyu(covid, ctrl, method="asymptotic").pvalue
    if abs(np.log10(exact / approximate)) <= thresholds.COMPOSITION_P_LOG10:
        checks.check_composition_p(approximate, judged, cluster)  # as close as another run
        assert capsys.readouterr().out.startswith("✔ p_value:")
    else:
        msg = fails(checks.check_composition_p, approximate, judged, cluster)
        assert "normal approximation" in msg


def test_ex6_composition_p_fisher_named(judged):
    """Fisher's exact test on the cell counts is called by its name, not a chi-square test."""
    from scipy.stats import fisher_exact

    cluster = b_cluster(judged)
    in_cluster = judged.obs["leiden_0.6"].astype(str) == cluster
    counts = pd.crosstab(in_cluster, judged.obs["type"]).to_numpy()
    msg = fails(checks.check_composition_p, fisher_exact(counts)[1], judged, cluster)
    assert "matches Fisher's exact test on the cell counts" in msg and "chi-square" not in msg
    assert "every cell as a replicate" in msg
