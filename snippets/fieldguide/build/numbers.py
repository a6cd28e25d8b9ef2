"""Numbers in prose: ``{{ calc.NAME(...) }}`` placeholders, evaluated at build time.

A page writes ``{{ calc.kv_gib("llama-3.1-70b", context=32768) }}`` and the
built page shows what :mod:`fieldguide.prose`'s ``kv_gib`` returns. Only calls
of ``calc.<function>`` with literal arguments are allowed; an unknown name, a
malformed placeholder or an argument the function rejects stops the build and
names the page.
"""

from __future__ import annotations

import ast
import re
from decimal import ROUND_HALF_UP, Decimal

from fieldguide import prose

PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")


def evaluate(expression: str) -> str:
    """Evaluate one placeholder expression.

    >>> evaluate('calc.kv_bytes_per_token("llama-2-7b", kv_dtype="fp16")')
    '524,288 B'
    >>> evaluate("calc.nope()")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: unknown placeholder function calc.nope; known: ...
    """
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not a Python call: {expression!r} ({exc.msg})") from None
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "calc"
    ):
        raise ValueError(f"placeholders must call calc.<function>(...), got {expression!r}")
    name = node.func.attr
    func = prose.FUNCTIONS.get(name)
    if func is None:
        known = ", ".join(sorted(prose.FUNCTIONS))
        raise ValueError(f"unknown placeholder function calc.{name}; known: {known}")
    try:
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except ValueError:
        raise ValueError(f"placeholder arguments must be literals: {expression!r}") from None
    try:
        return str(func(*args, **kwargs))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{expression}: {exc}") from None


_DECIMAL = re.compile(r"(?<![\w.,$])(\d{1,3}(?:,\d{3})*|\d+)\.(\d+)(?![\w.])")


def spoken(text: str, figures: int = 3) -> str:
    """``text`` with every decimal number cut to ``figures`` significant figures, as
    a sentence says it; whole numbers, dollar amounts and numbers already that
    short stay as they are.

    >>> spoken("79.18 GiB, 135.0 % and 6.90 requests/s; 1,766 tok/s; $15.23; 70.55 B")
    '79.2 GiB, 135 % and 6.9 requests/s; 1,766 tok/s; $15.23; 70.6 B'
    >>> spoken("1,234.5 ms, 0.00125 s, 12.0 and v1.2.3")
    '1,235 ms, 0.00125 s, 12 and v1.2.3'
    """
    def shorten(match: re.Match) -> str:
        whole, fraction = match.group(1), match.group(2)
        integer = int(whole.replace(",", ""))
        digits = len(str(integer)) if integer else 0
        if integer == 0:
            significant = len(fraction.lstrip("0"))
            if significant <= figures:
                return match.group(0)
            keep = len(fraction) - len(fraction.lstrip("0")) + figures
        else:
            keep = max(0, figures - digits)
            if len(fraction) <= keep and not fraction.endswith("0"):
                return match.group(0)
        value = Decimal(f"{integer}.{fraction}").quantize(Decimal(1).scaleb(-keep), ROUND_HALF_UP)
        text = f"{value:,.{keep}f}" if "," in whole or integer >= 10_000 else f"{value:.{keep}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text

    return _DECIMAL.sub(shorten, text)


def replace_placeholders(markdown: str, page_path: str) -> str:
    """Every placeholder of a page replaced by its value.

    An inline value is said the way a sentence says it (:func:`spoken`) and
    wrapped in ``<span class="calc">`` (so tests and style sheets can tell
    computed numbers apart); a block (a generated table) goes in as Markdown,
    unwrapped and exact. Errors name the page.

    >>> replace_placeholders('{{ calc.kv_bytes_per_token("llama-2-7b") }} per token', "kv.md")
    '<span class="calc">524,288 B</span> per token'
    >>> replace_placeholders("{{ calc.nope() }}", "kv.md")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: kv.md: unknown placeholder function calc.nope; known: ...
    """

    def replace(match: re.Match) -> str:
        try:
            value = evaluate(match.group(1))
        except ValueError as exc:
            raise ValueError(f"{page_path}: {exc}") from None
        return value if "\n" in value.strip() else f'<span class="calc">{spoken(value)}</span>'

    return PLACEHOLDER.sub(replace, markdown)
