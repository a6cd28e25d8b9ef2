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


def replace_placeholders(markdown: str, page_path: str) -> str:
    """Every placeholder of a page replaced by its value.

    An inline value is wrapped in ``<span class="calc">`` (so tests and style
    sheets can tell computed numbers apart); a block (a generated table) goes
    in as Markdown, unwrapped. Errors name the page.

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
        return value if "\n" in value.strip() else f'<span class="calc">{value}</span>'

    return PLACEHOLDER.sub(replace, markdown)
