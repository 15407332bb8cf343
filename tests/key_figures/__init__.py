"""The chapters' key figures: read from executed notebooks, checked against expectations.

Every value a chapter glues into its prose is a key figure. ``<chapter>.yml`` beside this
file says, for each, what it may be on any machine and why; ``calibration.csv`` holds the
values measured over several dataset seeds and thread counts (``make calibrate``), from
which the ranges were set, and the same figures on the uncorrected PCA.

An expectation has a ``why`` and one of these kinds:

``range: [low, high]``
    a number (glued as a number or as text such as ``"7,733"``), inclusive bounds;
``one_of: [...]``
    a name that must be one of these;
``items_within: [...]`` / ``items_include: [...]`` / ``min_items: n``
    a glued list (``"a, b and c"``): which items it may hold, which it must hold, how many;
``equals: value``
    an exact value, for flags the prose relies on and for integer results;
``label: text`` / ``timing: text``
    a cluster number or a time: machine-dependent by nature, never compared. A label is
    checked through the figures about its cells that ``checked_by`` names.

``wrong: {value: ..., what: ...}`` names the nearest plausible wrong value; where it is
missing, the value on the uncorrected PCA from ``calibration.csv`` plays that role. Either
way it must fail the expectation, so that no range is too wide to catch a mistake.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHAPTERS = (
    "dataset",
    "01_graph_clustering",
    "02_kmeans",
    "03_hierarchical",
    "04_distribution",
    "05_subclustering",
    "06_validation",
    "07_beyond_one_clustering",
    "cost_of_methods",
)
CALIBRATION = HERE / "calibration.csv"
CALIBRATION_COLUMNS = (
    "chapter", "figure", "variant", "seed", "threads", "value", "code", "dataset_version"
)
GLUE_PREFIX = "application/papermill.record/"
COMPARED = ("range", "one_of", "items_within", "items_include", "min_items", "equals")
UNCOMPARED = ("label", "timing")
SETUP_TAG = "course-setup"
"""Tag of the chapters' first cell, which installs the course library where it is missing."""


def _without_imports(source: str) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    tree.body = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)]
    return ast.unparse(tree)


def code_hash(notebook: Path) -> str:
    """Hash of a chapter's code cells: calibration must be redone when it changes.

    Import statements are left out: moving a function to another module changes no figure
    (and the key-figure test on this machine would still catch it if it did). So is the
    first cell tagged ``course-setup``, which only installs the course library where it is
    missing (Colab, Binder).
    """
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n\x00\n".join(
        _without_imports("".join(c["source"]))
        for c in cells
        if c["cell_type"] == "code" and SETUP_TAG not in c["metadata"].get("tags", [])
    )
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _parse(text: str) -> Any:
    text = re.sub(r"np\.(?:float|int)\d+\((.*)\)", r"\1", text)  # numpy scalars' repr
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _glued_value(output: dict[str, Any]) -> Any:
    data = output["data"]
    return _parse("".join(data.get(GLUE_PREFIX + "text/plain", data.get("text/plain"))))


def harvest(path: Path) -> dict[str, Any]:
    """The values glued in an executed chapter, by name.

    ``path`` is either an executed notebook (as nbclient leaves it) or the
    ``<chapter>.glue.json`` that the book build writes beside its executed copy (myst-nb
    moves the glued outputs there).
    """
    content = json.loads(path.read_text())
    if path.name.endswith(".glue.json"):
        return {name: _glued_value(output) for name, output in content.items()}
    values = {}
    for cell in content["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                values[name] = _glued_value(output)
    return values


def expectations(chapter: str) -> dict[str, dict[str, Any]]:
    """The expectations of one chapter, from ``<chapter>.yml``."""
    return yaml.safe_load((HERE / f"{chapter}.yml").read_text())


def number(value: Any) -> float | None:
    """``value`` as a number (``"7,733"`` is 7733), or ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def items(value: Any) -> list[str]:
    """The items of a glued list such as ``"a, b and c"``; ``"none"`` is the empty list."""
    text = str(value).strip()
    if text in ("", "none"):
        return []
    return [item.strip() for item in re.split(r",\s*|\s+and\s+", text) if item.strip()]


def problem(expectation: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` fails ``expectation``, or ``None`` if it meets it."""
    if "range" in expectation:
        low, high = expectation["range"]
        found_number = number(value)
        if found_number is None:
            return f"{value!r} is not a number"
        if not low <= found_number <= high:
            return f"{found_number:g} is outside [{low:g}, {high:g}]"
    if "one_of" in expectation and value not in expectation["one_of"]:
        return f"{value!r} is not one of {expectation['one_of']}"
    if "equals" in expectation and value != expectation["equals"]:
        return f"{value!r} is not {expectation['equals']!r}"
    found = items(value)
    if "items_within" in expectation:
        extra = sorted(set(found) - set(expectation["items_within"]))
        if extra:
            return f"{value!r} holds {extra}, not among {expectation['items_within']}"
    if "items_include" in expectation:
        missing = sorted(set(expectation["items_include"]) - set(found))
        if missing:
            return f"{value!r} lacks {missing}"
    if "min_items" in expectation and len(found) < expectation["min_items"]:
        return f"{value!r} has {len(found)} items, fewer than {expectation['min_items']}"
    return None


def compared(expectation: dict[str, Any]) -> bool:
    """Whether the expectation compares values (not a label or a timing)."""
    return any(kind in expectation for kind in COMPARED)


def read_calibration(path: Path = CALIBRATION) -> list[dict[str, Any]]:
    """The rows of the calibration table, values parsed."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["value"] = _parse(row["value"])
        row["dataset_version"] = int(row["dataset_version"])
    return rows
