"""The lab's real COVID-19 PBMC data (GEO GSE149689 subset): registry, download, preparation.

The course runs offline on simulated data. With ``SCCLUST_DATASET=lab``,
:func:`course_lib.load_integrated` instead downloads the lab's eight raw 10x ``.h5`` files
(about 29 MB) from the lab's server, checks each file's SHA-256, and runs the same
preparation as on the simulated counts (:func:`.prepare.preparation_steps`).

=========================  ============================================================
setting                    meaning
=========================  ============================================================
``SCCLUST_DATASET``        ``simulated`` (default) or ``lab``
``SCCLUST_LAB_URL``        base URL of the directory holding the eight files
``SCCLUST_LAB_USER``       user name for HTTP basic authentication (optional)
``SCCLUST_LAB_PASSWORD``   this year's password
``SCCLUST_LAB_REGISTRY``   ``sha256sum`` output of the eight files (``<hash>  <file>``)
``SCCLUST_LAB_CONFIG``     TOML file with the same settings, default
                           ``~/.config/scclust-course/lab.toml``; environment wins
=========================  ============================================================

The variables are read by :mod:`course_lib.environment`. The TOML file holds ``url``,
``user``, ``password`` and a ``[sha256]`` table mapping file names to hashes. The course
ships no hash: the real files could not be measured when this was written, so the loader
refuses to use a file whose hash nobody supplied.

The real data has no truth labels (``obs["cell_type_truth"]``, ``obs["lineage_truth"]``):
every chapter runs, and its cells comparing clusters with the truth say they are skipped
(:func:`course_lib.datasets.has_truth`).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import requests

from .. import environment
from ..defaults import CONDITION_KEY, LINEAGE_KEY, SAMPLE_KEY, SEED, TRUTH_KEY
from ..environment import (
    LAB_PASSWORD_ENV,
    LAB_REGISTRY_ENV,
    LAB_URL_ENV,
    LAB_USER_ENV,
    cache_dir,
)
from .cache import (
    DATASET_VERSION,
    _ensure_writable,
    _prepare_recorded,
    _read_valid,
    _write_atomic,
)
from .download import fetch_file

OFFLINE_HINT = (
    "the course runs offline on the simulated dataset: unset SCCLUST_DATASET "
    "(or set it to 'simulated')"
)


@dataclass(frozen=True)
class LabFile:
    """One raw 10x file of the lab: its name on the server, sample and condition."""

    filename: str
    sample: str
    condition: str


LAB_FILES: tuple[LabFile, ...] = (
    LabFile("Normal_PBMC_5.h5", "ctrl_5", "ctrl"),
    LabFile("Normal_PBMC_13.h5", "ctrl_13", "ctrl"),
    LabFile("Normal_PBMC_14.h5", "ctrl_14", "ctrl"),
    LabFile("Normal_PBMC_19.h5", "ctrl_19", "ctrl"),
    LabFile("nCoV_PBMC_1.h5", "covid_1", "covid"),
    LabFile("nCoV_PBMC_15.h5", "covid_15", "covid"),
    LabFile("nCoV_PBMC_16.h5", "covid_16", "covid"),
    LabFile("nCoV_PBMC_17.h5", "covid_17", "covid"),
)
"""The lab's files, in the order of the simulated samples."""

KNOWN_SHA256: dict[str, str] = {}
"""SHA-256 of each file as published; empty: no public source gives them (see module doc)."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class LabDataError(RuntimeError):
    """The lab's data cannot be used: configuration, server, password or hash problem."""


@dataclass(frozen=True)
class LabConfig:
    """Where the lab's files are and how to check them (see :func:`lab_config`)."""

    url: str
    user: str | None
    password: str | None
    sha256: dict[str, str]

    @property
    def auth(self) -> tuple[str, str] | None:
        """``(user, password)`` for basic authentication, or ``None`` if not configured."""
        if self.user is None and self.password is None:
            return None
        return (self.user or "", self.password or "")


def _check_hash(value: object, name: str, source: str) -> str:
    digest = str(value).strip().lower()
    if not _SHA256.match(digest):
        msg = f"{source}: the SHA-256 of {name} must be 64 hexadecimal digits, got {value!r}"
        raise LabDataError(msg)
    return digest


def read_registry(path: Path) -> dict[str, str]:
    """Read file hashes in ``sha256sum`` format (``<hash>  <file name>`` per line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lab_sha256.txt"
    >>> _ = path.write_text("a" * 64 + "  Normal_PBMC_5.h5\\n# a comment\\n")
    >>> read_registry(path)["Normal_PBMC_5.h5"] == "a" * 64
    True
    """
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        msg = (
            f"cannot read the hash registry {str(path)!r} ({error.strerror}); "
            f"check {LAB_REGISTRY_ENV}"
        )
        raise LabDataError(msg) from error
    hashes = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            msg = f"{path}, line {number}: expected '<sha256>  <file name>', got {line!r}"
            raise LabDataError(msg)
        name = Path(parts[1].strip().lstrip("*")).name  # sha256sum's binary mark, any folder
        hashes[name] = _check_hash(parts[0], name, f"{path}, line {number}")
    return hashes


def lab_config() -> LabConfig:
    """Collect the settings from the environment, then the TOML file, then the defaults.

    Examples
    --------
    >>> import os
    >>> os.environ["SCCLUST_LAB_URL"] = "http://127.0.0.1:8000/covid/"
    >>> os.environ["SCCLUST_LAB_CONFIG"] = "/nonexistent/lab.toml"
    >>> lab_config().url
    'http://127.0.0.1:8000/covid'
    >>> del os.environ["SCCLUST_LAB_URL"], os.environ["SCCLUST_LAB_CONFIG"]
    """
    path = environment.lab_config_path()
    settings: dict[str, object] = {}
    if path.is_file():
        try:
            settings = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            msg = f"cannot read the lab configuration {str(path)!r}: {error}"
            raise LabDataError(msg) from error
    url = environment.lab_url() or settings.get("url")
    if not url:
        msg = (
            f"no address for the lab's data: set {LAB_URL_ENV} to the base URL of the folder "
            f"holding {LAB_FILES[0].filename} etc. (ask the course organisers), or put "
            f"url = '...' in {path}; otherwise {OFFLINE_HINT}"
        )
        raise LabDataError(msg)
    hashes = {
        name: _check_hash(value, name, str(path))
        for name, value in dict(settings.get("sha256", {})).items()
    }
    hashes = {**KNOWN_SHA256, **hashes}
    registry = environment.lab_registry()
    if registry is not None:
        hashes.update(read_registry(registry))
    return LabConfig(
        url=str(url).rstrip("/"),
        user=environment.lab_user() or settings.get("user"),
        password=environment.lab_password() or settings.get("password"),
        sha256=hashes,
    )


def _missing_hashes(config: LabConfig) -> None:
    missing = [f.filename for f in LAB_FILES if f.filename not in config.sha256]
    if missing:
        msg = (
            f"no SHA-256 is known for {', '.join(missing)}, so the download cannot be "
            "verified and is refused. The course ships no hashes of the lab's files; ask the "
            "organisers for the list (made with `sha256sum *.h5 > lab_sha256.txt` next to "
            f"the files) and set {LAB_REGISTRY_ENV}=/path/to/lab_sha256.txt, or add a [sha256] "
            f"table to {environment.lab_config_path()}; otherwise {OFFLINE_HINT}"
        )
        raise LabDataError(msg)


def download_lab_files(*, config: LabConfig | None = None, progress: bool = True) -> list[Path]:
    """Download (once) and verify the eight raw files into ``<cache_dir()>/lab/raw``.

    Raises
    ------
    LabDataError
        With what went wrong and what to do: missing hash, refused password, server not
        reachable, interrupted download, or a file whose hash does not match.

    Examples
    --------
    >>> paths = download_lab_files()  # doctest: +SKIP
    """
    config = lab_config() if config is None else config
    _missing_hashes(config)
    directory = cache_dir() / "lab" / "raw"
    _ensure_writable(directory)
    paths = []
    for item in LAB_FILES:
        url = f"{config.url}/{item.filename}"
        try:
            paths.append(
                fetch_file(
                    url,
                    config.sha256[item.filename],
                    directory=directory,
                    fname=item.filename,
                    progress=progress,
                    auth=config.auth,
                )
            )
        except requests.HTTPError as error:
            raise LabDataError(_http_message(error, url)) from error
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = f"could not reach {url} ({type(error).__name__}); {OFFLINE_HINT}"
            raise LabDataError(msg) from error
        except requests.RequestException as error:  # e.g. the connection broke mid-file
            msg = (
                f"the download of {url} was interrupted ({type(error).__name__}); nothing "
                f"was kept: run again to retry, or {OFFLINE_HINT}"
            )
            raise LabDataError(msg) from error
        except ValueError as error:  # pooch: hash mismatch
            msg = (
                f"{url} was rejected: its SHA-256 is not the registered "
                f"{config.sha256[item.filename]}, so it was not kept ({error}). The file is "
                "corrupt or was replaced on the server: ask the organisers for the current "
                f"hashes ({LAB_REGISTRY_ENV}), or {OFFLINE_HINT}"
            )
            raise LabDataError(msg) from error
    return paths


def _http_message(error: requests.HTTPError, url: str) -> str:
    status = error.response.status_code if error.response is not None else None
    if status in (401, 403):
        return (
            f"the server at {url} refused the user name/password (HTTP {status}); set "
            f"{LAB_USER_ENV} and {LAB_PASSWORD_ENV} to this year's credentials "
            "(from the organisers)"
        )
    if status == 404:
        return (
            f"{url} does not exist (HTTP 404): the lab's host may have moved; set {LAB_URL_ENV} "
            f"to the current address, or {OFFLINE_HINT}"
        )
    return f"the server at {url} answered HTTP {status}; try again later, or {OFFLINE_HINT}"


def read_lab_files(paths: list[Path]) -> ad.AnnData:
    """Read the raw 10x files and concatenate them with ``sample`` and ``type`` in ``obs``.

    Examples
    --------
    >>> adata = read_lab_files(download_lab_files())  # doctest: +SKIP
    """
    import scanpy as sc  # heavy: imported when needed

    parts = []
    for item, path in zip(LAB_FILES, paths, strict=True):
        try:
            part = sc.read_10x_h5(path)
        except Exception as error:  # h5py/scanpy raise many types on a bad layout
            msg = f"{path} is not a readable 10x .h5 file ({error}); delete it and run again"
            raise LabDataError(msg) from error
        part.var_names_make_unique()
        part.obs_names = [f"{item.sample}_{barcode}" for barcode in part.obs_names]
        part.obs[SAMPLE_KEY] = item.sample
        part.obs[CONDITION_KEY] = item.condition
        parts.append(part)
    adata = ad.concat(parts, join="outer", merge="same", fill_value=0)
    adata.X = adata.X.tocsr().astype(np.float32)
    samples = [item.sample for item in LAB_FILES]
    adata.obs[SAMPLE_KEY] = pd.Categorical(adata.obs[SAMPLE_KEY], categories=samples)
    adata.obs[CONDITION_KEY] = pd.Categorical(
        adata.obs[CONDITION_KEY], categories=["ctrl", "covid"]
    )
    return adata


def lab_cache_path(config: LabConfig, seed: int = SEED) -> Path:
    """Path of the prepared lab dataset: its own file, named after the files' hashes."""
    digest = hashlib.sha256(
        "".join(config.sha256[f.filename] for f in LAB_FILES).encode()
    ).hexdigest()[:12]
    return cache_dir() / f"pbmc_covid_lab_v{DATASET_VERSION}_seed{seed}_{digest}.h5ad"


def build_lab(
    *, config: LabConfig | None = None, seed: int = SEED, progress: bool = True
) -> ad.AnnData:
    """Download, verify and read the lab's files, then run the course's preparation.

    Returns the same layout as :func:`.cache.build_integrated` (``X``, ``.raw``,
    ``layers["counts"]``, ``obsm["X_pca"]``, ``obsm["X_pca_harmony"]``, ``obsm["X_umap"]``,
    ``obsm["X_umap_uncorr"]``, the kNN graph), without truth labels;
    ``uns["course_dataset"]["dataset"]`` is ``"lab"``.

    Examples
    --------
    >>> adata = build_lab()  # doctest: +SKIP
    """
    config = lab_config() if config is None else config
    adata = read_lab_files(download_lab_files(config=config, progress=progress))
    return _prepare_recorded(
        adata, seed=seed, progress=progress, desc="Preparing the lab's data", dataset="lab"
    )


def load_lab(*, seed: int = SEED, progress: bool = True) -> ad.AnnData:
    """The prepared lab dataset, built on first use and cached (``SCCLUST_DATASET=lab``).

    Warns that the real data has no truth labels; raises :class:`LabDataError` with what
    to do when the data cannot be obtained.

    Examples
    --------
    >>> import os, course_lib
    >>> os.environ["SCCLUST_DATASET"] = "lab"  # doctest: +SKIP
    >>> adata = course_lib.load_integrated()  # doctest: +SKIP
    """
    config = lab_config()
    path = lab_cache_path(config, seed)
    adata = _read_valid(path) if path.exists() else None
    if adata is None:
        _ensure_writable(path.parent)
        adata = build_lab(config=config, seed=seed, progress=progress)
        _write_atomic(adata, path)
    warnings.warn(
        f"this is the lab's real data: it has no truth labels (obs[{TRUTH_KEY!r}], "
        f"obs[{LINEAGE_KEY!r}]), so the chapters' cells comparing clusters with the truth "
        "are skipped; everything else runs (see docs/lab-data.md)",
        UserWarning,
        stacklevel=3,
    )
    return adata
