"""``python -m course_lib.grading``: the grading command line (see :mod:`.cli`)."""

import sys

from course_lib.grading.cli import main

if __name__ == "__main__":  # Dask's worker processes re-import this module: never re-run
    sys.exit(main())
