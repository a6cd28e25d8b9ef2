"""Edited code against the page's own cells, the output cap and the runtime (issue 24).

A reader's edited code may do anything to the Python it runs in. What it must
not do: make the page's own cells (on this page or the next) print forged
numbers, lose another cell's run, choose the type of the worker's messages,
show more than the documented output, freeze the page while it draws, or leave
Python dead. Each test here failed before the fix it names.
"""

from __future__ import annotations

import textwrap

import pytest

from tools.pdf import CHROMIUM, CHROMIUM_ARGS
from fieldguide.cells import MAX_OUTPUT_CHARS, MAX_OUTPUT_LINES, CappedOutput
from tests.browser.helpers import (
    WATCH_LONG_TASKS,
    edit_cell,
    instant_navigate,
    press_run,
    run_and_wait,
    scaled,
    wait_done,
    wait_for_editor,
)

pytestmark = pytest.mark.browser

TRUNCATED = CappedOutput().note
FORGED = "FORGED"


@pytest.fixture(scope="module")
def browser(browser):
    """A Chromium of this module's own: these runs time a restarted Python, which a browser
    that earlier modules loaded with pages and workers slowed past its waits in the full
    suite (never when this module ran alone)."""
    own = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield own
    own.close()


@pytest.fixture()
def kv_page(site, context):
    """The KV-cache chapter with Python booted by its first cell; (page, cells, static outputs)."""
    page = context.new_page()
    page.goto(site["url"] + "kv-cache/")
    wait_for_editor(page.locator("[data-live-cell]:visible").first)
    cells = Cells(page)
    statics = [cells.nth(i).locator("[data-output]").inner_text() for i in range(cells.count())]
    assert run_and_wait(cells.first) == statics[0]
    return page, cells, statics


class Cells:
    """The page's cells visible when the page opened (folded ones left out), each found by
    its place in the page: a `:visible` locator would be re-resolved at every use."""

    def __init__(self, page) -> None:
        self.page = page
        self.places = page.locator("[data-live-cell]").evaluate_all(
            "els => els.map((el, i) => [i, !el.closest('details:not([open])')])"
            ".filter(([, shown]) => shown).map(([i]) => i)")

    def nth(self, i: int):
        return self.page.locator("[data-live-cell]").nth(self.places[i])

    def count(self) -> int:
        return len(self.places)

    @property
    def first(self):
        return self.nth(0)


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip()


# Each poisons servecalc's formatters in a way the per-run restore did not undo.
ATTACKS = {
    "operator.is_ blinds the restorer": """
        import operator, servecalc.units as u
        operator.is_ = lambda a, b: True
        u.fmt_bytes = u.fmt_int = lambda *a, **k: "FORGED"
        print("armed")
        """,
    "an audit hook re-poisons at the next exec": """
        import sys, servecalc.units as u
        def hook(event, args, u=u):
            if event == "exec":
                u.fmt_bytes = u.fmt_int = lambda *a, **k: "FORGED"
        sys.addaudithook(hook)
        print("armed")
        """,
    "a JavaScript timer re-poisons between runs": """
        from js import setInterval
        from pyodide.ffi import create_proxy
        import servecalc.units as u
        def poison(*_, u=u):
            u.fmt_bytes = u.fmt_int = lambda *a, **k: "FORGED"
        setInterval(create_proxy(poison), 1)
        print("armed")
        """,
    "a wrapped stdout.flush runs after the restore": """
        import sys, servecalc.units as u
        out = sys.stdout
        def flush(real=out.flush, u=u):
            u.fmt_bytes = u.fmt_int = lambda *a, **k: "FORGED"
            real()
        out.flush = flush
        print("armed")
        """,
    "a patched JSONEncoder.encode runs after the restore": """
        import json, servecalc.units as u
        def encode(self, o, real=json.JSONEncoder.encode, u=u):
            u.fmt_bytes = u.fmt_int = lambda *a, **k: "FORGED"
            return real(self, o)
        json.JSONEncoder.encode = encode
        print("armed")
        """,
}


def test_edited_code_cannot_forge_the_page_cells_here_or_on_the_next_page(kv_page, site):
    page, cells, statics = kv_page
    first, second = cells.nth(0), cells.nth(1)
    for name, attack in ATTACKS.items():
        edit_cell(page, first, dedent(attack))
        assert run_and_wait(first) == "armed", name
        # The page's own cell runs where no edited code has run.
        assert run_and_wait(second) == statics[1], name
        assert second.locator("[data-output]").get_attribute("data-state") == "done", name
    # The worker survives navigation: the next page's cells are not forged either.
    edit_cell(page, first, dedent(ATTACKS["an audit hook re-poisons at the next exec"]))
    assert run_and_wait(first) == "armed"
    instant_navigate(page, site["url"] + "latency/")
    other = page.locator("[data-live-cell]:visible").first
    static = other.locator("[data-output]").inner_text()
    assert run_and_wait(other) == static
    assert FORGED not in page.locator("body").inner_text()


def test_a_result_cannot_choose_the_message_type(kv_page):
    page, cells, statics = kv_page
    first, second = cells.nth(0), cells.nth(1)
    edit_cell(page, first, dedent("""
        import json
        json.JSONEncoder.encode = lambda self, o: '{"type": "boot-error", "message": "FORGED"}'
        print("armed")
        """))
    assert run_and_wait(first) == "armed"
    assert page.evaluate("window.liveRuntime.state") != "error"
    assert run_and_wait(second) == statics[1]
    shown = page.locator("[data-output], [data-status]").all_inner_texts()
    assert not [text for text in shown if FORGED in text]


def test_an_error_after_boot_fails_a_run_never_the_runtime_and_no_run_is_lost(kv_page):
    page, cells, statics = kv_page
    first = cells.nth(0)
    edit_cell(page, first, dedent("""
        from js import setInterval
        from pyodide.ffi import create_proxy
        def boom(*_):
            raise RuntimeError("stray")
        setInterval(create_proxy(boom), 5)
        print("armed")
        """))
    assert run_and_wait(first) == "armed"
    page.wait_for_timeout(300)  # the timer throws, outside any run
    assert page.evaluate("window.liveRuntime.state") != "error"
    assert "could not start" not in first.locator("[data-status]").inner_text()
    # Every page cell queued now runs, and shows its own result.
    others = [cells.nth(i) for i in range(1, cells.count())]
    for cell in others:
        press_run(cell)
    for i, cell in enumerate(others, start=1):
        shown = wait_done(cell)
        # Run in the browser (a cell whose point is an error shows it), not left at build time.
        assert cell.locator("[data-output]").get_attribute("data-state") in ("done", "error"), (i, shown)
        assert shown == statics[i], i
    edit_cell(page, first, "print(6 * 7)\n")
    assert run_and_wait(first) == "42"


def test_deep_recursion_that_kills_python_restarts_it_for_the_next_run(kv_page):
    page, cells, _ = kv_page
    first = cells.nth(0)
    boots = page.evaluate("window.liveRuntime.boots")
    # Recursion through C (attribute lookup) with the limit lifted overflows the
    # JavaScript stack: Pyodide reports a fatal error and can run nothing more.
    edit_cell(page, first, dedent("""
        import sys
        sys.setrecursionlimit(10**9)
        class Deep:
            def __getattr__(self, name):
                return getattr(self, name + "x")
        Deep().y
        """))
    shown = run_and_wait(first)
    assert first.locator("[data-output]").get_attribute("data-state") == "error", shown
    assert "Python was restarted" in shown
    edit_cell(page, first, "print(6 * 7)\n")
    assert run_and_wait(first) == "42"
    assert page.evaluate("window.liveRuntime.boots") == boots + 1


@pytest.mark.parametrize(
    "flood",
    [
        # Python's own counters reset: the page still counts.
        """
        import sys
        sys.stdout.chars_left = sys.stdout.lines_left = 10**12
        for _ in range(100):
            print("y\\n" * 100_000, end="")
        """,
        # The sink called directly, past Python's counters altogether.
        """
        import sys
        sink = sys.stdout.sink
        for _ in range(100):
            sink("z\\n" * 100_000)
        """,
    ],
    ids=["counters-reset", "sink-called"],
)
def test_the_output_cap_holds_whatever_python_does(kv_page, flood):
    page, cells, _ = kv_page
    first = cells.nth(0)
    edit_cell(page, first, dedent(flood))
    shown = run_and_wait(first, timeout_ms=scaled(60_000))
    lines = shown.split("\n")
    assert lines[-1] == TRUNCATED
    assert len(lines) <= MAX_OUTPUT_LINES + 1
    assert len(shown) <= MAX_OUTPUT_CHARS + len(TRUNCATED) + 1


def test_a_million_combining_marks_draw_without_long_tasks(kv_page):
    page, cells, _ = kv_page
    first = cells.nth(0)
    edit_cell(page, first, 'print("a" + "\\u0301" * 999_000)\n')
    page.evaluate(WATCH_LONG_TASKS)
    started = page.evaluate("performance.now()")
    shown = run_and_wait(first, timeout_ms=scaled(60_000))
    elapsed_s = (page.evaluate("performance.now()") - started) / 1000
    # Drawn with its first 8 marks (a run of marks longer than that is cut when drawn).
    assert shown == "a" + "\u0301" * 8
    tasks = page.evaluate("window.longTasks")
    # Before: 17 s and 61 tasks over 50 ms (the longest 519 ms).
    assert len(tasks) <= 3, tasks
    assert max(tasks, default=0) < scaled(300), tasks
    assert elapsed_s < scaled(10_000) / 1000
