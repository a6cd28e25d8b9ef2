"""Benchmark: every page's weight in its first 5 s, cold, untouched (a measurement, not a test).

Builds the site under a sub-path, serves it, and visits every page in a fresh
Chromium context (tests/browser/tour.py), counting the gzip bytes of each file
requested as a static host serves them. Writes the visits as JSON for
bench/report.py; the budget (450 KB on the worst page) is checked by
tests/browser/test_security_and_weight.py.

    .venv/bin/python -m bench.page_weight [--json FILE]   (from the repository root)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tests.browser.tour import BUDGET_BYTES, table, tour
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SUB_PATH, build_and_serve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the visits to this file")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, build_and_serve(Path(tmp), SUB_PATH) as base:
        print(f"site built and served at {base}", file=sys.stderr, flush=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            visits = tour(browser, base, Path(tmp) / SUB_PATH)
            browser.close()
    print(table(visits))
    worst = max(visits, key=lambda v: v.bytes)
    print(f"\nworst: /{worst.path} {worst.bytes:,} B gzip (budget {BUDGET_BYTES:,} B)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "budget_bytes": BUDGET_BYTES,
            "pages": [{"path": v.path, "bytes": v.bytes, "pyodide_bytes": v.pyodide_bytes,
                       "largest": v.largest(3)} for v in visits],
        }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
