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


def call_json(module: str, func: str, kwargs_json: str) -> str:
    """Call ``servecalc.<module>.<func>(**kwargs)`` and return JSON, for calculators.

    Only public functions of servecalc modules can be named, and arguments are
    plain JSON values: a calculator's state (say, from a URL) is data, never
    code to run.

    >>> call_json("kv", "kv_bytes_per_token", '{"model": "llama-2-7b"}')
    '{"value": 524288, "error": null}'
    >>> call_json("os", "system", '{}')
    '{"value": null, "error": "ValueError: module must be a servecalc module name, got \\'os\\'"}'
    """
    import importlib
    import pkgutil

    import servecalc

    try:
        names = {info.name for info in pkgutil.iter_modules(servecalc.__path__)}
        if module not in names or module in {"cells", "cli", "__main__"}:
            raise ValueError(f"module must be a servecalc module name, got {module!r}")
        if not func.isidentifier() or func.startswith("_"):
            raise ValueError(f"func must be a public function name, got {func!r}")
        target = getattr(importlib.import_module(f"servecalc.{module}"), func, None)
        if not callable(target):
            raise ValueError(f"func {func!r} is not a function of servecalc.{module}")
        kwargs = json.loads(kwargs_json)
        if not isinstance(kwargs, dict):
            raise ValueError(f"kwargs must be a JSON object, got {kwargs_json!r}")
        return json.dumps({"value": _jsonable(target(**kwargs)), "error": None})
    except Exception as exc:  # noqa: BLE001 - reported to the reader under the calculator
        return json.dumps({"value": None, "error": f"{type(exc).__name__}: {exc}"})


def _jsonable(value: object) -> object:
    """Dataclasses become dicts (with their properties left out), tuples lists."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
