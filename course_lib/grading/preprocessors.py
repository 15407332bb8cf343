"""The course's own nbgrader preprocessors: judging outside the kernel, output limits, tracebacks.

:class:`RecordAnswers` (before ``Execute``) and :class:`JudgeAnswers` (after it) move the
decision of every test cell out of the submission's kernel (:mod:`.judge`): the kernel only
records the answers each test cell reads, nbgrader's own process judges them, and
nbgrader's ``SaveAutoGrades`` then scores the judged cells as usual (an error output scores
0), so the gradebook stays the record.

Importing this module imports nbgrader; :func:`course_lib.grading.configure_nbgrader`
does so only when it is called.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

from ..defaults import DEFAULT_MAX_OUTPUT_CHARS, HIDDEN_TESTS_BEGIN, TRUNCATION_NOTE
from .judge import answer_names, judge_cell, trusted_namespace

_JUDGE = "scclust_judge"
"""Key of ``resources`` where :class:`RecordAnswers` leaves the test cells for the judge."""

VISIBLE_KEY = "scclust_grading"
"""Cell metadata where :class:`JudgeAnswers` says whether the visible check alone passed,
and notebook metadata where it says which references judged the notebook."""

RECORD_CALL = (
    '__import__("course_lib.grading.answers", fromlist=["record"]).record('
    "{path!r}, {cell!r}, {names!r}, globals())"
)
"""What a test cell runs in the kernel while autograding: it records the names it reads."""


def _grade_id(cell: Any) -> str | None:
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade_id") if meta.get("grade") and cell.cell_type == "code" else None


class RecordAnswers(NbGraderPreprocessor):
    """Replace every test cell by a call that records the answers it reads (before Execute).

    The test cells' code (restored from the source by nbgrader) is kept in ``resources``
    for :class:`JudgeAnswers`; the modules the judge binds are imported now, before the
    submission's kernel starts.

    Examples
    --------
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> cell = new_code_cell("checks.check_leiden(adata, 0.6)")
    >>> cell.metadata["nbgrader"] = {"grade": True, "grade_id": "q2", "points": 2}
    >>> nb, resources = RecordAnswers().preprocess(new_notebook(cells=[cell]), {})
    >>> "record(" in nb.cells[0].source, resources["scclust_judge"]["cells"]["q2"]
    (True, 'checks.check_leiden(adata, 0.6)')
    """

    def preprocess(  # noqa: D102 (nbconvert API)
        self, nb: Any, resources: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        trusted_namespace()
        folder = Path(tempfile.mkdtemp(prefix="scclust-answers-"))
        path = str(folder / "answers.h5")
        cells = {}
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            if grade_id is None:
                continue
            cells[grade_id] = cell.source
            try:
                names = answer_names(cell.source)
            except SyntaxError:
                names = []
            cell.source = RECORD_CALL.format(path=path, cell=grade_id, names=names)
        resources[_JUDGE] = {"path": path, "folder": str(folder), "cells": cells}
        return nb, resources


class JudgeAnswers(NbGraderPreprocessor):
    """Judge every test cell on the recorded answers and put its code back (after Execute).

    Each test cell gets its source back and, as its only output, what the judge printed
    (passed) or an error output with the check's message (failed), which nbgrader's
    ``SaveAutoGrades`` scores as for any test cell. Its metadata ``scclust_grading`` says
    whether the visible check alone passed on the same answers (a cell with hidden tests can
    fail them after a ✔; the grading tests compare the two on every graded cell). The
    notebook's metadata ``scclust_grading`` records the judge's references: how many were
    loaded from the class's file and computed here, and what the handoff found
    (:func:`.handoff.status`).
    """

    begin_test_delimeter = Unicode(
        HIDDEN_TESTS_BEGIN, help="marker of the start of a hidden-test region"
    ).tag(config=True)

    def preprocess(  # noqa: D102 (nbconvert API)
        self, nb: Any, resources: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        from ..checks.references import reference_counts
        from .answers import read_answers
        from .handoff import status

        state = resources.pop(_JUDGE, None)
        if state is None:
            return nb, resources
        try:
            for cell in nb.cells:
                grade_id = _grade_id(cell)
                if grade_id is None or grade_id not in state["cells"]:
                    continue
                cell.source = state["cells"][grade_id]
                timed_out = [o for o in cell.outputs if o.output_type == "error"
                             and o.get("ename") == "CellTimeoutError"]  # fmt: skip
                try:
                    answers = None if timed_out else read_answers(state["path"], grade_id)
                except ValueError as error:
                    answers = None
                    self.log.warning("answers of %s not read: %s", grade_id, error)
                verdict = judge_cell(cell.source, answers, grade_id)
                if self.begin_test_delimeter in cell.source:
                    visible = cell.source.split(self.begin_test_delimeter)[0].rsplit("\n", 1)[0]
                    passed = judge_cell(visible, answers, grade_id).passed
                else:
                    passed = verdict.passed
                cell.metadata[VISIBLE_KEY] = {"visible_check_passed": passed}
                shown = verdict.output or not verdict.passed
                cell.outputs = [_verdict_output(verdict)] if shown else []
        finally:
            shutil.rmtree(state["folder"], ignore_errors=True)
        nb.metadata[VISIBLE_KEY] = {**reference_counts(), "handoff": status()}
        return nb, resources


def _verdict_output(verdict: Any) -> Any:
    if verdict.passed:
        return new_output("stream", name="stdout", text=verdict.output)
    return new_output("error", ename=verdict.error, evalue=verdict.output,
                      traceback=[f"{verdict.error}: {verdict.output}"])  # fmt: skip


class LimitOutputSize(NbGraderPreprocessor):
    """Truncate cell output beyond :attr:`max_chars` characters.

    nbgrader's ``LimitOutput`` only counts lines, so one enormous line (or a huge
    rich output) would still bloat the autograded notebook and the feedback page.
    :func:`~course_lib.grading.configure_nbgrader` runs it after every autograded cell.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell(outputs=[new_output("stream", name="stdout", text="x" * 50)])
    >>> cell, _ = LimitOutputSize(max_chars=10).preprocess_cell(cell, {}, 0)
    >>> cell.outputs[0].text.splitlines()
    ['xxxxxxxxxx', '... Output truncated ...']
    """

    max_chars = Integer(
        DEFAULT_MAX_OUTPUT_CHARS, help="maximum characters of output kept per cell (-1: no limit)"
    ).tag(config=True)

    def preprocess_cell(  # noqa: D102 (nbconvert API)
        self, cell: Any, resources: dict[str, Any], cell_index: int
    ) -> tuple[Any, dict[str, Any]]:
        if self.max_chars < 0 or cell.cell_type != "code":
            return cell, resources
        budget = self.max_chars
        kept = []
        for output in cell.outputs:
            size = _output_size(output)
            if size <= budget:
                budget -= size
                kept.append(output)
                continue
            if output.output_type == "stream":
                output.text = output.text[: max(budget, 0)] + "\n" + TRUNCATION_NOTE + "\n"
                kept.append(output)
            elif output.output_type in ("display_data", "execute_result"):
                output.data = {"text/plain": f"{TRUNCATION_NOTE} ({size} characters)"}
                kept.append(output)
            else:  # an error: keep it, errors decide grades
                kept.append(output)
            budget = 0
        cell.outputs = kept
        return cell, resources


class HideHiddenTestOutput(NbGraderPreprocessor):
    """Reduce error tracebacks of cells with hidden tests to ``ename: evalue``.

    ``ClearHiddenTests`` removes the hidden test source from the feedback, but a failing
    hidden test would still show its own lines in the traceback. Run this before it.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_output
    >>> error = new_output("error", ename="AssertionError", evalue="too few clusters",
    ...                    traceback=["----> 3 check(adata, strict=True)"])
    >>> cell = new_code_cell("### BEGIN HIDDEN TESTS", outputs=[error])
    >>> cell, _ = HideHiddenTestOutput().preprocess_cell(cell, {}, 0)
    >>> cell.outputs[0].traceback
    ['AssertionError: too few clusters']
    """

    begin_test_delimeter = Unicode(
        HIDDEN_TESTS_BEGIN, help="marker of the start of a hidden-test region"
    ).tag(config=True)

    def preprocess_cell(  # noqa: D102 (nbconvert API)
        self, cell: Any, resources: dict[str, Any], cell_index: int
    ) -> tuple[Any, dict[str, Any]]:
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def _output_size(output: Any) -> int:
    if output.output_type == "stream":
        return len(output.text)
    if output.output_type in ("display_data", "execute_result"):
        return sum(len(str(value)) for value in output.get("data", {}).values())
    return sum(len(line) for line in output.get("traceback", []))
