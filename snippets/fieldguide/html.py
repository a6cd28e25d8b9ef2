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


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "") -> str:
    """An HTML table of text cells; numbers (and the headers of all-number columns) align right."""
    rows = [[str(cell) for cell in row] for row in rows]
    numeric = [
        bool(column) and all(is_number(c) or c.strip() in ("", "-", "—", "n/a") for c in column)
        and any(is_number(c) for c in column)
        for column in ([row[i] for row in rows if i < len(row)] for i in range(len(headers)))
    ]
    head = "".join(_cell("th", str(h), numeric[i]) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(_cell("td", cell, is_number(cell)) for cell in row) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="calc-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def key_values(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column table of labelled results.

    >>> key_values([("TTFT", "12.0 ms")])
    '<table class="calc-table calc-kv"><tbody><tr><th scope="row">TTFT</th><td>12.0 ms</td></tr></tbody></table>'
    """
    body = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in pairs
    )
    return f'<table class="calc-table calc-kv"><tbody>{body}</tbody></table>'


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
