"""A class of submissions of a real assignment, made from its solution and release notebooks.

A correct submission is the release notebook with every answer cell filled in from the
solution notebook (without the ``### BEGIN/END SOLUTION`` lines). The other submissions
change that one in a single way each. Each comes with the score it must get, worked out
from the points of the source notebook's test cells.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.grading import DEFAULT_MEMORY_LIMIT, parse_memory

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def assignments() -> list[str]:
    """Assignments with a source notebook in ``solutions/``."""
    return sorted(p.name for p in SOLUTIONS.glob("*") if (p / f"{p.name}.ipynb").is_file())


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


@dataclass
class Assignment:
    """The source and release notebooks of one assignment."""

    name: str

    def __post_init__(self) -> None:
        self.source = nbformat.read(SOLUTIONS / self.name / f"{self.name}.ipynb", as_version=4)
        release = EXERCISES / self.name / f"{self.name}.ipynb"
        if not release.is_file():
            msg = f"no release {release}; run `nbgrader generate_assignment {self.name} --force`"
            raise FileNotFoundError(msg)
        self.release = nbformat.read(release, as_version=4)

    @property
    def points(self) -> dict[str, float]:
        """Points of each test cell, in notebook order."""
        return {
            _grade_id(c): float(c.metadata["nbgrader"]["points"])
            for c in self.source.cells
            if c.metadata.get("nbgrader", {}).get("grade")
        }

    @property
    def full(self) -> float:
        """The assignment's maximum score."""
        return sum(self.points.values())

    def tests_calling(self, pattern: str) -> list[str]:
        """Test cells whose source (hidden tests included) matches regex ``pattern``."""
        return [c for c in self.points if re.search(pattern, self.cell(self.source, c).source)]

    def tests_after(self, answer: str) -> list[str]:
        """Test cells between answer cell ``answer`` and the next answer cell."""
        ids = [_grade_id(c) for c in self.source.cells]
        found = []
        for cell in self.source.cells[ids.index(answer) + 1 :]:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                break
            if meta.get("grade"):
                found.append(meta["grade_id"])
        return found

    def score_without(self, tests: list[str]) -> float:
        """The full score minus the points of ``tests``."""
        assert tests, "a variant that should lose points names no test cell"
        return self.full - sum(self.points[t] for t in tests)

    @staticmethod
    def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
        """The cell with nbgrader id ``grade_id``."""
        for cell in nb.cells:
            if _grade_id(cell) == grade_id:
                return cell
        msg = f"no cell {grade_id!r}; cells: {[_grade_id(c) for c in nb.cells]}"
        raise KeyError(msg)

    def answers(self) -> dict[str, str]:
        """The solution code of every answer cell, without the solution markers."""
        marker = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
        return {
            _grade_id(c): "\n".join(
                line for line in c.source.splitlines() if not marker.match(line)
            ).strip()
            for c in self.source.cells
            if c.metadata.get("nbgrader", {}).get("solution")
        }

    def submission(self, answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
        """The release notebook with ``answers`` (default: the solutions) filled in."""
        nb = copy.deepcopy(self.release)
        for grade_id, code in (answers or self.answers()).items():
            self.cell(nb, grade_id).source = code
        return nb

    def edit(self, pattern: str, repl: str) -> dict[str, str]:
        """The solutions with ``pattern`` replaced (it must occur)."""
        edited = {}
        n_total = 0
        for grade_id, code in self.answers().items():
            edited[grade_id], n = re.subn(pattern, repl, code)
            n_total += n
        assert n_total, f"{pattern!r} occurs in no answer of {self.name}; update the variant"
        return edited

    @property
    def last_answer(self) -> str:
        """The last answer cell."""
        return list(self.answers())[-1]


Variant = tuple[nbformat.NotebookNode | bytes, float, str]
"""A submission, its expected score, and a fragment of its expected attention reason."""


def graph_clustering_class(a: Assignment) -> dict[str, Variant]:
    """The class of submissions of ``01_graph_clustering``."""
    answers = a.answers()
    last = a.last_answer
    after_last = a.tests_after(last)
    hog_bytes = 2 * parse_memory(DEFAULT_MEMORY_LIMIT)  # well below the machine's RAM

    def with_last(prefix: str = "", suffix: str = "") -> nbformat.NotebookNode:
        return a.submission({**answers, last: f"{prefix}{answers[last]}{suffix}"})

    # the tests that check the clustering at resolution 0.6, and those that use the graph
    checks_06 = a.tests_calling(r"check_leiden\(adata,\s*0\.6\b")
    checks_graph = a.tests_calling(r"check_(neighbors|leiden)\(")
    wrong_resolution = a.edit(r"resolution=0\.6\b", "resolution=0.4")
    tampered = a.submission(wrong_resolution)
    for test in checks_06:
        a.cell(tampered, test).source = "pass  # the check did not like my answer"
    deleted = a.submission()
    deleted.cells = [c for c in deleted.cells if _grade_id(c) not in checks_06]
    wrong_kernel = a.submission()
    wrong_kernel.metadata.kernelspec = {"name": "ir", "display_name": "R", "language": "R"}
    noisy = a.edit(r'flavor="igraph",\s*n_iterations=2,\s*directed=False,\s*', "")
    noisy = {
        k: f"import warnings\nwarnings.simplefilter('always')\n{v}" if i == 0 else v
        for i, (k, v) in enumerate(noisy.items())
    }
    first = list(answers)[0]
    huge = "\nprint('x' * 10**7)\nfor i in range(20_000):\n    print(i)"
    hog = f"import numpy as np\nhog = np.zeros({hog_bytes}, dtype=np.uint8)\n"
    seed = a.edit(r"sc\.tl\.leiden\(\s*adata,", "sc.tl.leiden(adata, random_state=3,")
    leidenalg = a.edit(r'flavor="igraph"', 'flavor="leidenalg"')
    uncorrected = a.edit(r'use_rep="X_pca_harmony"', 'use_rep="X_pca"')
    without_06 = a.score_without(checks_06)
    return {
        "correct": (a.submission(), a.full, ""),
        "other_seed": (a.submission(seed), a.full, ""),
        "leidenalg": (a.submission(leidenalg), a.full, ""),
        "wrong_embedding": (a.submission(uncorrected), a.score_without(checks_graph), ""),
        "wrong_resolution": (a.submission(wrong_resolution), without_06, ""),
        "raises": (
            with_last(prefix="raise ValueError('unfinished')\n"),
            a.score_without(after_last),
            "",
        ),
        "infinite_loop": (with_last(suffix="\nwhile True:\n    pass"), a.full, "timed out"),
        "kernel_death": (
            a.submission({**answers, first: "import os\nos._exit(1)"}),
            0,
            "kernel died",
        ),
        "memory_hog": (with_last(prefix=hog), a.score_without(after_last), "memory limit"),
        # restored from the source, the test still catches the wrong resolution
        "edited_test": (tampered, without_06, "was edited"),
        "deleted_test": (deleted, a.full, "was deleted"),
        "corrupt": (nbformat.writes(a.submission())[:500].encode(), 0, "corrupt notebook"),
        "wrong_kernelspec": (wrong_kernel, a.full, "kernelspec 'ir'"),
        "huge_output": (with_last(suffix=huge), a.full, "huge output"),
        "warnings": (a.submission(noisy), a.full, ""),
    }


VARIANTS = (
    "correct", "other_seed", "leidenalg", "wrong_embedding", "wrong_resolution", "raises",
    "infinite_loop", "kernel_death", "memory_hog", "edited_test", "deleted_test", "corrupt",
    "wrong_kernelspec", "huge_output", "warnings",
)  # fmt: skip
"""Names of the submissions :func:`graph_clustering_class` makes."""


CLASSES: dict[str, Callable[[Assignment], dict[str, Variant]]] = {
    "01_graph_clustering": graph_clustering_class,
}


def partial_credit_variants(a: Assignment) -> dict[str, Variant]:
    """Submissions with one slip each, graded with the solution and the release.

    Each costs the question that asks for what went wrong, and only the questions that
    use the wrong result: integer labels cost only the question that asks for categories
    (``02_kmeans``) or nothing (``03_hierarchical``); a proportion table with the samples
    as columns costs that question and the group difference computed from it; a T/NK
    subset that keeps the doublet and damaged-cell clusters costs only the subset question
    (the later questions are scored on the student's own subset); a cell-level p-value
    (``06_judging``) costs only the question on the sample-level test.
    """
    if a.name == "02_kmeans":
        int_labels = a.edit(r"pd\.Categorical\(model\.labels_\.astype\(str\)\)", "model.labels_")
        return {"int_labels": (a.submission(int_labels), a.score_without(["check_kmeans"]), "")}
    if a.name == "03_hierarchical":
        codes = a.edit(
            r"(hierarchical\(.*\))", r'\1\nadata.obs["ward_10"] = adata.obs["ward_10"].cat.codes'
        )
        return {"int_labels": (a.submission(codes), a.full, "")}
    if a.name == "04_distribution":
        swapped = a.edit(
            r'pd\.crosstab\(adata\.obs\["sample"\], '
            r'adata\.obs\["leiden_0\.6"\], normalize="index"\)',
            'pd.crosstab(adata.obs["leiden_0.6"], adata.obs["sample"], normalize="columns")',
        )
        lost = a.score_without(["check_props", "check_diff"])
        return {"wrong_axis": (a.submission(swapped), lost, "")}
    if a.name == "05_subclustering":
        keeps = a.edit(r", exclude=flagged\)", ")")
        return {"keeps_doublets": (a.submission(keeps), a.score_without(["check_subset"]), "")}
    if a.name == "06_judging":
        per_cell = a.edit(
            r"p_value = mannwhitneyu\(.*\)\.pvalue",
            'p_value = course_lib.composition_test(adata, "leiden_0.6").loc[b_cluster, '
            '"cell-level p"]',
        )
        lost = a.score_without(["check_p_value"])
        return {"cells_as_replicates": (a.submission(per_cell), lost, "")}
    return {}
