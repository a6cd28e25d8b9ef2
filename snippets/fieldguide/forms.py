"""Calculator form fields: rendered to HTML at build time, parsed in Python.

The browser sends every control's value as a string (from the form or from the
URL); :func:`parse_values` is the single place that turns them into typed
arguments, and it rejects anything outside the field's options or range with a
``ValueError`` that names the field.

>>> f = Field(name="batch", label="Batch", kind="int", default=8, min=1, max=1024)
>>> parse_values([f], {"batch": "32"})
{'batch': 32}
>>> parse_values([f], {"batch": "0"})
Traceback (most recent call last):
    ...
ValueError: batch must be a whole number from 1 to 1,024, got '0'
>>> g = Field(name="n", label="N", kind="select", default="a",
...           options=[(f"o{i}", "") for i in range(14)])
>>> parse_values([g], {"n": "0"})
Traceback (most recent call last):
    ...
ValueError: n must be one of 'o0', 'o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8', 'o9', 'o10', 'o11', … (14 in all), got '0'

Numbers are read as a number input holds them, ASCII decimal forms only:
Python's own ``int()`` would also take ``'1_0'`` and Arabic-Indic digits,
which the page's control shows as empty.

>>> parse_values([f], {"batch": "1_0"})
Traceback (most recent call last):
    ...
ValueError: batch must be a whole number from 1 to 1,024 written in ASCII digits, got '1_0'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape


LISTED_OPTIONS = 12  # an error about a select names this many of its options
SHOWN_CHARS = 64  # an error quotes at most this much of a value or a name

#: A number as an HTML number input holds it (a "valid floating-point number").
NUMBER = re.compile(r"-?(?:[0-9]+|[0-9]*\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def shown(text: str) -> str:
    """``repr`` of a value for an error message, cut to :data:`SHOWN_CHARS` characters.

    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)"
    """
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return f"{text[:SHOWN_CHARS]!r}"[:-1] + f"…' ({len(text):,} characters)"


@dataclass(frozen=True, kw_only=True)
class Field:
    """One control. ``kind`` is 'select', 'int', 'float' or 'text' (free text, e.g.
    a pasted calibration; at most ``max`` characters, :data:`TEXT_LIMIT` if unset).

    ``slider`` shows a range input next to the number; ``show_when`` names
    another field and the value it must have for this one to be shown (the
    custom-model fields appear when the model picker says "custom").
    """

    name: str
    label: str
    kind: str
    default: object
    options: Sequence[tuple[str, str]] = ()
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: str = ""
    slider: bool = False
    show_when: tuple[str, str] | None = None
    help: str = field(default="")
    upload: str = ""  # a 'text' field: file types a "load a file" button accepts ("" none)
    log: bool | None = None  # a logarithmic slider (None: when the range spans 1,000x or more)

    @property
    def log_slider(self) -> bool:
        """Whether the slider moves on a log scale: asked for, or (by default) a
        positive range spanning three orders of magnitude or more, so that each
        part of the track covers the same ratio (1 to 1,048,576 tokens: 70 % of
        the way is 16,384, not 734,003).

        >>> Field(name="c", label="C", kind="int", default=8, min=1, max=2**20, slider=True).log_slider
        True
        >>> Field(name="u", label="U", kind="float", default=0.5, min=0.1, max=1.0, slider=True).log_slider
        False
        """
        if self.log is not None:
            return self.log
        return (self.slider and self.min is not None and self.max is not None
                and self.min > 0 and self.max / self.min >= 1000)


#: Positions of a logarithmic slider's track (its range input runs 0 to this).
LOG_STEPS = 1000

#: Fields that describe the deployment: set once, shared by every calculator on a
#: page that has them (web/cells.js), and kept in the link once as ``deploy.NAME``.
SHARED_FIELDS = ("model", "gpu", "weight_dtype", "kv_dtype", "engine")


def slider_value(f: Field, position: float) -> float:
    """The value at ``position`` (0 to :data:`LOG_STEPS`) of a log slider's track:
    ``min * (max / min) ** (position / LOG_STEPS)``, rounded for an int field.
    web/cells.js computes the same.

    >>> c = Field(name="c", label="C", kind="int", default=8, min=1, max=2**20, slider=True)
    >>> slider_value(c, 700), slider_value(c, 0), slider_value(c, LOG_STEPS)
    (16384, 1, 1048576)
    """
    lo, hi = float(f.min), float(f.max)  # type: ignore[arg-type]
    value = lo * (hi / lo) ** (min(max(position, 0), LOG_STEPS) / LOG_STEPS)
    return min(max(round(value), int(lo)), int(hi)) if f.kind == "int" else value


def slider_position(f: Field, value: float) -> int:
    """Where ``value`` sits on a log slider's track (0 to :data:`LOG_STEPS`).

    >>> c = Field(name="c", label="C", kind="int", default=8, min=1, max=2**20, slider=True)
    >>> slider_position(c, 32768), slider_position(c, 0), slider_position(c, 10**9)
    (750, 0, 1000)
    """
    lo, hi = float(f.min), float(f.max)  # type: ignore[arg-type]
    clamped = min(max(float(value), lo), hi)
    return round(LOG_STEPS * math.log(clamped / lo) / math.log(hi / lo))


def field_error(f: Field, message: str) -> ValueError:
    """The ``ValueError`` for a value ``f`` cannot take. Its text names the argument
    (as the library's errors do); it also carries ``field`` (the name) and
    ``plain``, the sentence shown next to the control, which names the field as
    the reader sees it (its label).

    >>> e = field_error(Field(name="batch", label="Batch", kind="int", default=8), "batch must be > 0, got '0'")
    >>> e.field, e.plain
    ('batch', "Batch must be > 0; you entered '0'.")
    """
    error = ValueError(message)
    error.field = f.name  # type: ignore[attr-defined]
    error.plain = plain_message(f, message)  # type: ignore[attr-defined]
    return error


def plain_message(f: Field, message: str) -> str:
    """``message`` (which starts with the field's name) as the reader sees the field.

    >>> f = Field(name="price_usd_per_hour", label="Price per GPU-hour", kind="float", default=2.0)
    >>> plain_message(f, "price_usd_per_hour must be a number from 0 to 1,000, got '-1'")
    "Price per GPU-hour must be a number from 0 to 1,000; you entered '-1'."
    """
    rest = message[len(f.name):] if message.startswith(f.name) else f": {message}"
    rest = re.sub(r", got (.*)$", r"; you entered \1", rest)
    return f"{f.label}{rest}" + ("" if rest.endswith(".") else ".")


#: Longest value a 'text' field accepts (a calibration with its points is a few KB).
TEXT_LIMIT = 20_000


def _range_text(f: Field) -> str:
    lo = f"{f.min:,}" if f.min is not None else "-inf"
    hi = f"{f.max:,}" if f.max is not None else "inf"
    return f"from {lo} to {hi}"


def parse_value(f: Field, raw: object) -> object:
    """Turn one raw value (a string from the page) into the field's type."""
    text = str(raw).strip()
    if f.kind == "text":
        limit = TEXT_LIMIT if f.max is None else int(f.max)
        if len(text) > limit:
            raise field_error(f, f"{f.name} must be at most {limit:,} characters, got {len(text):,}")
        return text
    if f.kind == "select":
        allowed = [value for value, _ in f.options]
        if text not in allowed:
            listed = ", ".join(repr(a) for a in allowed[:LISTED_OPTIONS])
            if len(allowed) > LISTED_OPTIONS:
                listed += f", … ({len(allowed)} in all)"
            raise field_error(f, f"{f.name} must be one of {listed}, got {shown(text)}")
        return text
    number = None
    if NUMBER.fullmatch(text):
        try:
            number = float(text) if f.kind == "float" else int(text)
        except ValueError:
            pass
    ok = number is not None and math.isfinite(number)
    ok = ok and (f.min is None or number >= f.min) and (f.max is None or number <= f.max)
    if not ok:
        what = "a whole number" if f.kind == "int" else "a number"
        ascii_form = "" if not text or text.isascii() and "_" not in text else " written in ASCII digits"
        raise field_error(f, f"{f.name} must be {what} {_range_text(f)}{ascii_form}, got {shown(text)}")
    return number


def parse_values(fields: Sequence[Field], raw: Mapping[str, object]) -> dict:
    """Typed keyword arguments for every field; missing ones take their default."""
    known = {f.name for f in fields}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown field {shown(unknown[0])}; fields are {', '.join(sorted(known))}")
    return {f.name: parse_value(f, raw[f.name]) if f.name in raw else f.default for f in fields}


def render_field(f: Field, calc_id: str) -> str:
    """The HTML of one control, with its default value."""
    ident = f"{calc_id}-{f.name}"
    attrs = f'name="{escape(f.name)}" id="{escape(ident)}"'
    if f.kind == "select":
        opts = "".join(
            f'<option value="{escape(v)}"{" selected" if v == f.default else ""}>{escape(lbl)}</option>'
            for v, lbl in f.options
        )
        control = f"<select {attrs}>{opts}</select>"
    elif f.kind == "text":
        control = (f'<textarea {attrs} rows="{6 if f.upload else 3}" spellcheck="false" '
                   f'placeholder="{escape(f.help)}">{escape(str(f.default))}</textarea>')
        if f.upload:  # read in the page (cells.js), never sent anywhere
            limit = TEXT_LIMIT if f.max is None else int(f.max)
            control += (f'<input type="file" accept="{escape(f.upload)}" '
                        f'data-upload-for="{escape(f.name)}" data-max-bytes="{limit}" '
                        f'aria-label="Load the {escape(f.label)} from a file">')
    else:
        bounds = "".join(
            f' {key}="{value}"'
            for key, value in (("min", f.min), ("max", f.max), ("step", f.step or (1 if f.kind == "int" else "any")))
            if value is not None
        )
        control = f'<input type="number" inputmode="decimal" {attrs}{bounds} value="{f.default}">'
        if f.slider and f.log_slider:  # the track is positions; cells.js maps them
            control += (
                f'<input type="range" data-slider-for="{escape(f.name)}" aria-label="{escape(f.label)}"'
                f' min="0" max="{LOG_STEPS}" step="1" data-log data-min="{f.min}" data-max="{f.max}"'
                f' data-int="{1 if f.kind == "int" else 0}" value="{slider_position(f, f.default)}"'
                f' tabindex="-1">'  # type: ignore[arg-type]
            )
        elif f.slider:
            control += (
                f'<input type="range" data-slider-for="{escape(f.name)}" aria-label="{escape(f.label)}"'
                f'{bounds} value="{f.default}" tabindex="-1">'
            )
    unit = f'<span class="calc-unit">{escape(f.unit)}</span>' if f.unit else ""
    when = (
        f' data-show-when="{escape(f.show_when[0])}={escape(f.show_when[1])}" hidden'
        if f.show_when
        else ""
    )
    title = f' title="{escape(f.help)}"' if f.help else ""
    kind = " calc-field--text" if f.kind == "text" else ""
    shared = ' data-shared="deploy"' if f.name in SHARED_FIELDS else ""
    return (
        f'<div class="calc-field{kind}"{when}{title}{shared}><label for="{escape(ident)}">{escape(f.label)}</label>'
        f'<div class="calc-control">{control}{unit}</div>'
        f'<p class="calc-field-error" id="{escape(ident)}-error" hidden></p></div>'
    )


def render_form(calc_id: str, title: str, fields: Sequence[Field]) -> str:
    """The form; without JavaScript it is inert and the build-time result stands."""
    body = "".join(render_field(f, calc_id) for f in fields)
    return (
        f'<form class="calc-form" data-calc-form autocomplete="off" aria-label="{escape(title)}">'
        f"{body}</form>"
    )
