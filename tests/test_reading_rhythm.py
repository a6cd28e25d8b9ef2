"""Reading rhythm (issue 22, item 5): takeaways first, secondary cells folded, numbers
right-aligned, the best row of a comparison marked."""

from __future__ import annotations

import re

import pytest

from fieldguide.build.fences import format_cell
from fieldguide.calculators import render
from tests.conftest import ROOT

CHAPTERS = ["topology.md", "latency.md", "batching.md", "kv-cache.md", "quantization.md",
            "cost.md", "day-of-checklist.md", "simulator.md"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_opens_with_its_takeaways(chapter):
    text = (ROOT / "docs" / chapter).read_text(encoding="utf-8")
    assert '!!! abstract "After this chapter you can"' in text[:text.index("\n## ")]


def test_a_folded_cell_is_a_closed_details_that_still_holds_its_output():
    html = format_cell("print(6 * 7)", "pycell", "pycell", {"fold": "More"}, None)
    assert html.startswith('<details class="cell-fold"><summary>More</summary><div class="live-cell"')
    assert " open" not in html.split(">")[0]
    assert '<pre class="cell-output" data-output data-state="static">42</pre>' in html


def test_some_secondary_cells_are_folded_away():
    text = (ROOT / "docs" / "kv-cache.md").read_text(encoding="utf-8")
    assert len(re.findall(r'^```pycell fold="', text, re.M)) >= 2


def test_the_best_precision_is_highlighted_and_numbers_align_right():
    html = render("quantization", {})
    rows = re.findall(r"<tr( class=\"calc-best\")?>(.*?)</tr>", html.split("<tbody>")[1])
    best = [cells for marked, cells in rows if marked]
    assert len(best) == 1
    speeds = [float(re.findall(r'<td class="num">([\d,.]+)</td>', cells)[-1].replace(",", ""))
              for _, cells in rows if "does not fit" not in cells]
    assert float(re.findall(r'<td class="num">([\d,.]+)</td>', best[0])[-1].replace(",", "")) == max(speeds)
    # The headline says the same row first, in large type.
    assert html.index("calc-headline") < html.index("<table")


def test_the_cheapest_fleet_of_a_plan_is_highlighted():
    html = render("plan", {"requests": "200"})
    rows = re.findall(r"<tr( class=\"calc-best\")?>(.*?)</tr>", html.split("<tbody>")[1].split("</tbody>")[0])
    price = [float(re.findall(r"<td[^>]*>([^<]*)</td>", cells)[5].lstrip("$").replace(",", ""))
             for _, cells in rows]
    marked = [i for i, (best, _) in enumerate(rows) if best]
    assert len(marked) == 1 and price[marked[0]] == min(price)
