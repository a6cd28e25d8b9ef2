"""The chapters' diagrams (fieldguide.diagrams, placed by ``{{ calc.diagram_...() }}``).

Every chapter has at least two, each an inline SVG a screen reader can name
and describe (role img, a title and a description that says the numbers),
with a caption, that loads nothing, and whose white labels sit only on fills
dark enough for them. The browser tour (tests/browser/test_rendering.py)
measures how they render: text size on a phone, contrast against what is
behind, dark mode and print.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldguide.build.numbers import evaluate
from fieldguide.diagrams.svg import FILLS

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHAPTERS = ["topology", "latency", "batching", "kv-cache", "quantization", "cost", "simulator"]
DIAGRAM = re.compile(r"\{\{\s*(calc\.diagram_\w+\(.*?\))\s*\}\}")


def _diagrams(chapter: str) -> list[str]:
    return [evaluate(m.group(1)) for m in DIAGRAM.finditer((DOCS / f"{chapter}.md").read_text())]


@pytest.fixture(scope="module")
def figures() -> dict[str, list[str]]:
    return {chapter: _diagrams(chapter) for chapter in CHAPTERS}


def test_every_chapter_has_at_least_two_diagrams(figures):
    assert {c: len(f) for c, f in figures.items() if len(f) < 2} == {}


def test_each_diagram_has_alt_text_and_a_caption(figures):
    for chapter, found in figures.items():
        for html in found:
            svg = re.search(r"<svg [^>]*>", html).group(0)
            assert 'role="img"' in svg, chapter
            slug = re.search(r'aria-labelledby="([\w-]+)-title"', svg).group(1)
            title = re.search(rf'<title id="{slug}-title">([^<]{{8,}})</title>', html)
            desc = re.search(rf'<desc id="{slug}-desc">([^<]{{40,}})</desc>', html)
            assert title and desc, (chapter, slug)
            assert re.search(r"\d", desc.group(1)), f"{chapter} {slug}: the alt text says no number"
            assert re.search(r"<figcaption>[^<]{20,}</figcaption>", html), (chapter, slug)


def test_diagram_ids_are_unique_on_each_page(figures):
    for chapter, found in figures.items():
        ids = re.findall(r' id="([^"]+)"', "".join(found))
        assert len(ids) == len(set(ids)), chapter


def test_diagrams_load_nothing_and_need_no_inline_style(figures):
    """No script, link, style or external reference: the page's CSP allows none of them."""
    for chapter, found in figures.items():
        for html in found:
            for banned in ("<script", "<style", " style=", "href", "url(", "<image", "<foreignObject"):
                assert banned not in html, (chapter, banned)


def _luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of #rrggbb."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def test_white_labels_sit_on_fills_of_at_least_4_5_to_1():
    for name, fill in FILLS.items():
        ratio = 1.05 / (_luminance(fill) + 0.05)
        assert ratio >= 4.5, f"{name} {fill}: {ratio:.2f}:1 against white"


def test_text_is_the_page_colour_or_white(figures):
    """Text follows the scheme (currentColor) or is white on a dark fill, never a fixed dark colour."""
    for chapter, found in figures.items():
        fills = set(re.findall(r'<text [^>]*fill="([^"]+)"', "".join(found)))
        assert fills <= {"currentColor", "#ffffff"}, (chapter, fills)


def test_the_latency_timeline_says_the_sentence_s_numbers():
    """The prefill in the latency chapter's timeline is the TTFT its prose states (one source)."""
    text = (DOCS / "latency.md").read_text()
    html = evaluate(re.search(r"calc\.diagram_timeline\(.*?\)(?= \}\})", text).group(0))
    ttft = evaluate('calc.ttft("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)')
    assert f"takes {ttft} (the time to first token)" in html


def test_dark_scheme_shades_stand_out_and_carry_black_labels():
    """On Material's slate page (hsl(232, 15%, 14%), about #1e2029) each shade is at least 3:1
    (WCAG 1.4.11 for shapes) and black labels on it at least 4.5:1."""
    from fieldguide.diagrams.svg import DARK_FILLS

    assert set(DARK_FILLS) == set(FILLS.values())
    page = _luminance("#1e2029")
    for light, shade in DARK_FILLS.items():
        lum = _luminance(shade)
        assert (lum + 0.05) / (page + 0.05) >= 3, (light, shade)
        assert (lum + 0.05) / 0.05 >= 4.5, (light, shade)


def test_diagram_ids_are_unique_across_the_guide(figures):
    """The PDF prints every page into one document: an ID shared by two pages would clash there."""
    from fieldguide.prose.ledger import ledger_chart

    everything = [html for found in figures.values() for html in found]
    everything += [ledger_chart("throughput"), ledger_chart("latency")]
    ids = re.findall(r'<figure class="diagram" id="([^"]+)"', "".join(everything))
    assert len(ids) == len(set(ids)) == len(everything)
