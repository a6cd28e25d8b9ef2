"""Hostile cells in headless Chromium: floods, poisoning, forged messages, queues, leaving mid-run.

Each test checks what a reader sees: the page stays responsive, other cells keep
their outputs, and the next run works.
"""

from __future__ import annotations

import textwrap

import pytest

from fieldguide.cells import MAX_OUTPUT_CHARS, MAX_OUTPUT_LINES, CappedOutput
from tests.browser.helpers import (
    BOOT_TIMEOUT_MS,
    DONE,
    WATCH_LONG_TASKS,
    edit_cell,
    instant_navigate,
    press_run,
    run_and_wait,
    scaled,
    wait_for_editor,
)

pytestmark = pytest.mark.browser

TRUNCATED = CappedOutput().note
# Chromium reports main-thread tasks over 50 ms; before the cap a 50 MB print
# blocked the page for about 20 s. The bound is loose for a shared machine;
# `make bench` reports the measured value.
LONGEST_TASK_MS = 1_000

def open_chapter(context, path="kv-cache/"):
    page = context.new_page()
    page.goto(context.site_url + path)
    cells = page.locator("[data-live-cell]")
    wait_for_editor(cells.first)
    cells.first.locator("[data-output]").wait_for()
    return page, cells


def static_output(cell) -> str:
    return cell.locator("[data-output]").inner_text()


@pytest.fixture()
def chapter(site, context):
    context.site_url = site["url"]
    return lambda path="kv-cache/": open_chapter(context, path)


def test_output_floods_are_capped_streamed_and_the_page_stays_responsive(chapter):
    page, cells = chapter()
    first, second = cells.nth(0), cells.nth(1)
    second_static = second.locator("[data-output]").inner_text()
    assert run_and_wait(first) == static_output(first)  # boot
    page.evaluate(WATCH_LONG_TASKS)

    edit_cell(page, first, "print('x' * 50_000_000)\n")
    shown = run_and_wait(first)
    assert shown.endswith(TRUNCATED)
    assert shown.replace("\n", "").count("x") == MAX_OUTPUT_CHARS

    # A million calls to print take seconds on a busy machine: this is about the cap, not the limit.
    first.evaluate("(el, s) => { el.dataset.timeoutS = String(s); }", scaled(60_000) // 1000)
    edit_cell(page, first, "for i in range(1_000_000):\n    print(i)\n")
    lines = run_and_wait(first).split("\n")
    assert lines[:3] == ["0", "1", "2"]
    assert lines[MAX_OUTPUT_LINES - 1] == str(MAX_OUTPUT_LINES - 1)
    assert lines[-1] == TRUNCATED and len(lines) == MAX_OUTPUT_LINES + 1

    # A printer that never stops ends at its limit, its output kept.
    first.evaluate("el => { el.dataset.timeoutS = '3'; }")
    edit_cell(page, first, "while True:\n    print('x' * 10000)\n")
    shown = run_and_wait(first)
    assert shown.startswith("x" * 100)
    assert TRUNCATED in shown
    assert shown.endswith("Stopped: the cell ran longer than its 3 s limit, so Python was restarted.")
    assert "MemoryError" not in shown

    assert max(page.evaluate("window.longTasks"), default=0) < LONGEST_TASK_MS
    assert second.locator("[data-output]").inner_text() == second_static
    edit_cell(page, first, "print(6 * 7)\n")
    assert run_and_wait(first) == "42"


def test_a_cell_that_poisons_builtins_and_modules_leaves_other_cells_working(chapter):
    page, cells = chapter()
    first, second = cells.nth(0), cells.nth(1)
    second_static = second.locator("[data-output]").inner_text()
    edit_cell(page, first, textwrap.dedent("""\
        import builtins, sys
        import servecalc.units
        builtins.print = lambda *a, **k: None
        servecalc.units.fmt_bytes = lambda *a, **k: "poisoned"
        sys.modules["servecalc.kv"] = None
        """))
    assert run_and_wait(first) == ""
    # The page's own code in the other cell still prints, with the real library.
    assert run_and_wait(second) == second_static
    # Reset restores the cell's build-time state and starts Python afresh.
    first.locator('[data-action="reset"]').click()
    assert "524,288 B per token" in first.locator("[data-output]").inner_text()
    assert page.evaluate("window.liveRuntime.tainted") is False
    assert run_and_wait(second) == second_static
    assert page.evaluate("window.liveRuntime.boots") == 2


FORGER = textwrap.dedent("""\
    import js
    from pyodide.ffi import create_proxy, to_js

    FORGED = '<img src=x onerror="window.pwned = 1">'

    def forge(*_):  # ids of the jobs this page will queue, again and again
        for i in range(1, 12):
            for kind in ("started", "output", "result"):
                message = {"type": kind, "id": i, "html": FORGED, "text": FORGED, "error": None}
                js.postMessage(to_js(message, dict_converter=js.Object.fromEntries))

    def grab(this, message, *rest):  # the worker never calls it: it kept its own postMessage
        js.pwnedPort = this

    forge()
    js.setInterval(create_proxy(forge), 50)
    js.MessagePort.prototype.postMessage = create_proxy(grab, capture_this=True)
    js.JSON.parse = create_proxy(lambda *a: to_js({"type": "result", "html": FORGED},
                                                   dict_converter=js.Object.fromEntries))
    js.self.onmessage = None
    print("genuine")
    """)


def test_a_cell_cannot_forge_answers_or_insert_html(chapter):
    page, cells = chapter()
    first = cells.nth(0)
    edit_cell(page, first, FORGER)
    assert run_and_wait(first) == "genuine"
    second = cells.nth(1)
    assert run_and_wait(second) == second.locator("[data-output]").inner_text()
    # A calculator on the same page runs only in a worker no edited code touched.
    box = page.locator('[data-calculator="kv_fit"]')
    box.scroll_into_view_if_needed()
    page.fill("#kv_fit-context", "16384")
    box.locator('[data-calc-result][data-state="done"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    assert box.locator("table.calc-kv").count() == 1
    page.wait_for_timeout(500)
    assert page.evaluate("window.pwned") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("window.liveRuntime.boots") == 2


def test_a_timeout_reruns_the_cells_queued_behind_it(chapter):
    page, cells = chapter()
    first, second = cells.nth(0), cells.nth(1)
    second_static = second.locator("[data-output]").inner_text()
    assert run_and_wait(first) == static_output(first)  # boot
    first.evaluate("el => { el.dataset.timeoutS = '2'; }")
    edit_cell(page, first, "print('spinning')\nwhile True:\n    pass\n")
    press_run(first)
    first.locator('[data-output][data-state="running"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    press_run(second)
    first.locator(DONE).wait_for(timeout=scaled(20_000))
    # What it printed before it hung is kept, above why it stopped.
    assert first.locator("[data-output]").inner_text() == (
        "spinning\nStopped: the cell ran longer than its 2 s limit, so Python was restarted."
    )
    # The queued cell did not run in the stopped worker: it runs in the new one.
    second.locator(DONE).wait_for(timeout=BOOT_TIMEOUT_MS)
    assert second.locator("[data-output]").inner_text() == second_static
    assert second.locator("[data-output]").get_attribute("data-state") == "done"


def test_leaving_a_page_cancels_its_running_job(chapter, site):
    page, cells = chapter()
    first = cells.first
    assert run_and_wait(first) == static_output(first)  # boot
    first.evaluate("el => { el.dataset.timeoutS = '120'; }")
    edit_cell(page, first, "while True:\n    pass\n")
    press_run(first)
    first.locator('[data-output][data-state="running"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    instant_navigate(page, site["url"] + "latency/")
    # Well before the old cell's 120 s limit: the new page's cell does not wait for it.
    other = page.locator("[data-live-cell]").first
    assert run_and_wait(other, timeout_ms=scaled(60_000))
    assert other.locator("[data-output]").get_attribute("data-state") == "done"
