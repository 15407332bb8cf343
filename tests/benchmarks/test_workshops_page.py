"""The workshop organisers' page (book/workshops.md) stays true to the repository.

Its nbgitpuller link template is that of the launch buttons, built from `_config.yml`, and
its table gives the path of every chapter and exercise; its sizing table holds the figures
that benchmark_chapters.py wrote to the JSON file it names; the binder/ files it describes
are there and parse.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "book" / "workshops.md"


def _pull_link(path: str, hub: str) -> str:
    """The nbgitpuller link to ``path``, as sphinx-book-theme's JupyterHub button builds it."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].rstrip("/")
    params = {"repo": repo, "urlpath": f"lab/tree/{repo.rsplit('/', 1)[-1]}/{path}",
              "branch": config["repository"].get("branch", "main")}
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{urlencode(params, safe='/')}"


def _notebooks() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [f"{c['file']}.ipynb" for part in toc["parts"] for c in part["chapters"]
                if (ROOT / f"{c['file']}.ipynb").exists()]
    exercises = sorted(p.relative_to(ROOT).as_posix()
                       for p in (ROOT / "exercises").glob("*/*.ipynb"))
    return chapters + exercises


def test_page_links_every_chapter_and_exercise_like_the_launch_buttons():
    """The page's link template is the launch button's link with `<hub>` and `<path>` left
    open (the book names no hub until an organiser sets one), and its table gives every
    chapter's and exercise's path."""
    text = PAGE.read_text()
    template = _pull_link("PATH", "https://<hub>").replace("PATH", "<path>")
    assert template in text, f"book/workshops.md lacks the link template {template}"
    missing = [path for path in _notebooks() if f"| `{path}` |" not in text]
    assert missing == [], f"book/workshops.md's table lacks {missing}"


def test_sizing_table_holds_the_measured_figures():
    text = PAGE.read_text()
    source = re.search(r"`(tests/benchmarks/measured-[\d-]+\.json)`", text)
    assert source, "the page must name the JSON file its figures come from"
    measured = json.loads((ROOT / source.group(1)).read_text())
    rows = {row["notebook"]: row for row in measured["chapters"] + measured["exercise_solutions"]}
    table = {m.group(1): (int(m.group(2)), int(m.group(3).replace(",", "")))
             for m in re.finditer(r"^\| `([^`]+\.ipynb)` \| (\d+) \| ([\d,]+) \|", text, re.M)}
    assert set(table) == set(rows), "the sizing table must list every measured notebook"
    for name, (seconds, megabytes) in table.items():
        assert seconds == round(rows[name]["seconds"]), name
        assert megabytes == round(rows[name]["peak_rss_mb"]), name


def test_binder_folder_uses_the_root_environment_and_its_scripts_parse():
    binder = ROOT / "binder"
    assert (binder / "environment.yml").is_symlink()
    assert (binder / "environment.yml").resolve() == (ROOT / "environment.yml").resolve()
    for script in ("postBuild", "start"):
        assert os.access(binder / script, os.X_OK), f"binder/{script} must be executable"
        subprocess.run(["bash", "-n", str(binder / script)], check=True)
