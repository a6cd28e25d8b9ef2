"""The built site: every chapter shows build-time output and a live cell, every
drill answer carries computed numbers, case studies are live pages, reference tables rendered.

Builds nothing itself: the session fixture ``site`` (tests/conftest.py) builds
the site once, strictly, into a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.nav import case_studies, chapters, drill_pages


#: Chapter pages (source paths under docs/), from mkdocs.yml's nav: each must show
#: build-time output and at least one live cell that calls servecalc.
CHAPTERS = chapters()

#: Pages whose <details> blocks are drill answers.
DRILL_PAGES = drill_pages()

#: Case studies: Markdown pages of live cells (they were jupytext notebooks).
CASE_STUDIES = case_studies()

MIN_DRILLS = 45


def built(site: dict, source: str) -> BeautifulSoup:
    """The parsed HTML that ``docs/<source>`` became (directory URLs)."""
    stem = source.rsplit(".", 1)[0]
    if stem.endswith("index"):
        stem = stem[: -len("index")]
    path = Path(site["dir"]) / stem / "index.html"
    assert path.exists(), f"{source} was not built (expected {path})"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def content(page: BeautifulSoup):
    article = page.select_one("article") or page.select_one(".md-content")
    assert article is not None, "page has no article"
    return article


@pytest.mark.parametrize("source", CHAPTERS)
def test_chapter_has_build_time_output_and_a_live_cell(site, source):
    article = content(built(site, source))
    outputs = article.select("pre.cell-output")
    assert outputs, f"{source}: no build-time cell output"
    empty = [o for o in outputs if not o.get_text().strip()]
    assert not empty, f"{source}: {len(empty)} cell(s) printed nothing at build time"
    cells = article.select("[data-live-cell]")
    assert any("servecalc" in cell.select_one("code").get_text() for cell in cells), (
        f"{source}: no live cell that imports servecalc"
    )


@pytest.mark.parametrize("source", DRILL_PAGES)
def test_every_drill_answer_has_computed_numbers(site, source):
    # Answers are "success" blocks; the rubric under each one is an "abstract" block.
    answers = content(built(site, source)).select("details.success")
    bare = [
        d.select_one("summary").get_text(strip=True) if d.select_one("summary") else "?"
        for d in answers
        if not d.select("span.calc") and not d.select("pre.cell-output")
    ]
    assert not bare, f"{source}: answers without span.calc or cell output: {bare}"


def test_there_are_enough_drills(site):
    answers = content(built(site, "drills/questions.md")).select("details.success")
    assert len(answers) >= MIN_DRILLS, f"only {len(answers)} drill answers"


def test_every_drill_answer_is_followed_by_its_rubric(site):
    article = content(built(site, "drills/questions.md"))
    answers = article.select("details.success")
    for answer in answers:
        rubric = answer.find_next_sibling("details")
        assert rubric is not None and "abstract" in rubric.get("class", []), (
            f"no rubric after {answer.select_one('summary').get_text(strip=True)}")
        text = rubric.get_text(" ", strip=True)
        for part in ("A strong answer", "Red flags", "Follow-up probes", "Senior against staff"):
            assert part in text
        assert len(rubric.select("ol > li")) in (2, 3), "two or three follow-up probes"


def test_placeholders_are_all_replaced(site):
    leftovers = []
    for path in Path(site["dir"]).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if "{{ calc." in text or "{{calc." in text:
            leftovers.append(str(path.relative_to(site["dir"])))
    assert not leftovers, f"unreplaced placeholders in {leftovers}"


@pytest.mark.parametrize("source", CASE_STUDIES)
def test_case_study_is_a_live_page_like_a_chapter(site, source):
    """Every code block is a live cell with its build-time output; no notebook markup, no prompts."""
    article = content(built(site, source))
    cells = article.select("[data-live-cell]")
    assert len(cells) >= 4, f"{source}: {len(cells)} live cells"
    for index, cell in enumerate(cells):
        output = cell.select_one("pre.cell-output")
        assert output is not None and output.get_text().strip(), f"{source}: cell {index} printed nothing"
    assert not article.select(".jupyter-wrapper, .jp-Cell, .jp-InputPrompt")
    assert "In [" not in article.get_text() and "Out[" not in article.get_text()


def test_search_indexes_each_case_study_cell_once_and_without_prompts(site):
    """Search once showed notebook code as "In [1]: Copied!", each cell twice."""
    import json

    index = json.loads((Path(site["dir"]) / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = [d for d in index["docs"] if d["location"].startswith("case-studies/")]
    assert docs, "no case-study page in the search index"
    text = " ".join(d["text"] for d in docs)
    assert "In [" not in text and "Copied!" not in text
    # The fleet cell's last line is printed once on its page, so it is indexed once
    # (its code says "cheapest: {best[0]}", which this does not match).
    import re

    assert len(re.findall(r"cheapest: (?:bf16|fp8) weights", text)) == 1


def _table_rows(page: BeautifulSoup) -> list[int]:
    return [len(table.select("tbody tr")) for table in content(page).select("table")]


def test_reference_tables_list_every_catalog_entry(site):
    from servecalc.gpus import GPUS
    from servecalc.models import MODELS
    from servecalc.prices import PRICES

    models = _table_rows(built(site, "reference/models.md"))
    assert models.count(len(MODELS)) >= 2, f"model tables: {models} rows, {len(MODELS)} models"
    gpus = _table_rows(built(site, "reference/gpus.md"))
    assert gpus.count(len(GPUS)) >= 2, f"GPU tables: {gpus} rows, {len(GPUS)} GPUs"
    assert len(PRICES) in gpus, f"price table: {gpus} rows, {len(PRICES)} prices"


def test_accuracy_page_lists_every_validation_case(site):
    from fieldguide.validation import CASES

    page = built(site, "accuracy.md")
    rows = _table_rows(page)
    exact = sum(1 for case in CASES if case.kind == "exact")
    measured = len(CASES) - exact
    assert exact in rows and measured in rows, f"tables have {rows} rows; cases {exact}/{measured}"
    assert "**no**" not in content(page).get_text()


def test_abbreviations_expand_on_every_page_and_are_not_a_page(site):
    page = built(site, "cost.md")
    titles = {abbr.get_text(): abbr.get("title") for abbr in content(page).select("abbr")}
    assert titles.get("TPOT", "").startswith("Time per output token"), titles
    assert not (Path(site["dir"]) / "includes").exists(), "docs/includes/ was built as pages"
