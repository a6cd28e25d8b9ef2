"""Calculators that feel good (issue 22, item 4): the deployment set once per page,
logarithmic sliders, errors next to the field that caused them, the model's SLO."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlparse

import pytest

from fieldguide.calculators import render
from tests.browser.helpers import BOOT_TIMEOUT_MS, scaled

pytestmark = pytest.mark.browser

RESULT_DONE = '[data-calc-result][data-state="done"]'


def ready(page, box) -> None:
    """Point at a calculator (the reader's intent) and wait for Python."""
    box.scroll_into_view_if_needed()
    box.hover()
    page.wait_for_function("() => window.liveRuntime.state === 'ready'", timeout=BOOT_TIMEOUT_MS)


def tpot_row(html: str) -> str:
    """The latency calculator's TPOT row, as text."""
    found = re.search(r"Time per output token \(TPOT\)</th><td>([^<]+)</td>", html)
    assert found, html[:500]
    return found.group(1)


def test_the_deployment_is_set_once_for_the_page_and_kept_in_the_link(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/")
    kv = page.locator('[data-calculator="kv_fit"]')
    latency = page.locator('[data-calculator="latency"]')
    simulator = page.locator('[data-calculator="simulator"]')
    ready(page, kv)
    page.select_option("#kv_fit-model", "llama-3.1-8b")
    page.select_option("#kv_fit-gpu", "a100-80gb")
    # Every calculator of the page with those fields follows.
    for calc in ("latency", "cost", "quantization", "roofline", "simulator", "frontier"):
        assert page.input_value(f"#{calc}-model") == "llama-3.1-8b", calc
        assert page.input_value(f"#{calc}-gpu") == "a100-80gb", calc
    # A quick calculator recomputes by itself, for the shared deployment...
    expected = tpot_row(render("latency", {"model": "llama-3.1-8b", "gpu": "a100-80gb"}))
    assert expected != tpot_row(render("latency", {}))
    page.wait_for_function(
        """t => [...document.querySelectorAll('[data-calculator="latency"] table.calc-kv tr')]
                 .some(tr => tr.textContent.includes('TPOT') && tr.textContent.includes(t))""",
        arg=expected, timeout=BOOT_TIMEOUT_MS)
    # ...a simulation waits for Run, and says why.
    held = simulator.locator('[data-calc-status][data-kind="held"]')
    held.wait_for(timeout=scaled(5_000))
    assert "deployment changed" in held.inner_text()
    # The link keeps the deployment once, not once per calculator.
    query = parse_qs(urlparse(page.url).query)
    assert query == {"deploy.model": ["llama-3.1-8b"], "deploy.gpu": ["a100-80gb"]}

    # The link gives every calculator of the page the deployment.
    other = context.new_page()
    other.goto(page.url)
    for calc in ("kv_fit", "latency", "cost", "simulator"):
        assert other.input_value(f"#{calc}-model") == "llama-3.1-8b", calc
        assert other.input_value(f"#{calc}-gpu") == "a100-80gb", calc
    other.locator('[data-calculator="latency"]').locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert tpot_row(other.locator('[data-calculator="latency"] [data-calc-result]').inner_html()) == expected
    # The simulation does not start from a link that only sets the deployment.
    other.locator('[data-calculator="simulator"] [data-calc-status][data-kind="held"]').wait_for(
        timeout=scaled(5_000))
    assert latency.count() == 1


def test_a_click_at_70_percent_of_a_log_slider_lands_where_a_log_scale_says(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/")
    box = page.locator('[data-calculator="kv_fit"]')
    page.locator('[data-calculator="kv_fit"][data-live-ready="1"]').wait_for()  # cells.js set it up
    slider = box.locator('input[type=range][data-slider-for="context"]')
    # Start from the left end: a click on the thumb itself (the default, 32,768,
    # sits at 75 %) does not move it.
    page.fill("#kv_fit-context", "1")
    assert slider.input_value() == "0"
    slider.scroll_into_view_if_needed()
    area = slider.bounding_box()
    # Playwright's click checks that nothing (the sticky header) covers the point.
    slider.click(position={"x": 0.7 * area["width"], "y": area["height"] / 2})
    position = int(slider.input_value()) / int(slider.get_attribute("max"))
    # The thumb's inset moves a click a little off 70 % of the box: within 4 points.
    assert abs(position - 0.7) < 0.04, position
    tokens = int(page.input_value("#kv_fit-context"))
    # Context runs from 1 to 1,048,576 (2^20) tokens: on a log scale, a fraction
    # f of the track is 2^(20 f) tokens (70 % is 2^14 = 16,384); a linear one
    # would give about 734,000.
    assert tokens == round(2 ** (20 * position))
    assert 2 ** 13 < tokens < 2 ** 15
    # Typing a value moves the thumb to its place on the same scale.
    page.fill("#kv_fit-context", "1024")
    assert int(slider.input_value()) == round(1000 * math.log(1024) / math.log(2 ** 20)) == 500
    # The slider's value is computed with (no Run button needed).
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert "1,024 tokens" in box.locator("[data-calc-result]").inner_text()


def test_an_error_shows_next_to_its_field_and_the_page_keeps_working(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/?kv_fit.context=-5")
    box = page.locator('[data-calculator="kv_fit"]')
    slot = box.locator("#kv_fit-context-error")
    slot.wait_for(state="visible", timeout=BOOT_TIMEOUT_MS)
    # Plain words that name the field as the form labels it, and what was typed.
    assert slot.inner_text() == "Context must be a whole number from 1 to 1,048,576; you entered '-5'."
    assert "ValueError" not in box.inner_text()
    assert page.get_attribute("#kv_fit-context", "aria-invalid") == "true"
    assert page.get_attribute("#kv_fit-context", "aria-describedby") == "kv_fit-context-error"
    assert page.get_attribute("#kv_fit-batch", "aria-invalid") is None
    # A good value clears the mark and computes.
    page.fill("#kv_fit-context", "8192")
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert slot.is_hidden()
    assert page.get_attribute("#kv_fit-context", "aria-invalid") is None
    # An error found while computing is put on its field too.
    page.select_option("#kv_fit-model", "custom")
    page.fill("#kv_fit-heads", "4")
    page.fill("#kv_fit-kv_heads", "3")
    kv_slot = box.locator("#kv_fit-kv_heads-error")
    kv_slot.wait_for(state="visible", timeout=BOOT_TIMEOUT_MS)
    assert kv_slot.inner_text() == "KV heads must divide heads (4); you entered 3."
    assert page.get_attribute("#kv_fit-kv_heads", "aria-invalid") == "true"


def test_the_simulator_judges_an_8b_model_by_the_8b_slo(site, context):
    page = context.new_page()
    page.goto(site["url"] + "simulator/")
    result = page.locator('[data-calculator="simulator"] [data-calc-result]')
    # MLPerf Inference's server limits for Llama-3.1-8B (loadgen/mlperf.conf,
    # llama3_1-8b.Server: TTFT 2,000 ms, TPOT 100 ms), not Llama-2-70B's.
    assert page.input_value("#simulator-model") == "llama-3.1-8b"
    assert "llama3_1-8b" in result.inner_text()
    assert "llama2-70b" not in result.inner_text()
