"""The memory-capped grading kernel: ``python -m course_lib.grading.kernel <bytes> -f <file>``.

The grader's kernelspec starts every submission's kernel with this module: it caps the
address space (``RLIMIT_AS``) at the given number of bytes (``0``: no cap), then hands over
to ipykernel with the remaining arguments. The kernel decides no grade (:mod:`.judge`), so it
receives no reference answers. It imports the standard library only until ipykernel takes
over.
"""

from __future__ import annotations

import resource
import sys

USAGE = (
    "usage: python -m course_lib.grading.kernel <address-space bytes, 0 for no cap> "
    "-f {connection_file}"
)


def main(argv: list[str] | None = None) -> None:
    """Cap the address space and run an IPython kernel.

    Parameters
    ----------
    argv
        The limit in bytes followed by ipykernel's arguments (default ``sys.argv[1:]``).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        limit = int(args[0])
        if limit < 0:
            raise ValueError(limit)
    except (IndexError, ValueError):
        sys.exit(f"{USAGE}\ngot {args!r}")
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.argv = [sys.argv[0], *args[1:]]
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
