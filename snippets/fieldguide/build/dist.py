"""``make dist``: the built site, precompressed, with the PDF, as one archive a static host serves.

    python -m fieldguide.build.dist --site dist/site --pdf dist/llm-serving-field-guide.pdf \\
        --archive dist/llm-serving-field-guide.tar.gz

The PDF is copied into the site's root (so the host serves it beside the
pages), every compressible file gets its ``.gz`` (:mod:`.compress`), and the
site folder becomes one ``.tar.gz`` whose members are sorted, owned by nobody
and dated ``SOURCE_DATE_EPOCH`` (the same input gives the same archive).
Unpack it into the folder the host serves for the URL the site was built for
(``SITE_URL``): ``tar -xzf llm-serving-field-guide.tar.gz -C <that folder>``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import sys
import tarfile
from pathlib import Path

from fieldguide.build.compress import precompress


def archive(site: Path, out: Path, mtime: int) -> int:
    """Write ``site``'s files (not the folder itself) into a reproducible tar.gz; return the count."""
    files = sorted(p for p in site.rglob("*") if p.is_file())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tar.gettarinfo(str(path), arcname=path.relative_to(site).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = mtime
            info.mode = 0o644
            with path.open("rb") as handle:
                tar.addfile(info, handle)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0))
    return len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="the built site (mkdocs build)")
    parser.add_argument("--pdf", type=Path, required=True, help="the PDF (make pdf)")
    parser.add_argument("--archive", type=Path, required=True, help="the .tar.gz to write")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"error: {args.site} holds no built site (index.html)", file=sys.stderr)
        return 2
    if not args.pdf.is_file():
        print(f"error: {args.pdf} does not exist (make pdf)", file=sys.stderr)
        return 2
    shutil.copy2(args.pdf, args.site / args.pdf.name)
    count, saved = precompress(args.site)
    files = archive(args.site, args.archive, int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000")))
    print(f"{args.archive}: {files} files ({count} precompressed, {saved / 1e6:.1f} MB saved "
          f"in transfer), {args.archive.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
