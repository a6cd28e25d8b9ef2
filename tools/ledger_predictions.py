"""Predict every expressible row of the accuracy ledger under its engine preset, once.

Usage: ``python tools/ledger_predictions.py [--workers N]``. Writes
``snippets/fieldguide/validation/ledger_predictions.json``, which the site's
accuracy page reads (simulating all the rows takes many minutes; the page
must build in seconds). For each row: ``servecalc.benchmarks.predict(row)``,
and, where the presets were fitted (``servecalc/catalog/engine_fit.json``),
the leave-one-out prediction ``predict(row, **leave_one_out(row))``.

The file records a hash of everything the predictions depend on that is data
(the ledger rows, the presets, the fit) and of ``servecalc/benchmarks.py``;
``tests/test_ledger.py`` fails when they no longer match and recomputes a
sample of rows to catch a change in the simulator itself. Rerun this tool then.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "snippets"))

from fieldguide.validation.ledger import CACHE_FILE, fingerprint  # noqa: E402
from fieldguide.validation.serving import load  # noqa: E402


def one(row: dict) -> tuple[str, dict]:
    from servecalc import benchmarks

    out: dict = {"predicted": None, "loo": None, "error": None}
    try:
        out["predicted"] = benchmarks.predict(row)
        try:
            overrides = benchmarks.leave_one_out(row)
        except FileNotFoundError:
            overrides = None
        if overrides is not None:
            out["loo"] = benchmarks.predict(row, **overrides)
    except ValueError as exc:
        out["error"] = str(exc)
    return row["id"], out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    rows = [r for r in load() if r["expressible"]]
    with ProcessPoolExecutor(args.workers) as pool:
        results = dict(pool.map(one, rows, chunksize=1))
    path = ROOT / "snippets" / "fieldguide" / "validation" / CACHE_FILE
    document = {
        "note": "Written by tools/ledger_predictions.py: each expressible ledger row predicted "
                "by servecalc.benchmarks.predict under its engine preset (and leave one out "
                "where the presets were fitted). Regenerate when the inputs' hashes change.",
        "inputs": fingerprint(),
        "predictions": results,
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}: {len(results)} rows, "
          f"{sum(r['error'] is not None for r in results.values())} not predicted")


if __name__ == "__main__":
    main()
