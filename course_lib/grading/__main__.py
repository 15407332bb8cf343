"""``python -m course_lib.grading``: the grading command line (see :mod:`.cli`)."""

import sys

from course_lib.grading.cli import main

sys.exit(main())
