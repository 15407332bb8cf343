"""The grading command line: ``python -m course_lib.grading <assignment> <submissions>``.

:func:`main` parses the options into a :class:`~.settings.GradingSettings`, runs
:func:`~.autograde.grade` and turns bad input into exit code 2 with a message on stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from ..defaults import DEFAULT_JOBS, DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT


def main(argv: Iterable[str] | None = None) -> int:
    """Command line: ``python -m course_lib.grading <assignment> <submissions> [options]``.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 when every submission was graded (some may still need attention),
        1 when at least one could not be graded (it is in the CSV with 0 and a reason).
        Bad arguments, a ``course_lib`` the grading processes would not import, and a
        ``--scheduler`` that cannot be reached exit with 2 (``SystemExit``) before
        anything is written.

    Examples
    --------
    >>> main(["01_graph_clustering", "collected", "--out", "grading/01"])  # doctest: +SKIP
    0
    """
    from .autograde import grade
    from .settings import GradingSettings

    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grading",
        description="Autograde submissions with nbgrader; write grades, feedback and a summary.",
    )
    parser.add_argument("assignment", help="assignment name, e.g. 01_graph_clustering")
    parser.add_argument(
        "submissions", help="folder of <student>/<assignment>/ folders or <student>.ipynb files"
    )
    parser.add_argument("--out", help="output folder (default: grading/<assignment>)")
    parser.add_argument(
        "--solutions", help="nbgrader source folder (default: the repository's solutions/)"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help="seconds per cell (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help="address-space cap of the grading kernel, e.g. 4G; 0 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="local Dask worker processes grading in parallel (default: %(default)s)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the workers of a running Dask scheduler, e.g. tcp://host:8786 "
        "(default: a local cluster of --jobs workers)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        settings = GradingSettings(
            timeout=args.timeout,
            memory_limit=args.memory_limit,
            jobs=args.jobs,
            scheduler=args.scheduler,
            progress=not args.no_progress,
        )
        report = grade(
            args.assignment, args.submissions, settings, out=args.out, solutions=args.solutions
        )
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        parser.error(str(error))
    ungraded = [r.student for r in report.results if not r.graded]
    print(f"graded {len(report.results)} submissions in {report.seconds:.0f} s -> {report.out}")
    print(f"grades: {report.grades_csv} (LMS import: {report.lms_csv})\nsummary: {report.summary}")
    if ungraded:
        print(f"could not grade (0 points, see {report.summary.name}): {', '.join(ungraded)}")
    return 1 if ungraded else 0
