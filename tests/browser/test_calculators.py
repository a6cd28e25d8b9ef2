"""Calculators in headless Chromium: form → result and URL; URL → result; charts re-render."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from fieldguide.calculators import render
from servecalc.capacity import fit
from servecalc.units import fmt_int
from tests.browser.helpers import BOOT_TIMEOUT_MS, outside_requests, press_run

pytestmark = pytest.mark.browser

RESULT_DONE = '[data-calc-result][data-state="done"]'


def sequences_that_fit(box) -> str:
    row = box.locator("table.calc-kv tr", has_text="Sequences that fit")
    return row.locator("td").inner_text()


def test_form_change_updates_result_and_url_and_the_url_reproduces_it(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/")
    box = page.locator('[data-calculator="kv_fit"]')
    # The build-time result is in place before Python runs.
    default = fit("llama-3.1-70b", "h100-sxm", gpus=4, context=32768)
    assert sequences_that_fit(box) == fmt_int(default.max_batch)
    chart_before = box.locator("svg").first.inner_html()

    page.fill("#kv_fit-context", "16384")
    page.select_option("#kv_fit-kv_dtype", "fp8")
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    # The KV precision is part of the page's deployment: the link keeps it once.
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('deploy.kv_dtype') === 'fp8'"
    )
    expected = fit("llama-3.1-70b", "h100-sxm", gpus=4, context=16384, kv_dtype="fp8")
    page.wait_for_function(
        """n => [...document.querySelectorAll('[data-calculator="kv_fit"] table.calc-kv tr')]
                 .some(tr => tr.textContent.includes('Sequences that fit') && tr.textContent.includes(n))""",
        arg=fmt_int(expected.max_batch),
    )
    assert expected.max_batch != default.max_batch
    query = parse_qs(urlparse(page.url).query)
    assert query == {"kv_fit.context": ["16384"], "deploy.kv_dtype": ["fp8"]}
    # The chart was drawn again in the browser for the new values.
    assert box.locator("svg").first.inner_html() != chart_before

    shared = page.url
    other = context.new_page()
    other.goto(shared)
    other_box = other.locator('[data-calculator="kv_fit"]')
    assert other.locator("#kv_fit-context").input_value() == "16384"
    other_box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert sequences_that_fit(other_box) == fmt_int(expected.max_batch)
    assert outside_requests(context.requests) == []


def test_same_python_draws_the_chart_at_build_and_in_the_browser(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/?latency.batch=64")
    box = page.locator('[data-calculator="latency"]')
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    expected = render("latency", {"batch": "64"})
    # pygal gives each chart a random id: compare the drawing without it.
    def strip_ids(svg: str) -> str:
        return re.sub(r"chart-[0-9a-f-]{36}", "chart", svg)
    shown = box.locator("[data-calc-result]").inner_html()
    assert strip_ids(shown).count("<svg") == 2
    assert re.findall(r'<path d="[^"]+"', strip_ids(shown)) == re.findall(r'<path d="[^"]+"', strip_ids(expected))


def test_bad_value_in_the_url_is_refused_with_a_clear_message(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/?kv_fit.context=-5&kv_fit.gpu=__import__('os')")
    box = page.locator('[data-calculator="kv_fit"]')
    status = box.locator('[data-calc-status][data-kind="error"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    text = status.inner_text()
    # Plain words naming the field as the form labels it, not a Python exception.
    assert not text.startswith("ValueError")
    assert text.startswith("GPU must be one of")
    assert page.get_attribute("#kv_fit-gpu", "aria-invalid") == "true"
    # The build-time result stays, marked stale, and the page still works.
    assert box.locator('[data-calc-result][data-state="stale"]').count() == 1


def test_long_simulation_reports_progress_and_ends_with_stop(site, context):
    page = context.new_page()
    # A link with values counts as an interaction, but one that asks for this
    # much work (154 million simulated tokens) waits for Run.
    page.goto(site["url"] + "calculators/?simulator.requests=200000&simulator.rate=200")
    box = page.locator('[data-calculator="simulator"]')
    status = box.locator("[data-calc-status]")
    box.locator('[data-calc-status][data-kind="held"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    press_run(box)
    page.wait_for_function(
        """el => /Computing… [1-9][0-9]? %/.test(el.textContent)""",
        arg=status.element_handle(), timeout=BOOT_TIMEOUT_MS,
    )
    box.locator('[data-action="stop"]').click()
    box.locator('[data-calc-status][data-kind="error"]').wait_for(timeout=10_000)
    assert "you stopped the computation" in status.inner_text()
    # The build-time result is still there, and the next run works.
    assert box.locator('[data-calc-result][data-state="stale"] svg').count() == 2
    box.locator('[data-action="reset"]').click()
    page.fill("#simulator-requests", "40")
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert box.locator("[data-calc-result] svg").count() == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kv_fit.context=1e309", "context must be a whole number from 1 to"),
        ("kv_fit.0=x", "unknown field '0'"),
        ("kv_fit.model=nope", "in all); you entered 'nope'"),
        ("kv_fit.context=" + "1" * 65,
         "kv_fit.context in the link is 65 characters long; at most 64 are read."),
    ],
)
def test_a_bad_link_is_refused_naming_the_value(site, context, query, message):
    page = context.new_page()
    page.goto(site["url"] + "calculators/?" + query)
    box = page.locator('[data-calculator="kv_fit"]')
    status = box.locator('[data-calc-status][data-kind="error"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    assert message.lower() in status.inner_text().lower()
    if "1e309" in query:
        assert status.inner_text().endswith("you entered '1e309'.")
    assert box.locator('[data-calc-result][data-state="stale"]').count() == 1


def test_simulator_routes_multi_turn_chats_over_a_fleet(site, context):
    """The simulator calculator's traffic, replicas and router fields (issue 20): the page
    shows the same hit rate and requests per replica as the library gives for that form."""
    from fieldguide.calc_sim import SIMULATOR, simulator

    values = {f.name: f.default for f in SIMULATOR.fields} | {
        "requests": 80, "traffic": "chats", "replicas": 2, "router": "prefix-aware"}
    expected = simulator(**values)
    hit = re.search(r"Prefix cache</t[hd]><td>([^<]+)<", expected).group(1)
    page = context.new_page()
    page.goto(site["url"] + "calculators/?simulator.requests=80&simulator.traffic=chats"
              "&simulator.replicas=2&simulator.router=prefix-aware")
    box = page.locator('[data-calculator="simulator"]')
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    row = box.locator("table.calc-kv tr", has_text="Prefix cache")
    assert row.locator("td").inner_text() == hit
    assert box.locator("table.calc-kv tr", has_text="Requests per replica").count() == 1
