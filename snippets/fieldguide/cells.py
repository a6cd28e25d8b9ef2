"""Run one page cell: the same function at build time and in the browser.

Each cell runs in a fresh namespace; what it prints is its output. An
exception becomes a one-line message, ``TypeName: message``: no traceback,
whose file names differ between CPython and Pyodide.

>>> run_cell("print(6 * 7)")
{'stdout': '42\\n', 'error': None}
>>> run_cell("x = 1")["stdout"]
''
>>> run_cell("print('partial'); 1 / 0")
{'stdout': 'partial\\n', 'error': 'ZeroDivisionError: division by zero'}
>>> run_cell("print(x)")["error"]      # nothing leaks from an earlier cell
"NameError: name 'x' is not defined"
"""

from __future__ import annotations

import contextlib
import io
import json


def run_cell(source: str) -> dict:
    """Execute ``source`` in a fresh namespace and capture its output."""
    if not isinstance(source, str):
        raise ValueError(f"source must be a string of Python code, got {source!r}")
    buffer = io.StringIO()
    namespace: dict = {"__name__": "__main__"}
    error = None
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
        except SyntaxError as exc:
            error = f"SyntaxError: {exc.msg} (line {exc.lineno})"
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the reader
            error = f"{type(exc).__name__}: {exc}"
    return {"stdout": buffer.getvalue(), "error": error}


def run_cell_json(source: str) -> str:
    """:func:`run_cell` as JSON, plus the text to show, for the browser worker.

    >>> run_cell_json("print('hi')")
    '{"stdout": "hi\\\\n", "error": null, "text": "hi"}'
    """
    result = run_cell(source)
    return json.dumps({**result, "text": display_text(result)})


def display_text(result: dict) -> str:
    """What the page shows under a cell: its output, then any error.

    >>> display_text({"stdout": "a\\n", "error": "ValueError: bad"})
    'a\\nValueError: bad'
    """
    parts = [result["stdout"].rstrip("\n")]
    if result["error"]:
        parts.append(result["error"])
    return "\n".join(part for part in parts if part)

