"""The ``pycell``, ``calculator`` and ``practice`` fences: run at build time, written into the HTML.

A ``pycell`` fence holds a page cell (usually an ``--8<--`` include of a named
section of ``snippets/pages/<page>.py``). The build runs it with
:func:`fieldguide.cells.run_cell` and writes the code and what it printed; the
browser script turns the block into an editor with Run, Stop and Reset, and
without JavaScript it stays a static code block with its real output.

A ``calculator`` fence holds a calculator's ID and renders its form and its
result for the default values.

A ``practice`` fence holds ``questions``, ``set`` or ``key``: the practice
page's questions for the default seed, its printed set or the set's answer
key (:mod:`fieldguide.practice_page`).
"""

from __future__ import annotations

import html

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pymdownx.superfences import SuperFencesException

from fieldguide.calculators import get_calculator, render, render_form_html
from fieldguide.cells import display_text, run_cell
from fieldguide.practice_page import render_fence

#: The browser's time limit for a cell, in seconds, unless its fence says ``timeout="N"``.
DEFAULT_TIMEOUT_S = 10


def validate_cell(language, inputs, options, attrs, md) -> bool:
    """Accept ``timeout="N"`` (seconds), ``raises="ErrorType"`` and ``fold="summary"``
    (a secondary cell, folded away under that summary) on a pycell fence.

    >>> options = {}
    >>> validate_cell("pycell", {"timeout": "30", "raises": "ValueError"}, options, {}, None)
    True
    >>> options
    {'timeout': 30, 'raises': 'ValueError'}
    >>> validate_cell("pycell", {"timeout": "0"}, {}, {}, None)
    False
    """
    for key, value in inputs.items():
        if key == "timeout" and value.isdigit() and int(value) > 0:
            options[key] = int(value)
        elif key == "fold" and value.strip():
            options[key] = value.strip()
        elif key == "raises" and value.isidentifier():
            options[key] = value
        else:
            return False
    return True


def format_cell(source, language, css_class, options, md, **kwargs) -> str:
    """Run the cell now and emit its code and build-time output.

    A cell that raises stops the build, unless the fence names that error in
    ``raises``; one that was expected to raise and did not stops it too.

    >>> html_out = format_cell("print(6 * 7)", "pycell", "pycell", {"timeout": 30}, None)
    >>> html_out[:58]
    '<div class="live-cell" data-live-cell data-timeout-s="30">'
    >>> html_out[html_out.index('<pre class="cell-output"'):]
    '<pre class="cell-output" data-output data-state="static">42</pre></div>'
    """
    result = run_cell(source)
    expected = options.get("raises")
    error = result["error"]
    if expected:
        if not error or not error.startswith(expected + ":"):
            raise SuperFencesException(
                f"cell was expected to raise {expected}, got {error or 'no error'}:\n{source}"
            )
    elif error:
        raise SuperFencesException(f"cell failed at build time with {error}:\n{source}")
    code = highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))
    timeout = options.get("timeout", DEFAULT_TIMEOUT_S)
    state = "error" if error else "static"
    cell = (
        f'<div class="live-cell" data-live-cell data-timeout-s="{timeout}">'
        f'<div class="highlight"><pre><code class="language-python">{code}</code></pre></div>'
        f'<pre class="cell-output" data-output data-state="{state}">'
        f"{html.escape(display_text(result))}</pre>"
        "</div>"
    )
    return fold(cell, options.get("fold"))


def fold(cell: str, summary: str | None) -> str:
    """A secondary cell folded away under ``summary`` (the PDF prints it open).

    >>> fold("<div>cell</div>", "The same for Llama-3.1-8B")
    '<details class="cell-fold"><summary>The same for Llama-3.1-8B</summary><div>cell</div></details>'
    >>> fold("<div>cell</div>", None)
    '<div>cell</div>'
    """
    if not summary:
        return cell
    return f'<details class="cell-fold"><summary>{html.escape(summary)}</summary>{cell}</details>'


def format_calculator(source, language, css_class, options, md, **kwargs) -> str:
    """A calculator form with its build-time result (fence body: the calculator's ID)."""
    name = source.strip()
    try:
        calc = get_calculator(name)
        result = render(name, {})
    except ValueError as exc:
        raise SuperFencesException(f"calculator {name!r}: {exc}") from exc
    return (
        f'<div class="calculator" data-calculator="{html.escape(calc.id)}"'
        f' data-long-running="{int(calc.long_running)}">'
        f'<p class="calc-title">{html.escape(calc.title)}</p>'
        f"{render_form_html(name)}"
        '<div class="calc-status" data-calc-status aria-live="polite"></div>'
        f'<div class="calc-result" data-calc-result data-state="static">{result}</div>'
        "</div>"
    )


def format_practice(source, language, css_class, options, md, **kwargs) -> str:
    """The practice page's questions, printed set or answer key (fieldguide.practice_page)."""
    try:
        return render_fence(source)
    except ValueError as exc:
        raise SuperFencesException(f"practice fence: {exc}") from exc


def register(mdx_configs: dict) -> None:
    """Add the fences to pymdownx.superfences' ``custom_fences`` (once).

    >>> configs = {}
    >>> register(configs); register(configs)
    >>> [fence["name"] for fence in configs["pymdownx.superfences"]["custom_fences"]]
    ['pycell', 'calculator', 'practice']
    """
    fences = mdx_configs.setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
    if any(fence.get("name") == "pycell" for fence in fences):
        return
    fences.append(
        {"name": "pycell", "class": "pycell", "format": format_cell, "validator": validate_cell}
    )
    fences.append({"name": "calculator", "class": "calculator", "format": format_calculator})
    fences.append({"name": "practice", "class": "practice", "format": format_practice})
