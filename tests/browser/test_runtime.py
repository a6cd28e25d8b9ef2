"""Runtime quality in headless Chromium: time limit, failed assets, lazy boot, a tour of every page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import pytest

from tests.browser.helpers import (
    BOOT_TIMEOUT_MS,
    edit_cell,
    instant_navigate,
    outside_requests,
    run_and_wait,
    scaled_ms,
    wait_for_editor,
)

pytestmark = pytest.mark.browser


def _endless_cell(site, context):
    """The first cell of the KV-cache page, run once (so Python has booted), then edited
    into an endless loop: the page and the cell."""
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    wait_for_editor(cell)
    run_and_wait(cell)
    edit_cell(page, cell, "while True:\n    pass\n")
    return page, cell


def test_runaway_cell_is_stopped_at_its_limit_and_the_next_run_works(site, context):
    # Booted first: the limit counts from the moment Python starts the cell.
    page, cell = _endless_cell(site, context)
    cell.evaluate("el => { el.dataset.timeoutS = '2'; }")
    started = page.evaluate("performance.now()")
    shown = run_and_wait(cell, timeout_ms=20_000)
    elapsed_s = (page.evaluate("performance.now()") - started) / 1000
    assert shown == "Stopped: the cell ran longer than its 2 s limit, so Python was restarted."
    # Not before its limit; how soon after is a measurement for `make bench`, not a test
    # (a busy machine delays the restart's report).
    assert elapsed_s >= 2
    edit_cell(page, cell, "print(sum(range(10)))\n")
    assert run_and_wait(cell) == "45"
    assert page.evaluate("window.liveRuntime.boots") == 2


def test_stop_button_interrupts_a_running_cell(site, context):
    _, cell = _endless_cell(site, context)
    cell.locator('[data-action="run"]').click()
    cell.locator('[data-output][data-state="running"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    cell.locator('[data-action="stop"]').click()
    cell.locator('[data-output][data-state="error"]').wait_for(timeout=5_000)
    assert "you stopped the cell" in cell.locator("[data-output]").inner_text()
    cell.locator('[data-action="reset"]').click()
    assert "524,288 B per token" in cell.locator("[data-output]").inner_text()


def test_failed_pyodide_asset_is_named_at_once_and_static_outputs_stay(site, context):
    context.route(re.compile(r".*/pyodide\.asm\.wasm$"), lambda route: route.abort())
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    static = cell.locator("[data-output]").inner_text()
    started = page.evaluate("performance.now()")
    cell.locator('[data-action="run"]').click()
    status = cell.locator('[data-status][data-state="error"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    elapsed_s = (page.evaluate("performance.now()") - started) / 1000
    assert status.inner_text().startswith("Python could not start: could not download pyodide.asm.wasm")
    assert "computed when the site was built" in status.inner_text()
    # Reported as soon as the download fails, not after the boot limit (20 s on a
    # quiet machine, scaled like every wait here).
    assert elapsed_s < scaled_ms(20_000) / 1000
    assert cell.locator("[data-output]").inner_text() == static
    # The page keeps working: the reader can still scroll, reset and read.
    assert page.locator("h1").inner_text().startswith("KV cache")


def test_a_restart_that_fails_is_tried_again_and_runs_what_waits(site, context):
    # Routing turns the browser's cache off, so every boot fetches the runtime again.
    refuse = {"left": 0}

    def once(route):
        if refuse["left"]:
            refuse["left"] -= 1
            route.abort()
        else:
            route.continue_()

    context.route(re.compile(r".*/pyodide\.asm\.wasm$"), once)
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cells = page.locator("[data-live-cell]")
    first, second = cells.nth(0), cells.nth(1)
    second_static = second.locator("[data-output]").inner_text()
    run_and_wait(first)  # boot 1
    edit_cell(page, first, "print('edited')")
    assert run_and_wait(first) == "edited"
    # The page's own cell needs Python no edited code touched: the restart's download
    # fails once, the page tries again, and the cell runs (it used to be shown as if
    # never run, the page saying Python could not start).
    refuse["left"] = 1
    assert run_and_wait(second) == second_static
    assert second.locator("[data-output]").get_attribute("data-state") == "done"
    assert page.evaluate("window.liveRuntime.boots") == 3
    assert refuse["left"] == 0


def pyodide_requests(urls) -> list[str]:
    return [u for u in urls if "/assets/pyodide/" in u]


def test_no_pyodide_bytes_before_intent_even_with_a_live_element_in_view(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    cell.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(3_000)
    # A live cell in view is not intent: nothing of Python, nor the editor, loads.
    assert page.evaluate("window.liveRuntime.boots") == 0
    assert pyodide_requests(requests) == []
    assert not [u for u in requests if "/editor.js" in u]
    # The pointer entering the cell is: Python starts before any click.
    cell.hover()
    page.wait_for_function("() => window.liveRuntime.state === 'ready'", timeout=BOOT_TIMEOUT_MS)
    assert [u for u in requests if u.endswith("pyodide.asm.wasm")]
    page.locator("[data-live-cell][data-editor=ready]").first.wait_for()
    context.close()


@pytest.mark.parametrize("save_data", [False, True])
def test_idle_prefetch_after_ten_seconds_in_view_unless_saving_data(site, browser, save_data):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if save_data:
        context.add_init_script(
            "Object.defineProperty(navigator, 'connection', {value: {saveData: true}})"
        )
    page = context.new_page()
    page.clock.install()
    page.goto(site["url"] + "kv-cache/")
    page.locator("[data-live-cell]").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the intersection observer reports (real time)
    page.clock.run_for(9_000)
    assert page.evaluate("window.liveRuntime.boots") == 0
    page.clock.run_for(2_000)
    assert page.evaluate("window.liveRuntime.boots") == (0 if save_data else 1)
    context.close()


def site_pages(site) -> list[str]:
    """Every page of the built site, from its sitemap."""
    sitemap = (site["dir"] / "sitemap.xml").read_text() if site["dir"] else None
    if sitemap is None:
        pytest.fail("the page tour needs the built site (unset GUIDE_SITE_URL)")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [loc.text for loc in ET.fromstring(sitemap).findall(".//s:loc", ns)]


def test_tour_of_every_page_runs_a_cell_on_each_with_no_outside_request(site, context):
    pages = site_pages(site)
    assert len(pages) >= 2
    page = context.new_page()
    page.goto(pages[0])
    visited_with_cells = 0
    for url in pages:
        if urlparse(url).path != urlparse(page.url).path:
            instant_navigate(page, url)
        page.wait_for_load_state()
        # The first cell a reader can see (drill answers keep theirs folded).
        cells = page.locator("[data-live-cell]:visible")
        if cells.count():
            cell = cells.first
            cell.scroll_into_view_if_needed()
            shown = run_and_wait(cell)
            assert cell.locator("[data-output]").get_attribute("data-state") == "done", (url, shown)
            visited_with_cells += 1
    assert visited_with_cells >= 2
    # One worker for the whole tour: navigation never reloaded the page.
    assert page.evaluate("window.liveRuntime.boots") == 1
    assert outside_requests(context.requests) == []


def test_a_wheel_that_does_not_match_the_lock_is_refused(site, context):
    # Serve other bytes under the wheel's URL: the sha256 in the site's lock no
    # longer matches, and the browser must refuse them.
    context.route(
        re.compile(r".*/servecalc-[^/]+\.whl$"),
        lambda route: route.fulfill(status=200, body=b"PK\x05\x06" + b"\x00" * 18,
                                    content_type="application/zip"),
    )
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    static = cell.locator("[data-output]").inner_text()
    cell.locator('[data-action="run"]').click()
    status = cell.locator('[data-status][data-state="error"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    assert "the servecalc wheel could not be loaded" in status.inner_text()
    assert cell.locator("[data-output]").inner_text() == static


def test_without_javascript_the_page_is_static_with_its_build_time_results(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site["url"] + "calculators/")
    # Calculators show their build-time result and chart; nothing is interactive.
    assert page.locator('[data-calculator="kv_fit"] [data-calc-result] svg').count() == 1
    assert page.locator('[data-action="run"]').count() == 0
    page.goto(site["url"] + "kv-cache/")
    assert "524,288 B per token" in page.locator("[data-output]").first.inner_text()
    context.close()


def test_phone_width_cells_and_calculators_fit_the_screen(site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    for path in ["kv-cache/", "calculators/"]:
        page.goto(site["url"] + path)
        page.locator("[data-live-cell], [data-calculator]").first.wait_for()
        overflow = page.evaluate(
            """() => [...document.querySelectorAll('.live-cell, .calculator, .cell-toolbar')]
                     .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1).length"""
        )
        assert overflow == 0, path
    context.close()
