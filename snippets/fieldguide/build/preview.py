"""``make preview``: serve a built site as a static host would, with the CSP as a header.

    python -m fieldguide.build.preview dist/site [--port 8000]

Sends a file's precompressed ``.gz`` to browsers that accept gzip (as nginx's
``gzip_static`` does) and, on every response, the site's
Content-Security-Policy as a header (read from the pages' ``<meta>``), which
also covers what a meta tag cannot (the worker scripts' own responses).
Loopback only; for looking at ``make dist``'s output before publishing it.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
from pathlib import Path

META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler with gzip_static and a CSP header."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript", ".mjs": "text/javascript",
        ".wasm": "application/wasm", ".whl": "application/zip",
    }
    policy = ""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        packed = path.with_name(path.name + ".gz")
        if "gzip" in self.headers.get("Accept-Encoding", "") and packed.is_file():
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(packed.stat().st_size))
            self.end_headers()
            return packed.open("rb")
        return super().send_head()

    def end_headers(self):
        if self.policy:
            self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()


def site_policy(site: Path) -> str:
    """The policy the build put into the site's pages."""
    found = META.search((site / "index.html").read_text(encoding="utf-8"))
    if not found:
        raise SystemExit(f"{site / 'index.html'} has no Content-Security-Policy meta tag")
    return found.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. dist/site")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    handler = type("Host", (StaticHost,), {"policy": site_policy(args.site)})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", args.port), functools.partial(handler, directory=str(args.site))
    )
    print(f"serving {args.site} at http://127.0.0.1:{args.port}/ (Ctrl+C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
