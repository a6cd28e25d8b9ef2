"""The KV-cache chapter in headless Chromium: edit a cell, run it, navigate."""

from __future__ import annotations

import textwrap

import pytest

from fieldguide.cells import display_text, run_cell
from tests.browser.helpers import edit_cell, instant_navigate, outside_requests, run_and_wait
from tests.snippet_sections import snippet_section

pytestmark = pytest.mark.browser

EDITED = textwrap.dedent(
    """\
    from servecalc.kv import kv_bytes_per_sequence
    from servecalc.units import fmt_bytes

    for context in [100_000, 128_000]:
        size = kv_bytes_per_sequence("llama-3.1-70b", context, kv_dtype="fp8")
        print(context, fmt_bytes(size, "GiB"), fmt_bytes(size, "GB"))
    """
)


def test_edited_cell_runs_in_browser_and_worker_survives_navigation(site, context):
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    # The build-time output is there before any Python runs in the browser.
    assert "524,288 B per token" in cell.locator("[data-output]").inner_text()

    edit_cell(page, cell, EDITED)
    shown = run_and_wait(cell)
    expected = display_text(run_cell(EDITED))   # what CPython prints for the same code
    assert expected.count("GiB") == 2
    assert shown == expected

    # A cell that raises shows the exception type and message under the cell.
    second = page.locator("[data-live-cell]").nth(1)
    edit_cell(page, second, 'from servecalc.kv import kv_bytes_per_token\nkv_bytes_per_token("llama-9")\n')
    shown = run_and_wait(second)
    assert shown.startswith("ValueError: model 'llama-9' is not in the catalog")
    assert second.locator("[data-output]").get_attribute("data-state") == "error"
    assert page.evaluate("window.liveRuntime.boots") == 1

    # Instant navigation keeps the page's JavaScript, and so the worker, alive.
    instant_navigate(page, site["url"])
    home_cell = page.locator("[data-live-cell]").first
    home_cell.wait_for()
    assert page.evaluate("window.liveRuntime.boots") == 1
    # An unedited page cell never runs where edited code ran: Python restarts
    # once before it (issue 24), and the page cell prints what CPython prints.
    shown = run_and_wait(home_cell)
    assert shown == display_text(run_cell(snippet_section("pages/home.py", "quick")))
    assert page.evaluate("window.liveRuntime.boots") == 2

    assert outside_requests(context.requests) == []
    assert any(url.endswith(".whl") for url in context.requests)
