"""environment.yml (conda, for hubs and Binder) and pyproject.toml (pip) pin the same set.

pyproject.toml splits its pins into ``dependencies`` (what the chapters and the grader import)
and the ``dev`` extra (test and book-building tools); environment.yml lists both.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"igraph": "python-igraph", "jupyterhub": "jupyterhub-base"}
"""PyPI names whose conda-forge package differs (``jupyterhub-base``: the hub without its
npm proxy, which an image for single-user servers does not need)."""


def _pyproject_requirements() -> list[str]:
    """Every requirement of pyproject.toml: ``dependencies`` and the ``dev`` extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"]]


def _pyproject_pins() -> dict[str, str]:
    pins = {}
    for requirement in _pyproject_requirements():
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", requirement).groups()
        pins[CONDA_NAMES.get(name.lower(), name.lower())] = version
    return pins


def _conda_pins() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in spec["dependencies"]:
        if isinstance(entry, str) and "=" in entry and not entry.startswith("python="):
            name, version = entry.split("=", 1)
            pins[name.lower()] = version
        elif isinstance(entry, dict):  # the pip: section, for packages not on conda-forge
            for requirement in entry["pip"]:
                if "==" in requirement:
                    name, version = requirement.split("#")[0].strip().split("==")
                    pins[name.lower()] = version
    return pins


def test_every_dependency_is_pinned_exactly():
    loose = [r for r in _pyproject_requirements() if "==" not in r]
    assert loose == [], f"pin these with ==: {loose}"


def test_environment_yml_matches_pyproject():
    assert _conda_pins() == _pyproject_pins()


def test_installed_versions_match_the_pins():
    wrong = {}
    for name, version in _pyproject_pins().items():
        pypi_name = {v: k for k, v in CONDA_NAMES.items()}.get(name, name)
        installed = metadata.version(pypi_name)
        if installed != version:
            wrong[pypi_name] = (installed, version)
    assert wrong == {}, f"installed vs pinned: {wrong}; run `make setup`"


def test_jupyter_book_is_1x():
    assert metadata.version("jupyter-book").startswith("1."), "Jupyter Book 2.x ignores _config.yml"
