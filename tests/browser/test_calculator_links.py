"""Calculators under pressure (issue 24): superseded runs, links that ask for hours, odd link values."""

from __future__ import annotations

import pytest

from tests.browser.helpers import BOOT_TIMEOUT_MS, scaled

pytestmark = pytest.mark.browser

RESULT_DONE = '[data-calc-result][data-state="done"]'
HOSTILE_LINK = ("simulator.requests=200000&simulator.rate=10000"
                "&simulator.prompt=131072&simulator.output=32768")


def test_a_new_run_cancels_the_superseded_one(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/")
    box = page.locator('[data-calculator="simulator"]')
    box.scroll_into_view_if_needed()
    box.hover()
    page.wait_for_function("() => window.liveRuntime.state === 'ready'", timeout=BOOT_TIMEOUT_MS)
    page.fill("#simulator-requests", "100000")  # about a minute of simulation
    page.wait_for_function("() => window.liveRuntime.runs === 1", timeout=BOOT_TIMEOUT_MS)
    # An edit mid-run, then Run twice: one more run, with the last values.
    page.fill("#simulator-requests", "40")
    run = box.locator('[data-action="run"]')
    run.click()
    run.click()
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    # The first run was stopped (a fresh worker), the requests queued behind
    # it dropped but the last: two runs started in all, not four.
    page.wait_for_timeout(scaled(1_000))
    assert page.evaluate("window.liveRuntime.runs") == 2
    assert page.evaluate("window.liveRuntime.boots") == 2
    assert box.locator("[data-calc-status]").inner_text() == ""
    assert page.evaluate("window.liveRuntime.current") is None


def test_a_link_that_asks_for_hours_waits_for_run(site, context):
    page = context.new_page()
    page.goto(site["url"] + "calculators/?" + HOSTILE_LINK)
    box = page.locator('[data-calculator="simulator"]')
    status = box.locator('[data-calc-status][data-kind="held"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    assert "press Run" in status.inner_text()
    assert "billion simulated tokens" in status.inner_text()
    # The link's values are in the controls; nothing runs until Run.
    assert page.input_value("#simulator-requests") == "200000"
    assert page.input_value("#simulator-prompt") == "131072"
    page.wait_for_timeout(scaled(1_000))
    assert page.evaluate("window.liveRuntime.current") is None
    assert box.locator('[data-calc-result][data-state="stale"] svg').count() == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kv_fit.context=%D9%A1%D9%A0", "context must be a whole number from 1 to 1,048,576 written in ASCII digits"),
        ("kv_fit.context=1_0", "context must be a whole number from 1 to 1,048,576 written in ASCII digits"),
        # Long enough to flood the message, short enough for a server's request line.
        ("kv_fit." + "k" * 50_000 + "=1", "characters long; at most 64 are read"),
    ],
    ids=["arabic-indic-digits", "underscore", "long-name"],
)
def test_a_link_value_the_control_cannot_show_is_refused_naming_the_field(site, context, query, message):
    page = context.new_page()
    page.goto(site["url"] + "calculators/?" + query)
    box = page.locator('[data-calculator="kv_fit"]')
    status = box.locator('[data-calc-status][data-kind="error"]')
    status.wait_for(timeout=BOOT_TIMEOUT_MS)
    assert message.lower() in status.inner_text().lower()
    assert len(status.inner_text()) < 300
    assert box.locator('[data-calc-result][data-state="stale"]').count() == 1
