"""Case-study notebooks (mkdocs-jupyter): their page fragment made light and CSP-clean.

nbconvert's template puts into each notebook page about 600 KB of inline CSS
(JupyterLab's theme and Pygments), a MathJax 2 configuration script, an empty
``<script src="">`` and a Mermaid loader that imports from a CDN. Here:

* the style blocks move into one style sheet for all notebooks, linked from
  the page (:func:`strip_page_styles`, :func:`link_stylesheet`);
* the MathJax, Mermaid and empty scripts are removed (formulas are typeset
  at build time, and there are no Mermaid diagrams);
* what is left inline (the copy button's script) is hashed by the CSP.
"""

from __future__ import annotations

import hashlib
import re

STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)
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


def stylesheet(styles: list[str]) -> tuple[str, str]:
    """The notebooks' style sheet and its hashed file name (under assets/notebook/).

    >>> stylesheet(["a{}", "b{}"])
    ('notebook.5434887e65a2.css', 'a{}\\nb{}\\n')
    """
    text = "".join(css.strip() + "\n" for css in styles)
    return f"notebook.{hashlib.sha256(text.encode()).hexdigest()[:12]}.css", text


def link_stylesheet(page_html: str, href: str) -> str:
    """Link the style sheet just before the notebook, inside the content.

    Inside, not in ``<head>``: Material's instant navigation swaps the content,
    so the link comes along when a reader arrives from another page.
    """
    return page_html.replace(WRAPPER, f'<link rel="stylesheet" href="{href}">{WRAPPER}', 1)
