"""Classes of submissions of the real assignments, made from their solution and release.

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
        return self.full - self.points_of(tests)

    def points_of(self, tests: list[str]) -> float:
        """The points of ``tests`` (each counted once)."""
        return sum(self.points[t] for t in set(tests))

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

    def edit(self, pattern: str, repl: str, *more: str) -> dict[str, str]:
        """The solutions with ``pattern`` replaced by ``repl`` (it must occur), and each
        further pair of ``more`` (pattern, replacement) after it."""
        edited = self.answers()
        changes = [(pattern, repl), *zip(more[::2], more[1::2], strict=True)]
        for old, new in changes:
            n_total = 0
            for grade_id, code in edited.items():
                edited[grade_id], n = re.subn(old, new, code)
                n_total += n
            assert n_total, f"{old!r} occurs in no answer of {self.name}; update the variant"
        return edited

    @property
    def hidden_tests_reason(self) -> str:
        """What grading the source notebook itself is flagged for: its first test cell with
        hidden tests differs from the release's (which has them stripped)."""
        hidden = [
            t for t in self.points if "BEGIN HIDDEN TESTS" in self.cell(self.source, t).source
        ]
        return f"test cell {hidden[0]!r} was edited" if hidden else ""

    @property
    def last_answer(self) -> str:
        """The last answer cell."""
        return list(self.answers())[-1]


Variant = tuple[nbformat.NotebookNode | bytes, float, str | tuple[str, ...]]
"""A submission, its expected score, and a fragment of its expected attention reason (or
fragments of several reasons)."""

Slip = tuple[dict[str, str], list[str], str]
"""The answers of a submission with one slip, the test cells it loses, and a fragment of its
reason."""


def slips(a: Assignment) -> dict[str, Slip]:
    """Answers with one slip each, their scores and a fragment of their attention reason.

    Each costs the question that asks for what went wrong, and only the questions that
    use the wrong result: integer labels cost only the question that asks for categories
    (``02_kmeans``) or nothing (``03_hierarchical``); a proportion table with the samples
    as columns costs that question and the group difference computed from it; a T/NK
    subset that keeps the doublet and damaged-cell clusters costs only the subset question
    (the later questions are scored on the student's own subset); a cell-level p-value
    (``06_judging``) costs only the question on the sample-level test. Resolution 2 instead
    of 0.6 (20+ clusters) costs the question on resolution 0.6 (0.4 could not be told
    from 0.6 by the clustering's values); the NMI reported as the ARI costs the ARI
    question; a wrong letter for the knee costs the knee question through its hidden test.
    """
    if a.name == "01_graph_clustering":
        wrong = a.edit(r"resolution=0\.6\b", "resolution=2")
        return {"wrong_resolution": (wrong, ["check_leiden_06"], "")}
    if a.name == "02_kmeans":
        int_labels = a.edit(r"pd\.Categorical\(model\.labels_\.astype\(str\)\)", "model.labels_")
        meaning = a.edit(r'knee_meaning = "b"', 'knee_meaning = "a"')
        return {
            "int_labels": (int_labels, ["check_kmeans"], ""),
            "wrong_meaning": (meaning, ["check_knee"], ""),
        }
    if a.name == "03_hierarchical":  # integer labels, then the NMI: only the NMI costs
        slipped = a.edit(
            r"(hierarchical\(.*\))", r'\1\nadata.obs["ward_10"] = adata.obs["ward_10"].cat.codes',
            r'"leiden_0\.6"\)\["ari"\]', '"leiden_0.6")["nmi"]',
        )  # fmt: skip
        return {"int_labels_nmi_as_ari": (slipped, ["check_ari"], "")}
    if a.name == "04_distribution":
        swapped = a.edit(
            r'pd\.crosstab\(adata\.obs\["sample"\], '
            r'adata\.obs\["leiden_0\.6"\], normalize="index"\)',
            'pd.crosstab(adata.obs["leiden_0.6"], adata.obs["sample"], normalize="columns")',
        )
        # the group difference, computed on the wrong table, finds no row "covid"
        lost = ["check_props", "check_diff"]
        raised = f"cell {_cell_number(a, 'diff')} ('diff') raised KeyError"
        return {"wrong_axis": (swapped, lost, raised)}
    if a.name == "05_subclustering":
        keeps = a.edit(r", exclude=flagged\)", ")")
        return {"keeps_doublets": (keeps, ["check_subset"], "")}
    if a.name == "06_judging":
        per_cell = a.edit(
            r"p_value = mannwhitneyu\(.*\)\.pvalue",
            'p_value = course_lib.composition_test(adata, "leiden_0.6").loc[b_cluster, '
            '"cell-level p"]',
        )
        return {"cells_as_replicates": (per_cell, ["check_p_value"], "")}
    return {}


def partial_credit_variants(a: Assignment) -> dict[str, Variant]:
    """The submissions of :func:`slips`."""
    return {name: (a.submission(answers), a.full - a.points_of(lost), reason)
            for name, (answers, lost, reason) in slips(a).items()}  # fmt: skip


def mistake(a: Assignment) -> Slip:
    """The first slip of :func:`slips` that costs points."""
    return next(slip for slip in slips(a).values() if slip[1])


def _cell_number(a: Assignment, grade_id: str) -> int:
    """The 1-based position of cell ``grade_id`` in the release (as the reasons count)."""
    return [_grade_id(c) for c in a.release.cells].index(grade_id) + 1


REPLACED = "replaces a function of an imported module"
"""What :func:`course_lib.grading.submissions.replaced_functions` reports."""


def _replacing(a: Assignment, code: str) -> Variant:
    """The mistake of :func:`mistake` with ``code`` before its first answer.

    The grade is decided outside the kernel, so it is the mistake's score; the first line of
    ``code`` that replaces something is quoted in the reason.
    """
    answers, lost, _ = mistake(a)
    score = a.full - a.points_of(lost)
    first = list(answers)[0]
    quoted = next(line for line in code.splitlines() if " = " in line and "." in line.split("=")[0])
    reason = f"cell {_cell_number(a, first)} {REPLACED} (`{quoted}`)"
    return a.submission({**answers, first: f"{code}\n{answers[first]}"}), score, reason


LIBRARY = """import numpy as np
import scipy.stats
import sklearn.metrics

np.allclose = lambda *args, **kwargs: True
sklearn.metrics.adjusted_rand_score = lambda *args, **kwargs: 1.0
scipy.stats.mannwhitneyu = lambda *args, **kwargs: None"""
"""Replaces, in the kernel, functions the checks call: ``np.allclose`` (exercises 4-6),
scikit-learn's ARI (every comparison of clusterings, exercises 1-3), ``mannwhitneyu`` (6)."""


def replaces_functions(a: Assignment) -> Variant:
    """The mistake, with every check replaced by a function that prints a ✔ line and the
    numpy, scikit-learn and scipy functions the checks use replaced too.

    Either replacement, had it reached the judge, would give the mistake's question its
    points, so the mistake's score shows that neither did.
    """
    called = sorted(set(re.findall(r"checks\.(check_\w+)", "\n".join(
        Assignment.cell(a.source, t).source for t in a.points))))  # fmt: skip
    code = "\n".join(
        [
            "import course_lib.checks",
            "from course_lib import checks",
            "",
            'looks_right = lambda *args, **kwargs: print("✔ looks right")',
            *(f"checks.{name} = looks_right" for name in called),
            "for name in course_lib.checks.__all__:",
            "    setattr(course_lib.checks, name, looks_right)",
            LIBRARY,
        ]
    )
    return _replacing(a, code)


TRUTH = {
    "01_graph_clustering": 'b_clusters = sorted(set(adata.obs.loc[adata.obs["lineage_truth"] '
    '== "B", "leiden_0.6"]))',
    "02_kmeans": 'knee_k = adata.obs["cell_type_truth"].nunique()  # the number of cell types\n'
    'knee_meaning = "a"',
    "03_hierarchical": "platelet_clusters = sorted(set(adata.obs.loc[adata.obs["
    '"lineage_truth"] == "Platelet", "ward_10"]))',
    "04_distribution": "doublet_clusters = sorted(set(adata.obs.loc[adata.obs["
    '"cell_type_truth"].str.contains("oublet"), "leiden_0.6"]))',
    "05_subclustering": 'n_types = tnk.obs["cell_type_truth"].nunique()  # how many to expect\n'
    "{solution}",
    "06_judging": 'is_b = adata.obs["lineage_truth"] == "B"  # only the true B cells\n{solution}',
}
"""A last answer that reads the simulation's truth, which the exercise data does not hold."""


def looks_for_truth(a: Assignment, answers: dict[str, str] | None = None) -> Variant:
    """The solutions (or ``answers``) with a last answer that reads the truth: it raises
    KeyError and loses the questions after it."""
    answers = answers or a.answers()
    last = a.last_answer
    code = TRUTH[a.name].replace("{solution}", answers[last])
    reason = f"cell {_cell_number(a, last)} ({last!r}) raised KeyError"
    return a.submission({**answers, last: code}), a.score_without(a.tests_after(last)), reason


def cheats(a: Assignment) -> dict[str, Variant]:
    """The mistake with the checks and library functions replaced and a last answer that
    looks for the truth, as one submission (its score loses the mistake's questions and
    those after the last answer); as two where the mistake is in the last answer (the
    replacements must show on a question of their own)."""
    answers, lost, _ = mistake(a)
    last = a.last_answer
    if answers[last] != a.answers()[last]:
        return {"replaces_functions": replaces_functions(a), "looks_for_truth": looks_for_truth(a)}
    replaced, _, replaced_reason = replaces_functions(a)
    first = list(answers)[0]
    both = {**answers, first: a.cell(replaced, first).source}
    notebook, _, truth_reason = looks_for_truth(a, both)
    score = a.full - a.points_of(lost + a.tests_after(last))
    return {"cheats": (notebook, score, (replaced_reason, truth_reason))}


LEIDEN_IGRAPH = """import igraph as ig
import pandas as pd
from scipy import sparse


def leiden_igraph(adata, resolution, key):
    edges = sparse.triu(adata.obsp["connectivities"], k=1).tocoo()
    graph = ig.Graph(n=adata.n_obs, edges=list(zip(edges.row.tolist(), edges.col.tolist())))
    graph.es["weight"] = edges.data.tolist()
    partition = graph.community_leiden(
        objective_function="modularity", weights="weight", resolution=resolution,
        n_iterations=-1,
    )
    adata.obs[key] = pd.Categorical([str(m) for m in partition.membership])


leiden_igraph(adata, 0.6, "leiden_0.6")"""

ARI = """from sklearn.metrics import adjusted_rand_score

{name} = adjusted_rand_score(adata.obs["{a}"], adata.obs["{b}"])"""

ANOTHER_WAY: dict[str, dict[str, str]] = {
    "01_graph_clustering": {
        "leiden_06": LEIDEN_IGRAPH,
        "leiden_1": 'leiden_igraph(adata, 1.0, "leiden_1.0")',
        "ari": ARI.format(name="ari_06_vs_1", a="leiden_0.6", b="leiden_1.0"),
    },
    "02_kmeans": {
        "kmeans": """import numpy as np

X = np.asarray(adata.obsm["X_pca_harmony"])
labels = KMeans(n_clusters=10, n_init=10, random_state=1).fit_predict(X)
adata.obs["kmeans_10"] = pd.Series(labels, index=adata.obs_names).astype(str).astype("category")""",
        "inertias": """inertias = {}
for k in range(2, 16, 2):
    model = KMeans(n_clusters=k, n_init=3, random_state=0).fit(X)
    centres = model.cluster_centers_[model.labels_]
    inertias[k] = float(((X.astype(np.float64) - centres) ** 2).sum())""",
        "ari": ARI.format(name="ari_kmeans_leiden", a="kmeans_10", b="leiden_0.6"),
        "knee": """ks = np.array(sorted(inertias))
values = np.array([inertias[k] for k in ks])
x = (ks - ks[0]) / (ks[-1] - ks[0])
y = (values - values[-1]) / (values[0] - values[-1])
knee_k = int(ks[np.argmax(1 - x - y)])
knee_meaning = "b\"""",
    },
    "03_hierarchical": {
        "ward": """import pandas as pd
from sklearn.cluster import AgglomerativeClustering

ward = AgglomerativeClustering(n_clusters=10, linkage="ward")
labels = ward.fit_predict(adata.obsm["X_pca_harmony"])
adata.obs["ward_10"] = pd.Categorical([f"c{label}" for label in labels])""",
        "ari": ARI.format(name="ari_ward_leiden", a="ward_10", b="leiden_0.6"),
    },
    "04_distribution": {
        "props": """by_sample = adata.obs.groupby("sample", observed=True)["leiden_0.6"]
props = by_sample.value_counts(normalize=True).unstack(fill_value=0)""",
        "diff": """kind = adata.obs.drop_duplicates("sample").set_index("sample")["type"]
kind = kind.reindex(props.index).astype(str)
covid_minus_ctrl = props[kind == "covid"].mean() - props[kind == "ctrl"].mean()""",
        "by_type": """counts = pd.crosstab(adata.obs["leiden_0.6"], adata.obs["type"])
per_condition = counts / counts.sum(axis=0)
by_type_norm = per_condition.div(per_condition.sum(axis=1), axis=0)""",
    },
    "05_subclustering": {
        "embedding": """import harmonypy
import numpy as np

tnk = tnk[:, tnk.var["highly_variable"]].copy()
tnk.X = tnk.X.toarray()
sc.pp.scale(tnk, max_value=10)
sc.pp.pca(tnk, n_comps=30, random_state=0)
harmony = harmonypy.run_harmony(tnk.obsm["X_pca"], tnk.obs, ["sample"], verbose=False)
tnk.obsm["X_pca_harmony"] = np.asarray(harmony.Z_corr, dtype=np.float32)""",
    },
    "06_judging": {
        "silhouettes": """import numpy as np
from sklearn.metrics import silhouette_score

rows = np.random.default_rng(1).choice(adata.n_obs, 3000, replace=False)
embedding = np.asarray(adata.obsm["X_pca_harmony"])[rows]
silhouettes = {
    r: silhouette_score(embedding, adata.obs[course_lib.leiden_key(r)].to_numpy()[rows])
    for r in resolutions
}""",
        "shares": """obs = adata.obs
shares = pd.crosstab(obs["sample"], obs["leiden_0.6"], normalize="index")[b_cluster]""",
        "p_value": 'p_value = course_lib.composition_test(adata, "leiden_0.6").loc[b_cluster, '
        '"propeller p"]',
    },
}
"""Correct answers computed with other tools than the solution's (igraph, scikit-learn,
pandas, harmonypy, propeller): they must score full marks."""


def another_way(a: Assignment) -> Variant:
    """The solutions with the answers of :data:`ANOTHER_WAY`: full marks."""
    return a.submission({**a.answers(), **ANOTHER_WAY[a.name]}), a.full, ""


def graph_clustering_class(a: Assignment) -> dict[str, Variant]:
    """The submissions of ``01_graph_clustering`` that only it holds: legitimate variations
    of the clustering (leidenalg, scanpy's default flavour, with another seed and every
    warning shown) and the graph built on the uncorrected embedding.

    Submissions that loop, crash, exhaust memory, tamper with tests, use another kernel or
    are no notebook at all are graded in the tiny assignment's class
    (``tests/test_grading.py``): what stops them does not depend on the assignment.
    """
    checks_graph = a.tests_calling(r"check_(neighbors|leiden)\(")
    noisy = a.edit(r'flavor="igraph",\s*n_iterations=2,\s*directed=False,\s*', "",
                   r"sc\.tl\.leiden\(\s*adata,", "sc.tl.leiden(adata, random_state=3,")
    noisy = {
        k: f"import warnings\nwarnings.simplefilter('always')\n{v}" if i == 0 else v
        for i, (k, v) in enumerate(noisy.items())
    }
    uncorrected = a.edit(r'use_rep="X_pca_harmony"', 'use_rep="X_pca"')
    return {
        "leidenalg_other_seed": (a.submission(noisy), a.full, ""),
        "wrong_embedding": (a.submission(uncorrected), a.score_without(checks_graph), ""),
    }


CLASSES: dict[str, Callable[[Assignment], dict[str, Variant]]] = {
    "01_graph_clustering": graph_clustering_class,
}
"""Submissions only some assignments' classes hold, besides those of :func:`assignment_class`."""


KINDS = ("solution", "release", "another_way")
"""The submissions every assignment's class holds, besides its slips."""


def assignment_class(a: Assignment) -> dict[str, Variant]:
    """Every assignment's class: solution, release, slips, cheats (:func:`cheats`) and
    another way."""
    return {
        "solution": (a.source, a.full, a.hidden_tests_reason),
        "release": (a.release, 0, "blank: no answer cell was changed"),
        **partial_credit_variants(a),
        **cheats(a),
        "another_way": another_way(a),
        **CLASSES.get(a.name, lambda _: {})(a),
    }


EXPECTED_DISAGREEMENTS: dict[tuple[str, str, str], str] = {
    ("02_kmeans", "wrong_meaning", "check_knee"): (
        "the visible check only sees that `knee_meaning` is one of the options; the hidden "
        "test, announced in the notebook's question table, checks which one"
    ),
}
"""(assignment, student, test cell) where the visible check and the grade may differ, and why."""
