"""Playwright helpers shared by the browser tests."""

from __future__ import annotations

from urllib.parse import urlparse

BOOT_TIMEOUT_MS = 120_000
DONE = '[data-output][data-state="done"], [data-output][data-state="error"]'


def edit_cell(page, cell, code: str) -> None:
    """Replace a live cell's code the way a reader would: click, select all, type."""
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
