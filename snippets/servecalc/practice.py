"""Practice that grades itself: fresh serving questions, their exact answers and a grader.

Each *kind* of question (weights, KV per token, decode step, cost per million
tokens, ...; :data:`KINDS`) draws a variant from a seed: the model, the
accelerator, the lengths, the rate and the price come from the catalogs,
picked with ``random.Random(seed)`` integer and choice draws only, so a seed
gives the same question on CPython 3.11 and on Pyodide's 3.14 (the page's
``?q=KIND&seed=N`` link, the command line and the PDF agree). The exact value
is computed by the library's own functions (the step model, the fit, the cost
model); the question states what a whiteboard estimate needs (efficiencies,
overhead), and an answer is right when it is within the kind's stated
tolerance of the exact value. The worked answer is the whiteboard path with
its numbers, then the exact value and what the full model adds.

>>> q = question("kv_per_token", 1)
>>> q.kind, q.unit
('kv_per_token', 'KiB')
>>> q == question("kv_per_token", 1)
True
>>> grade("kv_per_token", 1, q.exact).correct
True
>>> q = question("e2e", 7)  # the same text on CPython and in Pyodide
>>> print(q.text[:88])
Llama-2-13B (13 B parameters, 26 GB in BF16) on 1 x NVIDIA B200 (HGX, 180GB): 192 GB, 8
>>> for line in q.worked[2:]: print(line)
End to end = TTFT + (output - 1) x TPOT = 25.7 ms + 999 x 5.55 ms = 5.57 s.
Exact: 5.75 s (TTFT 26 ms, TPOT 5.73 ms with the KV reads and all-reduces).
>>> q.grade("5.5").verdict()
'Right: 5.5 is 4.4 % off the exact 5.75 (within 25 %).'
>>> grade("kv_per_token", 1, "ten")
Traceback (most recent call last):
    ...
ValueError: answer must be a number such as 128 or 1,250.5, got 'ten'
>>> question("kv_per_tokens", 1)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: kind must be one of 'weights', ..., got 'kv_per_tokens'
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass

from .practice_kinds import KIND_LIST, Draft, Kind
from .validate import describe, is_number

__all__ = ["KINDS", "DEFAULT_SEED", "MAX_SEED", "Question", "Grade", "question", "grade",
           "parse_answer", "check_kind", "check_seed", "practice_set"]

#: Every kind of question, in the order the page and ``servecalc practice --list`` show them.
KINDS: dict[str, Kind] = {k.id: k for k in KIND_LIST}
#: The seed of the question printed in the page (and the PDF's first variant).
DEFAULT_SEED = 1
#: Seeds run from 0 to this (a short number for a link).
MAX_SEED = 999_999


@dataclass(frozen=True, kw_only=True)
class Question:
    """One drawn question: its text, exact answer, tolerance and worked answer."""

    kind: str
    seed: int
    title: str
    chapter: str
    text: str
    unit: str
    exact: float
    tolerance: float  # relative: right when |answer - exact| <= tolerance x |exact|
    slack: float      # absolute slack as well (whole-number answers: one GPU, one replica)
    worked: tuple[str, ...]
    inputs: dict      # what the seed drew: model, gpu, gpus, lengths, rate, price...

    def answer_text(self) -> str:
        """The exact value as a person says it (three significant figures) with its unit.

        >>> question("speculative", 3).answer_text().endswith("x")
        True
        """
        return f"{sig(self.exact)} {self.unit}"

    def tolerance_text(self) -> str:
        """The grading rule in words.

        >>> question("gpus_needed", 1).tolerance_text()
        'exactly'
        >>> question("weights", 1).tolerance_text()
        'within 10 %'
        """
        if self.tolerance == 0:
            return "exactly" if self.slack == 0 else f"within {sig(self.slack)}"
        text = f"within {sig(self.tolerance * 100)} %"
        return text + (f" or {sig(self.slack)}" if self.slack else "")

    def grade(self, answer: object) -> Grade:
        """Grade ``answer`` (a number or text such as ``"1,250"``)."""
        value = parse_answer(answer)
        error = abs(value - self.exact)
        relative = error / abs(self.exact) if self.exact else (0.0 if error == 0 else math.inf)
        right = error <= self.tolerance * abs(self.exact) or error <= self.slack
        return Grade(correct=right, answer=value, exact=self.exact,
                     relative_error=relative, tolerance=self.tolerance_text())

    def to_dict(self) -> dict:
        """JSON-ready fields (the worked answer as a list of lines)."""
        data = asdict(self)
        data["worked"] = list(self.worked)
        data["answer_text"] = self.answer_text()
        data["tolerance_text"] = self.tolerance_text()
        return data


@dataclass(frozen=True, kw_only=True)
class Grade:
    """The verdict on one answer."""

    correct: bool
    answer: float
    exact: float
    relative_error: float  # |answer - exact| / |exact|
    tolerance: str

    def verdict(self) -> str:
        """One sentence for the reader.

        >>> Grade(correct=False, answer=5, exact=4, relative_error=0.25,
        ...       tolerance="within 20 %").verdict()
        'Not yet: 5 is 25 % off the exact 4 (needed: within 20 %).'
        >>> Grade(correct=True, answer=4, exact=4, relative_error=0.0, tolerance="exactly").verdict()
        'Right: 4 is the exact value.'
        """
        if self.relative_error == 0:
            return f"Right: {sig(self.answer)} is the exact value."
        off = f"{sig(self.relative_error * 100, 2)} % off"
        if self.correct:
            return f"Right: {sig(self.answer)} is {off} the exact {sig(self.exact)} ({self.tolerance})."
        return (f"Not yet: {sig(self.answer)} is {off} the exact {sig(self.exact)} "
                f"(needed: {self.tolerance}).")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["relative_error"] = None if math.isinf(self.relative_error) else self.relative_error
        data["verdict"] = self.verdict()
        return data


def sig(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, with thousands separators.

    >>> sig(1234.5), sig(0.012345), sig(7.0), sig(0), sig(1e-320)
    ('1,230', '0.0123', '7', '0', '0')
    """
    if not is_number(value) or not math.isfinite(_float(value)):
        raise ValueError(f"value must be a finite number, got {describe(value)}")
    value = float(value)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 12:
        raise ValueError(f"digits must be a whole number from 1 to 12, got {describe(digits)}")
    if value == 0:
        return "0"
    decimals = min(12, max(0, digits - 1 - math.floor(math.log10(abs(value)))))
    text = f"{round(value, decimals):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if decimals == 0 and abs(value) >= 10 ** digits:  # 1234.5 -> 1,230
        scale = 10 ** (math.floor(math.log10(abs(value))) + 1 - digits)
        text = f"{round(value / scale) * scale:,}"
    return text


def _float(value: object) -> float:
    """``float(value)``; an int too large for a float gives inf (then refused as not finite)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf


def check_kind(kind: object) -> str:
    """``kind`` if it names a kind of question; else a ValueError listing them."""
    if not isinstance(kind, str) or kind not in KINDS:
        listed = ", ".join(repr(k) for k in KINDS)
        raise ValueError(f"kind must be one of {listed}, got {describe(kind)}")
    return kind


def check_seed(seed: object) -> int:
    """``seed`` as an int in 0 ... :data:`MAX_SEED` (digits in a string are accepted).

    >>> check_seed("42")
    42
    >>> check_seed(-1)
    Traceback (most recent call last):
        ...
    ValueError: seed must be a whole number from 0 to 999,999, got -1
    """
    value = seed
    if isinstance(seed, str) and seed.strip().isdigit() and len(seed.strip()) <= 7:
        value = int(seed.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED:,}, got {describe(seed)}")
    return value


def parse_answer(answer: object) -> float:
    """A reader's answer as a float: a number, or text with optional commas and spaces.
    Every answer is a size, a time, a rate, a price or a ratio: negative ones are refused.

    >>> parse_answer(" 1,250.5 "), parse_answer(3), parse_answer("2e3")
    (1250.5, 3.0, 2000.0)
    >>> parse_answer("nan")
    Traceback (most recent call last):
        ...
    ValueError: answer must be a number such as 128 or 1,250.5, got 'nan'
    >>> parse_answer("-3")
    Traceback (most recent call last):
        ...
    ValueError: answer must be a number >= 0 (every answer here is a size, time, rate, price or ratio), got '-3'
    """
    value = None
    if is_number(answer):
        value = _float(answer)
    elif isinstance(answer, str) and len(answer) <= 40:
        try:
            value = float(answer.strip().replace(",", "").replace("_", "x"))
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise ValueError(f"answer must be a number such as 128 or 1,250.5, got {describe(answer)}")
    if value < 0:
        raise ValueError("answer must be a number >= 0 (every answer here is a size, time, rate, "
                         f"price or ratio), got {describe(answer)}")
    return value + 0.0  # -0.0 reads as 0


def question(kind: str, seed: int = DEFAULT_SEED) -> Question:
    """The question of ``kind`` that ``seed`` draws (the same on every run and Python)."""
    spec = KINDS[check_kind(kind)]
    number = check_seed(seed)
    draft: Draft = spec.draw(random.Random(f"{spec.id}:{number}"))
    return Question(kind=spec.id, seed=number, title=spec.title, chapter=spec.chapter,
                    text=draft.text, unit=draft.unit, exact=draft.exact,
                    tolerance=spec.tolerance, slack=spec.slack, worked=draft.worked,
                    inputs=dict(draft.inputs))


def grade(kind: str, seed: int, answer: object) -> Grade:
    """Grade ``answer`` to the question ``(kind, seed)`` draws."""
    return question(kind, seed).grade(answer)


def practice_set(variants: int = 3, first_seed: int = DEFAULT_SEED) -> list[Question]:
    """``variants`` questions of every kind (seeds ``first_seed``, ``first_seed + 1``, ...).

    >>> len(practice_set(2)) == 2 * len(KINDS)
    True
    """
    if isinstance(variants, bool) or not isinstance(variants, int) or not 1 <= variants <= 20:
        raise ValueError(f"variants must be a whole number from 1 to 20, got {describe(variants)}")
    check_seed(first_seed)
    return [question(kind, check_seed(first_seed + i)) for kind in KINDS for i in range(variants)]
