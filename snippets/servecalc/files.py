"""Reading a named file, measured before it is read.

The command line's ``--measurements``, ``--vllm-result`` and ``--calibration``
read their files here: only a regular file is opened for reading (a FIFO, a
terminal or a device such as ``/dev/zero`` would block or never end), its size
is checked against :data:`~servecalc.validate.MAX_JSON_CHARS` before a byte is
read, and at most one byte more than that is read (a file that grows, or a
``/proc`` file that reports size 0, cannot get past the limit).

>>> read_text("/dev/null", "--measurements")
Traceback (most recent call last):
    ...
ValueError: --measurements '/dev/null' is not a regular file (a device, a pipe or a directory); give a file of at most 10,000,000 bytes
"""

from __future__ import annotations

import os
import stat

from .validate import MAX_JSON_CHARS, describe, positive_int, text


def _refuse(what: str, path: str, reason: str) -> ValueError:
    shown = repr(path) if len(path) <= 300 else describe(path)  # a path is shown whole
    return ValueError(f"{what} {shown} {reason}")


def read_text(path: str, what: str, *, limit: int = MAX_JSON_CHARS) -> str:
    """The UTF-8 text of the regular file ``path`` of at most ``limit`` bytes.

    ``what`` names the file in errors (an option such as ``--calibration``).
    A missing, unreadable, special, oversized or undecodable file is a
    ``ValueError`` naming ``what`` and the path.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     _ = f.write('{"mbu": 0.6}')
    >>> read_text(f.name, "--calibration")
    '{"mbu": 0.6}'
    >>> read_text(f.name, "--calibration", limit=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: --calibration '...json' is 12 bytes; at most 4 are read
    >>> os.remove(f.name)
    """
    text("what", what)
    limit = positive_int("limit", limit)
    if not isinstance(path, str) or not path or "\0" in path:
        raise ValueError(f"{what} must be the path of a file, got {describe(path)}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO returns at once
    except OSError as exc:
        raise _refuse(what, path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(what, path, "is not a regular file (a device, a pipe or a directory); "
                          f"give a file of at most {limit:,} bytes")
        if info.st_size > limit:
            raise _refuse(what, path, f"is {info.st_size:,} bytes; at most {limit:,} are read")
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise _refuse(what, path, f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _refuse(what, path, f"is more than {limit:,} bytes; at most {limit:,} are read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(what, path, f"is not UTF-8 text (byte {exc.start:,} cannot be "
                      "decoded)") from None


def _read_at_most(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``fd`` (fewer at the end of the file)."""
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
