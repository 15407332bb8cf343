"""Handing the class's reference answers to a grading kernel, checked by their SHA-256.

The grader computes the references an exercise needs once per class
(:mod:`.refcache`); each grading task writes them into its private course directory and
names the file and the SHA-256 the client computed in two environment variables of the
grading process, which the kernel inherits. The kernel launcher (:mod:`.kernel`) calls
:func:`receive` before the student's code runs: it removes both variables from the
environment, reads the file once and keeps its bytes only if their SHA-256 is the one the
client computed. The checks take references from :func:`received`
(:func:`course_lib.checks.references.cached`) and compute the others themselves, as they
do when no file was handed over (a student's own notebook) or the file did not match.

Standard library only: the kernel launcher imports this module before ipykernel.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FILE_ENV = "SCCLUST_GRADING_REFERENCES"
"""Environment variable of the grading process: path of the reference file."""

SHA256_ENV = "SCCLUST_GRADING_REFERENCES_SHA256"
"""Environment variable of the grading process: SHA-256 of the reference file (hex)."""

_RECEIVED: dict[str, bytes | str] = {}


def sha256(data: bytes) -> str:
    """Hexadecimal SHA-256 of ``data``.

    Examples
    --------
    >>> sha256(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def handoff_env(path: Path, digest: str) -> dict[str, str]:
    """The environment variables that hand the file ``path`` with SHA-256 ``digest`` over.

    Examples
    --------
    >>> sorted(handoff_env(Path("refs.npz"), "ab"))
    ['SCCLUST_GRADING_REFERENCES', 'SCCLUST_GRADING_REFERENCES_SHA256']
    """
    return {FILE_ENV: str(path), SHA256_ENV: digest}


def receive() -> str:
    """Take the handed-over references out of the environment and keep them if they match.

    Called once by the kernel launcher, before the student's code runs. Both variables
    are removed from ``os.environ`` whatever happens, so neither the student's code nor
    the processes it starts see them.

    Returns
    -------
    str
        ``"none"`` (nothing handed over), ``"verified"`` (the file's SHA-256 matched; its
        bytes are kept), ``"mismatch"`` or ``"unreadable"`` (ignored: the checks compute
        every reference themselves).
    """
    path, digest = os.environ.pop(FILE_ENV, None), os.environ.pop(SHA256_ENV, None)
    _RECEIVED.clear()
    if not path or not digest:
        status = "none"
    else:
        try:
            data = Path(path).read_bytes()
        except OSError:
            status = "unreadable"
        else:
            status = "verified" if sha256(data) == digest.lower() else "mismatch"
            if status == "verified":
                _RECEIVED["data"] = data
    _RECEIVED["status"] = status
    return status


def received() -> bytes | None:
    """The verified reference file's bytes, or ``None`` when none was handed over intact."""
    data = _RECEIVED.get("data")
    return data if isinstance(data, bytes) else None


def status() -> str:
    """What :func:`receive` found: ``"none"``, ``"verified"``, ``"mismatch"``, ``"unreadable"``;
    ``"not received"`` outside a grading kernel."""
    return str(_RECEIVED.get("status", "not received"))
