"""The home page's calculator in headless Chromium: its build-time answer, then a live one."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from fieldguide.calculators import render
from tests.browser.helpers import BOOT_TIMEOUT_MS, outside_requests

pytestmark = pytest.mark.browser


def _numbers(html: str) -> list[str]:
    return [n.get_text() for n in BeautifulSoup(html, "html.parser").select(".hero-number")]


def test_the_hero_answers_before_python_and_again_for_a_new_context(site, context):
    page = context.new_page()
    page.goto(site["url"])
    box = page.locator('[data-calculator="hero"]')
    assert _numbers(box.locator("[data-calc-result]").inner_html()) == _numbers(render("hero", {}))

    page.fill("#hero-context", "32768")
    page.locator("#hero-context").dispatch_event("change")
    box.locator('[data-calc-result][data-state="done"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    expected = _numbers(render("hero", {"context": "32768"}))
    page.wait_for_function(
        """n => document.querySelector('[data-calculator="hero"] .hero-number')?.textContent === n""",
        arg=expected[0], timeout=BOOT_TIMEOUT_MS)
    assert _numbers(box.locator("[data-calc-result]").inner_html()) == expected
    assert expected != _numbers(render("hero", {}))
    assert outside_requests(context.requests) == []
