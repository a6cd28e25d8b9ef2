"""A cold-cache visit of every page: what it downloads in its first seconds, and CSP violations.

Shared by the browser tests (tests/browser/test_security_and_weight.py) and
``make bench`` (bench/page_weight.py). Bytes are counted as a static host
serves the built files: gzip-compressed where that makes them smaller
(:func:`fieldguide.build.compress.served_size`), whatever the test server sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from fieldguide.build.compress import served_size

#: The budget: what a reader's browser downloads in the first seconds on a page
#: they do not touch (gzip bytes).
BUDGET_BYTES = 450_000
FIRST_SECONDS = 5.0
VIEWPORT = {"width": 1280, "height": 800}

#: Records CSP violations in the page (a worker's are collected from the worker).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


@dataclass
class Visit:
    """One page's first seconds."""

    path: str                                   # relative to the site, "" for the home page
    bytes: int = 0                              # gzip bytes of everything requested
    files: dict[str, int] = field(default_factory=dict)   # site path -> gzip bytes
    outside: list[str] = field(default_factory=list)      # requests outside the site
    violations: list[str] = field(default_factory=list)

    @property
    def pyodide_bytes(self) -> int:
        return sum(size for path, size in self.files.items() if path.startswith("assets/pyodide/"))

    @property
    def math_scripts(self) -> list[str]:
        return [path for path in self.files if "mathjax" in path.lower()]

    def largest(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.files.items(), key=lambda item: -item[1])[:n]


def site_pages(site_dir: Path) -> list[str]:
    """Every page of the built site, as a path relative to its root ("" is the home page)."""
    pages = []
    for index in sorted(site_dir.rglob("index.html")):
        rel = index.parent.relative_to(site_dir).as_posix()
        if not rel.startswith("assets"):
            pages.append("" if rel == "." else rel + "/")
    return pages + ["404.html"]


def site_file(site_dir: Path, base_url: str, url: str) -> Path | None:
    """The built file a URL of the site names, or None for one outside it."""
    if not url.startswith(base_url):
        return None
    rel = unquote(urlparse(url).path)[len(urlparse(base_url).path):]
    path = site_dir / rel
    return path / "index.html" if rel == "" or rel.endswith("/") else path


#: Pages visited at once. Each keeps only what it requested in its own first
#: seconds, so the tour waits FIRST_SECONDS per batch instead of per page (27
#: pages: 56 s instead of 146 s at load 11-18 on two cores, the same files seen
#: on every page but one, which saw 1.9 KB less of its 237 KB within the 5 s).
AT_ONCE = 4


def _open(browser, base_url: str, path: str):
    """A fresh context (cold cache) on ``path``, recording (time, URL) of each request."""
    context = browser.new_context(viewport=VIEWPORT)
    requests: list[tuple[float, str]] = []
    context.on("request", lambda request: requests.append((time.monotonic(), request.url)))
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    start = time.monotonic()
    page.goto(base_url + path, wait_until="commit")
    return context, page, start, requests


def _record(site_dir: Path, base_url: str, path: str, opened, seconds: float) -> Visit:
    context, page, start, requests = opened
    result = Visit(path)
    seen = [url for at, url in list(requests) if at - start <= seconds]  # its first seconds
    result.violations = page.evaluate("window.__cspViolations || []")
    context.close()
    for url in seen:
        if url.startswith(("data:", "blob:")):
            continue
        file = site_file(site_dir, base_url, url)
        if file is None:
            result.outside.append(url)
        elif file.is_file():
            rel = file.relative_to(site_dir).as_posix()
            result.files[rel] = served_size(file)
    result.bytes = sum(result.files.values())
    return result


def visit(browser, base_url: str, site_dir: Path, path: str, seconds: float = FIRST_SECONDS) -> Visit:
    """Open ``path`` in a fresh context (cold cache), touch nothing, record ``seconds`` of it."""
    return tour(browser, base_url, site_dir, [path], seconds)[0]


def tour(browser, base_url: str, site_dir: Path, paths: list[str] | None = None,
         seconds: float = FIRST_SECONDS) -> list[Visit]:
    """:func:`visit` every page of the site (or ``paths``), :data:`AT_ONCE` at a time."""
    paths = site_pages(site_dir) if paths is None else paths
    visits: list[Visit] = []
    for first in range(0, len(paths), AT_ONCE):
        batch = paths[first:first + AT_ONCE]
        opened = [_open(browser, base_url, path) for path in batch]
        page = opened[-1][1]
        page.wait_for_timeout(max(0.0, seconds - (time.monotonic() - opened[-1][2])) * 1000)
        visits += [_record(site_dir, base_url, path, o, seconds) for path, o in zip(batch, opened)]
    return visits


def table(visits: list[Visit]) -> str:
    """A Markdown table of the visits, heaviest first."""
    rows = ["| Page | First 5 s (gzip) | Pyodide | Largest files |", "| :-- | --: | --: | :-- |"]
    for v in sorted(visits, key=lambda v: -v.bytes):
        largest = ", ".join(f"{Path(p).name} {s / 1000:.0f}" for p, s in v.largest(3))
        rows.append(f"| /{v.path} | {v.bytes / 1000:,.1f} KB | {v.pyodide_bytes:,} B | {largest} |")
    return "\n".join(rows)
