"""Submission generators for the grader tests."""
