"""Playwright helpers shared by the browser tests."""

from __future__ import annotations

import os
from urllib.parse import urlparse

#: Every wait in the browser tests is a duration measured on a machine with two
#: cores busy with other work, times GUIDE_TIMEOUT_FACTOR (default 1): set it
#: higher on a slower or more loaded machine rather than retrying.
TIMEOUT_FACTOR = float(os.environ.get("GUIDE_TIMEOUT_FACTOR", "1"))


def scaled(ms: float) -> int:
    """A wait in milliseconds, scaled by GUIDE_TIMEOUT_FACTOR."""
    return int(ms * TIMEOUT_FACTOR)


BOOT_TIMEOUT_MS = scaled(120_000)
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


def run_and_wait(cell, timeout_ms: int = BOOT_TIMEOUT_MS) -> str:
    """Click Run and return the output once the cell has finished (or failed)."""
    output = cell.locator("[data-output]")
    cell.locator('[data-action="run"]').click()
    output.and_(cell.locator(DONE)).wait_for(timeout=timeout_ms)
    return output.inner_text()


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
