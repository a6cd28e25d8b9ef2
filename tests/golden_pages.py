"""What every page prints: its cells, calculators and ``{{ calc... }}`` placeholders, as text.

The golden test (``tests/test_golden.py``) compares this with the checked-in
files under ``tests/golden/``, one per page, so that any change to a number
anywhere in the guide shows up as a readable diff to review.

Each page's text is a sequence of blocks, in page order::

    ## pycell 3: pages/kv_cache.py:per_token
    <what the cell printed, and its error line if it raised>

    ## calc.kv_gib("llama-3.1-70b", context=32768)
    <the value the sentence shows>

Calculators are rendered with their defaults, as the build does, and reduced to
the text of their tables (charts are dropped: their coordinates are drawing,
not numbers a reader reads). A diagram placeholder is reduced to its alt text
and caption (:func:`figure_text`).
"""

from __future__ import annotations

import html
import html.parser
import re
import textwrap
from pathlib import Path

from fieldguide.build.numbers import PLACEHOLDER, evaluate
from fieldguide.calculators import render
from fieldguide.cells import display_text, run_cell
from fieldguide.practice_page import render_fence

from tests.snippet_sections import ROOT, snippet_section

DOCS = ROOT / "docs"
GOLDEN = Path(__file__).resolve().parent / "golden"

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<kind>pycell|calculator|practice)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
INCLUDE = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$', re.M)


def golden_name(source: Path) -> str:
    """``docs/drills/questions.md`` -> ``drills-questions.txt``."""
    rel = source.relative_to(DOCS).with_suffix("")
    return "-".join(rel.parts) + ".txt"


def pages() -> list[Path]:
    """Every page that can print a number (case studies included: Markdown pages of cells)."""
    found = sorted(DOCS.rglob("*.md"))
    return [p for p in found if "includes" not in p.relative_to(DOCS).parts]


def expand(body: str) -> tuple[str, str]:
    """A fence's body with its snippet includes expanded, and a label naming them."""
    labels = [m.group(0).split('"')[1] for m in INCLUDE.finditer(body)]
    code = INCLUDE.sub(lambda m: snippet_section(m.group("path"), m.group("section")), body)
    return code, ", ".join(labels) or "inline"


class _TableText(html.parser.HTMLParser):
    """The visible text of result HTML, one line per block, without SVG charts."""

    BLOCKS = {"tr", "p", "li", "div", "h1", "h2", "h3", "h4", "caption", "br", "table"}

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[list[str]] = [[]]
        self.svg_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svg_depth += 1
        elif tag in self.BLOCKS and self.lines[-1]:
            self.lines.append([])

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg_depth -= 1
        elif tag in self.BLOCKS and self.lines[-1]:
            self.lines.append([])

    def handle_data(self, data):
        if not self.svg_depth and data.strip():
            self.lines[-1].append(" ".join(data.split()))


def html_text(markup: str) -> str:
    parser = _TableText()
    parser.feed(markup)
    return "\n".join(" | ".join(cells) for cells in parser.lines if cells)


def figure_text(value: str) -> str:
    """A placeholder's value; a diagram (an HTML figure) as its alt text and caption, the
    words and numbers a reader gets, without the drawing's coordinates."""
    if not value.startswith("<figure"):
        return value
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", value, re.S)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", value, re.S)
    return "\n".join(html.unescape(m.group(1)) for m in (desc, caption) if m)


def markdown_blocks(text: str) -> list[tuple[str, str]]:
    """(heading, printed text) for every fence and placeholder of a Markdown page."""
    items: list[tuple[int, str, str]] = []
    for n, match in enumerate(FENCE.finditer(text), 1):
        body = textwrap.dedent(match.group("body"))
        if match.group("kind") == "pycell":
            code, label = expand(body)
            items.append((match.start(), f"pycell {n}: {label}", display_text(run_cell(code))))
        elif match.group("kind") == "practice":
            name = body.strip()
            items.append((match.start(), f"practice {name}", html_text(render_fence(name))))
        else:
            name = body.strip()
            items.append((match.start(), f"calculator {name}", html_text(render(name, {}))))
    for match in PLACEHOLDER.finditer(text):
        expression = match.group(1)
        items.append((match.start(), expression, figure_text(evaluate(expression))))
    return [(head, out) for _, head, out in sorted(items, key=lambda item: item[0])]


def page_text(source: Path) -> str:
    """The golden text of one page."""
    text = source.read_text(encoding="utf-8")
    blocks = markdown_blocks(text)
    return "".join(f"## {head}\n{out}\n\n" for head, out in blocks)
