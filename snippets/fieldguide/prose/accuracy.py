"""Placeholders for "How accurate is this?": the validation cases, as tables and figures.

Everything here is read from :func:`fieldguide.validation.evaluate`, so
adding a case to the library adds a row to the page.

>>> accuracy_count()
'39'
>>> accuracy_within() == f"{accuracy_count()} of {accuracy_count()}"
True
>>> accuracy_table("exact").strip().splitlines()[0].startswith("| Case |")
True
"""

from __future__ import annotations

import math
from functools import lru_cache

from servecalc.step import (
    DEFAULT_ALLREDUCE_HOP_LATENCY_S,
    DEFAULT_MBU,
    DEFAULT_MFU,
    DEFAULT_OVERHEAD_S,
)
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice
from fieldguide.validation import KINDS, ValidationRow, evaluate

__all__ = [
    "accuracy_count",
    "accuracy_within",
    "accuracy_max_error",
    "accuracy_median_error",
    "accuracy_bounds",
    "accuracy_table",
    "accuracy_setups",
    "accuracy_default",
]


@lru_cache(maxsize=1)
def _rows() -> tuple[ValidationRow, ...]:
    return tuple(evaluate())


def _select(kind: str | None) -> list[ValidationRow]:
    if kind is not None:
        choice("kind", kind, KINDS)
    return [r for r in _rows() if kind is None or r.kind == kind]


def _value(value: float, unit: str) -> str:
    """A value with four significant figures (trailing zeros dropped) and its unit.

    >>> _value(524288.0, "B"), _value(0.3125, "GiB"), _value(27.9853, "ms"), _value(1.82, "x")
    ('524,288 B', '0.3125 GiB', '27.99 ms', '1.82×')
    """
    if unit == "B":
        return f"{fmt_int(round(value))} B"
    digits = max(0, 3 - math.floor(math.log10(abs(value)))) if value else 0
    text = fmt_number(value, digits)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if unit == "x":
        return f"{text}×"
    if unit == "ratio":
        return text
    return f"{text} {unit}"


def accuracy_count(kind: str | None = None) -> str:
    """How many cases there are (of ``kind``: 'exact' or 'measured').

    >>> accuracy_count("measured")
    '19'
    """
    return fmt_int(len(_select(kind)))


def accuracy_within(kind: str | None = None) -> str:
    """How many cases are within their bound, 'N of M'."""
    rows = _select(kind)
    return f"{sum(r.within_bound for r in rows)} of {len(rows)}"


def accuracy_max_error(kind: str | None = None) -> str:
    """The largest absolute relative error.

    >>> accuracy_max_error("exact")
    '2.3 %'
    """
    return fmt_percent(max(abs(r.rel_error) for r in _select(kind)))


def accuracy_median_error(kind: str | None = None) -> str:
    """The median absolute relative error.

    >>> accuracy_median_error("exact")
    '0.0 %'
    """
    errors = sorted(abs(r.rel_error) for r in _select(kind))
    mid = len(errors) // 2
    median = errors[mid] if len(errors) % 2 else (errors[mid - 1] + errors[mid]) / 2
    return fmt_percent(median)


def accuracy_bounds() -> str:
    """The distinct error bounds of the measured cases, as a list.

    >>> accuracy_bounds()
    '10 %, 35 % and 80 %'
    """
    bounds = sorted({r.rel_error_bound for r in _select("measured")})
    texts = [fmt_percent(b, 0) for b in bounds]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def accuracy_table(kind: str) -> str:
    """Every case of ``kind`` as a Markdown table: source, published, library, error, bound.

    >>> row = [r for r in accuracy_table("exact").splitlines() if "524,288 B" in r][0]
    >>> "0.0 %" in row
    True
    """
    lines = [
        "| Case | Source | Published | Library | Error | Bound | Within |",
        "| :-- | :-- | --: | --: | --: | --: | :-: |",
    ]
    for r in _select(kind):
        source = f"[{_cell(r.source_title)}]({r.source_url}), {_cell(r.source_section)}"
        lines.append(
            f"| {_cell(r.description)} | {source} | {_value(r.published_value, r.unit)} | "
            f"{_value(r.library_value, r.unit)} | {fmt_percent(r.rel_error)} | "
            f"{fmt_percent(r.rel_error_bound)} | {'yes' if r.within_bound else '**no**'} |"
        )
    return "\n\n" + "\n".join(lines) + "\n\n"


def accuracy_setups(kind: str = "measured") -> str:
    """The conditions of each case and how they were mapped onto the library.

    >>> "FasterTransformer" in accuracy_setups()
    True
    """
    lines = ["| Case | Setup and assumptions |", "| :-- | :-- |"]
    for r in _select(kind):
        lines.append(f"| {_cell(r.description)} | {_cell(r.setup) or 'as published'} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def accuracy_default(name: str) -> str:
    """A default efficiency factor of the step model: 'mbu', 'mfu', 'overhead' or
    'hop_latency'.

    >>> accuracy_default("mbu"), accuracy_default("hop_latency")
    ('60 %', '2.4 us')
    """
    choice("name", name, ["mbu", "mfu", "overhead", "hop_latency"])
    if name == "mbu":
        return fmt_percent(DEFAULT_MBU, 0)
    if name == "mfu":
        return fmt_percent(DEFAULT_MFU, 0)
    if name == "overhead":
        return fmt_duration(DEFAULT_OVERHEAD_S, "ms", 0)
    return fmt_duration(DEFAULT_ALLREDUCE_HOP_LATENCY_S, "us", 1)
