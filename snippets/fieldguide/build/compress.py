"""Precompressed copies of the built site, as a static host serves them.

Every text-like file (HTML, CSS, JavaScript, JSON, SVG, XML, WebAssembly)
gets a ``.gz`` beside it, made with the standard library's gzip at level 9 and
no timestamp (the same bytes from the same input). Hosts that serve
precompressed files (nginx ``gzip_static``, Caddy ``precompressed``, most CDNs)
send it to browsers that accept gzip; others ignore it. Files that are
compressed already (fonts, images, wheels, zip) are left alone. Brotli would
need a tool we do not pin, so there are no ``.br`` files.
"""

from __future__ import annotations

import gzip
from pathlib import Path

COMPRESSIBLE = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".map",
                ".wasm", ".py", ".ipynb", ".md"}


def gzipped(data: bytes) -> bytes:
    """gzip at level 9 with no timestamp: the same input gives the same bytes.

    >>> len(gzipped(b"a" * 1000)), gzipped(b"x") == gzipped(b"x")
    (29, True)
    """
    return gzip.compress(data, compresslevel=9, mtime=0)


def served_size(path: Path) -> int:
    """The bytes a host sends for ``path``: its ``.gz`` when it is compressible, else itself."""
    data = path.read_bytes()
    if path.suffix in COMPRESSIBLE:
        return min(len(data), len(gzipped(data)))
    return len(data)


def precompress(site_dir: Path) -> tuple[int, int]:
    """Write ``<file>.gz`` beside each compressible file; return (files, bytes saved).

    A ``.gz`` is only kept when it is smaller than its file.
    """
    count = saved = 0
    for path in sorted(site_dir.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE:
            continue
        data = path.read_bytes()
        packed = gzipped(data)
        if len(packed) < len(data):
            path.with_name(path.name + ".gz").write_bytes(packed)
            count += 1
            saved += len(data) - len(packed)
    return count, saved
