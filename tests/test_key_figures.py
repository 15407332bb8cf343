"""The chapters' key figures hold on every machine: checked against calibrated expectations.

The values are read from the chapters that the book build (``built_book``) has just
executed on this machine's dataset; nothing is executed again here. The calibration
tests need no build: they check that every expectation covers the values measured over
dataset seeds and thread counts (``calibration.csv``, made by ``make calibrate``), that
its nearest wrong value fails it, and that the table is not stale.
"""

from __future__ import annotations

import json

import pytest

from course_lib.datasets import DATASET_VERSION
from tests.key_figures import (
    CHAPTERS,
    GLUE_PREFIX,
    ROOT,
    UNCOMPARED,
    code_hash,
    compared,
    expectations,
    harvest,
    problem,
    read_calibration,
)

EXPECTED = {chapter: expectations(chapter) for chapter in CHAPTERS}
FIGURES = [(chapter, figure) for chapter in CHAPTERS for figure in EXPECTED[chapter]]
CALIBRATION = read_calibration()


def _executed(chapter: str):
    return ROOT / "_build" / "jupyter_execute" / "book" / f"{chapter}.glue.json"


@pytest.fixture(scope="module")
def glued(built_book) -> dict[str, dict]:
    assert built_book.returncode == 0, "the book did not build; see test_book"
    return {chapter: harvest(_executed(chapter)) for chapter in CHAPTERS}


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_glued_value_has_an_expectation(glued, chapter):
    assert set(glued[chapter]) == set(EXPECTED[chapter])


@pytest.mark.slow
@pytest.mark.parametrize(("chapter", "figure"), FIGURES)
def test_key_figure_on_this_machine(glued, chapter, figure):
    expected = EXPECTED[chapter][figure]
    value = glued[chapter][figure]
    if not compared(expected):
        pytest.skip(f"{figure} is a {next(k for k in UNCOMPARED if k in expected)}: not compared")
    assert problem(expected, value) is None, (
        f"{chapter}: {figure} = {value!r}: {problem(expected, value)}. Expected because: "
        f"{expected['why']}"
    )


def _well_formed(chapter: str, figure: str) -> list[str]:
    expected = EXPECTED[chapter][figure]
    found = [] if expected.get("why") else ["say why the expectation holds"]
    kinds = [kind for kind in UNCOMPARED if kind in expected]
    if compared(expected) == bool(kinds):
        found.append("compared, or a label/timing, not both")
    if "label" in expected:
        found += [f"{other} must be compared" for other in expected.get("checked_by", [])
                  if not compared(EXPECTED[chapter][other])]  # fmt: skip
    return found


def _covers_the_calibration(figure: str, expected: dict) -> list[str]:
    measured = [r for r in CALIBRATION if r["figure"] == figure and r["variant"] == "course"]
    builds = {(seed, threads) for seed in ("0", "1", "2") for threads in ("1", "2")}
    if not {(r["seed"], r["threads"]) for r in measured} >= builds:
        return ["calibrate over seeds 0-2 and 1 and 2 threads (make calibrate)"]
    if not compared(expected):
        return []
    failures = [(r["seed"], r["threads"], r["value"], problem(expected, r["value"]))
                for r in measured if problem(expected, r["value"])]  # fmt: skip
    return [f"calibrated values fail the expectation: {failures}"] if failures else []


def _wrong_value_fails(figure: str, expected: dict) -> list[str]:
    if not compared(expected):
        return []
    if "wrong" in expected:
        if not expected["wrong"].get("what"):
            return ["say what the wrong value is"]
        values = [expected["wrong"]["value"]]
    else:
        values = [r["value"] for r in CALIBRATION
                  if r["figure"] == figure and r["variant"] == "uncorrected"]  # fmt: skip
        if not values:
            return ["no uncorrected value; name a wrong value in the .yml"]
    return [f"the wrong value {value!r} passes the expectation {expected}; narrow it or name "
            "a nearer wrong value" for value in values if not problem(expected, value)]  # fmt: skip


def test_every_expectation_is_well_formed_calibrated_and_fails_its_wrong_value():
    """Each entry of tests/key_figures/*.yml: says why, covers every calibrated build (seeds
    0-2 x 1 and 2 threads) and fails its nearest wrong value (named, or the uncorrected
    variant's). One test for the whole table: the failures are listed together."""
    failures = [
        f"{chapter}: {figure}: {found}"
        for chapter, figure in FIGURES
        for found in (_well_formed(chapter, figure)
                      + _covers_the_calibration(figure, EXPECTED[chapter][figure])
                      + _wrong_value_fails(figure, EXPECTED[chapter][figure]))
    ]  # fmt: skip
    assert FIGURES and not failures, "\n".join(failures)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_calibration_is_not_stale(chapter):
    rows = [r for r in CALIBRATION if r["chapter"] == chapter]
    current = code_hash(ROOT / "book" / f"{chapter}.ipynb")
    assert rows and {r["code"] for r in rows} == {current}, (
        f"the code of {chapter} changed since its calibration: run `make calibrate` and check "
        "the expectations in tests/key_figures/"
    )
    assert {r["dataset_version"] for r in rows} == {DATASET_VERSION}, (
        "the course dataset changed since the calibration: run `make calibrate`"
    )
    assert {r["figure"] for r in rows} == set(EXPECTED[chapter])


def test_harvest_reads_notebooks_and_the_book_builds_glue_files(tmp_path):
    output = {
        "output_type": "display_data",
        "metadata": {"scrapbook": {"name": "n", "mime_prefix": GLUE_PREFIX}},
        "data": {GLUE_PREFIX + "text/plain": "'7,733'"},
    }
    notebook = {"cells": [{"cell_type": "code", "outputs": [output]},
                          {"cell_type": "markdown", "source": []}]}
    (tmp_path / "ch.ipynb").write_text(json.dumps(notebook))
    glue_file = dict(output, data={"text/plain": "np.float64(0.5)"})
    (tmp_path / "ch.glue.json").write_text(json.dumps({"n": glue_file}))
    assert harvest(tmp_path / "ch.ipynb") == {"n": "7,733"}
    assert harvest(tmp_path / "ch.glue.json") == {"n": 0.5}


def test_problem_detects_each_kind_of_mismatch():
    assert problem({"range": [11, 15]}, 13) is None
    assert problem({"range": [11, 15]}, "7,733") == "7733 is outside [11, 15]"
    assert "not a number" in problem({"range": [0, 1]}, "cluster 3")
    assert problem({"one_of": ["ctrl_5"]}, "covid_1")
    assert problem({"equals": True}, False)
    assert problem({"items_within": ["B", "T/NK"]}, "B and Platelet") is not None
    assert problem({"items_include": ["T/NK"]}, "B, Myeloid") is not None
    assert problem({"min_items": 2}, "none") is not None
    assert problem({"items_within": ["B", "T/NK"], "min_items": 2}, "T/NK and B") is None
