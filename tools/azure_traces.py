"""Convert the Azure LLM inference traces (2023) into the compact files servecalc ships.

Usage: python tools/azure_traces.py SOURCE_DIR
(SOURCE_DIR holds the two CSV files and LICENSE of the dataset, from
https://github.com/Azure/AzurePublicDataset, AzureLLMInferenceDataset2023.md)

Each input CSV (``TIMESTAMP,ContextTokens,GeneratedTokens``, one row per request,
timestamps with 100 ns digits) becomes ``snippets/servecalc/sim/data/<name>.csv.gz``:
a header, then one row per request, ``gap_ms,prompt_tokens,output_tokens``, where
``gap_ms`` is the arrival time minus the previous request's, both floored to whole
milliseconds (the first row's gap is 0). Gzip level 9 with a zero timestamp, so the
output is byte-for-byte reproducible. The license travels with the data.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "snippets" / "servecalc" / "sim" / "data"
FILES = {"azure-conv-2023": "AzureLLMInferenceTrace_conv.csv",
         "azure-code-2023": "AzureLLMInferenceTrace_code.csv"}


def _ms(stamp: str) -> int:
    """Milliseconds since midnight of ``YYYY-MM-DD HH:MM:SS.fffffff`` (one day only)."""
    _, clock = stamp.split(" ")
    hours, minutes, seconds = clock.split(":")
    whole, _, frac = seconds.partition(".")
    return ((int(hours) * 60 + int(minutes)) * 60 + int(whole)) * 1000 + int((frac + "000")[:3])


def convert(source: Path, target: Path) -> int:
    with source.open(newline="") as f:
        rows = list(csv.DictReader(f))
    days = {r["TIMESTAMP"].split(" ")[0] for r in rows}
    if len(days) != 1:
        raise SystemExit(f"{source}: expected one day of timestamps, got {sorted(days)}")
    lines = ["gap_ms,prompt_tokens,output_tokens"]
    previous = None
    for r in rows:
        now = _ms(r["TIMESTAMP"])
        gap = 0 if previous is None else now - previous
        if gap < 0:
            raise SystemExit(f"{source}: timestamps out of order at {r['TIMESTAMP']}")
        lines.append(f"{gap},{int(r['ContextTokens'])},{int(r['GeneratedTokens'])}")
        previous = now
    target.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), 9, mtime=0))
    return len(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    OUT.mkdir(parents=True, exist_ok=True)
    for name, file in FILES.items():
        count = convert(source / file, OUT / f"{name}.csv.gz")
        print(f"{name}: {count} requests -> {OUT / (name + '.csv.gz')}")
    shutil.copyfile(source / "LICENSE", OUT / "LICENSE-azure-llm-inference-2023.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
