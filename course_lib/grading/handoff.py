"""Handing the class's reference answers to the judge, checked by their SHA-256.

The grader computes the references an exercise needs once per class
(:mod:`.refcache`); each grading task writes them into its private course directory and
names the file and the SHA-256 the client computed in two environment variables of the
grading process. That process (:func:`course_lib.grading.task.main`) calls :func:`receive`
before the submission's kernel starts: it removes both variables from the environment,
reads the file once and keeps its bytes only if their SHA-256 is the one the client
computed; the task then deletes the file. The checks the judge runs in that process
(:mod:`.judge`) take the references :func:`receive` passed to
:func:`course_lib.checks.references.use_store` and compute the others themselves, as they
do when no file was handed over (a student's own notebook) or the file did not match.

The two variables are the grader's private channel between its own processes, not user
settings: they are read here, not in :mod:`course_lib.environment`, which reads the settings a
user sets.

Standard library only at import time: every grading process imports this module.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FILE_ENV = "SCCLUST_GRADING_REFERENCES"
"""Environment variable of the grading process: path of the reference file."""

SHA256_ENV = "SCCLUST_GRADING_REFERENCES_SHA256"
"""Environment variable of the grading process: SHA-256 of the reference file (hex)."""

_RECEIVED: dict[str, str] = {}


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

    Called once by the grading process, before the student's kernel starts. Both variables
    are removed from ``os.environ`` whatever happens, so neither the kernel nor the
    processes it starts see them.

    Returns
    -------
    str
        ``"none"`` (nothing handed over), ``"verified"`` (the file's SHA-256 matched; its
        references go to :func:`course_lib.checks.references.use_store`), ``"mismatch"``,
        ``"unreadable"`` or ``"undecodable"`` (ignored: the checks compute every reference
        themselves).
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
                from ..checks.references import use_store

                try:
                    use_store(data)
                except ValueError:
                    status = "undecodable"
    _RECEIVED["status"] = status
    return status


def status() -> str:
    """What :func:`receive` found: ``"none"``, ``"verified"``, ``"mismatch"``, ``"unreadable"``;
    ``"not received"`` outside a grading process."""
    return str(_RECEIVED.get("status", "not received"))
