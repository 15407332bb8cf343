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
    leiden(small_prepared, 1.0, "leiden_1")
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
    value = checks.adjusted_rand_score(answered.obs["leiden_0.6"], answered.obs["leiden_1"])
    checks.check_agreement(value, answered, "leiden_0.6", "leiden_1")
    assert capsys.readouterr().out.startswith("✔ ARI between 'leiden_0.6' and 'leiden_1'")


def test_agreement_wrong_score(answered):
    from sklearn.metrics import normalized_mutual_info_score

    leiden(answered, 3.0, "leiden_1")  # on the small data 0.6 and 1 give the same partition
    nmi = normalized_mutual_info_score(answered.obs["leiden_0.6"], answered.obs["leiden_1"])
    msg = fails(checks.check_agreement, nmi, answered, "leiden_0.6", "leiden_1")
    assert "is not the ARI" in msg and "NMI" in msg


def test_agreement_out_of_range(answered):
    msg = fails(checks.check_agreement, 3.0, answered, "leiden_0.6", "leiden_1")
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
    msg = fails(checks.check_agreement, value, answered, "leiden_0.6", "leiden_1")
    assert expected in msg
