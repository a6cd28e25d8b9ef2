"""Write the benchmark figures into bench/results.md.

Reads the JSON that `make bench` wrote into build/bench/ and renders one
Markdown table, with the machine, the browser and the date of the run, for the
"How it performs" page. The figures are measurements of one run on one
machine, not computed values: the page says so.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "build" / "bench"
OUT = ROOT / "bench" / "results.md"


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:,.1f} ms"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True)
    return f"{os.cpu_count()} cores ({cpu}); {chromium.stdout.split('built')[0].strip()}"


def main() -> int:
    browser = json.loads((RESULTS / "browser.json").read_text())
    sim = json.loads((RESULTS / "simulator-pyodide.json").read_text())
    plan = json.loads((RESULTS / "plan.json").read_text())
    rows = [
        ("Bare Pyodide boot in a worker (the floor)", ms(browser["bare_boot_ms"]), "—"),
        ("Click on Run to first result, fresh page, the click the first intent",
         f"{ms(browser['click_to_result_ms'])} ({browser['click_to_result_over_boot']:.2f}× the boot)",
         "at most 1.2× the boot"),
        (f"Same, the pointer on the cell {browser['hover_lead_ms'] / 1000:g} s before the click",
         ms(browser["hover_click_to_result_ms"]), "less than the boot"),
        ("Longest main-thread task while a cell prints 50 MB", ms(browser["flood_longest_task_ms"]),
         "at most 100 ms"),
        ("Warm re-run of a cell", ms(browser["warm_rerun_ms"]), "at most 50 ms"),
        ("First run after navigating to another chapter", ms(browser["after_navigation_ms"]),
         "at most 100 ms"),
        ("Python runtimes booted while touring pages", f"{browser['boots_per_tour']}", "1"),
        *([(f"A looping cell with a {browser['runaway_limit_s']} s limit: Run to the \"Stopped\" report",
            ms(browser["runaway_stopped_ms"]), "the limit plus a boot")]
          if "runaway_stopped_ms" in browser else []),
        ("Bytes before the reader interacts or scrolls to a live element",
         f"{browser['bytes_before_interaction']:,} B, of which Pyodide "
         f"{browser['pyodide_bytes_before_interaction']:,} B", "no Pyodide bytes"),
        (f"Simulator, {sim['requests']:,} requests, CPython {sim['cpython']}",
         f"{sim['cpython_median_s']:.3f} s", "at most 1 s"),
        (f"Same run in Pyodide {sim['pyodide']} (Python {sim['pyodide_python']}) on Node",
         f"{sim['pyodide_median_s']:.3f} s ({sim['ratio']:.2f}× CPython)", "—"),
        (f"Capacity search, one configuration ({sim['capacity_requests_simulated']:,} requests "
         f"simulated), CPython", f"{sim['cpython_capacity_median_s']:.2f} s", "at most 2 s"),
        ("Same search in Pyodide on Node", f"{sim['pyodide_capacity_median_s']:.2f} s",
         "at most 5 s"),
        (f"Plan over {plan['combinations']} combinations ({plan['feasible']} feasible), CPython",
         f"{plan['wall_s']:.1f} s", "at most 30 s"),
    ]
    lines = [
        f"Measured on {datetime.date.today().isoformat()}: {machine()}. Browser figures are the "
        f"median of {browser['runs']} runs with a cold cache"
        + (f" (load average {browser['load_average']:.1f} at the end)" if "load_average" in browser else "")
        + "; the simulator's, of 5 runs.",
        "",
        "| What | Measured | Target |",
        "| :-- | --: | :-- |",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
    ]
    OUT.write_text("\n".join(lines) + weight_section())
    print(OUT.read_text())
    return 0


def weight_section() -> str:
    """Every page's weight in its first 5 s (build/bench/weights.json), heaviest first."""
    path = RESULTS / "weights.json"
    if not path.exists():
        return ""
    data = json.loads(path.read_text())
    pages = sorted(data["pages"], key=lambda p: -p["bytes"])
    worst = pages[0]
    lines = [
        "",
        f"Weight of every page in its first 5 s with a cold cache, untouched, in gzip bytes as a "
        f"static host serves them (budget {data['budget_bytes'] / 1000:,.0f} KB on the worst page; "
        f"worst: /{worst['path']}, {worst['bytes'] / 1000:,.1f} KB):",
        "",
        "| Page | First 5 s (gzip) | Of which Pyodide | Largest files (KB) |",
        "| :-- | --: | --: | :-- |",
    ]
    for p in pages:
        largest = ", ".join(f"{Path(name).name} {size / 1000:,.0f}" for name, size in p["largest"])
        lines.append(f"| /{p['path']} | {p['bytes'] / 1000:,.1f} KB | {p['pyodide_bytes']:,} B | {largest} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
