"""fieldguide.build (behind hooks/live.py): build-time cells, calculators, lock entries, caching."""

from __future__ import annotations

import hashlib
import threading
import zipfile

import pytest
from pymdownx.superfences import SuperFencesException

from fieldguide.build import fences
from fieldguide.build.cache import cached, inputs_digest
from fieldguide.build.wheels import wheel_digest, wheel_lock_entry


def cell(source: str, **options) -> str:
    return fences.format_cell(source, "pycell", "pycell", options, None)


def test_cell_output_is_computed_at_build_time_and_escaped():
    html = cell("print('<b>', 6 * 7)")
    assert "data-live-cell" in html and 'data-timeout-s="10"' in html
    assert '<pre class="cell-output" data-output data-state="static">&lt;b&gt; 42</pre>' in html


def test_a_failing_cell_stops_the_build_unless_the_error_is_expected():
    with pytest.raises(SuperFencesException, match="ZeroDivisionError"):
        cell("1 / 0")
    html = cell("1 / 0", raises="ZeroDivisionError")
    assert 'data-state="error">ZeroDivisionError: division by zero</pre>' in html
    with pytest.raises(SuperFencesException, match="expected to raise ValueError"):
        cell("1 / 0", raises="ValueError")


def test_fence_options_are_validated():
    options: dict = {}
    assert fences.validate_cell("pycell", {"timeout": "30"}, options, {}, None)
    assert options == {"timeout": 30}
    assert not fences.validate_cell("pycell", {"timeout": "-1"}, {}, {}, None)
    assert not fences.validate_cell("pycell", {"color": "red"}, {}, {}, None)


def test_unknown_calculator_stops_the_build():
    with pytest.raises(SuperFencesException, match="calculator 'nope'"):
        fences.format_calculator("nope\n", "calculator", "calculator", {}, None)


def test_lock_entry_records_hash_imports_and_unconditional_dependencies(tmp_path):
    wheel = tmp_path / "demo_pkg-1.2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo_pkg/__init__.py", "")
        zf.writestr("helper.py", "")
        zf.writestr(
            "demo_pkg-1.2.0.dist-info/METADATA",
            "Name: demo-pkg\nRequires-Dist: zipp>=3\nRequires-Dist: Lazy_Importer; "
            'python_version < "3.15"\nRequires-Dist: pytest; extra == "test"\n',
        )
    entry = wheel_lock_entry(wheel, "wheels/abc/demo_pkg-1.2.0-py3-none-any.whl")
    assert entry["name"] == "demo-pkg" and entry["version"] == "1.2.0"
    assert entry["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert entry["imports"] == ["demo_pkg", "helper"]
    assert entry["depends"] == ["lazy-importer", "zipp"]
    assert entry["install_dir"] == "site" and entry["package_type"] == "package"


def _tree(root):
    for name, text in {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "README.md": "readme",
        "snippets/servecalc/kv.py": "A = 1\n",
        "snippets/fieldguide/prose/kv.py": "B = 2\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_wheel_is_rebuilt_only_when_its_sources_change(tmp_path, monkeypatch):
    from fieldguide.build import wheels

    _tree(tmp_path)
    built = []

    def fake_build(root, out_dir):
        built.append(out_dir.name)
        (out_dir / "servecalc-0.1.0-py3-none-any.whl").write_bytes(b"wheel")
        return out_dir / "servecalc-0.1.0-py3-none-any.whl"

    monkeypatch.setattr(wheels, "build_wheel", fake_build)
    cache = tmp_path / "build" / "cache"
    first = wheels.cached_wheel(tmp_path, cache)
    # A byte-code cache is not a source: same digest, no rebuild.
    (tmp_path / "snippets/servecalc/__pycache__").mkdir()
    (tmp_path / "snippets/servecalc/__pycache__/kv.cpython-311.pyc").write_bytes(b"\0")
    assert wheels.cached_wheel(tmp_path, cache) == first
    assert len(built) == 1
    (tmp_path / "snippets/fieldguide/prose/kv.py").write_text("B = 3\n")
    second = wheels.cached_wheel(tmp_path, cache)
    assert len(built) == 2 and second != first and not first.exists()


def test_two_builds_making_the_same_entry_at_once_both_get_a_whole_one(tmp_path):
    # The tests build the site and the PDF's print site side by side, from the same cache.
    both_inside = threading.Barrier(2, timeout=30)
    results, errors, visible = [], [], []

    def make(folder):
        (folder / "out.txt").write_text("half")
        visible.append((tmp_path / "cache" / "abc").exists())   # a reader would see half of it
        both_inside.wait()                        # neither has finished its entry yet
        (folder / "out.txt").write_text("whole")
        return folder / "out.txt"

    def build():
        try:
            results.append(cached(tmp_path / "cache", "abc", make))
        except Exception as exc:                  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert visible == [False, False]
    assert results[0] == results[1] == tmp_path / "cache" / "abc" / "out.txt"
    assert results[0].read_text() == "whole"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["abc"]   # no half-made folder left


def test_inputs_digest_names_files_relative_to_the_root(tmp_path):
    _tree(tmp_path)
    other = tmp_path / "copy"
    other.mkdir()
    _tree(other)
    # The same tree elsewhere has the same digest; a changed version string does not.
    assert wheel_digest(tmp_path) == wheel_digest(other)
    files = [tmp_path / "README.md"]
    assert inputs_digest(tmp_path, files, "esbuild 1") != inputs_digest(tmp_path, files, "esbuild 2")
