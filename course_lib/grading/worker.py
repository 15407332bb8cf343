"""The grading worker program: ``python -m course_lib.grading.worker <course root>``.

It loads the course's ``nbgrader_config.py`` once, then reads one JSON request per line
on stdin (``{"command": "autograde", "assignment": ..., "student": ...}``), runs that
nbgrader converter and answers nbgrader's ``{"success", "log", "error"}`` as one JSON line
on stdout. Everything else it or its kernels print goes to stderr (the worker log).
:class:`course_lib.grading.pool.Worker` is the parent side.
"""

from __future__ import annotations

import json
import os
import sys


def serve(root: str) -> None:
    """Answer nbgrader requests from stdin on stdout until stdin closes.

    Parameters
    ----------
    root
        The working nbgrader course directory (holding ``nbgrader_config.py``).
    """
    import logging

    from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config.loader import PyFileConfigLoader

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # kernels and libraries print into the log, never into the protocol
    logging.getLogger("traitlets").setLevel(logging.INFO)
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    converters = {
        "generate_assignment": GenerateAssignment,
        "autograde": Autograde,
        "generate_feedback": GenerateFeedback,
    }
    for line in sys.stdin:
        request = json.loads(line)
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = request["assignment"]
        if "student" in request:
            coursedir.student_id = request["student"]
        converter = converters[request["command"]](coursedir=coursedir, config=config)
        converter.force = True
        result = capture_log(converter)
        protocol.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python -m course_lib.grading.worker <course root>; got {sys.argv[1:]}")
    serve(sys.argv[1])
