"""Autograde a folder of exercise submissions with nbgrader, in parallel on Dask.

Run it from the repository root::

    .venv/bin/python -m course_lib.grading 01_graph_clustering path/to/submissions

The submissions folder may use nbgrader's ``<student>/<assignment>/<assignment>.ipynb``
layout (optionally inside ``submitted/``) or hold flat ``<student>.ipynb`` files. The
submitted files are only read: everything is copied into a working nbgrader course
directory under ``--out`` (default ``grading/<assignment>``), which holds

- ``grades.csv``: one row per student, one column per test cell, total and reasons;
- ``summary.md``, ``attention.csv``: submissions that need a person to look at them;
- ``score_distribution.png``: the scores of every test cell across the class;
- ``feedback/<student>.html``: per-student feedback, without the hidden tests;
- ``course/``: the nbgrader course (gradebook, autograded notebooks, logs).

Each student is graded on a Dask worker (a local cluster, or an existing scheduler) by its
own ``nbgrader autograde`` process with a wall-clock limit, in a private temporary course
directory, on a memory-capped copy of the course kernel, so one looping, crashing or
memory-hungry submission cannot stop or corrupt the grading of the others. Only the
grading command's own process writes the gradebook.

=====================  ====================================================================
module                 what it holds
=====================  ====================================================================
``cli``                the command line (:func:`main`)
``autograde``          one run (:func:`grade_submissions`)
``submissions``        finding and inspecting submissions, student ids
``coursedir``          the working nbgrader course directory and its gradebook
``engine``             Dask: local cluster or scheduler, submitting, worker deaths
``task``               one student on a worker: private course, nbgrader, the outcome
``kernel``             the memory-capped kernel launcher
``settings``           :class:`GradingSettings` (checked once), the course's config file
``config``             :func:`configure_nbgrader`
``preprocessors``      :class:`LimitOutputSize`, :class:`HideHiddenTestOutput`
``report``             results, ``grades.csv``, LMS import, attention list, summary, figure
=====================  ====================================================================

The names below are imported on first use: ``nbgrader_config.py`` files and every grading
kernel import this package, so importing it loads neither nbgrader nor scanpy.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "..defaults": ("DEFAULT_JOBS", "DEFAULT_MAX_OUTPUT_CHARS", "DEFAULT_MEMORY_LIMIT",
                   "DEFAULT_TIMEOUT", "GRADER_KERNEL", "HIDDEN_TESTS_BEGIN", "TRUNCATION_NOTE"),
    ".config": ("REPO_ROOT", "configure_nbgrader"),
    ".settings": ("GradingSettings", "parse_memory", "write_course_config"),
    ".preprocessors": ("HideHiddenTestOutput", "LimitOutputSize"),
    ".report": ("GradingReport", "StudentResult"),
    ".task": ("GradingOutcome", "GradingTask"),
    ".submissions": ("find_submissions", "inspect_autograded", "inspect_submission"),
    ".autograde": ("grade_submissions",),
    ".cli": ("main",),
}  # fmt: skip
_SUBMODULES = ("autograde", "cli", "config", "coursedir", "engine", "kernel", "preprocessors",
               "report", "settings", "submissions", "task")  # fmt: skip
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBMODULES)
