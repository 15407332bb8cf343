"""The dataset cache: built once, atomic, rebuilt when corrupt, clear error when unwritable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import course_lib.datasets.cache as data
from course_lib import CACHE_ENV, CacheDirError, load_integrated
from tests.conftest import prepare_small

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fast_build(monkeypatch, small_prepared):
    """Replace the minute-long full build with the small dataset, counting calls."""
    calls = []

    def build(*, seed=0, progress=True):
        calls.append(seed)
        adata = small_prepared.copy()
        adata.obsm["X_umap"] = adata.obsm["X_pca_harmony"][:, :2]
        adata.obsm["X_umap_uncorr"] = adata.obsm["X_pca"][:, :2]
        return adata

    monkeypatch.setattr(data, "build_integrated", build)
    return calls


def test_first_call_builds_and_caches_then_loads(tmp_path, monkeypatch, fast_build):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = load_integrated()
    assert fast_build == [0]
    assert data.cache_path(0).exists() and data.cache_path(0).parent == tmp_path
    second = load_integrated()
    assert fast_build == [0]  # no rebuild
    assert second.shape == first.shape
    assert (second.obsm["X_pca_harmony"] == first.obsm["X_pca_harmony"]).all()
    assert list(tmp_path.iterdir()) == [data.cache_path(0)]  # no temporary files left


def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch, fast_build, caplog):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    data.cache_path(0).write_bytes(b"this is not an HDF5 file")
    adata = load_integrated()
    assert fast_build == [0]
    assert "unreadable" in caplog.text
    assert adata.n_obs > 0
    assert load_integrated().n_obs == adata.n_obs  # the rebuilt cache is valid
    assert fast_build == [0]


def test_truncated_cache_is_rebuilt(tmp_path, monkeypatch, fast_build):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    load_integrated()
    path = data.cache_path(0)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    load_integrated()
    assert fast_build == [0, 0]


def test_interrupted_write_leaves_no_cache(tmp_path, monkeypatch, fast_build):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))

    def interrupted(self, filename, **kwargs):
        with open(filename, "wb") as handle:
            handle.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr("anndata.AnnData.write_h5ad", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_integrated()
    assert list(tmp_path.iterdir()) == []


def test_unwritable_cache_dir_names_the_variable(tmp_path, monkeypatch, fast_build):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    with pytest.raises(CacheDirError, match=f"Set the environment variable {CACHE_ENV}"):
        load_integrated()
    assert fast_build == []


def test_real_build_has_the_lab_keys(monkeypatch):
    adata = prepare_small(seed=1, n_cells=400)
    assert {"X_pca", "X_pca_harmony"} <= set(adata.obsm)
    assert adata.raw is not None and adata.raw.n_vars >= adata.n_vars
    assert adata.var["highly_variable"].sum() > 0
    assert {"pct_counts_mt", "pct_counts_ribo", "pct_counts_hb"} <= set(adata.obs)
    assert adata.obs["pct_counts_mt"].max() <= data.preparation_steps.__globals__["QC_MAX_PCT_MT"]


def small_with_graph(seed: int, n_cells: int = 400):
    """The small dataset with the kNN graph and stand-in UMAPs, for fingerprinting."""
    import scanpy as sc

    adata = prepare_small(seed=seed, n_cells=n_cells)
    sc.pp.neighbors(adata, use_rep="X_pca_harmony", random_state=seed)
    adata.obsm["X_umap"] = adata.obsm["X_pca_harmony"][:, :2]
    adata.obsm["X_umap_uncorr"] = adata.obsm["X_pca"][:, :2]
    return adata


def test_same_build_gives_the_same_fingerprint():
    first, second = small_with_graph(seed=2), small_with_graph(seed=2)
    assert data.fingerprint(first) == data.fingerprint(second)
    second.obsm["X_pca_harmony"][0, 0] = np.nextafter(
        second.obsm["X_pca_harmony"][0, 0], np.float32(np.inf)
    )
    assert data.fingerprint(first) != data.fingerprint(second)  # one bit is enough


@pytest.mark.slow
def test_same_thread_count_gives_the_same_dataset_in_fresh_processes():
    """Two fresh interpreters with the same thread settings build bit-identical data."""
    program = (
        "from tests.test_data import small_with_graph; import course_lib.datasets.cache as d; "
        "print(d.fingerprint(small_with_graph(seed=3)))"
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    prints = [
        subprocess.run([sys.executable, "-c", program], env=env, cwd=ROOT, capture_output=True,
                       text=True, check=True).stdout.split()[-1]
        for _ in range(2)
    ]
    assert prints[0] == prints[1]


def test_build_records_fingerprint_and_threads(monkeypatch):
    small = small_with_graph(seed=0, n_cells=300)
    monkeypatch.setattr(data, "simulate_pbmc", lambda seed: small)
    monkeypatch.setattr(data, "preparation_steps", lambda adata, seed: [])
    built = data.build_integrated(seed=0, progress=False)
    record = built.uns["course_dataset"]
    assert record["fingerprint"] == data.fingerprint(small)
    assert record["version"] == data.DATASET_VERSION
    assert record["threads"]["numba"] >= 1 and len(record["threads"]) >= 2
