"""The grading settings: checked once when made, and the course's config file written from them."""

from __future__ import annotations

import os

import pytest

from course_lib import grading
from course_lib.grading.settings import GradingSettings, write_course_config


def test_defaults_come_from_course_lib_defaults():
    settings = GradingSettings()
    assert settings.timeout == grading.DEFAULT_TIMEOUT
    assert settings.memory_bytes == grading.parse_memory(grading.DEFAULT_MEMORY_LIMIT)
    assert settings.max_output_chars == grading.DEFAULT_MAX_OUTPUT_CHARS
    assert settings.jobs == grading.DEFAULT_JOBS
    assert settings.submission_timeout is None and settings.scheduler is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, r"timeout must be a positive number of seconds, got 0; pass e.g. 120"),
        ({"timeout": -5}, r"timeout must be a positive number of seconds, got -5"),
        ({"memory_limit": "lots"}, r"cannot read memory size 'lots'; pass e.g. '4G'"),
        ({"jobs": 0}, r"jobs must be between 1 and the \d+ cores, got 0; pass e.g. 1"),
        ({"jobs": (os.cpu_count() or 1) + 1}, r"jobs must be between 1 and the \d+ cores"),
        ({"max_output_chars": 0}, r"max_output_chars must be a positive number of characters"),
        ({"submission_timeout": 0}, r"submission_timeout must be a positive number of seconds"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=message):
        GradingSettings(**options)


def test_settings_are_a_frozen_value():
    settings = GradingSettings(timeout=30, memory_limit="1G")
    assert settings == GradingSettings(timeout=30, memory_limit="1G")
    with pytest.raises(AttributeError):
        settings.timeout = 60  # type: ignore[misc]


def test_wall_limit_per_submission():
    assert GradingSettings(timeout=10).for_code_cells(3).submission_timeout == 10 * 5 + 300
    given = GradingSettings(timeout=10, submission_timeout=42)
    assert given.for_code_cells(3) is given


def test_course_config_is_written_from_the_settings(tmp_path, monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    settings = GradingSettings(timeout=7, max_output_chars=1234)
    path = write_course_config(tmp_path, settings)
    assert path == tmp_path.resolve() / "nbgrader_config.py"
    monkeypatch.chdir(tmp_path)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert config.CourseDirectory.root == str(tmp_path.resolve())
    assert config.Execute.timeout == 7
    assert config.LimitOutputSize.max_chars == 1234
    assert config.Execute.kernel_name == grading.GRADER_KERNEL
