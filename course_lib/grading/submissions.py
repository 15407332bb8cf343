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

from .config import TRUNCATION_NOTE

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


def inspect_autograded(nb: Any) -> list[str]:
    """Problems that showed while a notebook was autograded.

    Parameters
    ----------
    nb
        An autograded notebook, as read by :mod:`nbformat`.

    Returns
    -------
    list of str
        Reasons for an instructor to look: timeouts, memory errors, truncated output.

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
    return list(dict.fromkeys(reasons))


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
