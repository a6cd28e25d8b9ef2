"""Golden outputs: every number every page prints, compared with tests/golden/<page>.txt.

A change to the model, a catalog entry or a page's code that moves a printed
number fails here with a diff of the lines that moved. Review the diff, then
accept it with ``pytest tests/test_golden.py --update-goldens`` and explain the
change in the commit.
"""

from __future__ import annotations

import difflib

import pytest

from tests.golden_pages import GOLDEN, golden_name, page_text, pages

PAGES = pages()


def test_every_page_has_a_golden_file_and_no_file_is_stale():
    expected = {golden_name(p) for p in PAGES}
    present = {p.name for p in GOLDEN.glob("*.txt")}
    assert present <= expected, f"golden files for pages that no longer exist: {sorted(present - expected)}"


@pytest.mark.parametrize("source", PAGES, ids=[golden_name(p)[:-4] for p in PAGES])
def test_page_prints_its_golden_numbers(source, request):
    actual = page_text(source)
    golden = GOLDEN / golden_name(source)
    if request.config.getoption("--update-goldens"):
        GOLDEN.mkdir(exist_ok=True)
        if actual:
            golden.write_text(actual, encoding="utf-8")
        elif golden.exists():
            golden.unlink()
        return
    expected = golden.read_text(encoding="utf-8") if golden.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{golden.name}",
                tofile="now",
                n=1,
            )
        )
        pytest.fail(f"{source.name} prints different numbers (review, then --update-goldens):\n{diff}")
