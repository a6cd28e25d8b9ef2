"""Convert the Mooncake conversation trace (FAST'25) into the compact file servecalc ships.

Usage: python tools/mooncake_trace.py SOURCE_DIR
(SOURCE_DIR holds ``conversation_trace.jsonl.gz`` and ``LICENSE-APACHE`` from
https://github.com/kvcache-ai/Mooncake, folder ``FAST25-release/traces/``, Apache-2.0)

The source has one JSON object per request: ``timestamp`` (ms), ``input_length``,
``output_length`` and ``hash_ids`` (one ID per 512-token block of the prompt, the last
block possibly partial). It becomes ``snippets/servecalc/sim/data/mooncake-conv-2025.csv.gz``:
a header, then one row per request, ``gap_ms,prompt_tokens,output_tokens,hashes``, where
``gap_ms`` is the arrival time minus the previous request's and ``hashes`` lists the
request's IDs separated by spaces, a run of IDs never seen before written ``+K`` (the
trace numbers IDs in order of first appearance, so ``+K`` stands for the next K unused
IDs) and a run of consecutive IDs seen before ``A-B``. Nothing is dropped: every request,
length and ID is kept; the short form takes the 788 kB source file to about 100 kB. Gzip level 9 with a zero timestamp, so the
output is byte-for-byte reproducible. The license travels with the data.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "snippets" / "servecalc" / "sim" / "data"
NAME = "mooncake-conv-2025"


def encode_hashes(ids: list[int], fresh: int) -> tuple[str, int]:
    """``ids`` with runs of first-seen IDs (``fresh``, ``fresh + 1``, ...) as ``+K`` and
    runs of consecutive IDs seen before as ``A-B``; returns the text and the next fresh ID.

    >>> encode_hashes([0, 1, 2, 5, 3, 4, 6, 7], fresh=6)
    ('0-2 5 3-4 +2', 8)
    """
    parts: list[str] = []
    i = 0
    while i < len(ids):
        h = ids[i]
        if h > fresh:
            raise SystemExit(f"hash ID {h} skips ahead of the next unused ID {fresh}")
        j = i
        if h == fresh:                        # first-seen IDs: fresh, fresh + 1, ...
            while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
                j += 1
            parts.append(f"+{j - i + 1}")
            fresh += j - i + 1
        else:                                 # seen before, up to where a fresh ID begins
            while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1 and ids[j + 1] < fresh:
                j += 1
            parts.append(str(h) if j == i else f"{h}-{ids[j]}")
        i = j + 1
    return " ".join(parts), fresh


def convert(source: Path, target: Path) -> int:
    lines = ["gap_ms,prompt_tokens,output_tokens,hashes"]
    previous = 0
    fresh = 0
    with gzip.open(source, "rt") as f:
        for row in f:
            d = json.loads(row)
            gap = d["timestamp"] - previous
            if gap < 0:
                raise SystemExit(f"{source}: timestamps out of order at {d['timestamp']}")
            previous = d["timestamp"]
            text, fresh = encode_hashes(d["hash_ids"], fresh)
            lines.append(f"{gap},{d['input_length']},{d['output_length']},{text}")
    target.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), 9, mtime=0))
    return len(lines) - 1


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    count = convert(source / "conversation_trace.jsonl.gz", OUT / f"{NAME}.csv.gz")
    shutil.copyfile(source / "LICENSE-APACHE", OUT / f"LICENSE-{NAME}.txt")
    print(f"{NAME}: {count} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
