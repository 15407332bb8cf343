"""The built book as its readers meet it: every page in headless Chromium, on a desktop and a phone.

The book is the one the ``built_book`` fixture built (``jupyter-book build . -W``), served on
127.0.0.1; any request to another host is recorded and blocked. Every page is opened at
1280 px and at 390 px, with a full-page screenshot in ``_build/browser-screenshots/``.
Checked per page and width: HTTP 200 for the page and everything it loads, every image decoded
and shown at its own aspect ratio (within 2 %), every figure described by its alt text, no
JavaScript error, formulas typeset by the local MathJax, no page wider than the screen, no
request leaving the site, and no critical or serious violation of axe-core's WCAG 2.1 A and AA
rules (axe-core comes bundled in the axe-playwright-python package). Across the book: the
navigation menu opens on a phone and reaches every chapter, the "contents" button opens each
chapter's section list on a phone, search finds each page by a word of its title, every
notebook page has the launch and repository buttons (the JupyterHub one only when an organiser
has set the hub's address), and no link points at an invented host.
The test is skipped only when no Chromium can be launched (see tests/browser_fixtures.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.browser_fixtures import CHROMIUM_ARGS, chromium_path, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "browser-screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
ASPECT_TOLERANCE = 0.02
# axe-core's rules for WCAG 2.0 and 2.1, levels A and AA; only violations are reported.
# label-content-name-mismatch (WCAG 2.5.3, "label in name", level A) is one of them, but
# axe-core marks it experimental and leaves it out unless it is enabled by name.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}
AXE_BLOCKING = {"critical", "serious"}
AXE_TARGETS_SHOWN = 3


def _toc_pages() -> list[str]:
    """The book's pages, as paths of built HTML files (``book/intro.html``, …)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [Path(f).with_suffix(".html").as_posix() for f in files]


PAGES = _toc_pages()
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / p).with_suffix(".ipynb").exists()]

# Runs in the page once it has loaded: wait for every image and for MathJax, then measure.
MEASURE_JS = """
async () => {
  const images = [...document.querySelectorAll("img")];
  for (const img of images) {
    img.loading = "eager";
    try { await img.decode(); } catch (e) { /* naturalWidth stays 0 and is reported */ }
  }
  const maths = [...document.querySelectorAll(".math")];
  if (maths.length && window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  return {
    images: images.map(img => {
      const box = img.getBoundingClientRect();
      return {src: img.getAttribute("src"), alt: img.alt, naturalWidth: img.naturalWidth,
              naturalHeight: img.naturalHeight, width: box.width, height: box.height};
    }),
    maths: maths.length,
    typeset: maths.filter(m => m.querySelector("mjx-container")).length,
    pageWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
  };
}
"""


@pytest.fixture(scope="module")
def site(built_book):
    """Base URL of the built book, served from 127.0.0.1 for this module."""
    if built_book.returncode != 0:
        pytest.fail("the book did not build (see test_book_builds_with_warnings_as_errors)")
    with serve(HTML) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven by Playwright; the test skips only if none can be launched."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.skip(f"Chromium cannot be launched: the playwright package is missing ({error})")
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium cannot be launched: no chromium found (install Debian's "
                    "`chromium` or set $CHROMIUM); `make test` installs it when run as root")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - any launch failure means: no browser here
            pytest.skip(f"Chromium cannot be launched from {executable}: {error}")
        yield chromium
        chromium.close()


class Visit:
    """One page opened at one width: what the browser saw."""

    def __init__(self, browser, base: str, width: tuple[int, int]):
        self.base = base
        self.host = urlsplit(base).netloc
        self.context = browser.new_context(viewport={"width": width[0], "height": width[1]})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("response", self._response)
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.route("**/*", self._route)

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")

    def _response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != self.host:
            self.foreign.append(url)
            route.abort()
        else:
            route.continue_()

    def open(self, path: str):
        response = self.page.goto(f"{self.base}/{path}", wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return response

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, site):
    """Every page at every width, opened once: status, errors, requests, images, maths.

    What was measured is also written to ``_build/browser-screenshots/visits.json``.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    results = {}
    for name, width in WIDTHS.items():
        for path in PAGES:
            visit = Visit(browser, site, width)
            response = visit.open(path)
            measured = visit.page.evaluate(MEASURE_JS)
            shot = SCREENSHOTS / name / path.replace("/", "_").replace(".html", ".png")
            shot.parent.mkdir(parents=True, exist_ok=True)
            visit.page.screenshot(path=str(shot), full_page=True)
            results[name, path] = {
                "status": response.status if response else None,
                "errors": list(visit.errors), "foreign": list(visit.foreign),
                "failed": list(visit.failed), **measured,
            }
            # axe runs last: what the reader's browser did is recorded above, without axe's own
            # requests (it re-reads the style sheets, and resolves the theme's
            # `@import "../basic.css"` against the page, not the sheet: a 404 of its own).
            violations = axe.run(visit.page, options=AXE_OPTIONS).response["violations"]
            results[name, path]["axe"] = [
                {"rule": v["id"], "impact": v["impact"], "help": v["help"],
                 "targets": [n["target"] for n in v["nodes"]]} for v in violations]
            visit.close()
    report = [{"width": name, "page": path, **seen} for (name, path), seen in results.items()]
    (SCREENSHOTS / "visits.json").write_text(json.dumps(report, indent=1))
    return results


CASES = [pytest.param(name, path, id=f"{name}-{Path(path).stem}")
         for name in WIDTHS for path in PAGES]


@pytest.mark.parametrize(("width", "path"), CASES)
def test_page_and_everything_it_loads_answer_200(visits, width, path):
    seen = visits[width, path]
    assert seen["status"] == 200, f"{path} answered HTTP {seen['status']}"
    assert seen["failed"] == [], f"{path}: these requests failed: {seen['failed']}"


@pytest.mark.parametrize(("width", "path"), CASES)
def test_no_request_leaves_the_site(visits, width, path):
    assert visits[width, path]["foreign"] == [], (
        f"{path} asked hosts other than the book's own server (readers may be offline)")


@pytest.mark.parametrize(("width", "path"), CASES)
def test_no_javascript_error(visits, width, path):
    assert visits[width, path]["errors"] == []


@pytest.mark.parametrize(("width", "path"), CASES)
def test_images_are_decoded_and_keep_their_aspect_ratio(visits, width, path):
    wrong = []
    for image in visits[width, path]["images"]:
        if image["naturalWidth"] == 0:
            wrong.append(f"{image['src']}: not decoded")
            continue
        if image["width"] == 0 or image["height"] == 0:  # not displayed (e.g. a hidden logo)
            continue
        true = image["naturalWidth"] / image["naturalHeight"]
        shown = image["width"] / image["height"]
        if abs(shown / true - 1) > ASPECT_TOLERANCE:
            wrong.append(f"{image['src']}: shown {image['width']:.0f}x{image['height']:.0f} "
                         f"px, {shown / true:.2f} of its true aspect")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(("width", "path"), CASES)
def test_figures_have_alt_text(visits, width, path):
    """A figure's alt text says what it shows (screen readers, images that fail to load)."""
    figures = [i for i in visits[width, path]["images"] if "_images/" in (i["src"] or "")]
    wrong = [
        f"{i['src']}: alt {i['alt']!r}"
        for i in figures
        if len(i["alt"].split()) < 4 or re.search(r"\.(png|jpe?g|svg)$", i["alt"])
    ]
    assert wrong == [], "figures without a description:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("width", "path"), CASES)
def test_formulas_are_typeset(visits, width, path):
    seen = visits[width, path]
    assert seen["typeset"] == seen["maths"], (
        f"{path}: MathJax typeset {seen['typeset']} of {seen['maths']} formulas")


@pytest.mark.parametrize(("width", "path"), CASES)
def test_page_is_no_wider_than_the_screen(visits, width, path):
    seen = visits[width, path]
    assert seen["pageWidth"] <= seen["viewportWidth"], (
        f"{path} is {seen['pageWidth']} px wide on a {seen['viewportWidth']} px screen: "
        "something (a table, a figure, a code line) runs out of the text column")


@pytest.mark.parametrize(("width", "path"), CASES)
def test_no_serious_accessibility_violation(visits, width, path):
    """axe-core's WCAG 2.1 A/AA rules find nothing critical or serious on the page."""
    blocking = [v for v in visits[width, path]["axe"] if v["impact"] in AXE_BLOCKING]
    report = [
        f"{v['rule']} ({v['impact']}, {len(v['targets'])} elements: {v['help']}): "
        + ", ".join(" ".join(t) for t in v["targets"][:AXE_TARGETS_SHOWN])
        for v in blocking
    ]
    assert report == [], f"{path} at {width} width:\n" + "\n".join(report)


def test_some_page_has_formulas(visits):
    """Guards the formula check: it must not pass because no page has maths."""
    assert any(seen["maths"] for seen in visits.values())


def _in_viewport(locator) -> bool:
    """Whether the element is on screen (Playwright's "visible" includes off-canvas)."""
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && "
        "r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; }")


def _comes_on_screen(locator, seconds: float = 5) -> bool:
    """Whether the element is on screen within ``seconds`` (menus slide in)."""
    for _ in range(int(seconds * 10)):
        if _in_viewport(locator):
            return True
        locator.page.wait_for_timeout(100)
    return False


def _open_menu(page, target: str):
    """Click the visible ☰ button; return the visible links to ``target`` in the open menu."""
    toggles = page.locator(".primary-toggle").filter(visible=True)
    assert toggles.count() >= 1, f"no visible navigation (☰) button on {page.url}"
    toggles.first.click()
    name = Path(target).name
    return page.locator(f'#pst-primary-sidebar-modal a.reference.internal[href*="{name}"], '
                        f'#pst-primary-sidebar a.reference.internal[href*="{name}"]'
                        ).filter(visible=True)


def test_phone_menu_opens_and_reaches_every_chapter(browser, site):
    """At 390 px the sidebar is folded away: the ☰ menu must open and lead to every page."""
    visit = Visit(browser, site, WIDTHS["phone"])
    try:
        visit.open(PAGES[0])
        sidebar = visit.page.locator("#pst-primary-sidebar a.reference.internal")
        assert not any(_in_viewport(sidebar.nth(i)) for i in range(sidebar.count())), (
            "on a phone the sidebar should be folded away until ☰ is pressed")
        for target in PAGES[1:] + PAGES[:1]:
            links = _open_menu(visit.page, target)
            if target == PAGES[-1]:
                visit.page.screenshot(path=str(SCREENSHOTS / "phone" / "menu-open.png"))
            assert links.count() >= 1, (
                f"the menu opened on {visit.page.url} shows no link to {target}")
            # A long menu scrolls; scrolling cannot bring a closed (off-canvas) menu on screen.
            links.first.scroll_into_view_if_needed()
            assert _comes_on_screen(links.first), f"the menu on {visit.page.url} did not open"
            links.first.click()
            visit.page.wait_for_url(re.compile(re.escape(target) + r"(#.*)?$"))
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


@pytest.mark.parametrize("path", NOTEBOOK_PAGES, ids=[Path(p).stem for p in NOTEBOOK_PAGES])
def test_phone_contents_button_opens_the_page_contents(browser, site, path):
    """At 390 px the "contents" button must show the page's section list on screen."""
    visit = Visit(browser, site, WIDTHS["phone"])
    try:
        visit.open(path)
        sections = visit.page.locator(".bd-sidebar-secondary a.nav-link")
        assert sections.count() >= 2, f"{path} has no list of its sections"
        assert not _in_viewport(sections.first), "the contents should be folded away"
        toggles = visit.page.locator(".secondary-toggle").filter(visible=True)
        assert toggles.count() >= 1, f"no visible contents button on {path}"
        toggles.first.click()
        assert _comes_on_screen(sections.first), f"the contents button on {path} did not open"
        assert visit.errors == [], visit.errors
    finally:
        visit.close()


def test_desktop_sidebar_lists_every_chapter(browser, site):
    visit = Visit(browser, site, WIDTHS["desktop"])
    try:
        visit.open(PAGES[0])
        sidebar = visit.page.locator("#pst-primary-sidebar a.reference.internal").filter(
            visible=True)
        hrefs = [sidebar.nth(i).get_attribute("href") for i in range(sidebar.count())]
        for target in PAGES[1:]:
            assert any(Path(target).name in href for href in hrefs), (target, hrefs)
    finally:
        visit.close()


def _title_word(path: str) -> str:
    """The longest word of the page's title that no other page's title contains."""
    def words(p):
        title = re.search(r"<h1>(.*?)<", (HTML / p).read_text(), re.S).group(1)
        return re.findall(r"[A-Za-z]{4,}", title)
    others = {w.lower() for p in PAGES if p != path for w in words(p)}
    unique = [w for w in words(path) if w.lower() not in others]
    return max(unique or words(path), key=len)


@pytest.mark.parametrize("path", PAGES, ids=[Path(p).stem for p in PAGES])
def test_search_finds_the_page(browser, site, path):
    term = _title_word(path)
    visit = Visit(browser, site, WIDTHS["desktop"])
    try:
        visit.open(f"search.html?q={term}")
        visit.page.wait_for_function(
            "() => /found|did not match/i.test("
            "(document.querySelector('#search-results .search-summary') || {}).textContent)")
        links = visit.page.locator("#search-results ul.search li a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert any(Path(path).name in href for href in hrefs), (
            f"searching {term!r} did not find {path}; results: {hrefs}")
        assert visit.errors == [] and visit.foreign == []
    finally:
        visit.close()


HUB_LINK = "/hub/user-redirect/git-pull?repo="
INVENTED_HOST = "scclust-course.org"


@pytest.mark.parametrize("path", NOTEBOOK_PAGES, ids=[Path(p).stem for p in NOTEBOOK_PAGES])
def test_notebook_page_has_launch_and_repository_buttons(browser, site, path):
    """Binder, Colab, repository and issue links; the JupyterHub one only if a hub is set.

    ``launch_buttons.jupyterhub_url`` in ``_config.yml`` is empty until an organiser sets their
    hub's address (book/workshops.md): then, and only then, the JupyterHub button appears.
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].rstrip("/")
    hub = (config["launch_buttons"].get("jupyterhub_url") or "").rstrip("/")
    notebook = Path(path).with_suffix(".ipynb").as_posix()
    visit = Visit(browser, site, WIDTHS["desktop"])
    try:
        visit.open(path)
        hrefs = visit.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        expected = {
            "Binder": f"/v2/gh/{urlsplit(repo).path.strip('/')}/",
            "Colab": f"/github/{urlsplit(repo).path.strip('/')}/blob/",
            "repository": repo,
            "open issue": f"{repo}/issues/new",
        }
        if hub:
            expected["JupyterHub (nbgitpuller)"] = f"{hub}{HUB_LINK}"
        missing = [name for name, start in expected.items()
                   if not any(start in h and (name in {"repository", "open issue"}
                                              or notebook in h) for h in hrefs)]
        assert missing == [], f"{path} lacks the {missing} link(s)"
        if not hub:
            hub_links = [h for h in hrefs if HUB_LINK in h]
            assert hub_links == [], f"{path} has JupyterHub links but no hub is set: {hub_links}"
    finally:
        visit.close()


def test_no_link_points_at_an_invented_host(site):
    """No page of the built book links to, or loads from, the course's invented domain."""
    found = []
    for page in sorted(HTML.rglob("*.html")):
        for url in re.findall(r'(?:href|src)\s*=\s*["\']([^"\']+)', page.read_text()):
            if INVENTED_HOST in (urlsplit(url).hostname or ""):
                found.append(f"{page.relative_to(HTML)}: {url}")
    assert found == [], "links to an invented host:\n" + "\n".join(found)
