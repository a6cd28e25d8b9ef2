"""The whole guide as one offline PDF: ``make pdf`` (or ``python tools/pdf.py``).

Steps, each a separate stage so that a PDF problem never breaks the site build:

1. Build the site once more with ``mkdocs.pdf.yml`` (``mkdocs.yml`` plus
   mkdocs-print-site-plugin, which writes every page into ``print_page/``) into
   ``build/pdf-site``. MkDocs replaces lists on ``INHERIT``, so the build uses
   mkdocs.yml's plugins followed by mkdocs.pdf.yml's (print-site last).
2. Copy the Paged.js polyfill (npm ``pagedjs``) and ``web/pdf/print.css`` into
   that folder; point the print page's protocol-relative asset URLs at the site.
3. Serve the folder on 127.0.0.1 (a free port), open ``print_page/`` in headless
   Debian Chromium through Playwright, keep the build-time cells static (the
   live-cell script is replaced by an empty module), print every ``<details>``
   open (as the admonition it looks like), drop buttons and permalinks, move
   the practice set's answer key to the end, wait
   for the self-hosted fonts (formulas are SVG already, typeset at build time),
   and let Paged.js lay out the pages,
   their "page x / y" footers and the contents' page numbers.
4. Print with ``outline=True, tagged=True`` (PDF bookmarks, internal links).

Every request the browser makes is recorded at the context level (workers
included); anything outside 127.0.0.1 is refused and fails the run. The list,
with the version, date and page count, is written next to the PDF
(``<name>.build.json``; ``record_path()``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mkdocs.pdf.yml"
PARENT_CONFIG = ROOT / "mkdocs.yml"
DEFAULT_OUTPUT = ROOT / "dist" / "llm-serving-field-guide.pdf"
DEFAULT_SITE_DIR = ROOT / "build" / "pdf-site"
PAGEDJS = ROOT / "node_modules" / "pagedjs" / "dist" / "paged.polyfill.js"
PRINT_CSS = ROOT / "web" / "pdf" / "print.css"
PRINT_PAGE = "print_page/index.html"

CHROMIUM = "/usr/bin/chromium"
# The browser tests (tests/conftest.py) launch Chromium with these flags too.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: How long laying out and printing may take on a quiet two-core machine (about a minute).
LAYOUT_TIMEOUT_MS = 240_000


def load_per_core() -> float:
    """The machine's 1-minute load per CPU core, at least 1 (1 where the system keeps no
    load average): how many times slower than a quiet machine work runs here.

    >>> load_per_core() >= 1.0
    True
    """
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:                 # no load average on this system
        load = 1.0
    return max(1.0, load)


def layout_timeout_ms() -> int:
    """:data:`LAYOUT_TIMEOUT_MS` times :func:`load_per_core`: a machine busy with other
    work lays the pages out that much slower (the tests print the PDF beside the browser
    tests), and slower must not mean failed.

    >>> layout_timeout_ms() >= LAYOUT_TIMEOUT_MS
    True
    """
    return round(LAYOUT_TIMEOUT_MS * load_per_core())
MATERIAL_BUNDLE = re.compile(r"/assets/javascripts/bundle\.[0-9a-f]+\.min\.js$")


class PdfError(RuntimeError):
    """The PDF could not be made; the message says why."""


def say(message: str) -> None:
    print(f"[pdf] {message}", flush=True)


# --------------------------------------------------------------------------- metadata


def git_version() -> str:
    """``git describe --tags --always`` of the working tree, or "unknown" outside git."""
    try:
        proc = subprocess.run(
            ["git", "describe", "--tags", "--always"],
            cwd=ROOT, capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "unknown"


def build_date() -> str:
    """Today (UTC), or SOURCE_DATE_EPOCH's date for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        if epoch
        else dt.datetime.now(dt.timezone.utc)
    )
    return when.date().isoformat()


# --------------------------------------------------------------------------- site


def merged_plugins() -> list:
    """mkdocs.yml's plugins, then mkdocs.pdf.yml's (INHERIT would replace the list)."""
    from mkdocs.utils.yaml import yaml_load

    with open(PARENT_CONFIG, "rb") as fd:
        parent = yaml_load(fd).get("plugins") or []
    with open(CONFIG, "rb") as fd:
        child = yaml_load(fd).get("plugins") or []

    def name(entry) -> str:
        return entry if isinstance(entry, str) else next(iter(entry))

    child_names = {name(entry) for entry in child}
    return [entry for entry in parent if name(entry) not in child_names] + child


def build_print_site(site_dir: Path, site_url: str, version: str, date: str):
    """``mkdocs build --strict`` with mkdocs.pdf.yml into ``site_dir``; returns the config."""
    from mkdocs.commands import build
    from mkdocs.config import load_config

    logger = logging.getLogger("mkdocs")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s - %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
    os.environ["SITE_URL"] = site_url
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    cfg = load_config(
        str(CONFIG), plugins=merged_plugins(), site_dir=str(site_dir), site_url=site_url
    )
    cfg.extra["pdf"] = {"version": version, "date": date}
    cfg.plugins.on_startup(command="build", dirty=False)
    try:
        build.build(cfg, dirty=False)
    finally:
        cfg.plugins.on_shutdown()
    if not (site_dir / PRINT_PAGE).exists():
        raise PdfError(f"the print-site plugin wrote no {PRINT_PAGE} in {site_dir}")
    return cfg


_PROTOCOL_RELATIVE = re.compile(r'(\s(?:src|href|data-[\w-]+)=")//(?!/)([^"?#]+)([^"]*)"')


def fix_print_page(site_dir: Path) -> int:
    """Point protocol-relative asset URLs (``//assets/...``) at the site; returns how many.

    The print page is rendered with the 404 page's template context, where
    ``{{ base_url }}/x`` gives ``//x``: a request to a host named after the first
    folder. The plugin fixes this in <head> only; this fixes the rest, for any
    path that exists in the site.
    """
    page = site_dir / PRINT_PAGE
    text = page.read_text(encoding="utf-8")
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if not (site_dir / match.group(2)).exists():
            return match.group(0)
        count += 1
        return f'{match.group(1)}../{match.group(2)}{match.group(3)}"'

    page.write_text(_PROTOCOL_RELATIVE.sub(replace, text), encoding="utf-8")
    return count


#: The home page's title in print: the book's own title is on the cover.
FIRST_CHAPTER = "About this guide"


def retitle_first_chapter(site_dir: Path, book_title: str) -> bool:
    """Call the home page "About this guide" in the print page (it is chapter 1
    there, and the book's title is on the cover); True if it was retitled. The
    title's text is compared without markup (the glossary wraps "LLM" in <abbr>).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "print_page").mkdir()
    >>> _ = (d / PRINT_PAGE).write_text('<h1>Menu</h1><div id="print-site-page"><h1 id="a">'
    ...                                 '<abbr title="x">G</abbr> Book<a class="headerlink">¶</a></h1>')
    >>> retitle_first_chapter(d, "G Book"), (d / PRINT_PAGE).read_text()[-59:]
    (True, '<h1 id="a">About this guide<a class="headerlink">¶</a></h1>')
    """
    page = site_dir / PRINT_PAGE
    text = page.read_text(encoding="utf-8")
    start = text.find('id="print-site-page"')
    heading = re.compile(r"(<h1\b[^>]*>)(.*?)(?=<a class=\"headerlink\"|</h1>)", re.S)
    for match in heading.finditer(text, max(start, 0)) if start >= 0 else ():
        if " ".join(re.sub(r"<[^>]+>", "", match.group(2)).split()) == book_title:
            page.write_text(text[:match.start()] + match.group(1) + FIRST_CHAPTER
                            + text[match.end():], encoding="utf-8")
            return True
    return False


def add_print_assets(site_dir: Path) -> None:
    if not PAGEDJS.exists():
        raise PdfError(f"{PAGEDJS.relative_to(ROOT)} is missing: run `npm ci` (make deps)")
    dst = site_dir / "assets" / "pdf"
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PAGEDJS, dst / "paged.polyfill.js")
    shutil.copy2(PRINT_CSS, dst / "print.css")


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",  # the Pyodide worker fetches the wheels (browser tests)
        ".woff2": "font/woff2",
    }

    def log_message(self, *args):  # keep the tool's and the tests' output readable
        pass


@contextmanager
def serve(site_dir: Path, port: int):
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- browser

# Runs in the print page once it has loaded: opens drill answers, drops the
# interactive chrome, checks the cells kept their static code, and leaves only
# the print content in <body> (Material's flex layout does not paginate).
PREPARE_JS = """
async (docTitle) => {
  const KEEP_CELL_LINES = 40;
  const FOOTNOTE_TAIL = 8;
  // Print wording for sentences written for the screen (matched on a
  // paragraph's text, so "press <strong>Run</strong>" is found too).
  const PRINT_WORDING = [
    [/press\\s+Run(?:\\s+or\\s+Ctrl\\s*\\+\\s*Enter)?/gi, "run it"],
    [/in\\s+your\\s+browser/gi, "in a browser, on the guide's website"],
  ];
  const SCREEN_WORDING = /press\\s+Run|in\\s+your\\s+browser/i;
  await document.fonts.ready;
  const root = document.querySelector("#print-site-page");
  if (!root) throw new Error("no #print-site-page in the print page");
  if (!document.querySelector("#print-page-toc nav ul")) {
    throw new Error("the print-site table of contents was not generated");
  }
  // Drill answers print open. A <details> split across pages would repeat a
  // default "Details" summary on the next page, so each becomes the admonition
  // it looks like (Material styles both alike).
  const details = [...root.querySelectorAll("details")];
  for (const element of details.reverse()) {
    const box = document.createElement("div");
    box.className = `admonition ${element.className} pdf-details`.trim();
    for (const child of [...element.childNodes]) {
      if (child.nodeName === "SUMMARY") {
        const title = document.createElement("p");
        title.className = "admonition-title";
        title.append(...child.childNodes);
        box.append(title);
      } else {
        box.append(child);
      }
    }
    element.replaceWith(box);
  }
  // Links within the print page must read "#id" (Paged.js resolves
  // target-counter() with the raw attribute, and scripts may make links absolute).
  const here = location.href.split("#")[0];
  for (const link of root.querySelectorAll("a[href]")) {
    const [target, hash] = link.href.split("#");
    if (target === here && hash) link.setAttribute("href", "#" + hash);
  }
  root.querySelectorAll(
    ".headerlink, .anchor-link, .md-clipboard, .md-code__nav, .cell-toolbar, .cell-status, " +
    "button, .zeroclipboard-container, .clipboard-copy-txt, script"
  ).forEach((el) => el.remove());
  // Calculator controls print as the values the build-time results were computed for.
  for (const control of root.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const value = document.createElement("span");
    value.className = "pdf-control-value";
    value.textContent =
      control.tagName === "SELECT" ? (control.selectedOptions[0] || {}).textContent || "" :
      control.type === "checkbox" || control.type === "radio" ? (control.checked ? "yes" : "no") :
      control.value;
    control.replaceWith(value);
  }
  root.querySelectorAll("input[type=hidden]").forEach((el) => el.remove());
  // The practice page's answer key prints after every chapter, before the
  // reference chapters the book ends on (the last top-level section).
  const parts = root.querySelectorAll(":scope > section.print-page");
  const reference = parts.length ? parts[parts.length - 1] : null;
  for (const key of root.querySelectorAll(".practice-key")) {
    if (reference) reference.before(key); else root.append(key);
  }
  // Screen-only wording (live-cell tips, "press Run") leaves; phrases that
  // name the browser say where the live version is instead.
  root.querySelectorAll(".screen-only").forEach((el) => el.remove());
  const reword = (text) => PRINT_WORDING.reduce((t, [pattern, by]) => t.replace(pattern, by), text);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = reword(node.nodeValue);
    if (text !== node.nodeValue) node.nodeValue = text;
  }
  // What spans inline markup ("press <strong>Run</strong>") is reworded as plain text.
  for (const block of root.querySelectorAll("p, li, .admonition-title")) {
    if (block.querySelector("p, li") || !SCREEN_WORDING.test(block.textContent)) continue;
    block.textContent = reword(block.textContent.replace(/\\s+/g, " ").trim());
  }
  for (const title of root.querySelectorAll(".admonition-title")) {
    if (title.textContent.trim() === "Live cells") title.textContent = "The code on these pages";
  }
  // A chapter's footnotes never end on a page of their own: the last few go
  // with the ones before them (Paged.js breaks before the item ahead instead).
  for (const list of root.querySelectorAll(".footnote > ol")) {
    [...list.children].slice(-FOOTNOTE_TAIL).forEach((item) => item.classList.add("pdf-with-previous"));
    // A short list moves to the next page whole rather than leave its tail alone there.
    if (list.children.length <= FOOTNOTE_TAIL) list.classList.add("pdf-keep-list");
  }
  // A short cell stays on one page with its output (a long one may break).
  for (const cell of root.querySelectorAll(".live-cell")) {
    const lines = (cell.textContent.match(/\\n/g) || []).length;
    if (lines <= KEEP_CELL_LINES) cell.classList.add("pdf-keep");
  }
  // Footnote back-links: "↩" is outside the self-hosted font subsets; "↑" is in them.
  for (const link of root.querySelectorAll("a.footnote-backref")) link.textContent = "\u2191";
  // A page whose title sits inside other markup: number it like the other
  // chapters (print-site numbers only an <h1> that is a direct child).
  for (const section of root.querySelectorAll("section.print-page[heading-number]")) {
    if (section.querySelector(":scope > h1")) continue;
    const heading = section.querySelector("h1");
    if (heading) heading.dataset.pdfNumber = section.getAttribute("heading-number");
  }
  const cells = [...root.querySelectorAll(".live-cell")];
  const broken = cells.filter(
    (cell) => !cell.querySelector(".highlight code") || !cell.querySelector("pre.cell-output")
  );
  if (broken.length) {
    throw new Error(`${broken.length} live cells lost their static code or output`);
  }
  const article = root.closest("article") || root.parentElement;
  article.classList.add("md-typeset", "pdf-article");
  // print-site's heading numbers select by id: Paged.js must rewrite them to
  // follow a chapter onto its next pages (a continued element loses its id),
  // and it only rewrites <head> styles. Notebook styles (class selectors only,
  // some too odd for Paged.js's parser) stay in the content, once each.
  for (const style of article.querySelectorAll(":scope > style")) document.head.append(style);
  const seen = new Set();
  for (const style of article.querySelectorAll("style")) {
    if (seen.has(style.textContent)) style.remove();
    seen.add(style.textContent);
  }
  document.body.replaceChildren(article);
  document.title = docTitle;
  document.body.removeAttribute("data-md-scrolllock");
  return {cells: cells.length, details: details.length};
}
"""

# Loads Paged.js (no auto-run) and print.css, lays the pages out, reports progress.
PAGINATE_JS = """
async ({polyfill, css}) => {
  window.PagedConfig = {auto: false};
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = css;
  document.head.append(link);
  await new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = polyfill;
    script.onload = resolve;
    script.onerror = () => reject(new Error("could not load " + polyfill));
    document.head.append(script);
  });
  class Progress extends Paged.Handler {
    afterPageLayout(pageElement, page) {
      if (page.position % 10 === 9) console.log("pdf-progress " + (page.position + 1));
    }
  }
  Paged.registerHandlers(Progress);
  const flow = await window.PagedPolyfill.preview();
  await document.fonts.ready;
  const fonts = [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family);
  return {pages: flow.total, ms: Math.round(flow.performance), fonts: [...new Set(fonts)]};
}
"""


def print_pdf(base_url: str, output: Path, cells_js: str | None, title: str) -> dict:
    """Open the print page, paginate it with Paged.js and print it; returns facts."""
    from playwright.sync_api import Error as PlaywrightError, sync_playwright

    if not Path(CHROMIUM).exists():
        raise PdfError(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    facts: dict = {"requests": [], "refused": [], "console_errors": []}

    def stubbed(path: str) -> bool:
        # The live-cell runtime would swap code for editors and boot Pyodide (the
        # PDF keeps the build-time code and output); Material's own script only
        # drives navigation, search and the palette, none of which prints.
        return (bool(cells_js) and path == "/" + cells_js) or bool(MATERIAL_BUNDLE.search(path))

    def route(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob") and parts.hostname != "127.0.0.1":
            facts["refused"].append(url)
            route.abort()
        elif stubbed(parts.path):
            route.fulfill(status=200, content_type="text/javascript",
                          body="// not needed in the PDF (tools/pdf.py)\n")
        else:
            route.continue_()

    def console(msg):
        if msg.text.startswith("pdf-progress "):
            say(f"  laid out {msg.text.split()[1]} pages")
        elif msg.type == "error":
            facts["console_errors"].append(msg.text)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 1600})
            # Context level: a worker's requests would be seen too.
            context.on("request", lambda request: facts["requests"].append(request.url))
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", console)
            page.on("pageerror", lambda exc: facts["console_errors"].append(f"page error: {exc}"))
            page.set_default_timeout(layout_timeout_ms())

            started = time.monotonic()
            page.goto(base_url + "print_page/", wait_until="load")
            prepared = page.evaluate(PREPARE_JS, title)
            say(f"print page loaded ({prepared['cells']} cells, {prepared['details']} "
                f"details opened) in {time.monotonic() - started:.1f} s; paginating with Paged.js")

            started = time.monotonic()
            laid_out = page.evaluate(
                PAGINATE_JS,
                {"polyfill": base_url + "assets/pdf/paged.polyfill.js",
                 "css": base_url + "assets/pdf/print.css"},
            )
            missing = {"Inter", "JetBrains Mono"} - set(laid_out["fonts"])
            if missing:
                raise PdfError(f"the self-hosted fonts did not load: {', '.join(sorted(missing))}")
            say(f"{laid_out['pages']} pages laid out in {time.monotonic() - started:.1f} s; "
                "printing")

            started = time.monotonic()
            output.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(output), prefer_css_page_size=True, print_background=True,
                     outline=True, tagged=True)
            say(f"printed in {time.monotonic() - started:.1f} s")
            context.close()
        except PlaywrightError as exc:
            raise PdfError(f"the browser failed: {exc.message}") from None
        finally:
            browser.close()
    facts.update(pages=laid_out["pages"], fonts=laid_out["fonts"])
    return facts


# --------------------------------------------------------------------------- main


def record_path(output: Path) -> Path:
    """The build record written next to ``output``: version, date, pages, every request."""
    return output.with_name(output.stem + ".build.json")


def make_pdf(output: Path = DEFAULT_OUTPUT, site_dir: Path = DEFAULT_SITE_DIR) -> dict:
    """Build the print site and print it to ``output``; returns what happened."""
    output = Path(output).resolve()
    site_dir = Path(site_dir).resolve()
    started = time.monotonic()
    port = free_port()
    site_url = f"http://127.0.0.1:{port}/"
    version, date = git_version(), build_date()
    say(f"building the print site into {site_dir} (version {version}, {date})")
    step = time.monotonic()
    cfg = build_print_site(site_dir, site_url, version, date)
    fixed = fix_print_page(site_dir)
    if not retitle_first_chapter(site_dir, cfg.site_name):
        raise PdfError(f"the print page has no <h1> {cfg.site_name!r} to call {FIRST_CHAPTER!r}")
    add_print_assets(site_dir)
    say(f"print site built in {time.monotonic() - step:.1f} s"
        + (f" ({fixed} protocol-relative URLs pointed at the site)" if fixed else ""))
    cells_js = (cfg.extra.get("live") or {}).get("cells_js", "").split("?")[0] or None
    with serve(site_dir, port) as base_url:
        facts = print_pdf(base_url, output, cells_js, cfg.site_name)
    facts.update(
        pdf=str(output),
        bytes=output.stat().st_size,
        seconds=round(time.monotonic() - started, 1),
        version=version,
        date=date,
    )
    record = {key: facts[key] for key in ("version", "date", "pages", "bytes", "seconds")}
    record.update(requests=facts["requests"], refused=facts["refused"])
    record_path(output).write_text(json.dumps(record, indent=1) + "\n")
    if facts["refused"]:
        output.unlink()   # no PDF that looks fine from a run that was not offline
        raise PdfError(
            "the print page asked for addresses outside 127.0.0.1 (refused): "
            + ", ".join(sorted(set(facts["refused"])))
        )
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"the PDF to write (default: {DEFAULT_OUTPUT.relative_to(ROOT)})")
    parser.add_argument("--site-dir", type=Path, default=DEFAULT_SITE_DIR,
                        help=f"where to build the print site (default: "
                             f"{DEFAULT_SITE_DIR.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    from mkdocs.exceptions import MkDocsException

    try:
        facts = make_pdf(args.output, args.site_dir)
    except MkDocsException as exc:   # Abort is a SystemExit: say why before leaving
        say(f"error: the print site did not build: {exc}")
        return 1
    except PdfError as exc:
        say(f"error: {exc}")
        return 1
    for error in facts["console_errors"]:
        say(f"browser console: {error}")
    say(f"wrote {facts['pdf']}: {facts['pages']} pages, {facts['bytes'] / 1e6:.1f} MB, "
        f"{facts['seconds']} s, {len(facts['requests'])} requests, all to 127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
