"""The answers of a submission, taken out of its kernel as data (never as code).

While a submission is autograded, :class:`~.preprocessors.RecordAnswers` replaces each test
cell by one call of :func:`record`, which writes the values of the names that cell reads
(``adata``, ``b_clusters``, ...) into an HDF5 file, one group per test cell. The grader's
own process reads them back with :func:`read_answers` and judges them (:mod:`.judge`).

Only data crosses over: numbers, strings, ``None``, lists, tuples and dicts of them, numpy
arrays, pandas ``Series``, ``DataFrame`` and ``Categorical``, sparse matrices and
``AnnData`` objects, which are recorded without ``X``, ``raw`` and ``layers`` (the checks
judge ``obs``, ``var``, ``obsm``, ``obsp`` and ``uns``). Leaves are written and read by
anndata's typed element I/O (``anndata.io.write_elem`` / ``read_elem``); nothing is
unpickled, so a value cannot run code in the grader. A value of another type is recorded as
unreadable, with its type, and the question that needs it scores 0 with that reason.

Standard library only at import time: the grading kernel imports this module on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_ANSWER_BYTES = 2**31
"""Largest answers file the grader reads (a submission could write anything there)."""

MAX_DEPTH = 8
"""Deepest nesting of lists and dicts recorded (deeper values are recorded as unreadable)."""

_ANNDATA_PARTS = ("obsm", "obsp", "uns")


@dataclass(frozen=True)
class Missing:
    """A name a test cell reads that the submission never defined (question not answered)."""

    name: str


@dataclass(frozen=True)
class Unreadable:
    """A value the recorder could not write: its type and why."""

    name: str
    kind: str
    detail: str = ""


def record(path: str, cell: str, names: Iterable[str], namespace: Mapping[str, Any]) -> None:
    """Write the values of ``names`` in ``namespace`` into group ``cell`` of file ``path``.

    Runs in the submission's kernel, in place of a test cell. Names not defined are recorded
    as missing; values that cannot be written as unreadable. Never raises for a value.

    Parameters
    ----------
    path
        The answers file (HDF5), created if needed.
    cell
        The test cell's grade id.
    names
        The names the test cell reads.
    namespace
        The kernel's global namespace.
    """
    import h5py

    with h5py.File(path, "a") as handle:
        if cell in handle:
            del handle[cell]
        group = handle.create_group(cell)
        for name in names:
            if name not in namespace:
                group.create_group(name).attrs["kind"] = "missing"
                continue
            try:
                _write(group, name, namespace[name], 0)
            except Exception as error:  # any value that cannot be written is reported
                if name in group:
                    del group[name]
                node = group.create_group(name)
                node.attrs["kind"] = "unreadable"
                node.attrs["type"] = type(namespace[name]).__name__
                node.attrs["detail"] = f"{type(error).__name__}: {error}"[:300]


def read_answers(path: str | Path, cell: str) -> dict[str, Any] | None:
    """The values recorded for test cell ``cell``, by name; ``None`` if none were recorded.

    Parameters
    ----------
    path
        The answers file written by :func:`record`.
    cell
        The test cell's grade id.

    Returns
    -------
    dict or None
        Each recorded name's value, or a :class:`Missing` / :class:`Unreadable` marker.

    Raises
    ------
    ValueError
        If the file is larger than :data:`MAX_ANSWER_BYTES` or is not an answers file.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "answers.h5"
    >>> record(str(path), "q1", ["ari", "labels", "nothing"],
    ...        {"ari": 0.5, "labels": ["2", "5"], "answers": {0.4: 0.1}})
    >>> read_answers(path, "q1")
    {'ari': 0.5, 'labels': ['2', '5'], 'nothing': Missing(name='nothing')}
    >>> read_answers(path, "q2") is None
    True
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        return None
    size = path.stat().st_size
    if size > MAX_ANSWER_BYTES:
        msg = f"the answers file holds {size} bytes, more than {MAX_ANSWER_BYTES}"
        raise ValueError(msg)
    try:
        with h5py.File(path, "r") as handle:
            if cell not in handle:
                return None
            group = handle[cell]
            return {name: _read_named(group[name], name) for name in group}
    except OSError as error:
        msg = f"not an answers file ({error})"
        raise ValueError(msg) from None


def _write(group: Any, key: str, value: Any, depth: int) -> None:
    import anndata as ad
    import numpy as np
    import pandas as pd
    from anndata.io import write_elem
    from scipy import sparse

    if depth > MAX_DEPTH:
        msg = f"nested deeper than {MAX_DEPTH} levels"
        raise ValueError(msg)
    if value is None or isinstance(value, bool | int | float | str | np.generic):
        node = group.create_group(key)
        node.attrs["kind"] = "scalar"
        plain = value.item() if isinstance(value, np.generic) else value
        # the builtin type, not a subclass's (whose methods would not reach the judge)
        kind = next((t for t in (bool, int, float, str, complex) if isinstance(plain, t)), None)
        node.attrs["type"] = "none" if kind is None else kind.__name__
        if kind is not None:
            node.attrs["value"] = kind(plain)
    elif isinstance(value, list | tuple):
        node = group.create_group(key)
        node.attrs["kind"] = type(value).__name__
        for i, item in enumerate(value):
            _write(node, str(i), item, depth + 1)
    elif isinstance(value, dict):
        node = group.create_group(key)
        node.attrs["kind"] = "dict"
        _write(node, "keys", list(value), depth + 1)
        _write(node, "values", list(value.values()), depth + 1)
    elif isinstance(value, ad.AnnData):
        _write_anndata(group, key, value)
    elif isinstance(value, pd.DataFrame):
        _write_frame(group, key, value, depth)
    elif isinstance(value, pd.Series):
        node = group.create_group(key)
        node.attrs["kind"] = "series"
        _write_frame(node, "frame", value.to_frame(name="values"), depth)
        _write(node, "name", value.name, depth + 1)
    elif isinstance(value, pd.Index):
        node = group.create_group(key)
        node.attrs["kind"] = "index"
        _write_frame(node, "frame", pd.DataFrame(index=value), depth)
    elif isinstance(value, np.ndarray | pd.Categorical) or sparse.issparse(value):
        write_elem(group, key, value)
        group[key].attrs["kind"] = "element"
    else:
        msg = f"cannot record a {type(value).__name__}"
        raise TypeError(msg)


def _write_frame(group: Any, key: str, frame: Any, depth: int) -> None:
    import pandas as pd
    from anndata.io import write_elem

    node = group.create_group(key)
    node.attrs["kind"] = "frame"
    index = frame.index
    if isinstance(index, pd.MultiIndex):
        msg = "a table with a MultiIndex"
        raise TypeError(msg)
    categorical = isinstance(index, pd.CategoricalIndex)
    write_elem(node, "index", index.array if categorical else index.to_numpy())
    _write(node, "index_name", index.name, depth + 1)
    _write(node, "columns", list(frame.columns), depth + 1)
    columns = node.create_group("data")
    for i, column in enumerate(frame.columns):
        values = frame[column]
        data = values.array if isinstance(values.dtype, pd.CategoricalDtype) else values.to_numpy()
        write_elem(columns, str(i), data)


def _write_anndata(group: Any, key: str, adata: Any) -> None:
    import anndata as ad
    from anndata.io import write_elem

    node = group.create_group(key)
    node.attrs["kind"] = "anndata"
    light = ad.AnnData(obs=adata.obs.copy(), var=adata.var.copy())
    write_elem(node, "frame", light)
    skipped = []
    for part in _ANNDATA_PARTS:
        target = node.create_group(part)
        for name, value in getattr(adata, part).items():
            try:
                write_elem(target, name, value)
            except Exception:  # an entry anndata cannot write is left out, and named
                if name in target:
                    del target[name]
                skipped.append(f"{part}[{name!r}]")
    node.attrs["skipped"] = skipped


def _read_named(node: Any, name: str) -> Any:
    kind = node.attrs.get("kind")
    if kind == "missing":
        return Missing(name)
    if kind == "unreadable":
        return Unreadable(name, str(node.attrs.get("type", "")), str(node.attrs.get("detail", "")))
    return _read(node, 0)


def _read(node: Any, depth: int) -> Any:
    from anndata.io import read_elem

    if depth > MAX_DEPTH + 2:
        msg = "answers nested too deeply"
        raise ValueError(msg)
    kind = node.attrs.get("kind")
    if kind == "scalar":
        kinds = {"none": None, "bool": bool, "int": int, "float": float, "str": str,
                 "complex": complex}  # fmt: skip
        cast = kinds.get(str(node.attrs.get("type")))
        return None if cast is None else cast(node.attrs["value"])
    if kind in ("list", "tuple"):
        items = [_read(node[str(i)], depth + 1) for i in range(len(node))]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return dict(zip(_read(node["keys"], depth + 1), _read(node["values"], depth + 1),
                        strict=True))  # fmt: skip
    if kind == "frame":
        return _read_frame(node, depth)
    if kind == "series":
        series = _read_frame(node["frame"], depth)["values"]
        series.name = _read(node["name"], depth + 1)
        return series
    if kind == "index":
        return _read_frame(node["frame"], depth).index
    if kind == "anndata":
        return _read_anndata(node)
    if kind == "element":
        return read_elem(node)
    msg = f"unknown answer kind {kind!r}"
    raise ValueError(msg)


def _read_frame(node: Any, depth: int) -> Any:
    import pandas as pd
    from anndata.io import read_elem

    columns = _read(node["columns"], depth + 1)
    data = node["data"]
    values = {i: read_elem(data[str(i)]) for i in range(len(columns))}
    index = pd.Index(read_elem(node["index"]), name=_read(node["index_name"], depth + 1))
    frame = pd.DataFrame({i: values[i] for i in range(len(columns))}, index=index)
    frame.columns = pd.Index(columns)
    return frame


def _read_anndata(node: Any) -> Any:
    from anndata.io import read_elem

    adata = read_elem(node["frame"])
    for part in _ANNDATA_PARTS:
        for name in node[part]:
            getattr(adata, part)[name] = read_elem(node[part][name])
    return adata
