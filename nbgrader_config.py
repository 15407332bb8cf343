"""nbgrader configuration: `solutions/` is the source (with solutions and hidden tests),
`exercises/` is the student release generated from it.

The autograding and feedback settings (per-cell timeout, test cells judged outside
the kernel, restored test cells, output limits, hidden tests kept out of feedback) come from
`course_lib.grading.configure_nbgrader` (in `course_lib/grading/config.py`);
`python -m course_lib.grading` writes a config calling it in its own working course
directory and adds a memory-capped kernel (`python -m course_lib.grading.kernel`).
Importing it loads nbgrader and nbconvert only, never scanpy.
"""

from course_lib.grading import configure_nbgrader

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
configure_nbgrader(c)
