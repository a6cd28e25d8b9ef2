"""Run one page cell: the same function at build time and in the browser.

Each cell runs in a fresh namespace; what it prints is its output, capped at
:data:`MAX_OUTPUT_CHARS` characters or :data:`MAX_OUTPUT_LINES` lines (the
rest is dropped and a last line says so). An exception becomes a one-line
message, ``TypeName: message``: no traceback, whose file names differ between
CPython and Pyodide.

>>> run_cell("print(6 * 7)")
{'stdout': '42\\n', 'error': None}
>>> run_cell("x = 1")["stdout"]
''
>>> run_cell("print('partial'); 1 / 0")
{'stdout': 'partial\\n', 'error': 'ZeroDivisionError: division by zero'}
>>> run_cell("print(x)")["error"]      # nothing leaks from an earlier cell
"NameError: name 'x' is not defined"
>>> out = run_cell("for i in range(10**6): print(i)")["stdout"]
>>> out.splitlines()[MAX_OUTPUT_LINES - 1], out.splitlines()[-1]
('9999', '… output truncated: a cell shows at most 10,000 lines or 1,000,000 characters')

In the browser the worker passes ``isolate=True``: whatever a cell rebinds in
``builtins`` or in any module, and any module it imports, is undone when it
ends, so the next cell starts from the same interpreter state (see
:mod:`fieldguide.isolation`).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import time
from collections.abc import Callable

from .isolation import exec_isolated

MAX_OUTPUT_CHARS = 1_000_000
MAX_OUTPUT_LINES = 10_000
MAX_ERROR_CHARS = 1_000
CHUNK_CHARS = 65_536  # largest piece handed to the sink at once
FLUSH_AFTER_S = 0.1  # a sink hears about new output at least this often


class CappedOutput(io.TextIOBase):
    """A text stream that keeps the first characters and lines, drops the rest.

    With a ``sink``, output is handed to it instead of being kept: the first
    write at once, then in pieces of at most :data:`CHUNK_CHARS` characters, at
    least every :data:`FLUSH_AFTER_S` seconds while the cell prints (so a cell
    stopped at its time limit keeps all but its last moment's output).

    >>> out = CappedOutput(max_chars=10, max_lines=2)
    >>> for word in ["one\\n", "two\\n", "three\\n"]:
    ...     _ = out.write(word)
    >>> out.getvalue()
    'one\\ntwo\\n… output truncated: a cell shows at most 2 lines or 10 characters\\n'
    >>> pieces = []
    >>> out = CappedOutput(max_chars=5, sink=pieces.append)
    >>> out.write("x" * 50_000_000), pieces
    (50000000, ['xxxxx\\n… output truncated: a cell shows at most 10,000 lines or 5 characters\\n'])
    """

    def __init__(
        self,
        *,
        max_chars: int = MAX_OUTPUT_CHARS,
        max_lines: int = MAX_OUTPUT_LINES,
        sink: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self.chars_left = max_chars
        self.lines_left = max_lines
        self.sink = sink
        self.truncated = False
        self.note = f"… output truncated: a cell shows at most {max_lines:,} lines or {max_chars:,} characters"
        self.pending: list[str] = []
        self.pending_chars = 0
        self.kept: list[str] = []
        self.last_flush = -math.inf  # the first write goes out at once

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.truncated or not text:
            return len(text)
        piece = text[: self.chars_left]
        newlines = piece.count("\n")
        if newlines >= self.lines_left:
            cut = -1
            for _ in range(self.lines_left):
                cut = piece.index("\n", cut + 1)
            piece = piece[: cut + 1]
        self._keep(piece)
        self.chars_left -= len(piece)
        self.lines_left -= piece.count("\n")
        if len(piece) < len(text):
            self.truncated = True
            self._keep(("" if piece.endswith("\n") or not piece else "\n") + self.note + "\n")
            self.flush()
        elif self.sink and (
            self.pending_chars >= CHUNK_CHARS or time.monotonic() - self.last_flush >= FLUSH_AFTER_S
        ):
            self.flush()
        return len(text)

    def _keep(self, piece: str) -> None:
        if self.sink is None:
            self.kept.append(piece)
        else:
            self.pending.append(piece)
            self.pending_chars += len(piece)

    def flush(self) -> None:
        if self.sink is None or not self.pending:
            return
        text = "".join(self.pending)
        self.pending, self.pending_chars = [], 0
        self.last_flush = time.monotonic()
        for start in range(0, len(text), CHUNK_CHARS):
            self.sink(text[start : start + CHUNK_CHARS])

    def getvalue(self) -> str:
        """What was kept (without a sink: everything up to the cap)."""
        return "".join(self.kept)


def run_cell(
    source: str,
    *,
    sink: Callable[[str], object] | None = None,
    isolate: bool = False,
    keep_imports: bool = False,
) -> dict:
    """Execute ``source`` in a fresh namespace and capture its output.

    With a ``sink``, output goes to it as it is printed and ``stdout`` is
    empty; with ``isolate``, the interpreter's global state is restored after
    (see :func:`fieldguide.isolation.exec_isolated` for ``keep_imports``).
    """
    if not isinstance(source, str):
        raise ValueError(f"source must be a string of Python code, got {source!r}")
    output = CappedOutput(sink=sink)
    namespace: dict = {"__name__": "__main__"}
    try:
        code = compile(source, "<cell>", "exec")
    except SyntaxError as exc:
        return {"stdout": "", "error": describe(exc)}
    if isolate:
        error = exec_isolated(code, namespace, output, describe, keep_imports=keep_imports)
    else:
        error = None
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                exec(code, namespace)
            except BaseException as exc:  # noqa: BLE001 - every failure is reported to the reader
                error = describe(exc)
        namespace.clear()
    output.flush()
    return {"stdout": output.getvalue(), "error": error}


def describe(exc: BaseException) -> str:
    """``TypeName: message`` (with the line for a SyntaxError), whatever the exception does.

    At most :data:`MAX_ERROR_CHARS` characters: an error is a line, not output.

    >>> describe(ValueError("bad"))
    'ValueError: bad'
    >>> class Hostile(Exception):
    ...     def __str__(self): raise RuntimeError
    >>> describe(Hostile())
    "Hostile: (the exception's message could not be shown)"
    >>> len(describe(ValueError("x" * 50_000_000)))
    1000
    """
    try:
        if isinstance(exc, SyntaxError):
            text = f"SyntaxError: {exc.msg} (line {exc.lineno})"
        else:
            text = f"{type(exc).__name__}: {exc}"
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not escape the runner
        text = f"{type(exc).__name__}: (the exception's message could not be shown)"
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return text


def run_cell_json(
    source: str, sink: Callable[[str], object] | None = None, page_code: bool = False
) -> str:
    """:func:`run_cell` as JSON for the browser worker: isolated, output to ``sink``.

    ``page_code`` says the source is the page's own (not edited by the reader):
    the modules it imports stay loaded.

    >>> run_cell_json("print('hi')")
    '{"stdout": "hi\\\\n", "error": null, "text": "hi"}'
    """
    result = run_cell(source, sink=sink, isolate=True, keep_imports=page_code)
    return json.dumps({**result, "text": display_text(result)})


def output_limits_json() -> str:
    """The output cap as JSON, for the page, which counts what a run shows against it.

    The browser worker reads it at boot, before any reader's code runs;
    ``note`` is the last line a truncated output ends with.

    >>> limits = json.loads(output_limits_json())
    >>> limits["chars"], limits["lines"], limits["note"] == CappedOutput().note
    (1000000, 10000, True)
    """
    return json.dumps({"chars": MAX_OUTPUT_CHARS, "lines": MAX_OUTPUT_LINES, "note": CappedOutput().note})


def display_text(result: dict) -> str:
    """What the page shows under a cell: its output, then any error.

    >>> display_text({"stdout": "a\\n", "error": "ValueError: bad"})
    'a\\nValueError: bad'
    """
    parts = [result["stdout"].rstrip("\n")]
    if result["error"]:
        parts.append(result["error"])
    return "\n".join(part for part in parts if part)
