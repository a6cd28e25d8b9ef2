"""Argument types, error wording and the limits table of the ``servecalc`` command line.

Each numeric option parses with a type from :func:`count`, :func:`number` or
:func:`share`, which applies the library's own check (and its documented
limit, :data:`servecalc.validate.LIMITS`) while argparse is still reading the
command line. A bad value therefore fails before any work starts, and the
error names the option as the user typed it:

>>> import argparse
>>> p = argparse.ArgumentParser(prog="demo", exit_on_error=False)
>>> _ = p.add_argument("--requests", type=count("requests"))
>>> p.parse_args(["--requests", "100000000000"])
Traceback (most recent call last):
    ...
argparse.ArgumentError: argument --requests: requests must be at most 1,000,000 (requests in one simulation or workload; see `servecalc limits`), got 100000000000
>>> p.parse_args(["--requests", "12"]).requests
12
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable

from ..validate import (
    describe,
    fraction,
    non_negative_int,
    non_negative_number,
    positive_int,
    limit_rows,
    positive_number,
    unit_interval,
)

Parse = Callable[[str], object]


def _typed(name: str, convert: Callable[[str], object], check: Callable[[str, object], object],
           kind: str) -> Parse:
    def parse(text: str) -> object:
        try:
            value = convert(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(
                f"{name} must be {kind}, got {describe(text)}") from None
        try:
            return check(name, value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind  # what argparse calls the type in its own messages
    return parse


def count(name: str, *, zero: bool = False) -> Parse:
    """An integer option checked like the library's ``name`` (>= 1, or >= 0 if ``zero``)."""
    return _typed(name, int, non_negative_int if zero else positive_int, "an integer")


def number(name: str, *, zero: bool = False) -> Parse:
    """A number option > 0 (or >= 0 if ``zero``), checked like the library's ``name``.

    >>> number("rate")("1e-320")
    Traceback (most recent call last):
        ...
    argparse.ArgumentTypeError: rate must be at least 1e-06 (arrivals per second; see `servecalc limits`), got 1e-320
    """
    return _typed(name, float, non_negative_number if zero else positive_number, "a number")


def share(name: str) -> Parse:
    """A fraction option in (0, 1], checked like the library's ``name``."""
    return _typed(name, float, fraction, "a number in (0, 1]")


def unit_share(name: str) -> Parse:
    """A number option in [0, 1], checked like the library's ``name``."""
    return _typed(name, float, unit_interval, "a number in [0, 1]")


def limits_text() -> str:
    """The limits as plain lines, for ``--help`` and ``servecalc limits``."""
    lines = ["Limits (values outside are refused before any work starts):"]
    for names, bounds, what in limit_rows():
        lines.append(f"  {bounds}: {what}")
        lines.append(textwrap.fill(names, width=79, initial_indent="      ",
                                   subsequent_indent="      "))
    lines.append("  Any other number must be finite and at most 1e+30.")
    return "\n".join(lines)


#: Library argument names whose option is spelled differently.
_OPTION_FOR = {"price_usd_per_hour": "price_per_hour", "cv": "arrival_cv", "think_s": "think_time"}


def blame(message: str, options: dict[str, str]) -> str:
    """Prefix a library error with the option it is about, when its first word names one.

    ``options`` maps argparse destinations (``price_per_hour``) to the option
    as typed (``--price-per-hour``).

    >>> blame("price_usd_per_hour must be at most 10,000", {"price_per_hour": "--price-per-hour"})
    'argument --price-per-hour: price_usd_per_hour must be at most 10,000'
    >>> blame("prompt + output of request 0 need 2047 tokens", {"prompt": "--prompt",
    ...       "output": "--output"})
    'arguments --prompt, --output: prompt + output of request 0 need 2047 tokens'
    >>> blame("the prompt does not fit", {"prompt": "--prompt"})
    'the prompt does not fit'
    """
    match = re.match(r"[a-z_]+(?:(?: \+ | and |, )[a-z_]+)*", message)
    words = re.findall(r"[a-z_]+", match.group(0)) if match else []
    found = [options[_OPTION_FOR.get(w, w)] for w in words if _OPTION_FOR.get(w, w) in options]
    if not found:
        return message
    return f"argument{'s' if len(found) > 1 else ''} {', '.join(found)}: {message}"
