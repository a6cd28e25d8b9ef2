"""make dist's packaging: precompressed files, the PDF in the site, a reproducible archive."""

from __future__ import annotations

import gzip
import tarfile

import pytest

from fieldguide.build import dist
from fieldguide.build.compress import served_size


def _site(root):
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<html>" + "words " * 2000 + "</html>")
    (root / "assets" / "app.js").write_text("let x = 1;\n" * 500)
    (root / "assets" / "font.woff2").write_bytes(bytes(range(256)) * 8)
    (root / "tiny.css").write_text("a{}")
    return root


def test_dist_precompresses_adds_the_pdf_and_archives_reproducibly(tmp_path):
    site = _site(tmp_path / "site")
    pdf = tmp_path / "guide.pdf"
    pdf.write_bytes(b"%PDF-1.7 fake")
    args = ["--site", str(site), "--pdf", str(pdf), "--archive", str(tmp_path / "a.tar.gz")]
    assert dist.main(args) == 0
    first = (tmp_path / "a.tar.gz").read_bytes()
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        names = sorted(tar.getnames())
        html = tar.extractfile("index.html").read()
        packed = tar.extractfile("index.html.gz").read()
        assert {m.mtime for m in tar.getmembers()} == {1700000000}
    # Text gets a .gz that unpacks to the same bytes; a font (compressed
    # already) and a file that gzip would make bigger do not.
    assert names == ["assets/app.js", "assets/app.js.gz", "assets/font.woff2", "guide.pdf",
                     "index.html", "index.html.gz", "tiny.css"]
    assert gzip.decompress(packed) == html
    assert served_size(site / "index.html") == len(packed) < len(html) // 10
    # The same site gives the same archive, byte for byte.
    for gz in site.rglob("*.gz"):
        gz.unlink()
    assert dist.main(args) == 0
    assert (tmp_path / "a.tar.gz").read_bytes() == first


def test_dist_refuses_a_missing_site_or_pdf(tmp_path, capsys):
    site = _site(tmp_path / "site")
    assert dist.main(["--site", str(tmp_path), "--pdf", "x.pdf", "--archive", "a.tgz"]) == 2
    assert "holds no built site" in capsys.readouterr().err
    assert dist.main(["--site", str(site), "--pdf", str(tmp_path / "x.pdf"), "--archive", "a.tgz"]) == 2
    assert "does not exist (make pdf)" in capsys.readouterr().err


def test_preview_reads_the_policy_from_the_pages(tmp_path):
    from fieldguide.build.preview import site_policy

    (tmp_path / "index.html").write_text(
        '<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src \'self\'">'
    )
    assert site_policy(tmp_path) == "default-src 'self'"
    (tmp_path / "index.html").write_text("<p>none</p>")
    with pytest.raises(SystemExit, match="no Content-Security-Policy"):
        site_policy(tmp_path)
