"""The preview server (`make preview`) as a hostile client meets it: raw requests to
127.0.0.1 on a free port, bounded in number and time (issue 24)."""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time

import pytest

from fieldguide.build import preview

CSP = "default-src 'self'"
PAGE = f'<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{CSP}"><p>home'


@pytest.fixture()
def server(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "kv-cache").mkdir(parents=True)
    (site / "assets").mkdir()
    (site / "index.html").write_text(PAGE)
    (site / "kv-cache" / "index.html").write_text("<p>kv page")
    (site / "app.js").write_text("plain();")
    (site / "app.js.gz").write_bytes(gzip.compress(b"zipped();"))
    (site / "assets" / "a.css").write_text("p{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the site")
    (site / "leak.txt").symlink_to(secret)
    (site / "leakdir").symlink_to(tmp_path)
    monkeypatch.setattr(preview, "IDLE_TIMEOUT_S", 1)
    monkeypatch.setattr(preview.StaticHost, "timeout", 1)
    monkeypatch.setattr(preview, "MAX_CONNECTIONS", 4)
    httpd = preview.make_server(site, 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` and read the whole answer (the server closes after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def get(port: int, path: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
    extra = "".join(f"{h}\r\n" for h in headers)
    answer = raw(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode("latin-1"))
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), fields, body


def test_serves_pages_with_the_policy_and_security_headers(server):
    status, headers, body = get(server, "/")
    assert status == 200 and body.endswith(b"<p>home")
    assert headers["content-security-policy"] == f"{CSP}; frame-ancestors 'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cross-origin-opener-policy"] == "same-origin"
    status, headers, _ = get(server, "/missing")
    assert status == 404 and headers["x-content-type-options"] == "nosniff"


def test_a_symbolic_link_out_of_the_site_is_not_followed(server):
    for path in ("/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/%2e%2e/secret.txt",
                 "/../secret.txt"):
        status, _, body = get(server, path)
        assert status in (400, 404), path
        assert b"outside the site" not in body, path


def test_no_directory_is_listed(server):
    status, _, body = get(server, "/assets/")
    assert status == 404
    assert b"a.css" not in body


def test_a_directory_without_its_slash_is_redirected(server):
    status, headers, _ = get(server, "/kv-cache")
    assert status in (301, 308) and headers["location"] == "/kv-cache/"
    status, headers, _ = get(server, "/kv-cache?x=1")
    assert status in (301, 308) and headers["location"] == "/kv-cache/?x=1"
    status, _, body = get(server, "/kv-cache/")
    assert status == 200 and body == b"<p>kv page"


@pytest.mark.parametrize(("accept", "zipped"), [
    ("Accept-Encoding: gzip, deflate", True),
    ("Accept-Encoding: gzip;q=0", False),
    ("Accept-Encoding: br, *;q=0", False),
    ("Accept-Encoding: identity", False),
    (None, False),
])
def test_gzip_only_where_the_client_accepts_it(server, accept, zipped):
    status, headers, body = get(server, "/app.js", *([accept] if accept else []))
    assert status == 200
    assert ("content-encoding" in headers) is zipped
    assert (gzip.decompress(body) if zipped else body) == (b"zipped();" if zipped else b"plain();")
    assert headers["content-type"] == "text/javascript"
    assert headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize("path", ["/%00", "/a%00b.html", "/%ff%fe", "/" + "a" * 5000,
                                  "/" + "a/" * 3000, "/\\..\\etc"])
def test_every_malformed_path_gets_an_answer(server, path, capfd):
    status, headers, _ = get(server, path)
    assert status in (400, 404, 414), path
    assert headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in capfd.readouterr().err


def test_garbage_request_lines_get_an_answer(server):
    for request in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                    b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n"):
        answer = raw(server, request)
        status_line = answer.split(b"\r\n")[0]
        if status_line.startswith(b"HTTP/1."):
            assert int(status_line.split()[1]) in (400, 414, 505), request[:20]
        else:  # no version in the request line: answered as HTTP/0.9 does, a bare body
            assert re.search(rb"Error code: (400|414|505)", answer), request[:20]


def closed_within(s: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``s`` (sending nothing) within ``seconds``."""
    s.settimeout(seconds)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_an_idle_connection_is_closed(server):
    with socket.create_connection(("127.0.0.1", server), timeout=5) as idle:
        started = time.monotonic()
        assert closed_within(idle, 20)  # the fixture's timeout is 1 s
        assert time.monotonic() - started < 20
    status, _, _ = get(server, "/")  # and the server still answers
    assert status == 200


def test_connections_beyond_the_bound_are_closed_at_once(server, monkeypatch):
    monkeypatch.setattr(preview.StaticHost, "timeout", 60)  # idle ones stay while we look
    held = [socket.create_connection(("127.0.0.1", server), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.5)  # the server has taken them (its bound is 4 in the fixture)
        extra = socket.create_connection(("127.0.0.1", server), timeout=5)
        with extra:
            assert closed_within(extra, 20)  # closed long before the 60 s timeout
        assert not closed_within(held[0], 0.2)  # the first four are still open
    finally:
        for s in held:
            s.close()
