"""Benchmark: how the live cells perform in headless Chromium (a measurement, not a test).

Builds the site for a free loopback port, serves it, and measures with a cold
cache (a fresh browser context per run), median of RUNS runs:

* bare Pyodide boot in a module worker (the floor): loadPyodide only;
* click on Run to the first result on a freshly opened page, when the click is
  the first sign of intent (Python starts at the click);
* the same when the pointer entered the cell a second before the click (Python
  starts on the pointer entering, as with a reader);
* a warm re-run of the same cell;
* the first run after navigating to another chapter (the worker survives);
* the longest main-thread task while a cell prints 50 MB (capped and streamed);
* a runaway cell with a 2 s limit: click on Run to the "Stopped" report (the
  limit, then the worker's restart; tests/browser/test_runtime.py checks only
  that it is not stopped early);
* bytes transferred before the reader interacts or scrolls to a live element,
  and how many of them are Pyodide's (should be none).

    .venv/bin/python -m bench.bench_browser [--runs N] [--json FILE]   (from the repository root)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from tests.browser.helpers import WATCH_LONG_TASKS, edit_cell, instant_navigate
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, build_and_serve

ROOT = Path(__file__).resolve().parent.parent

BARE_BOOT = """
async () => {
  const script = document.getElementById("live-runtime");
  const indexURL = new URL(script.dataset.pyodideIndex, document.baseURI).href;
  const lockURL = new URL(script.dataset.lock, document.baseURI).href;
  const code = `
    const { loadPyodide } = await import("${indexURL}pyodide.mjs");
    await loadPyodide({ indexURL: "${indexURL}", lockFileURL: "${lockURL}" });
    postMessage("ready");`;
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const start = performance.now();
  return await new Promise((resolve) => {
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = () => { resolve(performance.now() - start); worker.terminate(); };
  });
}
"""


# Click Run and time, inside the page, until the output leaves its running
# state: no Playwright round-trip in the measurement.
TIMED_RUN = """
async (cell) => {
  const output = cell.querySelector("[data-output]");
  const start = performance.now();
  const done = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (output.dataset.state === "done" || output.dataset.state === "error") {
        observer.disconnect();
        resolve(performance.now() - start);
      }
    });
    observer.observe(output, { attributes: true, attributeFilter: ["data-state"] });
  });
  cell.querySelector('[data-action="run"]').click();
  return await done;
}
"""


def timed_run(cell) -> float:
    return cell.evaluate(TIMED_RUN)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bare_boot_ms(browser, base: str) -> float:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "404.html")
    ms = page.evaluate(BARE_BOOT)
    context.close()
    return ms


HOVER_LEAD_MS = 1_000  # pointer on the cell to the click on Run

def flood_longest_task_ms(page, cell) -> float:
    """The longest main-thread task while a cell prints 50 MB."""
    edit_cell(page, cell, "print('x' * 50_000_000)\n")
    page.evaluate(WATCH_LONG_TASKS)
    timed_run(cell.element_handle())  # not reading the output: that would be a task of ours
    page.wait_for_timeout(200)
    return max(page.evaluate("window.longTasks"), default=0.0)


def page_runs(browser, base: str) -> dict:
    """Click-to-result on a fresh page (the click the first intent), a warm
    re-run, a run after navigation, and the page's longest task in a flood."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    cell.scroll_into_view_if_needed()  # in view is not intent: nothing loads yet
    first = timed_run(cell.element_handle())  # a script click: no pointer entered before
    warm = [timed_run(cell.element_handle()) for _ in range(5)]
    instant_navigate(page, base + "latency/")
    other = page.locator("[data-live-cell]").first
    other.scroll_into_view_if_needed()
    after_nav = timed_run(other.element_handle())
    flood = flood_longest_task_ms(page, other)
    boots = page.evaluate("window.liveRuntime.boots")
    context.close()
    return {"first_ms": first, "warm_ms": statistics.median(warm), "after_nav_ms": after_nav,
            "boots": boots, "flood_longest_task_ms": flood}


#: The time limit the runaway-cell measurement gives its cell, in seconds.
RUNAWAY_LIMIT_S = 2


def runaway_stop_ms(browser, base: str) -> float:
    """Click on Run to the report that a looping cell was stopped at its limit
    (Python booted first, so the limit counts from the cell's start)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    timed_run(cell.element_handle())                      # boots Python
    edit_cell(page, cell, "while True:\n    pass\n")
    cell.evaluate(f"el => {{ el.dataset.timeoutS = '{RUNAWAY_LIMIT_S}'; }}")
    ms = timed_run(cell.element_handle())
    context.close()
    return ms


def hover_then_click_ms(browser, base: str) -> float:
    """Click-to-result when the pointer entered the cell HOVER_LEAD_MS before the click."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "kv-cache/")
    cell = page.locator("[data-live-cell]").first
    cell.scroll_into_view_if_needed()
    cell.hover()
    page.wait_for_timeout(HOVER_LEAD_MS)
    ms = timed_run(cell.element_handle())
    context.close()
    return ms


def bytes_before_interaction(browser, base: str) -> dict:
    """Transfer sizes while the reader only looks at the top of a chapter."""
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    responses = []
    context.on("requestfinished", lambda request: responses.append(request))
    page = context.new_page()
    page.goto(base + "kv-cache/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    sizes = [(r.url, r.sizes()["responseBodySize"]) for r in responses]
    context.close()
    total = sum(size for _, size in sizes)
    pyodide = sum(size for url, size in sizes if "/assets/pyodide/" in url)
    return {"bytes": total, "pyodide_bytes": pyodide, "requests": len(sizes)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, build_and_serve(Path(tmp)) as base:
        log(f"site built and served at {base}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            boots, runs, hovers, runaways = [], [], [], []
            for i in range(args.runs):
                log(f"run {i + 1}/{args.runs}: bare boot")
                boots.append(bare_boot_ms(browser, base))
                log(f"run {i + 1}/{args.runs}: page")
                runs.append(page_runs(browser, base))
                log(f"run {i + 1}/{args.runs}: pointer on the cell, then Run")
                hovers.append(hover_then_click_ms(browser, base))
                log(f"run {i + 1}/{args.runs}: a runaway cell with a {RUNAWAY_LIMIT_S} s limit")
                runaways.append(runaway_stop_ms(browser, base))
            before = bytes_before_interaction(browser, base)
            browser.close()
    result = {
        "runs": args.runs,
        "bare_boot_ms": statistics.median(boots),
        "click_to_result_ms": statistics.median(r["first_ms"] for r in runs),
        "hover_click_to_result_ms": statistics.median(hovers),
        "hover_lead_ms": HOVER_LEAD_MS,
        "flood_longest_task_ms": max(r["flood_longest_task_ms"] for r in runs),
        "warm_rerun_ms": statistics.median(r["warm_ms"] for r in runs),
        "after_navigation_ms": statistics.median(r["after_nav_ms"] for r in runs),
        "boots_per_tour": max(r["boots"] for r in runs),
        "runaway_limit_s": RUNAWAY_LIMIT_S,
        "runaway_stopped_ms": statistics.median(runaways),
        "bytes_before_interaction": before["bytes"],
        "pyodide_bytes_before_interaction": before["pyodide_bytes"],
    }
    result["click_to_result_over_boot"] = result["click_to_result_ms"] / result["bare_boot_ms"]
    result["load_average"] = os.getloadavg()[0]  # a shared machine: say how busy it was
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
