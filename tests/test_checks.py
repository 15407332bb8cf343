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

from course_lib import checks

pytestmark = pytest.mark.filterwarnings("ignore:In the future, the default backend:FutureWarning")


def leiden(adata: ad.AnnData, resolution: float, key: str, *, seed: int = 0, flavor="igraph"):
    options = (
        {"flavor": "igraph", "n_iterations": 2, "directed": False}
        if flavor == "igraph"
        else {"flavor": "leidenalg"}
    )
    sc.tl.leiden(adata, resolution=resolution, key_added=key, random_state=seed, **options)


@pytest.fixture
def ref(small_prepared_session: ad.AnnData) -> ad.AnnData:
    """The pristine small dataset the references are computed from (checks only read it)."""
    return small_prepared_session


@pytest.fixture
def answered(small_prepared: ad.AnnData) -> ad.AnnData:
    """A correct student answer to exercise 1."""
    sc.pp.neighbors(small_prepared, n_neighbors=15, use_rep="X_pca_harmony")
    leiden(small_prepared, 0.6, "leiden_0.6")
    leiden(small_prepared, 1.0, "leiden_1.0")
    return small_prepared


@pytest.fixture
def uncorrected(small_prepared: ad.AnnData) -> ad.AnnData:
    """The usual mistake: graph and clustering on the uncorrected PCA."""
    sc.pp.neighbors(small_prepared, n_neighbors=15, use_rep="X_pca")
    leiden(small_prepared, 0.6, "leiden_0.6")
    return small_prepared


def fails(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


# ----------------------------------------------------------------------------- neighbours
def test_neighbors_pass(answered, ref, capsys):
    checks.check_neighbors(answered, reference=ref)
    checks.check_neighbors(answered, strict=True, reference=ref)
    out = capsys.readouterr().out.splitlines()
    assert out == ["✔ kNN graph on 'X_pca_harmony' with 15 neighbours."] * 2


def test_neighbors_other_seed_pass(small_prepared, ref):
    sc.pp.neighbors(small_prepared, use_rep="X_pca_harmony", random_state=7)
    checks.check_neighbors(small_prepared, strict=True, reference=ref)


def test_neighbors_wrong_embedding(uncorrected, ref):
    msg = fails(checks.check_neighbors, uncorrected, reference=ref)
    assert "built on 'X_pca'" in msg and "uncorrected" in msg
    assert "use_rep='X_pca_harmony'" in msg


def test_neighbors_strict_compares_the_graph_itself(uncorrected, ref):
    """A graph on X_pca whose recorded parameters were edited still fails the hidden test."""
    uncorrected.uns["neighbors"]["params"]["use_rep"] = "X_pca_harmony"
    checks.check_neighbors(uncorrected, reference=ref)
    msg = fails(checks.check_neighbors, uncorrected, strict=True, reference=ref)
    assert "neighbours in the Harmony embedding" in msg


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
    checks.check_leiden(answered, 0.6, strict=True, reference=ref)
    checks.check_leiden(answered, 1.0, reference=ref)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.startswith("✔ obs['leiden_") for line in lines)


@pytest.mark.parametrize(("seed", "flavor"), [(3, "igraph"), (0, "leidenalg"), (4, "leidenalg")])
def test_leiden_other_seed_or_flavor_pass(small_prepared, ref, seed, flavor):
    sc.pp.neighbors(small_prepared, use_rep="X_pca_harmony", random_state=seed)
    leiden(small_prepared, 0.6, "leiden_0.6", seed=seed, flavor=flavor)
    checks.check_leiden(small_prepared, 0.6, strict=True, reference=ref)


def test_leiden_renamed_and_reordered_labels_pass(answered, ref):
    """Label names and cell order do not matter (permutation-invariant comparison)."""
    labels = answered.obs["leiden_0.6"]
    answered.obs["leiden_0.6"] = labels.cat.rename_categories(
        [f"c{i}" for i in range(len(labels.cat.categories))][::-1]
    )
    shuffled = answered[np.random.default_rng(0).permutation(answered.n_obs)].copy()
    checks.check_leiden(shuffled, 0.6, strict=True, reference=ref)


def test_leiden_wrong_embedding(uncorrected, ref):
    msg = fails(checks.check_leiden, uncorrected, 0.6, reference=ref)
    assert "matches the uncorrected PCA better than the Harmony embedding" in msg
    assert "built with `use_rep='X_pca'`" in msg and "use_rep='X_pca_harmony'" in msg


def test_leiden_wrong_embedding_without_recorded_params(uncorrected, ref):
    """Named from the labels alone when the parameters are gone."""
    del uncorrected.uns["neighbors"], uncorrected.uns["leiden_0.6"]
    msg = fails(checks.check_leiden, uncorrected, 0.6, reference=ref)
    assert "matches the uncorrected PCA better" in msg


def test_leiden_wrong_resolution_named_from_params(answered, ref):
    leiden(answered, 1.0, "leiden_0.6")
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "computed with resolution=1" in msg and "asks for resolution=0.6" in msg


def test_leiden_default_resolution_named(answered, ref):
    """Forgetting ``resolution=`` runs scanpy's default 1, recorded in uns."""
    sc.tl.leiden(answered, key_added="leiden_0.6", flavor="igraph", n_iterations=2, directed=False)
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "resolution=1" in msg


def test_leiden_too_few_clusters(answered, ref):
    leiden(answered, 0.02, "leiden_0.6")
    del answered.uns["leiden_0.6"]
    n_clusters = answered.obs["leiden_0.6"].nunique()
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert f"has {n_clusters} clusters — too few for resolution 0.6" in msg
    assert "`resolution=0.6`" in msg


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


def test_leiden_strict_requires_recorded_params(answered, ref):
    del answered.uns["leiden_0.6"]
    checks.check_leiden(answered, 0.6, reference=ref)
    msg = fails(checks.check_leiden, answered, 0.6, strict=True, reference=ref)
    assert "uns['leiden_0.6']['params']` is missing" in msg


def test_leiden_reference_computed_once(answered, ref, monkeypatch):
    """The references are cached per process: a second check runs no Leiden."""
    checks.check_leiden(answered, 0.6, reference=ref)

    def no_leiden(*args, **kwargs):
        raise RuntimeError("reference recomputed")

    monkeypatch.setattr(checks.sc.tl, "leiden", no_leiden)
    checks.check_leiden(answered, 0.6, strict=True, reference=ref)


def test_leiden_message_does_not_leak_reference(answered, ref):
    """A failure reports scores and counts, never the reference's labels or cluster sizes."""
    leiden(answered, 0.02, "leiden_0.6")
    del answered.uns["leiden_0.6"]
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    sizes = checks.reference_leiden(ref, 0.6).value_counts()
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


def test_bad_input_missing_key(answered, ref):
    answered.obs["leiden_0.6_mine"] = answered.obs.pop("leiden_0.6")
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "has no column 'leiden_0.6'" in msg and "key_added='leiden_0.6'" in msg
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
    assert "course_lib.load_integrated()" in msg


def test_bad_input_renamed_cells(answered, ref):
    answered.obs_names = [f"cell{i}" for i in range(answered.n_obs)]
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "cell names (`adata.obs_names`) do not match" in msg


def test_bad_input_int_labels(answered, ref):
    answered.obs["leiden_0.6"] = answered.obs["leiden_0.6"].cat.codes.astype(int)
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "holds numbers (int64)" in msg and ".astype(str).astype('category')" in msg


def test_bad_input_plain_string_labels(answered, ref):
    answered.obs["leiden_0.6"] = answered.obs["leiden_0.6"].astype(str)
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "is not categorical" in msg


def test_bad_input_categories_not_strings(answered, ref):
    codes = answered.obs["leiden_0.6"].cat.codes
    answered.obs["leiden_0.6"] = pd.Categorical(codes)
    msg = fails(checks.check_leiden, answered, 0.6, reference=ref)
    assert "categories of `adata.obs['leiden_0.6']` are numbers" in msg


def test_unexpected_error_becomes_student_message(answered, ref):
    """A library error inside a check becomes one clear AssertionError, no deep traceback."""
    with pytest.raises(AssertionError) as info:
        checks.check_leiden(answered, "0.6", reference=ref)
    assert "check_leiden could not check your answer" in str(info.value)
    assert "Restart & Run All" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ----------------------------------------------------------------------------- agreement
def test_agreement_pass(answered, capsys):
    value = checks.adjusted_rand_score(answered.obs["leiden_0.6"], answered.obs["leiden_1.0"])
    checks.check_agreement(value, answered, "leiden_0.6", "leiden_1.0")
    assert capsys.readouterr().out.startswith("✔ ARI between 'leiden_0.6' and 'leiden_1.0'")


def test_agreement_wrong_score(answered):
    from sklearn.metrics import normalized_mutual_info_score

    leiden(answered, 3.0, "leiden_1.0")  # on the small data 0.6 and 1 give the same partition
    nmi = normalized_mutual_info_score(answered.obs["leiden_0.6"], answered.obs["leiden_1.0"])
    msg = fails(checks.check_agreement, nmi, answered, "leiden_0.6", "leiden_1.0")
    assert "is not the ARI" in msg and "NMI" in msg


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
    checks.check_kmeans(small_prepared, 10, strict=True, reference=ref)
    assert capsys.readouterr().out.startswith("✔ obs['kmeans_10']: 10 clusters")


def test_kmeans_wrong_k(small_prepared, ref):
    kmeans(small_prepared, 8, key="kmeans_10")
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "has 8 clusters; the question asks for 10" in msg and "n_clusters=10" in msg


@pytest.mark.slow
def test_kmeans_uncorrected():
    """On the course data (the small data's sample effect is too weak to tell k-means apart)."""
    import course_lib

    adata = course_lib.load_integrated(progress=False)
    kmeans(adata, rep="X_pca")
    msg = fails(checks.check_kmeans, adata, 10)
    assert "looks like k-means on the uncorrected PCA" in msg
    assert "adata.obsm['X_pca_harmony']" in msg


def test_kmeans_not_compact(small_prepared, ref):
    labels = np.random.default_rng(0).permutation(np.arange(small_prepared.n_obs) % 10)
    small_prepared.obs["kmeans_10"] = pd.Categorical(labels.astype(str))
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "less compact in the Harmony embedding" in msg


def test_kmeans_int_labels(small_prepared, ref):
    model = kmeans(small_prepared)
    small_prepared.obs["kmeans_10"] = model.labels_
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "`adata.obs['kmeans_10']` holds numbers (int32)" in msg


def test_kmeans_missing_key(small_prepared, ref):
    msg = fails(checks.check_kmeans, small_prepared, 10, reference=ref)
    assert "has no column 'kmeans_10'" in msg and "KMeans(n_clusters=10" in msg


# ----------------------------------------------------------------------------- inertias
KS = range(2, 9, 2)


@pytest.fixture
def inertias(small_prepared):
    from sklearn.cluster import KMeans

    data = small_prepared.obsm["X_pca_harmony"]
    return {k: KMeans(n_clusters=k, n_init=3, random_state=0).fit(data).inertia_ for k in KS}


def test_inertias_pass(inertias, ref, capsys):
    checks.check_inertias(inertias, KS, strict=True, reference=ref)
    checks.check_inertias(pd.Series(inertias), KS, reference=ref)
    assert capsys.readouterr().out.startswith("✔ inertias for k = 2, 4, 6, 8")


def test_inertias_other_seed_pass(small_prepared, ref):
    from sklearn.cluster import KMeans

    data = small_prepared.obsm["X_pca_harmony"]
    values = {k: KMeans(n_clusters=k, n_init=10, random_state=5).fit(data).inertia_ for k in KS}
    checks.check_inertias(values, KS, strict=True, reference=ref)


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
    checks.check_ward(small_prepared, 10, strict=True, reference=ref)
    tree = linkage(small_prepared.obsm["X_pca_harmony"], method="ward")
    labels = fcluster(tree, t=10, criterion="maxclust")
    small_prepared.obs["ward_10"] = pd.Categorical(labels.astype(str))
    checks.check_ward(small_prepared, 10, strict=True, reference=ref)
    assert capsys.readouterr().out.count("✔ obs['ward_10']: 10 clusters") == 2


def test_ward_uncorrected(small_prepared, ref):
    ward(small_prepared, rep="X_pca")
    msg = fails(checks.check_ward, small_prepared, 10, reference=ref)
    assert "Ward tree of the uncorrected PCA" in msg


def test_ward_wrong_linkage(small_prepared, ref):
    ward(small_prepared, linkage="average")
    msg = fails(checks.check_ward, small_prepared, 10, reference=ref)
    assert "looks like average linkage" in msg and "linkage='ward'" in msg


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
    checks.check_proportions(proportions(clustered, normalize="index"), clustered, strict=True)
    assert capsys.readouterr().out.startswith("✔ props: 8 samples × ")


def test_proportions_reordered_pass(clustered):
    table = proportions(clustered, normalize="index")
    checks.check_proportions(table.iloc[::-1, ::-1], clustered, strict=True)


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


def test_proportions_strict_exact(clustered):
    table = proportions(clustered, normalize="index") + 1e-9
    checks.check_proportions(table, clustered)
    msg = fails(checks.check_proportions, table, clustered, strict=True)
    assert "does not match" in msg


def group_difference(adata):
    props = proportions(adata, normalize="index")
    sample_type = adata.obs.groupby("sample", observed=True)["type"].first()
    means = props.groupby(sample_type, observed=True).mean()
    return means.loc["covid"] - means.loc["ctrl"]


def test_group_difference_pass(clustered, capsys):
    checks.check_group_difference(group_difference(clustered), clustered, strict=True)
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


# ----------------------------------------------------------------------------- subclustering
def tnk_subset(adata, *, nk=True, t=True, extra=()):
    markers = ["CD3E", "GNLY", "NKG7"]
    expression = pd.DataFrame(
        adata.raw[:, markers].X.toarray(), index=adata.obs_names, columns=markers
    )
    means = expression.groupby(adata.obs["leiden_0.6"], observed=True).mean()
    t_score, nk_score = means["CD3E"], means[["GNLY", "NKG7"]].mean(axis=1)
    chosen = ((t_score > 0.5 * t_score.max()) & t) | ((nk_score > 0.5 * nk_score.max()) & nk)
    clusters = [*means.index[chosen], *extra]
    return adata[adata.obs["leiden_0.6"].isin(clusters)].copy(), means.index[~chosen]


def test_tnk_subset_pass(answered, ref, capsys):
    tnk, _ = tnk_subset(answered)
    checks.check_tnk_subset(tnk, strict=True, reference=ref)
    assert capsys.readouterr().out.startswith("✔ tnk: ")


def test_tnk_subset_without_nk(answered, ref):
    tnk, _ = tnk_subset(answered, nk=False)
    msg = fails(checks.check_tnk_subset, tnk, reference=ref)
    assert "misses" in msg and "NK cells lack CD3E" in msg


def test_tnk_subset_with_other_cluster(answered, ref):
    _, others = tnk_subset(answered)
    tnk, _ = tnk_subset(answered, extra=[others[0]])
    msg = fails(checks.check_tnk_subset, tnk, reference=ref)
    assert "are not T or NK cells" in msg


def test_tnk_subset_bad_input(answered, ref):
    view = answered[answered.obs["leiden_0.6"] == answered.obs["leiden_0.6"].iloc[0]]
    assert "is a view of `adata`; make it a copy" in fails(
        checks.check_tnk_subset, view, reference=ref
    )
    assert "`tnk` is None" in fails(checks.check_tnk_subset, None, reference=ref)
    renamed = answered[:10].copy()
    renamed.obs_names = [f"cell{i}" for i in range(10)]
    assert "not cells of the exercise data" in fails(
        checks.check_tnk_subset, renamed, reference=ref
    )


@pytest.fixture
def tnk(answered):
    subset, _ = tnk_subset(answered)
    return subset


def subcluster(tnk, *, rep="X_pca_harmony", resolution=0.6, seed=0, flavor="igraph"):
    sc.pp.neighbors(tnk, use_rep=rep, random_state=seed)
    leiden(tnk, resolution, "sub_leiden_0.6", seed=seed, flavor=flavor)


@pytest.mark.parametrize(("seed", "flavor"), [(0, "igraph"), (3, "igraph"), (0, "leidenalg")])
def test_subclustering_pass(tnk, ref, seed, flavor, capsys):
    subcluster(tnk, seed=seed, flavor=flavor)
    checks.check_subclustering(tnk, 0.6, strict=True, reference=ref)
    assert capsys.readouterr().out.startswith("✔ tnk.obs['sub_leiden_0.6']: ")


def test_subclustering_uncorrected(tnk, ref):
    subcluster(tnk, rep="X_pca")
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "matches the uncorrected PCA better" in msg


def test_subclustering_wrong_resolution(tnk, ref):
    subcluster(tnk, resolution=2.0)
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "computed with resolution=2" in msg


def test_subclustering_missing_key(tnk, ref):
    msg = fails(checks.check_subclustering, tnk, 0.6, reference=ref)
    assert "`tnk.obs` has no column 'sub_leiden_0.6'" in msg


def test_leiden_strict_requires_harmony_graph(answered, ref):
    """Labels that pass but a current graph on another embedding fail the hidden test."""
    answered.uns["neighbors"]["params"]["use_rep"] = "X_pca"
    msg = fails(checks.check_leiden, answered, 0.6, strict=True, reference=ref)
    assert "the kNN graph in `adata` was built on 'X_pca'" in msg
