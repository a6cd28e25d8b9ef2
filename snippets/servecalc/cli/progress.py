"""Progress on stderr for the long commands (``simulate``, ``capacity``, ``plan``,
``frontier``), shown only when stderr is a terminal, so pipes, files and
``--json`` readers see nothing extra.

>>> import io
>>> out = io.StringIO()
>>> with progress_line("plan", stream=out, force=True) as report:
...     report(0.25); report(0.251); report(1.0)
>>> out.getvalue().split("\\r")[1:3]
['plan: 25 % done', 'plan: 100 % done']
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

Report = Callable[[float], None]


@contextlib.contextmanager
def progress_line(label: str, *, stream: TextIO | None = None,
                  force: bool = False) -> Iterator[Report | None]:
    """A ``report(fraction)`` callable that rewrites one ``label: N % done`` line on
    ``stream`` (stderr by default), or ``None`` when the stream is not a terminal
    (unless ``force``); the line is erased on exit, so the result prints on a clean line."""
    stream = sys.stderr if stream is None else stream
    if not force and not (hasattr(stream, "isatty") and stream.isatty()):
        yield None
        return
    shown = [-1]

    def report(fraction: float) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        if percent != shown[0]:
            shown[0] = percent
            stream.write(f"\r{label}: {percent} % done")
            stream.flush()

    try:
        yield report
    finally:
        if shown[0] >= 0:
            stream.write("\r" + " " * (len(label) + 12) + "\r")
            stream.flush()


__all__ = ["progress_line"]
