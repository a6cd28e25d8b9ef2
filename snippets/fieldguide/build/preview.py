"""``make preview``: serve a built site as a static host would, with the CSP as a header.

    python -m fieldguide.build.preview dist/site [--port 8000]

Sends a file's precompressed ``.gz`` to browsers that accept gzip (as nginx's
``gzip_static`` does; ``Accept-Encoding: gzip;q=0`` or none gets the plain
file) and, on every response, the site's Content-Security-Policy as a header
(read from the pages' ``<meta>``, with ``frame-ancestors 'none'`` that a meta
tag cannot carry), which also covers the worker scripts' own responses, and
the usual security headers beside it (:data:`SECURITY_HEADERS`).

It serves only files whose resolved path lies inside the site (a symbolic link
out of it is not followed), lists no directory, redirects ``/page`` to
``/page/``, answers a malformed request with 400 (never a dropped connection),
closes a connection idle for :data:`IDLE_TIMEOUT_S` and holds at most
:data:`MAX_CONNECTIONS` at once. Loopback only; for looking at ``make dist``'s
output before publishing it.
"""

from __future__ import annotations

import argparse
import email.utils
import functools
import http.server
import re
import threading
import urllib.parse
from pathlib import Path

META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')
#: Longest request path (before decoding) that gets an answer other than 414.
MAX_PATH = 2048
#: Seconds a connection may stay silent before it is closed.
IDLE_TIMEOUT_S = 10
#: Connections served at once; more are closed at once.
MAX_CONNECTIONS = 32
#: Headers beside the CSP on every response: a static site with no frames, no
#: popups that need its window, no camera, microphone or location.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Refused(Exception):
    """A request answered with an error status instead of a file."""

    def __init__(self, status: int, location: str = "") -> None:
        super().__init__(status)
        self.status, self.location = status, location


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (a q-value of 0 refuses it).

    >>> [accepts_gzip(h) for h in ("gzip, br", "gzip;q=0", "br, *;q=0.5", "", "identity")]
    [True, False, True, False, False]
    """
    quality = {}
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        found = re.search(r"q\s*=\s*([0-9.]+)", params)
        if found:
            try:
                q = float(found.group(1))
            except ValueError:
                q = 0.0
        if name.strip():
            quality[name.strip().lower()] = q
    return quality.get("gzip", quality.get("*", 0.0)) > 0


def resolve(root: Path, raw: str) -> Path:
    """The file ``raw`` (a request path, still %-encoded) names inside ``root`` (resolved).

    Raises :class:`Refused` with 400 (bad encoding, a NUL), 414 (too long),
    301 (a directory without its slash), or 404 (missing, outside ``root``
    once symbolic links are followed, or a directory without an index.html).
    """
    path = raw.split("?", 1)[0].split("#", 1)[0]
    if len(raw) > MAX_PATH:
        raise Refused(414)
    try:
        decoded = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        raise Refused(400) from None
    if not decoded.startswith("/") or "\0" in decoded or "\\" in decoded:
        raise Refused(400)
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Refused(400)
    try:
        target = root.joinpath(*parts).resolve()
        if target != root and root not in target.parents:
            raise Refused(404)
        if target.is_dir():
            if not path.endswith("/"):
                raise Refused(301, path + "/" + raw[len(path):])
            target = (target / "index.html").resolve()
            if root not in target.parents:
                raise Refused(404)
        if not target.is_file():
            raise Refused(404)
    except (OSError, ValueError):  # a name too long, a loop of links
        raise Refused(404) from None
    return target


class StaticHost(http.server.SimpleHTTPRequestHandler):
    """A static host: resolved paths inside the site, gzip_static, the CSP and security headers."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript", ".mjs": "text/javascript",
        ".wasm": "application/wasm", ".whl": "application/zip",
    }
    policy = ""
    timeout = IDLE_TIMEOUT_S  # applied to the socket: a silent client is dropped

    def send_head(self):
        root = Path(self.directory).resolve()
        try:
            path = resolve(root, self.path)
        except Refused as refused:
            if refused.location:
                self.send_response(301)
                self.send_header("Location", refused.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_error(refused.status)
            return None
        packed = path.with_name(path.name + ".gz")
        use_gzip = (accepts_gzip(self.headers.get("Accept-Encoding", "")) and packed.is_file()
                    and root in packed.resolve().parents)
        body = packed if use_gzip else path
        try:
            handle = body.open("rb")
        except OSError:
            self.send_error(404)
            return None
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if use_gzip:
            self.send_header("Content-Encoding", "gzip")
        if packed.is_file():
            self.send_header("Vary", "Accept-Encoding")
        stat = body.stat()
        self.send_header("Content-Length", str(stat.st_size))
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.end_headers()
        return handle

    def list_directory(self, path):  # never reached through send_head; refuse all the same
        self.send_error(404)
        return None

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except (OSError, ValueError):  # anything else: an answer, not a traceback
            self.close_connection = True
            try:
                self.send_error(400)
            except OSError:
                pass

    def end_headers(self):
        if self.policy:
            self.send_header("Content-Security-Policy", self.policy)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        super().log_message(format, *(a[:200] if isinstance(a, str) else a for a in args))


class BoundedServer(http.server.ThreadingHTTPServer):
    """A threading server that holds at most :data:`MAX_CONNECTIONS` connections."""

    def __init__(self, *args, **kwargs) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):  # one line, no traceback
        print(f"preview: a request from {client_address[0]} failed", flush=True)


def site_policy(site: Path) -> str:
    """The policy the build put into the site's pages."""
    found = META.search((site / "index.html").read_text(encoding="utf-8"))
    if not found:
        raise SystemExit(f"{site / 'index.html'} has no Content-Security-Policy meta tag")
    return found.group(1)


def header_policy(policy: str) -> str:
    """``policy`` as a header sends it: with ``frame-ancestors 'none'``, which a meta tag
    cannot carry (no page of the site is meant to be framed).

    >>> header_policy("default-src 'self'")
    "default-src 'self'; frame-ancestors 'none'"
    """
    return policy if "frame-ancestors" in policy else f"{policy}; frame-ancestors 'none'"


def make_server(site: Path, port: int) -> BoundedServer:
    """The preview server for ``site`` on 127.0.0.1:``port`` (0: a free port), not started."""
    handler = type("Host", (StaticHost,), {"policy": header_policy(site_policy(site))})
    return BoundedServer(("127.0.0.1", port),
                         functools.partial(handler, directory=str(site)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. dist/site")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = make_server(args.site, args.port)
    print(f"serving {args.site} at http://127.0.0.1:{args.port}/ (Ctrl+C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
