"""The lab's real-data loader, against a server this test starts on 127.0.0.1 (never the internet).

The server speaks HTTP basic auth and serves valid 10x v3 ``.h5`` files written here from
the simulated counts, split by sample. Run with ``pytest -s`` to see the measured times.
"""

from __future__ import annotations

import hashlib
import socket
import time
import warnings
from pathlib import Path

import pytest

from course_lib.datasets import DATASET_VERSION, cache_path, load_integrated
from course_lib.datasets.lab import (
    LAB_FILES,
    LabDataError,
    download_lab_files,
    lab_cache_path,
    lab_config,
)
from course_lib.defaults import HARMONY_KEY, RESOLUTIONS, TRUTH_KEY, leiden_key
from course_lib.tl import graph_clustering
from tests.lab_server import PASSWORD, USER, lab_settings, serve_lab_files


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """The eight files (simulated counts split by sample) behind basic auth on 127.0.0.1."""
    with serve_lab_files(tmp_path_factory.mktemp("served")) as server:
        yield server


@pytest.fixture
def lab_env(lab_server, tmp_path, monkeypatch):
    """Every setting pointed at the test server and a fresh cache; the server well-behaved."""
    lab_server["behaviour"].clear()
    lab_server["requests"].clear()
    settings = lab_settings(lab_server, tmp_path / "cache", tmp_path / "absent.toml")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return lab_server


def _raw_files(tmp_path: Path) -> list[Path]:
    raw = tmp_path / "cache" / "lab" / "raw"
    return sorted(p for p in raw.iterdir()) if raw.exists() else []


@pytest.mark.slow
def test_end_to_end_download_prepare_and_chapter_1(lab_env, tmp_path):
    start = time.perf_counter()
    paths = download_lab_files(progress=False)
    download = time.perf_counter() - start
    assert [p.name for p in paths] == [f.filename for f in LAB_FILES]
    assert len(lab_env["requests"]) == len(LAB_FILES)

    start = time.perf_counter()
    with pytest.warns(UserWarning, match="no truth labels"):
        adata = load_integrated(progress=False)  # SCCLUST_DATASET=lab
    prepare = time.perf_counter() - start
    assert len(lab_env["requests"]) == len(LAB_FILES)  # the verified local copies were used
    for key in ("X_pca", HARMONY_KEY, "X_umap", "X_umap_uncorr"):
        assert key in adata.obsm
    assert adata.raw is not None and "counts" in adata.layers
    assert list(adata.obs["sample"].cat.categories) == [f.sample for f in LAB_FILES]
    assert set(adata.obs["type"]) == {"ctrl", "covid"}
    assert TRUTH_KEY not in adata.obs and adata.uns["course_dataset"]["dataset"] == "lab"
    assert 1200 < adata.n_obs < 1600  # QC removed the low-quality cells only

    start = time.perf_counter()
    graph_clustering(adata, RESOLUTIONS)  # chapter 1's step
    chapter_1 = time.perf_counter() - start
    counts = [adata.obs[leiden_key(r)].nunique() for r in RESOLUTIONS]
    assert counts[0] >= 3 and counts == sorted(counts)

    # the prepared data is cached in its own file, next to (not instead of) the simulated one
    lab_path = lab_cache_path(lab_config())
    assert lab_path.exists() and lab_path != cache_path()
    assert cache_path().name == f"pbmc_covid_sim_v{DATASET_VERSION}_seed0.h5ad"
    assert not cache_path().exists()
    with pytest.warns(UserWarning, match="no truth labels"):
        again = load_integrated(progress=False)
    assert again.n_obs == adata.n_obs and len(lab_env["requests"]) == len(LAB_FILES)
    print(
        f"\nlab data on 127.0.0.1 ({adata.n_obs} cells after QC, "
        f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB): download {download:.2f} s, "
        f"prepare {prepare:.2f} s, chapter-1 step (neighbours + Leiden x{len(RESOLUTIONS)}) "
        f"{chapter_1:.2f} s"
    )


def test_setting_switches_load_integrated(lab_env, tmp_path, monkeypatch):
    download_lab_files(progress=False)
    with pytest.warns(UserWarning):
        lab = load_integrated(progress=False)
    simulated = lab.copy()  # a stand-in for the simulated cache, to avoid a one-minute build
    simulated.uns["course_dataset"] = {"dataset": "simulated stand-in"}
    simulated.write_h5ad(cache_path())
    for value in (None, "simulated", " Simulated "):
        if value is None:
            monkeypatch.delenv("SCCLUST_DATASET")
        else:
            monkeypatch.setenv("SCCLUST_DATASET", value)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the simulated data warns about nothing
            loaded = load_integrated(progress=False)
        assert loaded.uns["course_dataset"]["dataset"] == "simulated stand-in"
    monkeypatch.setenv("SCCLUST_DATASET", "real")
    with pytest.raises(ValueError, match="'simulated'.*'lab'"):
        load_integrated(progress=False)


def test_wrong_password_is_a_clear_error(lab_env, tmp_path, monkeypatch):
    monkeypatch.setenv("SCCLUST_LAB_PASSWORD", "last-year")
    with pytest.raises(LabDataError, match=r"refused the user name/password \(HTTP 401\)") as info:
        download_lab_files(progress=False)
    assert "SCCLUST_LAB_PASSWORD" in str(info.value) and "this year" in str(info.value)
    assert _raw_files(tmp_path) == []


def test_hash_mismatch_is_rejected_and_not_kept(lab_env, tmp_path):
    lab_env["behaviour"]["Normal_PBMC_13.h5"] = "corrupt"
    with pytest.raises(LabDataError, match="Normal_PBMC_13.h5 was rejected: its SHA-256"):
        download_lab_files(progress=False)
    assert [p.name for p in _raw_files(tmp_path)] == ["Normal_PBMC_5.h5"]  # only the good one


def test_server_down_points_to_the_offline_dataset(lab_env, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SCCLUST_LAB_URL", f"http://127.0.0.1:{port}/covid")
    with pytest.raises(LabDataError, match="could not reach .*unset SCCLUST_DATASET") as info:
        load_integrated(progress=False)
    assert "simulated dataset" in str(info.value)
    assert isinstance(info.value.__cause__, Exception)  # the original error is chained


def test_interrupted_download_leaves_no_partial_file(lab_env, tmp_path):
    lab_env["behaviour"]["Normal_PBMC_5.h5"] = "interrupt"
    with pytest.raises(LabDataError, match="interrupted.*nothing was kept"):
        download_lab_files(progress=False)
    raw = tmp_path / "cache" / "lab" / "raw"
    assert not any(raw.iterdir())  # neither the file nor a temporary part of it
    lab_env["behaviour"].clear()
    paths = download_lab_files(progress=False)
    registry = dict(reversed(line.split()) for line in lab_env["registry"].read_text().splitlines())
    for path in paths:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == registry[path.name]


def test_unknown_hashes_are_refused_before_downloading(lab_env, monkeypatch):
    monkeypatch.delenv("SCCLUST_LAB_REGISTRY")
    with pytest.raises(LabDataError, match="no SHA-256 is known for Normal_PBMC_5.h5") as info:
        download_lab_files(progress=False)
    assert "SCCLUST_LAB_REGISTRY" in str(info.value) and "sha256sum" in str(info.value)
    assert lab_env["requests"] == []


def test_missing_url_says_what_to_set(lab_env, monkeypatch):
    monkeypatch.delenv("SCCLUST_LAB_URL")
    with pytest.raises(LabDataError, match="set SCCLUST_LAB_URL.*simulated dataset"):
        load_integrated(progress=False)


def test_settings_from_a_config_file(lab_env, tmp_path, monkeypatch):
    hashes = dict(reversed(line.split()) for line in lab_env["registry"].read_text().splitlines())
    table = "\n".join(f'"{name}" = "{digest}"' for name, digest in hashes.items())
    config = tmp_path / "lab.toml"
    config.write_text(
        f'url = "{lab_env["url"]}"\nuser = "{USER}"\npassword = "{PASSWORD}"\n\n[sha256]\n{table}\n'
    )
    for name in ("URL", "USER", "PASSWORD", "REGISTRY"):
        monkeypatch.delenv(f"SCCLUST_LAB_{name}")
    monkeypatch.setenv("SCCLUST_LAB_CONFIG", str(config))
    assert len(download_lab_files(progress=False)) == len(LAB_FILES)
    monkeypatch.setenv("SCCLUST_LAB_PASSWORD", "wrong")  # the environment wins over the file
    monkeypatch.setenv("SCCLUST_CACHE_DIR", str(tmp_path / "other-cache"))
    with pytest.raises(LabDataError, match="HTTP 401"):
        download_lab_files(progress=False)
