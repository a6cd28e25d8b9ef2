"""Argument checks shared by every public function.

Each check raises ``ValueError`` whose message names the argument, the value it
got and what is allowed, so a reader (or the CLI) can act on it.

>>> positive_int("batch", 8)
8
>>> positive_int("batch", 0)
Traceback (most recent call last):
    ...
ValueError: batch must be an integer >= 1, got 0
>>> fraction("mbu", 1.5)
Traceback (most recent call last):
    ...
ValueError: mbu must be a number in (0, 1], got 1.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 1."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 0."""
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def positive_number(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and > 0."""
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative_number(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and >= 0."""
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def fraction(name: str, value: object) -> float:
    """Return ``value`` as a float if it lies in (0, 1]."""
    if not _is_real(value) or not math.isfinite(value) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


def unit_interval(name: str, value: object) -> float:
    """Return ``value`` as a float if it lies in [0, 1]."""
    if not _is_real(value) or not math.isfinite(value) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def text_fields(kind: str, spec: object, required: Iterable[str], optional: Iterable[str]) -> None:
    """Check that ``spec``'s ``required`` fields are non-empty strings and ``optional`` strings.

    >>> class Spec: id, source = "", "paper"
    >>> text_fields("model", Spec(), ["id"], ["source"])
    Traceback (most recent call last):
        ...
    ValueError: model.id must be a non-empty string, got ''
    """
    for field in required:
        value = getattr(spec, field)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{kind}.{field} must be a non-empty string, got {value!r}")
    for field in optional:
        value = getattr(spec, field)
        if not isinstance(value, str):
            raise ValueError(f"{kind}.{field} must be a string, got {value!r}")


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``.

    >>> choice("phase", "decode", ["prefill", "decode"])
    'decode'
    >>> choice("phase", "train", ["prefill", "decode"])
    Traceback (most recent call last):
        ...
    ValueError: phase must be one of 'prefill', 'decode', got 'train'
    """
    options = list(allowed)
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value  # type: ignore[return-value]


def lookup(name: str, key: object, table: dict) -> object:
    """Return ``table[key]``; an unknown key names the closest known ones.

    >>> lookup("gpu", "h100", {"h100-sxm": 1, "h100-pcie": 2, "a100-80gb": 3})
    Traceback (most recent call last):
        ...
    ValueError: gpu 'h100' is not in the catalog; closest: 'h100-sxm', 'h100-pcie' (list them all with `servecalc gpus`)
    """
    import difflib

    if isinstance(key, str) and key.lower() in table:
        return table[key.lower()]
    text = key if isinstance(key, str) else repr(key)
    wanted = text.lower()
    prefixed = [known for known in table if known.startswith(wanted)]
    contained = [known for known in table if wanted in known]
    similar = difflib.get_close_matches(wanted, list(table), n=3, cutoff=0.5)
    close = list(dict.fromkeys(prefixed + contained + similar))[:3]
    hint = "closest: " + ", ".join(repr(c) for c in close) if close else "no close match"
    raise ValueError(
        f"{name} {key!r} is not in the catalog; {hint} (list them all with `servecalc {name}s`)"
    )
