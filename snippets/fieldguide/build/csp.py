"""The Content-Security-Policy of every page: the site's own origin, and hashes for what is inline.

The policy goes into each page as a ``<meta http-equiv>`` tag (a static host
such as GitHub Pages cannot set headers), first in ``<head>``, so it governs
everything after it:

* scripts, styles, fonts, images, workers and ``connect-src`` (fetch, XHR) come
  from ``'self'`` only; Pyodide needs ``'wasm-unsafe-eval'`` to compile its
  WebAssembly;
* inline ``<script>`` and ``<style>`` elements and ``style`` attributes are
  allowed by their SHA-256 hash only (``'unsafe-hashes'`` lets the hashes
  cover attributes: Markdown tables' ``text-align`` and the formulas'
  ``vertical-align``). The hashes are collected over the whole site, so a
  page whose calculator redraws in the browser is covered too;
* ``worker-src`` adds ``blob:``: the Python worker is started from a tiny
  ``blob:`` module that imports the site's worker script, because a worker
  loaded from its own URL takes the policy of its response headers (none on a
  static host) while a ``blob:`` worker inherits the page's, ``connect-src``
  included: Python's ``pyodide.http.open_url`` and ``js.fetch`` are refused
  off-origin like the page's own ``fetch``.

``mkdocs serve`` injects its live-reload script inline with a new timestamp
on every response, which no hash can cover: while serving, scripts also get
``'unsafe-inline'`` (and no hashes, which would switch it off).
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
from collections.abc import Iterable
from pathlib import Path

#: Script types a browser executes (and a CSP governs); JSON data blocks are not scripts.
EXECUTABLE = {None, "", "text/javascript", "application/javascript", "module"}
CHARSET = '<meta charset="utf-8">'


def sha256_source(text: str) -> str:
    """A CSP hash source (the same as `printf %s TEXT | openssl dgst -sha256 -binary | base64`).

    >>> sha256_source("text-align: right;")
    "'sha256-N90MKmRow2DpYEVeqcc3uc8pOUsS4Rg4sNmkau1k0xQ='"
    """
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


class _Inline(html.parser.HTMLParser):
    """Collects the text of inline scripts and styles and the style attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: set[str] = set()
        self.styles: set[str] = set()
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("style") is not None:
            self.styles.add(attributes["style"])
        if tag == "script" and "src" not in attributes and attributes.get("type") in EXECUTABLE:
            self._open = ("script", [])
        elif tag == "style":
            self._open = ("style", [])

    def handle_data(self, data):
        if self._open:
            self._open[1].append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            (self.scripts if tag == "script" else self.styles).add("".join(self._open[1]))
            self._open = None


def inline_sources(pages: Iterable[str]) -> tuple[set[str], set[str]]:
    """(script hashes, style hashes) for everything inline in ``pages``.

    >>> inline_sources(['<p style="text-align: right;">1</p><script>go()</script>'
    ...                 '<script type="application/json">{}</script>'])
    ({"'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='"}, {"'sha256-N90MKmRow2DpYEVeqcc3uc8pOUsS4Rg4sNmkau1k0xQ='"})
    """
    parser = _Inline()
    for page in pages:
        parser.feed(page)
        parser.close()
        parser.reset()
    return {sha256_source(s) for s in parser.scripts}, {sha256_source(s) for s in parser.styles}


def policy(scripts: Iterable[str] = (), styles: Iterable[str] = (), *, serving: bool = False) -> str:
    """The policy text.

    >>> print(policy(["'sha256-A'"], ["'sha256-B'"]).replace("; ", ";\\n"))
    default-src 'none';
    script-src 'self' 'wasm-unsafe-eval' 'sha256-A';
    style-src 'self' 'unsafe-hashes' 'sha256-B';
    img-src 'self' data:;
    font-src 'self';
    connect-src 'self';
    worker-src 'self' blob:;
    manifest-src 'self';
    base-uri 'self';
    form-action 'self'
    """
    script_src = ["'self'", "'wasm-unsafe-eval'"] + (["'unsafe-inline'"] if serving else sorted(scripts))
    directives = {
        "default-src": ["'none'"],
        "script-src": script_src,
        "style-src": ["'self'", "'unsafe-hashes'", *sorted(styles)],
        # Material's icons are data: SVGs in its style sheet.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "manifest-src": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def with_policy(page_html: str, text: str) -> str:
    """The page with its policy right after ``<meta charset>``, before any script or style.

    >>> print(with_policy('<head><meta charset="utf-8"><script src="a.js"></script>', "default-src 'none'"))
    <head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><script src="a.js"></script>
    """
    if CHARSET not in page_html:
        raise ValueError(f"the page has no {CHARSET} to put its Content-Security-Policy after")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{text}">'
    return page_html.replace(CHARSET, CHARSET + meta, 1)


def apply_to_site(site_dir: Path, *, serving: bool = False) -> str:
    """Put one site-wide policy into every HTML page of the built site; return it."""
    pages = sorted(site_dir.rglob("*.html"))
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    scripts, styles = inline_sources(texts.values())
    text = policy(scripts, styles, serving=serving)
    for page, page_html in texts.items():
        if CHARSET in page_html:  # a page; not a fragment such as a sitemap stub
            page.write_text(with_policy(page_html, text), encoding="utf-8")
    return text
