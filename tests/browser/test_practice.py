"""The practice page in headless Chromium: graded answers, links that reproduce a question,
progress in localStorage, and no request outside the site."""

from __future__ import annotations

import pytest

from servecalc.practice import DEFAULT_SEED, KINDS, question
from tests.browser.helpers import BOOT_TIMEOUT_MS, outside_requests

pytestmark = pytest.mark.browser

DONE = "el => el.dataset.state && el.dataset.state !== 'busy'"


def box_of(page, kind: str):
    return page.locator(f'[data-practice="{kind}"]')


def check(page, kind: str, answer: str) -> str:
    """Type an answer, press Check, return the verdict once the status says it."""
    box = box_of(page, kind)
    status = box.locator('[role="status"]')
    box.locator("[data-practice-input]").fill(answer)
    box.locator('[data-action="check"]').click()
    page.wait_for_function(
        """el => ["right", "wrong", "error"].includes(el.dataset.state)""",
        arg=status.element_handle(), timeout=BOOT_TIMEOUT_MS,
    )
    return status.get_attribute("data-state")


def test_static_questions_for_the_default_seed_are_in_the_page(site, context):
    page = context.new_page()
    page.goto(site["url"] + "practice/")
    for kind in KINDS:
        text = box_of(page, kind).locator("[data-practice-text]").inner_text()
        assert text == question(kind, DEFAULT_SEED).text
    # Nothing loaded Python yet: the page is static until the reader shows intent.
    assert not [url for url in context.requests if "pyodide" in url]


def test_wrong_answer_is_wrong_and_the_revealed_value_is_right(site, context):
    page = context.new_page()
    page.goto(site["url"] + "practice/")
    kind = "kv_per_token"
    exact = question(kind, DEFAULT_SEED).exact
    box = box_of(page, kind)
    box.locator("[data-practice-input]").focus()  # intent: Python starts loading
    assert check(page, kind, f"{exact * 3:g}") == "wrong"
    status = box.locator('[role="status"]').inner_text()
    assert status.startswith("Not yet:")
    revealed = box.locator("[data-answer]").get_attribute("data-answer")
    assert float(revealed) == exact
    assert box.locator(".practice-answer li").count() == len(question(kind, DEFAULT_SEED).worked)
    assert check(page, kind, revealed) == "right"
    assert box.locator('[role="status"]').inner_text().startswith("Right:")
    # Progress: this kind is marked, in this browser's localStorage only.
    assert box.locator("[data-practice-done]").is_visible()
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('llm-serving-field-guide:practice'))")
    assert stored == {kind: True}
    # A bad answer shows its message and the page keeps working.
    assert check(page, kind, "ten") == "error"
    assert "answer must be a number" in box.locator('[role="status"]').inner_text()
    assert check(page, kind, revealed) == "right"
    assert outside_requests(context.requests) == []


def test_a_link_reproduces_its_question_and_another_one_draws_a_new_seed(site, context):
    page = context.new_page()
    kind, seed = "decode_step", 4242
    expected = question(kind, seed)
    assert expected.text != question(kind, DEFAULT_SEED).text
    page.goto(site["url"] + f"practice/?q={kind}&seed={seed}")
    box = box_of(page, kind)
    page.wait_for_function(
        "([el, text]) => el.textContent === text",
        arg=[box.locator("[data-practice-text]").element_handle(), expected.text],
        timeout=BOOT_TIMEOUT_MS,
    )
    assert box.get_attribute("data-seed") == str(seed)
    # Material's search, which also reads ?q=, stays closed; the link stays as it was.
    assert not page.locator("#__search").is_checked()
    assert page.url.endswith(f"practice/?q={kind}&seed={seed}")
    assert f"seed={seed}" in box.locator("[data-practice-link]").get_attribute("href")
    box.locator('[data-action="reveal"]').click()
    box.locator("[data-answer]").wait_for(timeout=BOOT_TIMEOUT_MS)
    assert float(box.locator("[data-answer]").get_attribute("data-answer")) == expected.exact

    box.locator('[data-action="another"]').click()
    page.wait_for_function(
        "([el, text]) => el.textContent !== text && !el.closest('[aria-busy]')",
        arg=[box.locator("[data-practice-text]").element_handle(), expected.text],
        timeout=BOOT_TIMEOUT_MS,
    )
    new_seed = int(box.get_attribute("data-seed"))
    assert new_seed != seed
    assert page.url.endswith(f"practice/?q={kind}&seed={new_seed}#{kind}")
    assert box.locator("[data-practice-text]").inner_text() == question(kind, new_seed).text
    assert box.locator("[data-answer]").count() == 0  # the new question's answer is not shown
    assert outside_requests(context.requests) == []
