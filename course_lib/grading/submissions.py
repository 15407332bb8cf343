"""Submissions: finding them, student ids, and what is wrong with one before and after a run.

:func:`find_submissions` reads a folder in nbgrader's layout or of flat notebooks;
:func:`inspect_submission` reports edited, deleted or unreadable notebooks before they
run, and :func:`inspect_autograded` reports timeouts, memory errors and huge output after.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..defaults import TRUNCATION_NOTE

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


def find_submissions(folder: str | Path, assignment: str) -> dict[str, Path]:
    """Submissions of ``assignment`` in ``folder``, by student id.

    Parameters
    ----------
    folder
        Either nbgrader's layout ``<student>/<assignment>/`` (possibly inside a
        ``submitted/`` folder) or flat ``<student>.ipynb`` files.
    assignment
        Assignment name, e.g. ``"01_graph_clustering"``.

    Returns
    -------
    dict of str to pathlib.Path
        ``{student: path}`` sorted by student, where ``path`` is the student's assignment
        folder (nbgrader layout) or notebook file (flat layout). Student ids that nbgrader
        cannot use (spaces, brackets, ...) are made safe by replacing those characters
        by ``_``.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist or holds no submission of ``assignment``.
    ValueError
        If it mixes both layouts or two submissions map to the same student id.

    Examples
    --------
    >>> find_submissions("collected", "01_graph_clustering")  # doctest: +SKIP
    {'alice': PosixPath('collected/alice/01_graph_clustering'), ...}
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"submissions folder {str(folder)!r} does not exist; pass the folder holding them"
        raise FileNotFoundError(msg)
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    flat = {p.stem: p for p in folder.glob("*.ipynb") if p.is_file()}
    nested = {p.parent.name: p for p in folder.glob(f"*/{assignment}") if p.is_dir()}
    if flat and nested:
        msg = (
            f"{str(folder)!r} mixes flat notebooks ({sorted(flat)[:3]}) and nbgrader folders "
            f"({sorted(nested)[:3]}); pass a folder with one layout"
        )
        raise ValueError(msg)
    found = flat or nested
    if not found:
        msg = (
            f"no submissions of {assignment!r} in {str(folder)!r}; expected "
            f"<student>/{assignment}/{assignment}.ipynb folders or <student>.ipynb files"
        )
        raise FileNotFoundError(msg)
    safe: dict[str, Path] = {}
    for name, path in sorted(found.items()):
        student = name if _STUDENT_ID.match(name) else _safe_id(name)
        if student in safe:
            msg = f"two submissions map to student id {student!r}; rename {str(path)!r}"
            raise ValueError(msg)
        safe[student] = path
    return safe


def _safe_id(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]", "_", name).lstrip("._@+-")
    return cleaned or "student"


def inspect_submission(notebook: Path, release_nb: Any) -> tuple[list[str], bool]:
    """Problems visible in a submitted notebook before it is run.

    Parameters
    ----------
    notebook
        The submitted notebook.
    release_nb
        The released notebook (with nbgrader checksums), as read by :mod:`nbformat`.

    Returns
    -------
    tuple of (list of str, bool)
        ``(reasons, gradable)``: what an instructor should know, and whether nbgrader can
        grade it at all (``False`` for a missing or unreadable notebook).

    Examples
    --------
    >>> inspect_submission(Path("alice.ipynb"), release_nb)  # doctest: +SKIP
    (["test cell 'q1_tests' was edited (restored from the source)"], True)
    """
    import nbformat
    from nbgrader.utils import compute_checksum

    if not notebook.is_file():
        others = sorted(p.name for p in notebook.parent.glob("*.ipynb"))
        return [f"no {notebook.name} in the submission (found: {others})"], False
    try:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # any unreadable notebook is reported, never raised
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        detail = " ".join(first_line.split())[:120]
        return [f"corrupt notebook ({type(error).__name__}: {detail})"], False

    reasons = []
    expected = release_nb.metadata.get("kernelspec", {}).get("name")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != expected:
        reasons.append(
            f"kernelspec {kernel!r} instead of {expected!r} (graded with the course kernel)"
        )
    submitted = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if "grade_id" in c.metadata.get("nbgrader", {})
    }
    answers = [c for c in release_nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    changed = [
        c for c in answers
        if _code(c.source) != _code(getattr(submitted.get(c.metadata["nbgrader"]["grade_id"]),
                                            "source", c.source))
    ]  # fmt: skip
    if answers and not changed:
        reasons.append("blank: no answer cell was changed from the released notebook")
    reasons += replaced_functions(nb)
    for cell in release_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "grade_id" not in meta:
            continue
        name = meta["grade_id"]
        kind = "test cell" if meta.get("grade") and not meta.get("solution") else "cell"
        if name not in submitted:
            if meta.get("grade"):
                reasons.append(f"{kind} {name!r} was deleted (put back from the source and graded)")
            else:
                reasons.append(f"{kind} {name!r} was deleted")
        elif meta.get("locked") and compute_checksum(submitted[name]) != meta.get("checksum"):
            reasons.append(f"{kind} {name!r} was edited (restored from the source)")
    return reasons, True


def _code(source: str) -> list[str]:
    """The lines of a cell that are code (comments and blank lines left out)."""
    return [line.strip() for line in source.splitlines()
            if line.strip() and not line.strip().startswith("#")]  # fmt: skip


_REPLACERS = ("setattr", "delattr", "reload")


def replaced_functions(nb: Any) -> list[str]:
    """Where a notebook's own code replaces or deletes attributes of imported modules.

    Assigning to (or deleting, ``setattr``-ing, reloading) an attribute of a module the
    notebook imports, such as ``checks.check_leiden = ...`` or ``np.isclose = ...``
    (settings such as ``sc.settings.verbosity = 0`` are not counted), changes nothing in
    the grade (the test cells are judged outside the kernel), but an instructor should know.

    Parameters
    ----------
    nb
        A submitted notebook, as read by :mod:`nbformat`.

    Returns
    -------
    list of str
        One reason per cell that does it, quoting the first such line.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> nb = new_notebook(cells=[new_code_cell("from course_lib import checks"),
    ...                          new_code_cell("checks.check_leiden = print")])
    >>> replaced_functions(nb)  # doctest: +ELLIPSIS
    ['cell 2 replaces a function of an imported module (`checks.check_leiden = print`); ...']
    >>> replaced_functions(new_notebook(cells=[new_code_cell("import scanpy as sc\\n"
    ...                                                      "sc.settings.verbosity = 0")]))
    []
    """
    import ast

    trees = {}
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        try:
            trees[index] = ast.parse(_python_only(cell.source))
        except SyntaxError:
            continue
    modules = {"builtins", "__builtins__"}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules.update((a.asname or a.name).split(".")[0] for a in node.names)
    reasons = []
    for index, tree in trees.items():
        for node in ast.walk(tree):
            if _replaces(node, modules):
                line = ast.get_source_segment(_python_only(nb.cells[index - 1].source), node)
                quoted = " ".join((line or "").split())[:80]
                reasons.append(
                    f"cell {index} replaces a function of an imported module (`{quoted}`); "
                    "graded outside the kernel, so it changed no grade"
                )
                break
    return reasons


def _python_only(source: str) -> str:
    """Cell source with IPython magics and shell lines blanked (they are not Python)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())  # fmt: skip


_SETTINGS = frozenset({"settings", "options", "rcParams", "config"})
"""Attributes of a module that hold settings: assigning below them replaces no function."""


def _root(node: Any) -> str | None:
    import ast

    path = []
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute):
            path.append(node.attr)
        node = node.value
    if _SETTINGS.intersection(path[1:]):
        return None
    return node.id if isinstance(node, ast.Name) else None


def _replaces(node: Any, modules: set[str]) -> bool:
    import ast

    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        return any(isinstance(t, ast.Attribute | ast.Subscript) and _root(t) in modules
                   for t in targets)  # fmt: skip
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", None)  # fmt: skip
        return name in _REPLACERS and bool(node.args) and _root(node.args[0]) in modules
    return False


def inspect_autograded(nb: Any) -> list[str]:
    """Problems that showed while a notebook was autograded.

    Parameters
    ----------
    nb
        An autograded notebook, as read by :mod:`nbformat`.

    Returns
    -------
    list of str
        Reasons for an instructor to look: timeouts, memory errors, truncated output, and
        errors outside the test cells (but an answer cell left unanswered, which still
        raises ``NotImplementedError``: its question scores 0 and says so).

    Examples
    --------
    >>> inspect_autograded(nbformat.read("autograded/alice/a/a.ipynb", 4))  # doctest: +SKIP
    ['cell 7 timed out (interrupted; later cells were still graded)']
    """
    reasons = []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        name = f"cell {index}" + (f" ({grade_id!r})" if grade_id else "")
        for output in cell.outputs:
            if output.output_type == "error" and output.ename == "CellTimeoutError":
                reasons.append(f"{name} timed out (interrupted; later cells still graded)")
            elif output.output_type == "error" and output.ename.endswith("MemoryError"):
                reasons.append(f"{name} hit the memory limit (MemoryError)")
            elif TRUNCATION_NOTE in json.dumps(output.get("text", output.get("data", ""))):
                reasons.append(f"{name} printed huge output (truncated)")
            elif output.output_type == "error" and _outside_tests(cell, output):
                detail = " ".join(str(output.evalue).split())[:100]
                reasons.append(f"{name} raised {output.ename} outside the graded cells ({detail})")
    return list(dict.fromkeys(reasons))


def _outside_tests(cell: Any, output: Any) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return False
    return not (meta.get("solution") and output.ename == "NotImplementedError")


def grade_cells(nb: Any) -> tuple[list[str], dict[str, float]]:
    """The test cells of a notebook and their points.

    Parameters
    ----------
    nb
        A source or release notebook, as read by :mod:`nbformat`.

    Returns
    -------
    tuple of (list of str, dict of str to float)
        The grade ids of the graded cells in notebook order, and their maximum scores.
    """
    metas = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    cells = [m for m in metas if m.get("grade")]
    return [m["grade_id"] for m in cells], {m["grade_id"]: float(m["points"]) for m in cells}
