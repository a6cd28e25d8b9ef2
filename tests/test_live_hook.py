"""hooks/live.py: build-time cells, calculators and the lock entries it writes."""

from __future__ import annotations

import hashlib
import zipfile

import pytest
from pymdownx.superfences import SuperFencesException

from tests.test_pyodide_doctests import load_live_hook

live = load_live_hook()


def cell(source: str, **options) -> str:
    return live.format_cell(source, "pycell", "pycell", options, None)


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
    assert live._validate_cell("pycell", {"timeout": "30"}, options, {}, None)
    assert options == {"timeout": 30}
    assert not live._validate_cell("pycell", {"timeout": "-1"}, {}, {}, None)
    assert not live._validate_cell("pycell", {"color": "red"}, {}, {}, None)


def test_unknown_calculator_stops_the_build():
    with pytest.raises(SuperFencesException, match="calculator 'nope'"):
        live.format_calculator("nope\n", "calculator", "calculator", {}, None)


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
    entry = live.wheel_lock_entry(wheel, "wheels/abc/demo_pkg-1.2.0-py3-none-any.whl")
    assert entry["name"] == "demo-pkg" and entry["version"] == "1.2.0"
    assert entry["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert entry["imports"] == ["demo_pkg", "helper"]
    assert entry["depends"] == ["lazy-importer", "zipp"]
    assert entry["install_dir"] == "site" and entry["package_type"] == "package"
