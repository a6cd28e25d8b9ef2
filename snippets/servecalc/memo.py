"""Answers of a slow, deterministic computation, kept so that each is computed once.

:func:`servecalc.slo_capacity.max_rate_under_slo` simulates 50,000 to 90,000
requests per answer, and the guide asks for the same configurations many
times: in its prose, its cells, its calculators and its notebooks, then again
in the print build of the PDF and in the tests. A :class:`Memo` keeps every
answer for the life of the process. When the environment variable
:data:`DISK_ENV` names a folder, it also keeps them there, one JSON file per
answer, so that separate processes (``mkdocs build``, a notebook's kernel, the
PDF's print build, pytest) compute each configuration once between them.

A file on disk is named by a digest of the arguments *and* of every file of
the ``servecalc`` package (code and catalogs) and the Python version, so an edit to the model, a
default or a catalog entry can never bring back an answer computed before it;
answers for other versions of the package are removed when the first answer
for a new version is written. Reading a file gives exactly the answer
computing it would (floats survive JSON unchanged). In a browser (Pyodide)
the variable is never set: only the process memo applies.

>>> calls = []
>>> def slow(x):
...     calls.append(x)
...     return {"twice": 2 * x}
>>> memo = Memo("example", encode=lambda r: r, decode=lambda d: d, disk=False)
>>> memo.get_or_compute(("x", 21), lambda: slow(21)), memo.get_or_compute(("x", 21), lambda: slow(21))
({'twice': 42}, {'twice': 42})
>>> calls
[21]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")

#: The environment variable naming the folder of answers on disk (unset: none).
DISK_ENV = "SERVECALC_MEMO_DIR"

_PACKAGE = Path(__file__).resolve().parent
_package_digest: str | None = None


def package_digest() -> str:
    """A digest of every file of the ``servecalc`` package (paths and bytes), 16 hex digits.

    >>> len(package_digest()) == 16 and package_digest() == package_digest()
    True
    """
    global _package_digest
    if _package_digest is None:
        digest = hashlib.sha256()
        files = sorted(p for p in _PACKAGE.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"})
        for path in files:
            data = path.read_bytes()
            digest.update(f"{path.relative_to(_PACKAGE).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
        _package_digest = digest.hexdigest()[:16]
    return _package_digest


class Memo(Generic[T]):
    """Answers by key: in this process, and in ``$SERVECALC_MEMO_DIR/<name>/`` when set.

    ``key`` is a hashable tuple whose ``repr`` names every input (plain values and
    frozen dataclasses); ``encode`` turns an answer into JSON types and ``decode``
    back. ``disk=False`` keeps answers in the process only.

    >>> Memo("../up", encode=str, decode=str)
    Traceback (most recent call last):
        ...
    ValueError: name must be letters, digits, '-' or '_' (a folder's name), got '../up'
    """

    def __init__(self, name: str, *, encode: Callable[[T], object],
                 decode: Callable[[object], T], disk: bool = True) -> None:
        if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name)):
            raise ValueError(f"name must be letters, digits, '-' or '_' (a folder's name), "
                             f"got {name!r}")
        for what, function in (("encode", encode), ("decode", decode)):
            if not callable(function):
                raise ValueError(f"{what} must be a function of one argument, got {function!r}")
        if not isinstance(disk, bool):
            raise ValueError(f"disk must be True or False, got {disk!r}")
        self.name = name
        self.disk = disk
        self._encode = encode
        self._decode = decode
        self._answers: dict[tuple, T] = {}

    def get_or_compute(self, key: tuple, compute: Callable[[], T]) -> T:
        """The answer for ``key``: from this process, from disk, or ``compute()`` (then kept)."""
        if key in self._answers:
            return self._answers[key]
        file = self._file(key)
        answer: T | None = None
        if file is not None and file.is_file():
            try:
                answer = self._decode(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError, KeyError):
                answer = None          # a damaged or foreign file: compute again
        if answer is None:
            answer = compute()
            if file is not None:
                self._write(file, self._encode(answer))
        self._answers[key] = answer
        return answer

    def clear(self) -> None:
        """Forget the answers kept in this process (not those on disk)."""
        self._answers.clear()

    def _file(self, key: tuple) -> Path | None:
        folder = os.environ.get(DISK_ENV)
        if not folder or not self.disk:
            return None
        name = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        version = f"{package_digest()}-py{sys.version_info[0]}{sys.version_info[1]}"
        return Path(folder) / self.name / version / f"{name}.json"

    def _write(self, file: Path, data: object) -> None:
        """Write atomically (a parallel reader sees the whole file or none); drop other versions."""
        try:
            if not file.parent.is_dir():
                for old in file.parent.parent.glob("*"):
                    if old.is_dir() and old.name != file.parent.name:
                        shutil.rmtree(old, ignore_errors=True)
                file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, file)
        except OSError:
            pass                       # a read-only or full disk: the process memo still holds it
