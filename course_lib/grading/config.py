"""nbgrader settings of the course: :func:`configure_nbgrader` (its defaults live in
:mod:`course_lib.defaults`; a run's settings in :class:`~.settings.GradingSettings`).

Everything here is standard library at import time: the repository's and the working
course's ``nbgrader_config.py`` (written by :func:`~.settings.write_course_config`) import
:func:`configure_nbgrader`, which loads nbgrader and nbconvert only when it is called.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..defaults import DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_TIMEOUT

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository holding ``course_lib`` (its ``solutions/`` is the default source)."""

UNUSED_IMPORTS = ("rfc3987_syntax",)
"""Optional modules the grader never needs but would import: ``jsonschema`` (via nbformat)
builds 38 grammars when ``rfc3987_syntax`` is installed, about 1.5 s in every grading process,
for its ``iri`` format check, which notebook validation does not use."""


def skip_unused_imports() -> None:
    """Make :data:`UNUSED_IMPORTS` unimportable in this process, unless already imported.

    Call it before importing nbformat or nbgrader; ``jsonschema`` then leaves out the
    format checks those modules provide, as when they are not installed.
    """
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def configure_nbgrader(
    c: Any,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    kernel_name: str | None = None,
) -> None:
    """Apply the course's autograding and feedback settings to an nbgrader config.

    Parameters
    ----------
    c
        The config object of an ``nbgrader_config.py`` (``c = get_config()``).
    timeout
        Seconds a cell may run; then it is interrupted, recorded as a
        ``CellTimeoutError`` and the following cells still run.
    max_output_chars
        Characters of output kept per cell (nbgrader also keeps at most 1000 lines).
    kernel_name
        Kernelspec to execute every submission with, whatever the notebook says;
        ``None`` uses the source notebook's kernelspec.

    Returns
    -------
    None
        Sets ``Execute``, ``OverwriteCells``, ``LimitOutputSize``,
        ``Autograde.autograde_preprocessors`` (test cells judged outside the kernel:
        :class:`~.preprocessors.RecordAnswers`, :class:`~.preprocessors.JudgeAnswers`) and
        ``GenerateFeedback.preprocessors`` on ``c``.

    Examples
    --------
    In ``nbgrader_config.py``:

    >>> from course_lib.grading import configure_nbgrader  # doctest: +SKIP
    >>> configure_nbgrader(get_config(), timeout=120)  # doctest: +SKIP
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        Execute,
        GetGrades,
        LimitOutput,
        SaveAutoGrades,
    )

    from .preprocessors import HideHiddenTestOutput, JudgeAnswers, LimitOutputSize, RecordAnswers

    c.Execute.timeout = int(timeout)
    c.Execute.interrupt_on_timeout = True
    if kernel_name is not None:
        c.Execute.kernel_name = kernel_name
    # a deleted test cell is put back from the source and graded like any other
    c.OverwriteCells.add_missing_cells = True
    c.LimitOutputSize.max_chars = int(max_output_chars)
    # the kernel records the answers each test cell reads; this process judges them
    c.Autograde.autograde_preprocessors = [
        RecordAnswers,
        Execute,
        ClearMetadataPreprocessor,
        JudgeAnswers,
        LimitOutput,
        LimitOutputSize,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.GenerateFeedback.preprocessors = [
        GetGrades,
        HideHiddenTestOutput,
        ClearHiddenTests,
        CSSHTMLHeaderPreprocessor,
    ]
