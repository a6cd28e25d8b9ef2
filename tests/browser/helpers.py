"""Playwright helpers shared by the browser tests."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tools.pdf import load_per_core


def _slowdown() -> float:
    """How much slower than a quiet two-core machine this one runs: the
    environment's GUIDE_TEST_SLOWDOWN if set (a number >= 1), else the machine's
    load per core (:func:`tools.pdf.load_per_core`: a shared machine running other
    work boots Pyodide and builds pages that much slower)."""
    text = os.environ.get("GUIDE_TEST_SLOWDOWN", "")
    if not text:
        return load_per_core()
    try:
        return max(1.0, float(text))
    except ValueError:
        raise ValueError(f"GUIDE_TEST_SLOWDOWN must be a number >= 1, got {text!r}") from None


def scaled_ms(quiet_ms: float) -> int:
    """A browser wait sized for a quiet machine, times the slowdown factor;
    never below ``quiet_ms``. Every wait in the browser tests goes through it,
    so a loaded machine waits longer instead of retrying."""
    return round(quiet_ms * _slowdown())


#: The same, under the short name the hostile-run tests use.
scaled = scaled_ms

#: Booting Pyodide in a fresh context: 4-6 s on a quiet machine, allowed 20 times that.
BOOT_TIMEOUT_MS = scaled_ms(120_000)
DONE = '[data-output][data-state="done"], [data-output][data-state="error"]'

# Records the page's main-thread tasks over 50 ms (Chromium's long tasks) in window.longTasks.
WATCH_LONG_TASKS = """() => {
  window.longTasks = [];
  new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
    .observe({ type: "longtask" });
}"""


def wait_for_editor(cell) -> None:
    """Point at a cell (the reader's intent loads the editor and Python), wait for the editor."""
    cell.hover()
    cell.locator(".cm-content").wait_for()


def edit_cell(page, cell, code: str) -> None:
    """Replace a live cell's code the way a reader would: point, click, select all, type."""
    wait_for_editor(cell)
    cell.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(code)


def press_run(cell) -> None:
    """Press a cell's (or a calculator's) Run. The click event goes to the button itself:
    a click at its place could land on another cell's Reset when the page reflows under
    the pointer (it did, on a loaded machine: the cell stayed static, Python ready,
    nothing run)."""
    cell.locator('[data-action="run"]').dispatch_event("click")


def run_and_wait(cell, timeout_ms: int | None = None) -> str:
    """Click Run and return the output once the cell has finished (or failed) within
    ``timeout_ms`` on a quiet machine (scaled; by default, a boot's wait)."""
    press_run(cell)
    return wait_done(cell, timeout_ms)


def wait_done(cell, timeout_ms: int | None = None) -> str:
    """Wait until a cell has finished (or failed) and return its output; a cell that does
    not fails the test with where it and the page's Python stand."""
    output = cell.locator("[data-output]")
    try:
        output.and_(cell.locator(DONE)).wait_for(
            timeout=BOOT_TIMEOUT_MS if timeout_ms is None else scaled_ms(timeout_ms))
    except PlaywrightTimeoutError as exc:
        raise AssertionError(f"the cell did not finish: {cell_state(cell)}") from exc
    return output.inner_text()


def cell_state(cell) -> str:
    """Where a cell and the page's Python stand (for a failure's message)."""
    return cell.evaluate("""el => JSON.stringify({
        output: el.querySelector("[data-output]")?.dataset.state,
        status: el.querySelector("[data-status]")?.textContent,
        runtime: (r => r && {state: r.state, error: r.error, boots: r.boots, runs: r.runs,
                              queued: r.queue.length, current: r.current && r.current.id,
                              tainted: r.tainted})(window.liveRuntime)})""")


def outside_requests(urls) -> list[str]:
    """Requests to anything but the loopback test server (a blob: URL names its origin inside)."""
    return [
        url for url in urls
        if urlparse(url.removeprefix("blob:")).hostname != "127.0.0.1" and not url.startswith("data:")
    ]


# Pages carry a Content-Security-Policy without 'unsafe-eval': give Playwright's
# wait_for_function a function ("() => ..."), never an expression string, which
# it would have to eval in the page.


def instant_navigate(page, url: str) -> None:
    """Follow a link through Material's instant navigation (no page reload).

    Returns once the new page's content has replaced the old one and its live
    elements are set up.
    """
    old_heading = page.locator("h1").first.element_handle()
    page.evaluate(
        """url => { const a = document.createElement("a"); a.href = url;
                    document.body.appendChild(a); a.click(); }""",
        url,
    )
    page.wait_for_url(url)
    page.wait_for_function("el => !el.isConnected", arg=old_heading)
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-live-cell], [data-calculator]")]
                   .every(el => el.dataset.liveReady)"""
    )
