"""Placeholders for "How accurate is this?": the validation cases, as tables and figures.

Everything here is read from :func:`fieldguide.validation.evaluate`, so
adding a case to the library adds a row to the page.

>>> accuracy_count()
'60'
>>> accuracy_table("exact").strip().splitlines()[0].startswith("| Case |")
True
"""

from __future__ import annotations

import math
from functools import lru_cache

from servecalc.step import DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S
from servecalc.step.comm import ONE_SHOT_BASE_S, ONE_SHOT_PER_GPU_S, RING_HOP_S
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice
from fieldguide.validation import KINDS, TOLERANCES, ValidationRow, evaluate


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
    '21'
    """
    return fmt_int(len(_select(kind)))


def accuracy_case(case_id: str, what: str) -> str:
    """One case's ``published`` value, ``library`` value or relative ``error``.

    >>> accuracy_case("sglang-eagle3-llama31-8b-bs1-speedup", "published")
    '2.357×'
    """
    choice("what", what, ["published", "library", "error"])
    row = next((r for r in _rows() if r.id == case_id), None)
    if row is None:
        raise ValueError(f"case_id must be a validation case ID, got {case_id!r}")
    if what == "error":
        return fmt_percent(row.rel_error, 0)
    return _value(row.published_value if what == "published" else row.library_value, row.unit)


def accuracy_max_error(kind: str | None = None) -> str:
    """The largest absolute relative error.

    >>> accuracy_max_error("exact")
    '2.6 %'
    """
    return fmt_percent(max(abs(r.rel_error) for r in _select(kind)))


def _median(values: list[float]) -> float:
    errors = sorted(values)
    mid = len(errors) // 2
    return errors[mid] if len(errors) % 2 else (errors[mid - 1] + errors[mid]) / 2


def accuracy_median_error(kind: str | None = None, quantity: str | None = None,
                          calibrated: bool = False) -> str:
    """The median absolute relative error (of measured cases of one ``quantity``, with
    the defaults or after the leave-one-out calibration).

    >>> accuracy_median_error("exact"), accuracy_median_error("measured",
    ...                       "decode")  # doctest: +ELLIPSIS
    ('0.0 %', '... %')
    >>> accuracy_median_error("measured", "decode", calibrated=True)
    '2.5 %'
    """
    rows = [r for r in _select(kind) if quantity is None or r.quantity == quantity]
    if calibrated:
        return fmt_percent(_median([abs(r.calibrated_rel_error) for r in rows
                                    if r.calibrated_rel_error is not None]))
    return fmt_percent(_median([abs(r.rel_error) for r in rows]))


def accuracy_tolerance(quantity: str) -> str:
    """The tolerance stated in advance for one measured quantity.

    >>> accuracy_tolerance("decode"), accuracy_tolerance("prefill")
    ('15 %', '20 %')
    """
    choice("quantity", quantity, TOLERANCES)
    return fmt_percent(TOLERANCES[quantity], 0)


def accuracy_strict(kind: str = "measured") -> str:
    """How many cases meet their quantity's tolerance itself, 'N of M'.

    >>> accuracy_strict()  # doctest: +ELLIPSIS
    '... of 21'
    """
    rows = _select(kind)
    met = sum(abs(r.rel_error) <= TOLERANCES[r.quantity] for r in rows)
    return f"{met} of {len(rows)}"


def accuracy_worst(kind: str = "measured") -> str:
    """The case with the largest error, as 'description (error)'.

    >>> accuracy_worst()  # doctest: +ELLIPSIS
    '... (... %)'
    """
    worst = max(_select(kind), key=lambda r: abs(r.rel_error))
    return f"{worst.description} ({fmt_percent(worst.rel_error)})"


def accuracy_explained() -> str:
    """The measured cases outside their tolerance, each with the reason (a list).

    >>> "server time" in accuracy_explained()
    True
    """
    seen: dict[str, list[str]] = {}
    for r in _select("measured"):
        if r.explained:
            seen.setdefault(r.explained, []).append(
                f"{r.description} ({fmt_percent(r.rel_error)})")
    items = [f"- **{'; '.join(cases)}.** {_cell(reason)}" for reason, cases in seen.items()]
    return "\n\n" + "\n".join(items) + "\n\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def accuracy_table(kind: str) -> str:
    """Every case of ``kind`` as a Markdown table: published, library, error,
    bound (and, for measured cases, the error after calibration), then the
    source. The source comes last: it is the widest column, and on a phone
    the numbers must be on the first screen of the table, not behind it.

    >>> row = [r for r in accuracy_table("exact").splitlines() if "524,288 B" in r][0]
    >>> "0.0 %" in row
    True
    """
    measured = kind == "measured"
    head = "| Case | Published | Library | Error | Bound | Within |"
    rule = "| :-- | --: | --: | --: | --: | :-: |"
    if measured:
        head, rule = head + " Calibrated |", rule + " --: |"
    head, rule = head + " Source |", rule + " :-- |"
    lines = [head, rule]
    for r in _select(kind):
        source = f"[{_cell(r.source_title)}]({r.source_url}), {_cell(r.source_section)}"
        line = (
            f"| {_cell(r.description)} | {_value(r.published_value, r.unit)} | "
            f"{_value(r.library_value, r.unit)} | {fmt_percent(r.rel_error)} | "
            f"{fmt_percent(r.rel_error_bound)} | {'yes' if r.within_bound else '**no**'} |"
        )
        if measured:
            after = r.calibrated_rel_error
            line += f" {'–' if after is None else fmt_percent(after)} |"
        lines.append(f"{line} {source} |")
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
    """A default of the step model: 'mbu', 'mfu', 'overhead', 'hop_latency' (ring,
    per hop) or 'one_shot_latency' (a small one-shot all-reduce on 8 GPUs).

    >>> accuracy_default("mbu"), accuracy_default("hop_latency")  # doctest: +ELLIPSIS
    ('... %', '2.4 us')
    >>> accuracy_default("overhead"), accuracy_default("one_shot_latency")  # doctest: +ELLIPSIS
    ('... ms', '5.8 us')
    """
    choice("name", name, ["mbu", "mfu", "overhead", "hop_latency", "one_shot_latency"])
    if name == "mbu":
        return fmt_percent(DEFAULT_MBU, 0)
    if name == "mfu":
        return fmt_percent(DEFAULT_MFU, 0)
    if name == "overhead":
        return fmt_duration(DEFAULT_OVERHEAD_S, "ms", 1)
    if name == "one_shot_latency":
        return fmt_duration(ONE_SHOT_BASE_S + 8 * ONE_SHOT_PER_GPU_S, "us", 1)
    return fmt_duration(RING_HOP_S, "us", 1)


def accuracy_headline() -> str:
    """The page's one-sentence answer: measured cases within the tolerance stated in
    advance (the strict count, not the count within widened bounds), then the exact cases.

    >>> print(accuracy_headline())  # doctest: +ELLIPSIS
    Of ... measured on real hardware, ... are within the tolerance stated before looking ...
    """
    measured, exact = _select("measured"), _select("exact")
    strict = sum(abs(r.rel_error) <= TOLERANCES[r.quantity] for r in measured)
    exact_ok = sum(r.within_bound for r in exact)
    exact_part = ("all reproduce their sources" if exact_ok == len(exact)
                  else f"{exact_ok} of {len(exact)} reproduce their sources")
    return (f"Of {len(measured)} latencies and throughputs measured on real hardware, {strict} are "
            f"within the tolerance stated before looking ({accuracy_tolerance('decode')} for decode, "
            f"{accuracy_tolerance('prefill')} for prefill, {accuracy_tolerance('speedup')} for a "
            f"speculative-decoding speed-up) and {len(measured) - strict} are not: each "
            f"of those is listed below with the reason. Of {len(exact)} exact cases (arithmetic on "
            f"a model's architecture), {exact_part} to the sources' rounding")
