"""Small HTML builders; every piece of text is escaped here.

>>> table(["model", "KV"], [["<b>", "1 B"]])
'<table class="calc-table"><thead><tr><th>model</th><th class="num">KV</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td class="num">1 B</td></tr></tbody></table>'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

#: A cell that reads as a number (a count, a price, a time, "< 1", "-3 %"): right-aligned.
_NUMBER = re.compile(r"^[<>~≈≤≥+\-−]?\s?\$?\d")


def is_number(text: str) -> bool:
    """Whether a table cell reads as a number, so that it aligns on the right.

    >>> [is_number(t) for t in ("12,345", "$1.20", "< 1 ms", "-3 %", "H100", "n/a", "")]
    [True, True, True, True, False, False, False]
    """
    return bool(_NUMBER.match(text.strip()))


#: Cells longer than this wrap (within a minimum width); shorter ones keep to one line.
LONG_CELL = 24


def _cell(tag: str, text: str, number: bool) -> str:
    """A cell, classed for alignment ("num") or wrapping ("long").

    >>> _cell("td", "Lambda, 1x H100 SXM (on-demand), 2026-05-07", False)
    '<td class="long">Lambda, 1x H100 SXM (on-demand), 2026-05-07</td>'
    """
    kind = "num" if number else "long" if len(text) > LONG_CELL else ""
    return f'<{tag} class="{kind}">{escape(text)}</{tag}>' if kind else f"<{tag}>{escape(text)}</{tag}>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "",
          best: int | None = None) -> str:
    """An HTML table of text cells; numbers (and the headers of all-number columns) align right.
    ``best``: the index of the row a comparison picks, highlighted.

    >>> table(["GPU", "$/h"], [["A", "2"], ["B", "1"]], best=1).split("<tbody>")[1][:62]
    '<tr><td>A</td><td class="num">2</td></tr><tr class="calc-best"'
    """
    rows = [[str(cell) for cell in row] for row in rows]
    numeric = [
        bool(column) and all(is_number(c) or c.strip() in ("", "-", "—", "n/a") for c in column)
        and any(is_number(c) for c in column)
        for column in ([row[i] for row in rows if i < len(row)] for i in range(len(headers)))
    ]
    head = "".join(_cell("th", str(h), numeric[i]) for i, h in enumerate(headers))
    body = "".join(
        ('<tr class="calc-best">' if index == best else "<tr>")
        + "".join(_cell("td", cell, is_number(cell)) for cell in row) + "</tr>"
        for index, row in enumerate(rows)
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="calc-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def key_values(pairs: Iterable[tuple[str, str]], lead: Sequence[tuple[str, str]] = ()) -> str:
    """A two-column table of labelled results, after the ``lead`` results in large type
    (:func:`headline`): the answer first, then the details.

    >>> key_values([("TTFT", "12.0 ms")])
    '<table class="calc-table calc-kv"><tbody><tr><th scope="row">TTFT</th><td>12.0 ms</td></tr></tbody></table>'
    """
    body = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in pairs
    )
    return headline(lead) + f'<table class="calc-table calc-kv"><tbody>{body}</tbody></table>'


def headline(items: Sequence[tuple[str, str]]) -> str:
    """A calculator's main results in large numbers: (label, value) pairs, the
    value's number large and its unit (what follows the first space) small.

    >>> headline([("Sequences that fit", "42")])
    '<dl class="calc-headline"><div><dt>Sequences that fit</dt><dd><span class="calc-big">42</span></dd></div></dl>'
    >>> headline([("TPOT", "12.5 ms")])[-53:]
    '<span class="calc-big">12.5</span> ms</dd></div></dl>'
    """
    if not items:
        return ""
    parts = []
    for label, value in items:
        number, _, unit = str(value).partition(" ")
        shown = f'<span class="calc-big">{escape(number)}</span>' + (f" {escape(unit)}" if unit else "")
        parts.append(f"<div><dt>{escape(label)}</dt><dd>{shown}</dd></div>")
    return f'<dl class="calc-headline">{"".join(parts)}</dl>'


def note(text: str, kind: str = "info") -> str:
    """A one-line remark under a result ('info' or 'warning')."""
    return f'<p class="calc-note calc-note--{escape(kind)}">{escape(text)}</p>'


def copy_box(text: str, label: str, rows: int = 12) -> str:
    """Read-only text for the reader to copy (e.g. a calibration to paste elsewhere).

    >>> copy_box('{"a": 1}', "Calibration")
    '<textarea class="calc-copy" readonly rows="1" spellcheck="false" aria-label="Calibration">{&quot;a&quot;: 1}</textarea>'
    """
    shown = min(rows, text.count("\n") + 1)
    return (f'<textarea class="calc-copy" readonly rows="{shown}" spellcheck="false" '
            f'aria-label="{escape(label)}">{escape(text)}</textarea>')
