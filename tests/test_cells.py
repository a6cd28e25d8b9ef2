"""The page-cell runner under hostile cells: output caps, streaming, isolation (CPython side).

The browser suite (tests/browser/test_hostile_cells.py) runs the same cells in
Pyodide behind the page; these pin the runner's own contract.
"""

from __future__ import annotations

import sys
import textwrap

import fieldguide.forms
from fieldguide.cells import CHUNK_CHARS, MAX_OUTPUT_CHARS, MAX_OUTPUT_LINES, CappedOutput, run_cell


def note() -> str:
    return CappedOutput().note


def test_a_huge_print_is_cut_at_the_character_cap_with_a_last_line_saying_so():
    result = run_cell("print('x' * 50_000_000)")
    assert result["error"] is None
    first, last = result["stdout"].rstrip("\n").split("\n")
    assert first == "x" * MAX_OUTPUT_CHARS
    assert last == note()


def test_a_million_lines_are_cut_at_the_line_cap():
    lines = run_cell("for i in range(1_000_000): print(i)")["stdout"].splitlines()
    assert len(lines) == MAX_OUTPUT_LINES + 1
    assert lines[-2:] == [str(MAX_OUTPUT_LINES - 1), note()]


def test_streamed_output_comes_in_bounded_pieces_and_nothing_is_kept_twice():
    pieces = []
    result = run_cell("print('y' * 300_000)\nprint('end')", sink=pieces.append)
    assert result["stdout"] == ""
    assert max(map(len, pieces)) == CHUNK_CHARS
    assert "".join(pieces) == "y" * 300_000 + "\nend\n"


def test_output_printed_before_an_error_is_kept():
    result = run_cell("for _ in range(20_000): print('z' * 100)\nraise MemoryError('late')")
    assert result["stdout"].endswith(note() + "\n")
    assert result["error"] == "MemoryError: late"


def test_an_exception_whose_message_fails_is_still_reported():
    code = "class E(Exception):\n    def __str__(self): raise RuntimeError\nraise E()"
    assert run_cell(code)["error"] == "E: (the exception's message could not be shown)"
    assert run_cell(code, isolate=True)["error"] == "E: (the exception's message could not be shown)"


POISON = textwrap.dedent("""\
    import builtins, sys, json, colorsys
    builtins.print = lambda *a, **k: None
    builtins.len = None
    json.dumps = None
    sys.modules["fieldguide.forms"] = None
    sys.meta_path.insert(0, None)
    sys.setrecursionlimit(60)
    """)


def test_an_isolated_run_undoes_rebound_names_new_modules_and_settings():
    sys.modules.pop("colorsys", None)
    limit = sys.getrecursionlimit()
    assert run_cell(POISON, isolate=True) == {"stdout": "", "error": None}
    assert run_cell("print(len('abc'), __import__('json').dumps([1]))", isolate=True) == {
        "stdout": "3 [1]\n", "error": None,
    }
    assert "colorsys" not in sys.modules
    assert None not in sys.meta_path
    assert sys.getrecursionlimit() == limit
    assert sys.modules["fieldguide.forms"] is fieldguide.forms


def test_a_value_with_a_lying_eq_is_still_seen_as_a_change():
    code = textwrap.dedent("""\
        import builtins
        class Liar:
            def __eq__(self, other): return True
            __hash__ = None
            def __call__(self, *a, **k): pass
        builtins.print = Liar()
        """)
    run_cell(code, isolate=True)
    assert run_cell("print('still here')", isolate=True)["stdout"] == "still here\n"


def test_our_classes_and_functions_changed_in_place_come_back():
    code = textwrap.dedent("""\
        from fieldguide.cells import CappedOutput
        from servecalc import units
        CappedOutput.write = lambda self, text: len(text)
        units.fmt_int.__code__ = (lambda *a, **k: "poisoned").__code__
        """)
    run_cell(code, isolate=True)
    result = run_cell("from servecalc.units import fmt_int; print(fmt_int(1234))", isolate=True)
    assert result == {"stdout": "1,234\n", "error": None}


def test_the_pages_own_code_keeps_its_imports_loaded_for_the_next_cell():
    sys.modules.pop("colorsys", None)
    run_cell("import colorsys", isolate=True, keep_imports=True)
    assert "colorsys" in sys.modules
    run_cell("import colorsys; colorsys.rgb_to_hsv = None", isolate=True)
    assert callable(sys.modules["colorsys"].rgb_to_hsv)
