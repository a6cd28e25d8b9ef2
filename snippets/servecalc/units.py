"""Unit constants and the formatters every printed number goes through.

SI (decimal) and binary (IEC) prefixes are never mixed: each formatter takes the
unit explicitly, so "GB" always means 10**9 bytes and "GiB" always 2**30.

>>> fmt_bytes(2 * GiB, "GiB")
'2.00 GiB'
>>> fmt_bytes(2 * GiB, "GB")
'2.15 GB'
>>> fmt_int(524288)
'524,288'
>>> fmt_duration(0.0123, "ms")
'12.3 ms'
>>> fmt_usd(1.5)
'$1.50'

Every formatter checks its number first: NaN, infinities, huge values (over
``1e30``) and non-numbers raise ``ValueError`` instead of printing ``'nan ms'``
or a 309-digit figure; byte counts and durations must also be >= 0 (a signed
difference goes through :func:`fmt_number`, :func:`fmt_percent` or
:func:`fmt_usd`).

>>> fmt_duration(float("nan"))
Traceback (most recent call last):
    ...
ValueError: seconds must be a finite number >= 0, got nan
"""

from __future__ import annotations

from .validate import ANY_NUMBER, choice, describe, is_number

KB = 10**3
MB = 10**6
GB = 10**9
TB = 10**12
KiB = 2**10
MiB = 2**20
GiB = 2**30
TiB = 2**40

BYTE_UNITS: dict[str, int] = {
    "B": 1,
    "KB": KB,
    "MB": MB,
    "GB": GB,
    "TB": TB,
    "KiB": KiB,
    "MiB": MiB,
    "GiB": GiB,
    "TiB": TiB,
}

DURATION_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def _checked(name: str, value: object, signed: bool = False) -> int | float:
    """``value`` if it is a finite number in [0, 1e30] (or [-1e30, 1e30] if ``signed``)."""
    low = -ANY_NUMBER.high if signed else 0
    if not is_number(value) or not low <= value <= ANY_NUMBER.high:  # type: ignore[operator]
        wanted = "a finite number" if signed else "a finite number >= 0"
        raise ValueError(f"{name} must be {wanted}, got {describe(value)}")
    return value  # type: ignore[return-value]


def fmt_int(value: int) -> str:
    """Format an integer with thousands separators.

    >>> fmt_int(85017493504)
    '85,017,493,504'
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"value must be an integer, got {describe(value)}")
    return f"{_checked('value', value, signed=True):,}"


def fmt_number(value: float, digits: int = 2) -> str:
    """Format a number with a fixed count of decimals and thousands separators.

    >>> fmt_number(1234.5678)
    '1,234.57'
    >>> fmt_number(3, digits=0)
    '3'
    """
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 12:
        raise ValueError(f"digits must be an integer in [0, 12], got {describe(digits)}")
    return f"{_checked('value', value, signed=True):,.{digits}f}"


def fmt_bytes(value: int | float, unit: str = "GiB", digits: int = 2) -> str:
    """Format a byte count in an explicit unit (SI or binary).

    >>> fmt_bytes(800 * KB, "KB", digits=0)
    '800 KB'
    >>> fmt_bytes(524288, "B", digits=0)
    '524,288 B'
    >>> fmt_bytes(1, "GiB-ish")
    Traceback (most recent call last):
        ...
    ValueError: unit must be one of 'B', 'KB', 'MB', 'GB', 'TB', 'KiB', 'MiB', 'GiB', 'TiB', got 'GiB-ish'
    """
    return f"{fmt_number(to_unit(value, unit), digits)} {unit}"


def to_unit(value: int | float, unit: str) -> float:
    """Convert a byte count to ``unit``.

    >>> to_unit(3 * GiB, "GiB")
    3.0
    """
    choice("unit", unit, BYTE_UNITS)
    return _checked("value", value) / BYTE_UNITS[unit]


def fmt_duration(seconds: float, unit: str = "ms", digits: int = 1) -> str:
    """Format a duration given in seconds, in ``s``, ``ms`` or ``us``.

    >>> fmt_duration(1.25, "s", digits=2)
    '1.25 s'
    """
    choice("unit", unit, DURATION_UNITS)
    return f"{fmt_number(_checked('seconds', seconds) / DURATION_UNITS[unit], digits)} {unit}"


def fmt_percent(ratio: float, digits: int = 1) -> str:
    """Format a ratio (0.25) as a percentage ('25.0 %').

    >>> fmt_percent(0.25)
    '25.0 %'
    """
    return f"{fmt_number(_checked('ratio', ratio, signed=True) * 100, digits)} %"


def fmt_usd(amount: float, digits: int = 2) -> str:
    """Format an amount in US dollars.

    >>> fmt_usd(1234.5)
    '$1,234.50'
    """
    return f"${fmt_number(_checked('amount', amount, signed=True), digits)}"
