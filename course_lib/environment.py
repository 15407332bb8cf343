"""The course's settings from the environment, read in this module alone.

Every ``SCCLUST_*`` variable a user sets (and ``XDG_CONFIG_HOME``) is read here, when a
function is called, so a change made before loading the data takes effect. The grading's
private variables between its own processes (:mod:`course_lib.grading.handoff`) are not
user settings and are not read here. The module imports only the standard library.

=========================  ============================================================
variable                   meaning
=========================  ============================================================
``SCCLUST_CACHE_DIR``      the cache directory (default ``~/.cache/scclust-course``)
``SCCLUST_DATASET``        ``simulated`` (default) or ``lab``
``SCCLUST_LAB_URL``        base URL of the directory holding the lab's eight files
``SCCLUST_LAB_USER``       user name for HTTP basic authentication (optional)
``SCCLUST_LAB_PASSWORD``   this year's password
``SCCLUST_LAB_REGISTRY``   ``sha256sum`` output of the eight files (``<hash>  <file>``)
``SCCLUST_LAB_CONFIG``     TOML file with the lab's settings, default
                           ``$XDG_CONFIG_HOME/scclust-course/lab.toml`` (``~/.config``)
=========================  ============================================================

Examples
--------
>>> import os
>>> os.environ["SCCLUST_DATASET"] = " Lab "
>>> dataset()
'lab'
>>> del os.environ["SCCLUST_DATASET"]
>>> dataset()
'simulated'
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "SCCLUST_CACHE_DIR"
"""Environment variable naming the cache directory (default ``~/.cache/scclust-course``)."""
DATASET_ENV = "SCCLUST_DATASET"
"""Environment variable choosing the data: ``simulated`` (default) or ``lab`` (real data)."""
LAB_URL_ENV = "SCCLUST_LAB_URL"
"""Environment variable with the base URL of the lab's files."""
LAB_USER_ENV = "SCCLUST_LAB_USER"
"""Environment variable with the user name for the lab's server."""
LAB_PASSWORD_ENV = "SCCLUST_LAB_PASSWORD"  # noqa: S105 (the variable's name, not a password)
"""Environment variable with the password for the lab's server."""
LAB_REGISTRY_ENV = "SCCLUST_LAB_REGISTRY"
"""Environment variable naming a ``sha256sum`` file of the lab's files."""
LAB_CONFIG_ENV = "SCCLUST_LAB_CONFIG"
"""Environment variable naming the lab's TOML configuration file."""

DATASETS = ("simulated", "lab")
"""The values of ``SCCLUST_DATASET``; the first is the default."""


def _get(name: str) -> str | None:
    """The variable ``name``, or ``None`` when it is unset or empty."""
    return os.environ.get(name) or None


def cache_dir() -> Path:
    """Directory where the prepared dataset is cached.

    Returns
    -------
    pathlib.Path
        ``$SCCLUST_CACHE_DIR`` if set, else ``~/.cache/scclust-course``.
    """
    configured = _get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "scclust-course"


def dataset() -> str:
    """The dataset the course loads, from ``$SCCLUST_DATASET``.

    Returns
    -------
    str
        ``"simulated"`` (also when unset) or ``"lab"``; case and spaces are ignored.

    Raises
    ------
    ValueError
        If the variable names another dataset.
    """
    value = os.environ.get(DATASET_ENV, "")
    name = value.strip().lower() or DATASETS[0]
    if name not in DATASETS:
        msg = (
            f"{DATASET_ENV}={value!r} is not a dataset: use 'simulated' "
            "(the default, offline) or 'lab' (the lab's real data, see docs/lab-data.md)"
        )
        raise ValueError(msg)
    return name


def lab_config_path() -> Path:
    """The lab's TOML configuration file.

    Returns
    -------
    pathlib.Path
        ``$SCCLUST_LAB_CONFIG`` if set, else ``scclust-course/lab.toml`` in
        ``$XDG_CONFIG_HOME`` (default ``~/.config``); it need not exist.
    """
    configured = _get(LAB_CONFIG_ENV)
    if configured:
        return Path(configured)
    base = _get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "scclust-course" / "lab.toml"


def lab_url() -> str | None:
    """``$SCCLUST_LAB_URL``, or ``None`` when unset or empty."""
    return _get(LAB_URL_ENV)


def lab_user() -> str | None:
    """``$SCCLUST_LAB_USER``, or ``None`` when unset or empty."""
    return _get(LAB_USER_ENV)


def lab_password() -> str | None:
    """``$SCCLUST_LAB_PASSWORD``, or ``None`` when unset or empty."""
    return _get(LAB_PASSWORD_ENV)


def lab_registry() -> Path | None:
    """``$SCCLUST_LAB_REGISTRY`` as a path, or ``None`` when unset or empty."""
    configured = _get(LAB_REGISTRY_ENV)
    return Path(configured) if configured else None
