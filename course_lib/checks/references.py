"""The store of reference answers: each computed once per process, or handed over by the grader.

A reference (computed by :mod:`course_lib.checks.reference_answers`) is cached under a
key naming what it was computed on (:func:`fingerprint` of the cells and the embedding),
so a second check (or the hidden test after the visible one) computes nothing.

When grading, the grader computes the references an exercise needs once per class
(:mod:`course_lib.grading.refcache`) and hands them to each grading process as a file whose
SHA-256 it checks (:mod:`course_lib.grading.handoff`, which passes them to
:func:`use_store`); :func:`cached` takes a reference from there before computing it.
:func:`encode` and :func:`decode` convert references to and from that file, a NumPy
``.npz`` archive read without pickle. :func:`reference_counts` says how many references
this process computed and how many it took from the file.

Examples
--------
>>> cached(("example", "docstring"), lambda: 1.5)
1.5
>>> cached(("example", "docstring"), lambda: 2.5)  # the same key: not computed again
1.5
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import anndata as ad
import numpy as np
import pandas as pd

R = TypeVar("R")

_CACHE: dict[tuple, Any] = {}
_MEMO: dict[tuple, Any] = {}
_COUNTS: Counter[str] = Counter()
_RECORDERS: list[list[tuple]] = []
_STORE: dict[str, dict[tuple, Any]] = {}


def fingerprint(ref: ad.AnnData, rep: str) -> str:
    """SHA-1 of the cells' names and the embedding ``rep``: what a cached value was computed on."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update("\0".join(ref.obs_names).encode())
    digest.update(np.ascontiguousarray(ref.obsm[rep]).tobytes())
    return digest.hexdigest()


def cached(key: tuple, compute: Callable[[], R]) -> R:
    """``compute()``, computed once per process for each ``key``, or the stored reference.

    A reference the grader handed over (:func:`use_store`, called by the grading process
    with the verified file, :func:`course_lib.grading.handoff.receive`) is taken instead of
    computing it.
    """
    for keys in _RECORDERS:
        keys.append(key)
    if key not in _CACHE:
        stored = _stored().get(key)
        if stored is None:
            _CACHE[key] = compute()
            _COUNTS["computed"] += 1
        else:
            _CACHE[key] = stored
            _COUNTS["loaded"] += 1
    return _CACHE[key]


def memoized(key: tuple, compute: Callable[[], R]) -> R:
    """``compute()``, once per process for each ``key``, for values of a student's answer.

    Unlike :func:`cached`, these are not references: never stored, handed over or counted;
    :func:`clear_cache` forgets them too.
    """
    if key not in _MEMO:
        _MEMO[key] = compute()
    return _MEMO[key]


def _stored() -> dict[tuple, Any]:
    """The references handed to this process (:func:`use_store`); empty when there are none."""
    return _STORE.get("store", {})


def use_store(data: bytes) -> dict[tuple, Any]:
    """Take references from ``data`` (as from :func:`encode`) before computing them.

    Parameters
    ----------
    data
        An archive written by :func:`encode`.

    Returns
    -------
    The references in it, by key (:func:`decode`).

    Raises
    ------
    ValueError
        If ``data`` is not such an archive (nothing is changed then).
    """
    entries = decode(data)
    _STORE["store"] = entries
    return entries


def reference_counts() -> dict[str, int]:
    """How many references this process computed, and how many it took from the store.

    Examples
    --------
    >>> sorted(reference_counts())
    ['computed', 'loaded']
    """
    return {"computed": _COUNTS["computed"], "loaded": _COUNTS["loaded"]}


@contextmanager
def recording() -> Iterator[list[tuple]]:
    """Collect the keys of every reference asked for in the ``with`` block, in order.

    Examples
    --------
    >>> with recording() as keys:
    ...     _ = cached(("example", 1), lambda: 2.0)
    >>> keys
    [('example', 1)]
    """
    keys: list[tuple] = []
    _RECORDERS.append(keys)
    try:
        yield keys
    finally:
        _RECORDERS.remove(keys)


def cached_values(keys: Iterable[tuple]) -> dict[tuple, Any]:
    """The references of ``keys`` this process holds (computed or loaded), by key.

    Examples
    --------
    >>> _ = cached(("example", 1), lambda: 2.0)
    >>> cached_values([("example", 1), ("never asked", 0)])
    {('example', 1): 2.0}
    """
    return {key: _CACHE[key] for key in keys if key in _CACHE}


def clear_cache() -> None:
    """Forget every reference this process computed or loaded, and the handed-over ones.

    The next check computes (or loads) them again; :func:`reference_counts` is reset.
    """
    _CACHE.clear()
    _MEMO.clear()
    _STORE.clear()
    _COUNTS.clear()


def encode(references: Mapping[tuple, Any]) -> bytes:
    """References as a compressed ``.npz`` archive, read back without pickle by :func:`decode`.

    Labels (a :class:`pandas.Series` of strings), numbers, integer arrays and gene sets are
    kept; other values (the kNN graphs) are left out.

    Parameters
    ----------
    references
        Reference values by :func:`cached` key, e.g. from :func:`cached_values`.

    Returns
    -------
    The archive.

    Examples
    --------
    >>> decode(encode({("example", 1): 2.0, ("graph", "x"): object()}))
    {('example', 1): 2.0}
    """
    arrays: dict[str, np.ndarray] = {}
    entries = []
    indexes: dict[str, str] = {}
    for key, value in references.items():
        name = f"v{len(entries)}"
        entry: dict[str, Any] = {"key": list(key), "value": name}
        if isinstance(value, pd.Series):
            index = np.asarray(value.index, dtype=str)
            digest = hashlib.sha256(index.tobytes()).hexdigest()
            if digest not in indexes:
                indexes[digest] = f"i{len(indexes)}"
                arrays[indexes[digest]] = index
            entry |= {"kind": "labels", "index": indexes[digest]}
            arrays[name] = np.asarray(value.to_numpy(), dtype=str)
        elif isinstance(value, float):
            entry["kind"] = "number"
            arrays[name] = np.float64(value)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "iu":
            entry["kind"] = "array"
            arrays[name] = value
        elif isinstance(value, set):
            entry["kind"] = "genes"
            arrays[name] = np.asarray(sorted(value), dtype=str)
        else:
            continue
        entries.append(entry)
    arrays["entries"] = np.asarray(json.dumps(entries))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def decode(data: bytes) -> dict[tuple, Any]:
    """The references in an archive from :func:`encode`, by key.

    Parameters
    ----------
    data
        The archive's bytes.

    Returns
    -------
    Reference values by :func:`cached` key.

    Raises
    ------
    ValueError
        If ``data`` is not such an archive (it is never unpickled).

    Examples
    --------
    >>> decode(b"not an archive")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: not a reference archive (...)
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            entries = json.loads(str(archive["entries"]))
            decoded = {}
            for entry in entries:
                value = archive[entry["value"]]
                kind = entry["kind"]
                if kind == "labels":
                    value = pd.Series(value, index=pd.Index(archive[entry["index"]]))
                elif kind == "number":
                    value = float(value)
                elif kind == "genes":
                    value = set(value.tolist())
                elif kind != "array":
                    raise KeyError(kind)
                decoded[tuple(entry["key"])] = value
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        msg = f"not a reference archive ({type(error).__name__}: {error})"
        raise ValueError(msg) from None
    return decoded
