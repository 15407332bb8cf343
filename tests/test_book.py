"""The book builds with Jupyter Book 1.x, with warnings as errors, each chapter executed once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # builds the book (minutes)

ROOT = Path(__file__).resolve().parents[1]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_every_chapter_is_in_the_toc():
    listed = {Path(f).with_suffix("").as_posix() for f in _toc_files()}
    on_disk = {p.relative_to(ROOT).with_suffix("").as_posix() for p in (ROOT / "book").glob("*.*")
               if p.suffix in {".md", ".ipynb"}}
    assert on_disk == listed


def test_book_builds_with_warnings_as_errors(built_book):
    result = built_book
    assert result.returncode == 0, result.log[-10000:]
    html = ROOT / "_build" / "html"
    for file in _toc_files():
        assert (html / Path(file).with_suffix(".html")).exists(), file
    # Formulas must render offline: MathJax is served from the book, not fetched from a CDN.
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    for page in html.rglob("*.html"):
        for src in re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', page.read_text()):
            assert not src.startswith(("http:", "https:", "//")), (page.name, src)


def test_every_chapter_is_executed_once(built_book):
    """nbval's executions are rendered as they are; the build runs only what nbval did not.

    In a full run nbval executes every chapter; run alone, this test lets the build execute
    them (or render an earlier run's cached executions).
    """
    chapters = sorted((ROOT / "book").glob("*.ipynb"))
    executed, cached = built_book.executed, built_book.from_cache
    assert sorted(executed + cached) == chapters, built_book.log[-5000:]
    assert sorted(built_book.from_nbval) == sorted(built_book.nbval_ran)
    assert set(built_book.from_nbval) <= set(cached)


def test_a_full_run_renders_what_nbval_executed(built_book, request):
    """When nbval ran every chapter in this run (as `make test` does), the build ran none."""
    chapters = sorted((ROOT / "book").glob("*.ipynb"))
    ran = {Path(item.path) for item in request.session.items if item.path.suffix == ".ipynb"}
    if sorted(ran) != chapters:
        pytest.skip("nbval did not run every chapter in this session")
    assert sorted(built_book.from_nbval) == chapters
    assert built_book.executed == []
