"""MkDocs hook: numbers in prose come from servecalc at build time.

A page writes ``{{ calc.kv_gib("llama-3.1-70b", context=32768) }}`` and the
built page shows what ``fieldguide.prose``'s ``kv_gib`` returns. Only calls of
``calc.<function>`` with literal arguments are allowed; an unknown name, a
malformed placeholder or an argument the function rejects stops the build and
names the page.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

SNIPPETS = Path(__file__).resolve().parent.parent / "snippets"
if str(SNIPPETS) not in sys.path:
    sys.path.insert(0, str(SNIPPETS))

from fieldguide import prose  # noqa: E402

PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")


def evaluate(expression: str) -> str:
    """Evaluate one placeholder expression such as ``calc.spec("llama-2-7b", "num_layers")``."""
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


def on_page_markdown(markdown, page, config, files):
    # The span lets tests (and readers' style sheets) tell computed numbers
    # apart; a block (a generated table) goes in as Markdown, unwrapped.
    def replace(match: re.Match) -> str:
        try:
            value = evaluate(match.group(1))
            return value if "\n" in value.strip() else f'<span class="calc">{value}</span>'
        except ValueError as exc:
            raise PluginError(f"{page.file.src_path}: {exc}") from None

    return PLACEHOLDER.sub(replace, markdown)
