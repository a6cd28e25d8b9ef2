"""The calibration and compare calculators in headless Chromium: bad pasted text shows an
error and the page keeps working; good text (pasted, or loaded from a file) gives the
CLI's rows; pasted text stays out of the link."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from fieldguide.calc_calibrate import example_measurements
from servecalc.calibration import calibrate, read_measurements
from servecalc.cli.calibrate import point_rows
from servecalc.cli.compare import metric_rows
from servecalc.compare import compare_vllm
from servecalc.vllm_result import read_vllm_result
from tests.browser.helpers import BOOT_TIMEOUT_MS, outside_requests
from tests.test_compare import OUTPUTS, PROMPTS, vllm_file

pytestmark = pytest.mark.browser

DONE = '[data-calc-result][data-state="done"]'


def table_rows(box) -> list[list[str]]:
    """The result's last table, body rows only, as cell texts."""
    rows = box.locator("[data-calc-result] table").last.locator("tbody tr")
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def test_bad_measurements_show_an_error_then_good_ones_a_calibration(site, context):
    page = context.new_page()
    page.goto(site["url"] + "accuracy/")
    box = page.locator('[data-calculator="calibration"]')
    box.scroll_into_view_if_needed()

    page.fill("#calibration-measurements", '{"model": "llama-3.1-8b", "phase": "decode"')
    status = box.locator('[data-calc-status][data-kind="error"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    # In plain words, next to the field that caused it, which is marked.
    assert status.inner_text().startswith("Measured steps (JSON Lines) line 1 ")
    assert page.get_attribute("#calibration-measurements", "aria-invalid") == "true"
    assert box.locator("#calibration-measurements-error").inner_text() == status.inner_text()
    assert box.locator('[data-calc-result][data-state="stale"]').count() == 1

    # The page still works: three of the four example steps give their calibration.
    three = "\n".join(example_measurements().splitlines()[:3])
    page.fill("#calibration-measurements", three)
    box.locator(DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    expected = calibrate(read_measurements(three))
    page.wait_for_function(
        """n => document.querySelectorAll('[data-calculator="calibration"] tbody tr').length === n""",
        arg=4 + len(expected.points))
    assert table_rows(box) == point_rows(expected)
    copied = json.loads(box.locator("textarea.calc-copy").input_value())
    assert copied["parameters"]["mbu"] == expected.mbu
    # The pasted text is too long for a link: it stays out of the address.
    assert not any(k.startswith("calibration.") for k in parse_qs(urlparse(page.url).query))
    assert outside_requests(context.requests) == []


def test_a_vllm_result_loaded_from_a_file_is_replayed(site, context):
    page = context.new_page()
    page.goto(site["url"] + "accuracy/")
    box = page.locator('[data-calculator="compare"]')
    box.scroll_into_view_if_needed()
    run = vllm_file(PROMPTS[:20], OUTPUTS[:20], rate=1.0)
    page.select_option("#compare-policy", "chunked")
    page.set_input_files('[data-upload-for="vllm_result"]', files=[
        {"name": "run.json", "mimeType": "application/json", "buffer": run.encode()}])
    box.locator(DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert page.locator("#compare-vllm_result").input_value() == run
    expected = compare_vllm(read_vllm_result(run), "llama-3.1-8b", "h100-sxm", policy="chunked")
    page.wait_for_function(
        """() => document.querySelector('[data-calculator="compare"] .calc-note')
                   .textContent.startsWith('20 requests')""")
    assert table_rows(box) == metric_rows(expected)
    assert parse_qs(urlparse(page.url).query) == {"compare.policy": ["chunked"]}
