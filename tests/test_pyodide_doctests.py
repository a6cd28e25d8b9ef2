"""servecalc's doctests inside Pyodide (Python 3.14) on Node, from the same wheel the site serves.

With them, the doctests of the site-layer modules that page cells import in the
browser (fieldguide.cells, .drills, .isolation, .validation). fieldguide.prose runs
at build time on CPython only, so its doctests run there (``make test-fast``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fieldguide.build.wheels import build_wheel

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.pyodide


def test_doctests_pass_inside_pyodide(tmp_path):
    assert shutil.which("node"), "node is required (Node 20)"
    wheel = build_wheel(ROOT, tmp_path)
    proc = subprocess.run(
        ["node", "tests/pyodide/run_doctests.mjs", str(wheel)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    print(proc.stdout[-4000:], proc.stderr[-4000:])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Python 3.14" in proc.stdout
    passed, failed = map(int, re.search(r"^(\d+) passed, (\d+) failed$", proc.stdout, re.M).groups())
    assert failed == 0
    # Pyodide ran exactly the examples CPython finds in the same modules.
    assert passed == cpython_example_count()


def cpython_example_count() -> int:
    import doctest
    import importlib
    import pkgutil

    import fieldguide.validation
    import servecalc

    names = [i.name for i in pkgutil.walk_packages(servecalc.__path__, "servecalc.")]
    names += [i.name for i in pkgutil.walk_packages(fieldguide.validation.__path__, "fieldguide.validation.")]
    names += ["fieldguide.cells", "fieldguide.drills", "fieldguide.isolation", "fieldguide.validation"]
    finder = doctest.DocTestFinder()
    count = 0
    for name in names:
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        count += sum(len(test.examples) for test in finder.find(module))
    return count
