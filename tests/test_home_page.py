"""The home page: the hero calculator first, the study paths, a PDF link that `make dist` serves.

The static result is checked here; tests/browser/test_home_calculator.py runs it in the browser.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from fieldguide.calculators import render

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "docs" / "index.md"


def test_the_hero_calculator_comes_before_any_other_section():
    text = INDEX.read_text()
    hero = text.index("```calculator\nhero\n```")
    assert hero < text.index("## Where to start") < text.index("## The chapters")


def test_the_pdf_link_is_the_file_make_dist_puts_beside_the_home_page():
    """dist.py copies the PDF into the site's root, under the name the Makefile gives it;
    the home page is that root, so a relative link to the bare name works offline."""
    makefile = (ROOT / "Makefile").read_text()
    name = re.search(r"fieldguide\.build\.dist .*--pdf dist/(\S+\.pdf)", makefile).group(1)
    assert f'<a href="{name}" download>' in INDEX.read_text()


def test_every_study_path_is_linked_to_its_section():
    headings = re.findall(r"^## (.+)$", (ROOT / "docs" / "start-here.md").read_text(), re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
    linked = set(re.findall(r"start-here\.md#([\w-]+)", INDEX.read_text()))
    assert {"30-minutes-before-a-phone-screen", "two-days", "one-week"} <= linked <= anchors


def test_the_hero_answers_three_questions_with_numbers():
    html = BeautifulSoup(render("hero", {}), "html.parser")
    numbers = [n.get_text() for n in html.select(".hero-number")]
    labels = " ".join(n.get_text() for n in html.select(".hero-label"))
    assert len(numbers) == 3 and all(re.search(r"\d", n) for n in numbers)
    assert "users fit" in labels and "ms per token" in labels and "per million output tokens" in labels


def test_more_context_fits_fewer_users():
    def users(context: str) -> int:
        html = BeautifulSoup(render("hero", {"model": "llama-3.1-8b", "context": context}), "html.parser")
        return int(html.select_one(".hero-number").get_text().replace(",", ""))
    assert users("4096") > users("16384") > users("65536") > 0


def test_the_built_home_page_shows_the_answer_before_python_runs(site):
    page = BeautifulSoup((site["dir"] / "index.html").read_text(), "html.parser")
    box = page.select_one('[data-calculator="hero"]')
    assert box is not None
    assert len(box.select("[data-calc-result] .hero-number")) == 3
    assert page.select_one('.home-pdf a[href="llm-serving-field-guide.pdf"]') is not None
