"""Every page as a reader sees it, at desktop and phone widths, light and dark, and in print.

On every page the navigation links to (tests/browser/rendering.py):

* every formula is drawn at a readable size: at its own size (a wide one
  scrolls in its box), at least 6 px tall (a build-time SVG once shrank to
  1 x 1 px below 720 px);
* every diagram has alt text (role img, named by its title) and text at
  least 10 px tall on screen, on a phone too (8 px in print);
* chart and diagram text meets WCAG AA contrast (4.5:1) against what is actually behind
  it: the chart's own background rectangles, then the page's backgrounds
  (a chart's background once painted black under dark text);
* no page scrolls sideways: wide tables, outputs and formulas scroll inside
  their own box;
* axe-core finds no WCAG 2.0/2.1 A or AA violation, in light and in dark
  (in dark only the colour rules, the others do not depend on the scheme).

A page loads once per colour scheme (Material picks its palette on load) and
is then measured in each view of that scheme in place; axe runs in the desktop
view.
"""

from __future__ import annotations

import pytest

from tests.browser.rendering import AXE, AXE_DISABLED, AXE_TAGS, MEASURE, RUN_AXE, VIEWS, by_scheme, nav_pages

pytestmark = pytest.mark.browser

#: The rules whose result depends on the colour scheme: the ones run in dark.
SCHEME_RULES = {"light": [], "dark": ["color-contrast", "link-in-text-block"]}


@pytest.fixture(scope="module")
def pages(site, browser) -> list[str]:
    context = browser.new_context()
    try:
        return nav_pages(context.new_page(), site["url"])
    finally:
        context.close()


@pytest.fixture(scope="module")
def measured(browser, pages) -> dict[tuple[str, str], dict]:
    """(view, page URL) -> what MEASURE found there, and ("axe <scheme>", URL) -> axe's violations."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (package.json pins axe-core)"
    results: dict[tuple[str, str], dict] = {}
    for scheme, views in by_scheme().items():
        context = browser.new_context(color_scheme=scheme)
        # axe goes in before the page's own scripts, outside its Content-Security-Policy.
        context.add_init_script(path=str(AXE))
        # Nothing here needs Python or the editor: keep the tab light.
        context.route("**/assets/pyodide/**", lambda route: route.abort())
        page = context.new_page()
        for url in pages:
            views[0].apply(page)
            page.goto(url, wait_until="load")
            for view in views:
                view.apply(page)
                results[view.name, url] = page.evaluate(MEASURE)
                if view is views[0]:
                    found = page.evaluate(RUN_AXE, [AXE_TAGS, SCHEME_RULES[scheme], list(AXE_DISABLED)])
                    results[f"axe {scheme}", url] = {"axe": found}
        context.close()
    return results


def _failures(measured, key: str) -> dict[str, list[str]]:
    return {f"{view} {url}": found[key] for (view, url), found in measured.items()
            if found.get(key)}


def test_the_pages_come_from_the_navigation(site, pages):
    assert pages[0] == site["url"]
    assert len(pages) >= 20, pages
    assert any(url.endswith("/kv-cache/") for url in pages)


def test_each_view_is_the_scheme_it_claims(measured):
    """The dark views really show Material's dark palette (else they would test nothing new)."""
    schemes = {(view, found["scheme"]) for (view, _), found in measured.items() if "scheme" in found}
    assert schemes == {(v.name, "slate" if v.scheme == "dark" else "default") for v in VIEWS}


def test_every_formula_renders_at_a_readable_size(measured):
    assert _failures(measured, "formulas") == {}


def test_chart_text_meets_wcag_aa_contrast_against_its_background(measured):
    texts = sum(found.get("texts", 0) for found in measured.values())
    assert texts > 100, "no chart text was measured: the check checks nothing"
    assert _failures(measured, "contrast") == {}


def test_every_diagram_has_alt_text_and_readable_text(measured):
    seen = {url for (view, url), found in measured.items() if found.get("diagrams")}
    chapters = {url.rstrip("/").rsplit("/", 1)[-1] for url in seen}
    assert {"topology", "latency", "batching", "kv-cache", "quantization", "cost", "simulator"} <= chapters
    assert _failures(measured, "diagram_text") == {}


def test_no_page_scrolls_sideways(measured):
    assert _failures(measured, "overflow") == {}


def test_axe_ran_on_every_page_in_both_schemes(measured, pages):
    ran = {(view, url) for (view, url), found in measured.items() if "axe" in found}
    assert ran == {(f"axe {scheme}", url) for scheme in ("light", "dark") for url in pages}


def test_axe_finds_no_wcag_a_or_aa_violation(measured):
    assert _failures(measured, "axe") == {}
