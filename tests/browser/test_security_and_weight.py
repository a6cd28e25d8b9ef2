"""Every page in Chromium, cold: its weight, its Content-Security-Policy, and off-origin requests.

The site is served under a sub-path (tests/conftest.py), as on GitHub Pages.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from urllib.parse import urlparse

import pytest

from tests.browser.helpers import BOOT_TIMEOUT_MS, run_and_wait
from tests.browser.tour import BUDGET_BYTES, WATCH_CSP, table, tour
from tests.conftest import SUB_PATH

pytestmark = pytest.mark.browser

RESULT_DONE = '[data-calc-result][data-state="done"]'
WATCH_WORKER_CSP = """() => {
  self.__csp = [];
  self.addEventListener("securitypolicyviolation", (e) => self.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
}"""


@pytest.fixture(scope="module")
def visits(site, browser):
    if site["dir"] is None:
        pytest.fail("the page tour needs the built site (unset GUIDE_SITE_URL)")
    return tour(browser, site["url"], site["dir"])


def test_the_site_is_served_under_a_sub_path(site, visits):
    assert urlparse(site["url"]).path == "/" + SUB_PATH
    assert len(visits) >= 20
    assert [v for v in visits if v.outside] == [], "requests outside the site (or its sub-path)"


def test_every_page_stays_within_the_weight_budget(visits):
    worst = max(visits, key=lambda v: v.bytes)
    assert worst.bytes <= BUDGET_BYTES, (
        f"/{worst.path} downloads {worst.bytes:,} B gzip in its first 5 s "
        f"(budget {BUDGET_BYTES:,} B):\n{table(visits)}"
    )


def test_no_python_and_no_math_script_before_the_reader_asks(visits):
    assert {v.path: v.pyodide_bytes for v in visits if v.pyodide_bytes} == {}
    assert {v.path: v.math_scripts for v in visits if v.math_scripts} == {}


def test_no_page_violates_its_content_security_policy(visits):
    assert {v.path: v.violations for v in visits if v.violations} == {}


def test_every_page_carries_the_policy(site):
    pages = sorted(site["dir"].rglob("*.html"))
    missing = [str(p.relative_to(site["dir"])) for p in pages
               if 'http-equiv="Content-Security-Policy"' not in p.read_text(encoding="utf-8")]
    assert pages and missing == []


@contextlib.contextmanager
def other_origin():
    """A server on another port (another origin) that records every request it gets."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(b"leaked")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", hits
    finally:
        server.shutdown()
        server.server_close()


def _python_worker(page):
    (worker,) = [w for w in page.workers if w.url.startswith("blob:")]
    return worker


def test_a_cell_and_a_calculator_run_with_no_violation_and_nothing_leaves_the_origin(site, context):
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    cell.hover()  # intent: Python and the editor start loading
    page.locator("[data-live-cell][data-editor=ready]").first.wait_for(timeout=BOOT_TIMEOUT_MS)
    with other_origin() as (outside, hits):
        # The page itself may not reach another origin ...
        refused = page.evaluate(
            "url => fetch(url).then(() => 'allowed', (err) => 'refused: ' + err.message)",
            outside + "page-fetch",
        )
        assert refused.startswith("refused")
        # ... nor may Python in the worker, by either road out of Pyodide.
        run_and_wait(cell)  # boots the worker
        _python_worker(page).evaluate(WATCH_WORKER_CSP)
        code = (
            "import js\n"
            "from pyodide.http import open_url\n"
            f"try: open_url({outside + 'open-url'!r}); print('open_url: allowed')\n"
            "except Exception: print('open_url: refused')\n"
            f"js.fetch({outside + 'js-fetch'!r})\n"
            "print('js.fetch: sent')\n"
        )
        # Select all, delete, then type: typing over a selection of highlighted
        # code makes Chromium try to keep the first token's colour as a style
        # attribute, which the policy blocks (harmless: CodeMirror redraws the line).
        cell.locator(".cm-content").click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.press("Backspace")
        page.keyboard.insert_text(code)
        shown = run_and_wait(cell)
        page.wait_for_timeout(1000)  # let js.fetch's promise settle
        assert "open_url: refused" in shown and "js.fetch: sent" in shown, shown
        in_worker = _python_worker(page).evaluate("self.__csp")
        assert sorted(v.split()[0] for v in in_worker) == ["connect-src", "connect-src"], in_worker
        assert hits == [], f"requests reached another origin: {hits}"
        # The only violation on the page is the fetch it was asked to make.
        page_violations = page.evaluate("window.__cspViolations")
        assert [v.split(" at ")[0] for v in page_violations] == [f"connect-src {outside}page-fetch"]

    # A calculator recomputes in the browser (pygal's chart included) under the policy.
    page.goto(site["url"] + "calculators/")
    box = page.locator('[data-calculator="kv_fit"]')
    page.fill("#kv_fit-context", "16384")
    box.locator(RESULT_DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert box.locator("svg.pygal-chart").count() >= 1
    assert page.evaluate("window.__cspViolations") == []
