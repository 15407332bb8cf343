"""The course's own nbgrader preprocessors: output size limit, hidden-test tracebacks.

Importing this module imports nbgrader; :func:`course_lib.grading.configure_nbgrader`
does so only when it is called.
"""

from __future__ import annotations

from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

from .config import DEFAULT_MAX_OUTPUT_CHARS, HIDDEN_TESTS_BEGIN, TRUNCATION_NOTE


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
