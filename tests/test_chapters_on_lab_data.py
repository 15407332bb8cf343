"""Every chapter runs top to bottom on the lab's real-data path, which has no truth labels.

The lab's files come from the stand-in server of ``tests/lab_server.py`` on 127.0.0.1
(simulated counts written as 10x ``.h5`` files: the loader sees real-data files without
``obs["cell_type_truth"]`` or ``obs["lineage_truth"]``). The module downloads and prepares
them once into its own cache directory; then each chapter runs in a fresh kernel with
``SCCLUST_DATASET=lab`` pointing there. It must finish without an error, and its cells that
compare with the truth must say they are skipped (the line ``course_lib.has_truth`` prints).
``book/cost_of_methods.ipynb`` reads stored measurements only and is not run here.

The served data is small (1,600 cells before QC) to keep the module to a few minutes; the
chapters that subsample a fixed number of cells must cope with fewer. Run with ``pytest -s``
to see the measured times.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_lib.datasets import has_truth, load_integrated
from course_lib.datasets.truth import SKIPPED
from tests.lab_server import lab_settings, serve_lab_files

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
N_CELLS = 1600
"""Cells simulated and served (split into the eight samples); QC keeps about 1,400."""
CHAPTERS = {  # chapter: cells that print the skip line on real data
    "dataset": 3,
    "01_graph_clustering": 1,
    "02_kmeans": 1,
    "03_hierarchical": 1,
    "04_distribution": 5,
    "05_subclustering": 8,
    "06_validation": 6,
    "07_beyond_one_clustering": 2,
}
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab_dataset(tmp_path_factory):
    """The lab settings in this process's environment (the kernels inherit them) and the
    prepared lab dataset in a fresh cache; its number of cells."""
    root = tmp_path_factory.mktemp("lab_chapters")
    served = root / "served"
    served.mkdir()
    with serve_lab_files(served, n_cells=N_CELLS) as server, pytest.MonkeyPatch.context() as mp:
        for name, value in lab_settings(server, root / "cache", root / "absent.toml").items():
            mp.setenv(name, value)
        start = time.perf_counter()
        with pytest.warns(UserWarning, match="no truth labels"):
            adata = load_integrated(progress=False)
        TIMES["download and prepare"] = time.perf_counter() - start
        assert adata.uns["course_dataset"]["dataset"] == "lab"
        assert not has_truth(adata, quiet=True)
        yield adata.n_obs
    print("\nchapters on the lab data path (" + ", ".join(
        f"{name} {seconds:.0f} s" for name, seconds in TIMES.items()
    ) + f"; total {sum(TIMES.values()):.0f} s)")


def _outputs(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_chapter_runs_on_truthless_lab_data(chapter, lab_dataset):
    notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "book")}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    TIMES[chapter] = time.perf_counter() - start

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert any("no truth labels" in _outputs(cell) for cell in code)  # load_integrated's warning
    skipped = [i for i, cell in enumerate(code) if SKIPPED in _outputs(cell)]
    assert len(skipped) == CHAPTERS[chapter], (
        f"{chapter}: {len(skipped)} code cells say they skip the truth part (code cells "
        f"{skipped}), expected {CHAPTERS[chapter]}"
    )
