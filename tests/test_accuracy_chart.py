"""The accuracy page leads with one headline and the ledger's predicted-against-measured charts."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from fieldguide.prose.accuracy import accuracy_headline
from fieldguide.prose.ledger import _entries, ledger_chart

PAGE = Path(__file__).resolve().parents[1] / "docs" / "accuracy.md"


def test_the_page_opens_with_the_headline_then_the_charts():
    text = PAGE.read_text()
    first_section = text.index("\n## ")
    for placeholder in ("calc.accuracy_headline()", 'calc.ledger_chart("throughput")',
                        'calc.ledger_chart("latency")'):
        assert text.index(placeholder) < first_section, placeholder
    # One count of cases "within" something, not two that disagree.
    assert "calc.accuracy_within()" not in text


def test_the_headline_counts_against_the_tolerance_stated_in_advance():
    headline = accuracy_headline()
    strict, missed = map(int, re.search(r", (\d+) are within .*? and (\d+) are not", headline).groups())
    measured = int(re.search(r"^Of (\d+) latencies", headline).group(1))
    assert strict + missed == measured and missed > 0


def test_the_charts_plot_every_predicted_ledger_entry_once():
    predicted = sum(e.predicted is not None for e in _entries())
    dots = sum(BeautifulSoup(ledger_chart(p), "html.parser").select("svg circle[fill-opacity]").__len__()
               for p in ("throughput", "latency"))
    assert dots == predicted


def test_the_band_is_a_stated_target_and_the_count_inside_it_adds_up():
    html = ledger_chart("latency")
    inside, total, band = map(int, re.search(r"(\d+) of (\d+) published measurements within ±(\d+) %",
                                             html).groups())
    assert 0 < inside < total and band == 30   # TTFT's stated target, the loosest of the two


def test_the_built_page_draws_both_charts(site):
    page = BeautifulSoup((site["dir"] / "accuracy" / "index.html").read_text(), "html.parser")
    for panel in ("throughput", "latency"):
        svg = page.select_one(f"figure#fig-ledger-{panel} svg.diagram[role=img]")
        assert svg is not None and svg.select_one("title").get_text()
