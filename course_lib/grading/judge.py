"""Judging a test cell in the grader's process, on the answers taken out of the kernel.

A test cell's code (its visible check and its hidden tests, as the instructor's source
notebook has them) is run here, not in the submission's kernel: with the trusted modules
:data:`TRUSTED_MODULES` bound to their names and every other name the cell reads bound to
the value the submission's kernel held when the cell would have run (:mod:`.answers`). So
nothing the submission defines, replaces, reloads or deletes in its kernel changes a grade
unless it changes the answers themselves. The cell scores its points when its code runs
without an exception; the check's message is the feedback either way.

Standard library only at import time; :func:`trusted_namespace` imports scanpy.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .answers import Missing, Unreadable

TRUSTED_MODULES = {"checks": "course_lib.checks", "course_lib": "course_lib", "sc": "scanpy",
                   "np": "numpy", "pd": "pandas"}  # fmt: skip
"""Names a test cell may use for modules, and the modules the grader binds to them."""

NOT_ANSWERED = (
    "Question not answered: `{name}` is not defined. Write your answer in the cell marked "
    "`# YOUR CODE HERE` above this check (and delete `raise NotImplementedError()`), then run "
    "it and this check."
)
"""What a test cell says when a name it reads was never defined (the exercises guide's words)."""


@dataclass(frozen=True)
class Verdict:
    """The grader's decision on one test cell."""

    passed: bool
    output: str
    error: str = ""
    """``"AssertionError"`` for a wrong answer, another exception's name when the check
    could not judge the values (then the instructor is told)."""


def answer_names(code: str) -> list[str]:
    """The names a test cell reads that are answers: not modules, builtins or its own names.

    Parameters
    ----------
    code
        The test cell's source, hidden tests included.

    Returns
    -------
    list of str
        Names in order of first use.

    Examples
    --------
    >>> answer_names('checks.check_knee(knee_k, meaning, inertias, range(2, 16, 2))')
    ['knee_k', 'meaning', 'inertias']
    >>> answer_names('import warnings\\nx = 1\\nassert x == answer, "no"')
    ['answer']
    """
    tree = ast.parse(code)
    stored = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            stored.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            stored.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
    known = stored | set(TRUSTED_MODULES) | set(dir(builtins))
    loaded = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and
              isinstance(n.ctx, ast.Load)]  # fmt: skip
    return [name for name in dict.fromkeys(loaded) if name not in known]


def trusted_namespace() -> dict[str, Any]:
    """The modules of :data:`TRUSTED_MODULES`, imported into this process, by name.

    Called before a submission's kernel starts, so that they are imported from the
    installed files as they were then.

    Returns
    -------
    dict of str to module
    """
    import importlib

    return {name: importlib.import_module(module) for name, module in TRUSTED_MODULES.items()}


def judge_cell(code: str, answers: Mapping[str, Any] | None, cell: str) -> Verdict:
    """Run test cell ``code`` on ``answers`` in this process and say whether it passed.

    Parameters
    ----------
    code
        The test cell's source from the instructor's notebook (hidden tests included).
    answers
        The values recorded in the kernel for the names the cell reads (:mod:`.answers`),
        or ``None`` when nothing was recorded (the notebook stopped before this cell).
    cell
        The test cell's grade id (names the code in tracebacks).

    Returns
    -------
    Verdict
        Passed, and what the check printed or the message of the exception it raised.

    Examples
    --------
    >>> judge_cell("assert answer == 4, 'not 4'", {"answer": 4}, "q1").passed
    True
    >>> judge_cell("assert answer == 4, 'not 4'", {"answer": 5}, "q1").output
    'not 4'
    >>> print(judge_cell("print(answer)", {"answer": Missing("answer")}, "q1").output)
    Question not answered: `answer` is not defined. ...
    """
    if answers is None:
        return Verdict(
            False,
            "This check was not reached: the notebook stopped before it (a cell timed out or "
            "the kernel died). Run Kernel → Restart & Run All and look for the cell that stops.",
            "AssertionError",
        )
    for value in answers.values():
        if isinstance(value, Missing):
            return Verdict(False, NOT_ANSWERED.format(name=value.name), "AssertionError")
        if isinstance(value, Unreadable):
            return Verdict(
                False,
                f"`{value.name}` holds a {value.kind}, which the grader cannot read "
                f"({value.detail}); store the kind of value the question asks for.",
                "AssertionError",
            )
    namespace = {**trusted_namespace(), **answers}
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, f"<test cell {cell}>", "exec"), namespace)  # noqa: S102
    except AssertionError as error:
        return Verdict(False, str(error) or "the check failed", "AssertionError")
    except Exception as error:  # the check could not judge these values: 0 points, and said
        return Verdict(False, f"{type(error).__name__}: {error}", type(error).__name__)
    return Verdict(True, printed.getvalue())
