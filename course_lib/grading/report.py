"""What a grading run produces: per-student results, the report, and its files.

:class:`StudentResult` and :class:`GradingReport` hold the scores and reasons; the
functions here write ``grades.csv``, ``grades_lms.csv`` (an LMS gradebook import),
``attention.csv``, ``summary.md`` and ``score_distribution.png`` (matplotlib is imported
only by :func:`plot_distribution`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StudentResult:
    """Outcome of grading one student's submission."""

    student: str
    scores: dict[str, float]
    max_scores: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    graded: bool = True
    feedback: Path | None = None
    seconds: float = 0.0

    @property
    def total(self) -> float:
        """Sum of the student's test-cell scores."""
        return float(sum(self.scores.values()))


@dataclass
class GradingReport:
    """Everything one grading run produced."""

    assignment: str
    out: Path
    results: list[StudentResult]
    questions: list[str]
    max_scores: dict[str, float]
    grades_csv: Path
    attention_csv: Path
    summary: Path
    figure: Path
    seconds: float
    lms_csv: Path | None = None
    run_id: str = ""

    @property
    def max_total(self) -> float:
        """The assignment's maximum score."""
        return float(sum(self.max_scores.values()))

    def result(self, student: str) -> StudentResult:
        """The result of ``student``.

        Parameters
        ----------
        student
            A student id of this run.

        Returns
        -------
        StudentResult
            That student's scores and reasons.

        Raises
        ------
        KeyError
            If ``student`` was not graded in this run.
        """
        for result in self.results:
            if result.student == student:
                return result
        msg = f"no student {student!r}; graded: {[r.student for r in self.results]}"
        raise KeyError(msg)


def write_grades(report: GradingReport) -> None:
    """Write ``grades.csv``: one row per student, one column per test cell.

    Parameters
    ----------
    report
        The run; its ``grades_csv`` is written.
    """
    report.out.mkdir(parents=True, exist_ok=True)
    with open(report.grades_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *report.questions, "total", "max_score", "graded", "reasons"])
        for r in report.results:
            writer.writerow(
                [
                    r.student,
                    *(f"{r.scores[q]:g}" for q in report.questions),
                    f"{r.total:g}",
                    f"{report.max_total:g}",
                    r.graded,
                    "; ".join(r.reasons),
                ]
            )


LMS_COLUMNS = ("Student", "ID", "SIS User ID", "Section")
"""The identity columns of a Canvas gradebook import, before the assignment's column."""


def write_lms(report: GradingReport) -> None:
    """Write ``grades_lms.csv``: the totals as a Canvas-style gradebook import.

    The columns are ``Student``, ``ID``, ``SIS User ID``, ``Section`` and one named after
    the assignment. The first row after the header is ``Points Possible`` with the
    assignment's maximum; then one row per student with the student id as ``Student`` and
    ``SIS User ID`` (``ID`` and ``Section`` stay empty, the LMS fills them in) and the total.
    The column has no ``(<id>)`` suffix, so Canvas offers to create or match the assignment
    by name instead of writing into an assignment with that id.

    Parameters
    ----------
    report
        The run; its ``lms_csv`` (default ``grades_lms.csv`` next to ``grades.csv``) is
        written.

    Examples
    --------
    >>> print(open("grading/00_tiny/grades_lms.csv").read())  # doctest: +SKIP
    Student,ID,SIS User ID,Section,00_tiny
    Points Possible,,,,3
    alice,,alice,,3
    """
    path = report.lms_csv or report.out / "grades_lms.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*LMS_COLUMNS, report.assignment])
        writer.writerow(["Points Possible", "", "", "", f"{report.max_total:g}"])
        for r in report.results:
            writer.writerow([r.student, "", r.student, "", f"{r.total:g}"])


def write_attention(report: GradingReport) -> None:
    """Write ``attention.csv``: one row per reason a person should look at a submission.

    Parameters
    ----------
    report
        The run; its ``attention_csv`` is written.
    """
    with open(report.attention_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "total", "reason"])
        for r in report.results:
            for reason in r.reasons:
                writer.writerow([r.student, f"{r.total:g}", reason])


def write_summary(report: GradingReport) -> None:
    """Write ``summary.md``: counts, median, timing, the figure and the attention list.

    Score statistics and the time per notebook count graded notebooks only; the ones that
    could not be graded are counted and listed under *Needs manual attention*.

    Parameters
    ----------
    report
        The run; its ``summary`` is written.
    """
    results = report.results
    graded = [r for r in results if r.graded]
    totals = sorted(r.total for r in graded)
    if totals:
        middle = len(totals) // 2
        median = totals[middle] if len(totals) % 2 else (totals[middle - 1] + totals[middle]) / 2
        scores = (
            f"median {median:g} of {report.max_total:g} over the {len(graded)} graded notebooks, "
            f"{sum(t == report.max_total for t in totals)} with full marks"
        )
    else:
        scores = "no notebook could be graded"
    lines = [
        f"# Grading summary: {report.assignment}",
        "",
        f"- Students: {len(results)} ({len(graded)} graded by nbgrader, "
        f"{len(results) - len(graded)} not gradable: see below)",
        f"- Total score: {scores}",
        f"- Grading time: {report.seconds:.0f} s "
        f"({report.seconds / max(len(graded), 1):.1f} s per graded notebook)",
        f"- Grades: `{report.grades_csv.name}`; feedback: `feedback/<student>.html`",
        "",
        f"![Score distribution per test cell]({report.figure.name})",
        "",
        "## Needs manual attention",
        "",
    ]
    flagged = [(r, reason) for r in results for reason in r.reasons]
    if flagged:
        lines += ["| student | total | reason |", "|---|---|---|"]
        lines += [
            f"| {r.student} | {r.total:g} | {' '.join(reason.split()).replace('|', '/')} |"
            for r, reason in flagged
        ]
    else:
        lines.append("Nothing: every submission was graded without problems.")
    report.summary.write_text("\n".join(lines) + "\n")


def plot_distribution(report: GradingReport) -> None:
    """Draw ``score_distribution.png``: scores per test cell and the totals.

    Parameters
    ----------
    report
        The run; its ``figure`` is written.
    """
    import matplotlib

    matplotlib.use("Agg")  # a script writing a file, never a notebook
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    questions = report.questions
    full = [sum(r.scores[q] >= report.max_scores[q] for r in report.results) for q in questions]
    zero = [sum(r.scores[q] <= 0 for r in report.results) for q in questions]
    partial = [len(report.results) - f - z for f, z in zip(full, zero, strict=True)]
    fig, (ax, ax_total) = plt.subplots(
        1, 2, figsize=(11, 0.45 * len(questions) + 3), width_ratios=[3, 2], layout="constrained"
    )
    y = range(len(questions))
    left = [0] * len(questions)
    for counts, label, color in (
        (full, "full marks", "#2a9d8f"),
        (partial, "partial", "#e9c46a"),
        (zero, "0 points", "#e76f51"),
    ):
        ax.barh(y, counts, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(list(y), [f"{q} ({report.max_scores[q]:g} pt)" for q in questions])
    ax.invert_yaxis()
    ax.set_xlabel("Number of students")
    ax.set_ylabel("Test cell")
    ax.set_title("Score per test cell")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.08), ncol=3, frameon=False)
    ax_total.hist(
        [r.total for r in report.results],
        bins=_bins(report.max_total),
        color="#264653",
        edgecolor="white",
    )
    ax_total.set_xlabel(f"Total score (of {report.max_total:g})")
    ax_total.set_ylabel("Number of students")
    ax_total.set_title("Total scores")
    for axis in (ax.xaxis, ax_total.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"{report.assignment}: scores of {len(report.results)} submissions")
    fig.savefig(report.figure, dpi=100)
    plt.close(fig)


def _bins(max_total: float) -> list[float]:
    steps = max(int(max_total), 1)
    return [i * max_total / steps - 0.5 for i in range(steps + 2)]
