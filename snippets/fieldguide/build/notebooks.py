"""Case-study notebooks (mkdocs-jupyter): their page fragment made light and CSP-clean.

nbconvert's template puts into each notebook page about 600 KB of inline CSS
(JupyterLab's theme and Pygments), a MathJax 2 configuration script, an empty
``<script src="">`` and a Mermaid loader that imports from a CDN. Here:

* the style blocks move into one style sheet for all notebooks, linked from
  the page (:func:`strip_page_styles`, :func:`link_stylesheet`), without the
  rules for classes no notebook uses and the custom properties nothing reads
  (:func:`prune_css`, :func:`prune_variables`: JupyterLab's whole interface
  is in there);
* the MathJax, Mermaid and empty scripts are removed (formulas are typeset
  at build time, and there are no Mermaid diagrams);
* what is left inline (the copy button's script) is hashed by the CSP.
"""

from __future__ import annotations

import hashlib
import re

STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)
CLASS_ATTR = re.compile(r'\sclass="([^"]*)"')
SELECTOR_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
COMMENT = re.compile(r"/\*.*?\*/", re.S)
DROP = [
    re.compile(r'<script src="">\s*</script>\s*'),
    re.compile(r"<!-- MathJax configuration -->.*?<!-- End of mathjax configuration -->\s*", re.S),
    re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{'
               r'\s*const diagrams = document\.querySelectorAll\("\.jp-Mermaid.*?</script>\s*', re.S),
]
WRAPPER = '<div class="jupyter-wrapper">'


def is_notebook(fragment: str) -> bool:
    """Whether a page's HTML holds a rendered notebook."""
    return WRAPPER in fragment


def strip_page_styles(fragment: str, styles: list[str]) -> str:
    """A notebook fragment without its style blocks and unused scripts.

    The style blocks' text is appended to ``styles`` (once each), in order.

    >>> styles = []
    >>> page = ('<style>pre { x }</style><script src=""> </script>'
    ...         '<div class="jupyter-wrapper">cells</div>')
    >>> strip_page_styles(page, styles), styles
    ('<div class="jupyter-wrapper">cells</div>', ['pre { x }'])
    """
    for css in STYLE.findall(fragment):
        if css not in styles:
            styles.append(css)
    fragment = STYLE.sub("", fragment)
    for pattern in DROP:
        fragment = pattern.sub("", fragment)
    return fragment


def classes(fragment: str) -> set[str]:
    """Every class name an HTML fragment uses.

    >>> sorted(classes('<div class="jp-Cell jp-CodeCell"><span class="n">x</span></div>'))
    ['jp-Cell', 'jp-CodeCell', 'n']
    """
    return {name for value in CLASS_ATTR.findall(fragment) for name in value.split()}


def _blocks(css: str):
    """Top-level (prelude, body) pairs; a statement such as ``@charset`` has body None."""
    i, n = 0, len(css)
    while i < n:
        start, depth, quote = i, 0, ""
        while i < n:
            ch = css[i]
            if quote:
                quote = "" if ch == quote and css[i - 1] != "\\" else quote
            elif ch in "\"'":
                quote = ch
            elif ch == ";" and depth == 0:
                yield css[start:i + 1].strip(), None
                i += 1
                break
            elif ch == "{":
                if depth == 0:
                    body_start = i + 1
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    yield css[start:body_start - 1].strip(), css[body_start:i]
                    i += 1
                    break
            i += 1
        else:
            return


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(prelude):
        depth += (ch in "([") - (ch in ")]")
        if ch == "," and depth == 0:
            parts.append(prelude[start:i].strip())
            start = i + 1
    return parts + [prelude[start:].strip()]


def prune_css(css: str, used: set[str]) -> str:
    """``css`` without the selectors that name a class not in ``used`` (nor rules left empty).

    At-rules other than ``@media`` and ``@supports`` (keyframes, fonts) stay.

    >>> print(prune_css(".a .b, .c{x:1} .d{y:2} @media print{.a{z:3}.e{w:4}} @keyframes k{0%{o:0}}",
    ...                 {"a", "b"}))
    .a .b{x:1}
    @media print{.a{z:3}}
    @keyframes k{0%{o:0}}
    """
    out = []
    for prelude, body in _blocks(COMMENT.sub("", css)):
        if body is None:
            out.append(prelude)
        elif prelude.startswith(("@media", "@supports")):
            inner = prune_css(body, used)
            if inner:
                out.append(f"{prelude}{{{inner.replace(chr(10), '')}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")
        else:
            kept = [s for s in _split_selectors(prelude) if set(SELECTOR_CLASS.findall(s)) <= used]
            if kept:
                out.append(f"{','.join(kept)}{{{body.strip()}}}")
    return "\n".join(out)


VAR_USE = re.compile(r"var\(\s*(--[\w-]+)")


def _declarations(body: str) -> list[str]:
    """A rule body's declarations, split at ``;`` outside strings and parentheses."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(body):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        else:
            depth += (ch == "(") - (ch == ")")
            if ch == ";" and depth == 0:
                parts.append(body[start:i].strip())
                start = i + 1
    return [p for p in parts + [body[start:].strip()] if p]


def _drop_unread(css: str, read: set[str]) -> str:
    out = []
    for prelude, body in _blocks(css):
        if body is None:
            out.append(prelude)
        elif prelude.startswith(("@media", "@supports")):
            out.append(f"{prelude}{{{_drop_unread(body, read)}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")
        else:
            kept = [d for d in _declarations(body)
                    if not d.startswith("--") or d.split(":", 1)[0].strip() in read]
            if kept:
                out.append(f"{prelude}{{{';'.join(kept)}}}")
    return "\n".join(out)


def prune_variables(css: str) -> str:
    """``css`` without the custom properties (``--name: ...``) that no ``var()`` reads.

    >>> print(prune_variables(":root{--a:1;--b:var(--c);--c:2;--d:url('x;y')} p{color:var(--b)}"))
    :root{--b:var(--c);--c:2}
    p{color:var(--b)}
    """
    while True:
        pruned = _drop_unread(css, set(VAR_USE.findall(css)))
        if pruned == css:
            return css
        css = pruned


def stylesheet(styles: list[str], used: set[str] | None = None) -> tuple[str, str]:
    """The notebooks' style sheet (pruned to ``used`` classes) and its file name,
    which carries the first 12 hex digits of its SHA-256.

    >>> stylesheet(["a{x:1}", ".b{y:2} .c{z:3}"], {"b"})
    ('notebook.fb816eb92b4d.css', 'a{x:1}\\n.b{y:2}\\n')
    """
    text = "".join(css.strip() + "\n" for css in styles)
    if used is not None:
        text = prune_variables("\n".join(prune_css(css, used) for css in styles)) + "\n"
    return f"notebook.{hashlib.sha256(text.encode()).hexdigest()[:12]}.css", text


def link_stylesheet(page_html: str, href: str) -> str:
    """Link the style sheet just before the notebook, inside the content.

    Inside, not in ``<head>``: Material's instant navigation swaps the content,
    so the link comes along when a reader arrives from another page.
    """
    return page_html.replace(WRAPPER, f'<link rel="stylesheet" href="{href}">{WRAPPER}', 1)
