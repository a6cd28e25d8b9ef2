"""The practice page: questions that grade themselves (maths in :mod:`servecalc.practice`).

At build time the ``practice`` fence prints every kind's question for the
default seed (so search and the PDF see it), a printed set of a few variants
per kind and its answer key (both for print only; the PDF moves the key to the
back). In the browser, ``web/practice.js`` sends the reader's answer to the
worker, which calls :func:`practice` through the calculators' entry point
(``fieldguide.calculators.render_json("practice", ...)``): the question for a
seed, or the verdict and the worked answer, as HTML made here.

>>> "data-practice=\\"weights\\"" in practice_box("weights")
True
>>> reply = practice(kind="speculative", seed=2, answer="2", mode="grade")
>>> 'data-correct="true"' in reply and 'data-answer="2.0528301886792453"' in reply
True
>>> practice(kind="speculative", seed=2, answer="two", mode="grade")
Traceback (most recent call last):
    ...
ValueError: answer must be a number such as 128 or 1,250.5, got 'two'
"""

from __future__ import annotations

from html import escape

from servecalc.practice import DEFAULT_SEED, KINDS, MAX_SEED, Question, practice_set, question

from .fields import Calculator
from .forms import Field

#: Variants per kind in the printed set (the PDF).
PRINTED_VARIANTS = 3
MODES = ("question", "grade", "reveal")


def link(q: Question) -> str:
    """The page-relative link that reproduces ``q``.

    >>> link(question("cost", 7))
    '?q=cost&amp;seed=7#cost'
    """
    return escape(f"?q={q.kind}&seed={q.seed}#{q.kind}")


def meta(q: Question) -> str:
    """The chapter, the unit and the grading rule.

    >>> meta(question("gpus_needed", 1))
    'Serving topology · answer in GPUs; right only when exact'
    >>> meta(question("weights", 1))
    'Serving topology · answer in GB; right within 10 % of the exact value'
    """
    rule = ("only when exact" if q.tolerance_text() == "exactly"
            else f"{q.tolerance_text()} of the exact value")
    return f"{escape(q.chapter)} · answer in {escape(q.unit)}; right {escape(rule)}"


def answer_block(q: Question) -> str:
    """The worked answer; ``data-answer`` holds the exact value (Python's repr, round-trips)."""
    steps = "".join(f"<li>{escape(line)}</li>" for line in q.worked)
    return (f'<div class="practice-answer" data-answer="{q.exact!r}" data-unit="{escape(q.unit)}">'
            f"<p><strong>Answer: {escape(q.answer_text())}</strong> (seed {q.seed}; right when "
            f"{escape(q.tolerance_text())})</p><ol>{steps}</ol></div>")


def practice_box(kind: str) -> str:
    """One kind's question for the default seed, with its answer box (inert without JavaScript)."""
    q = question(kind, DEFAULT_SEED)
    ident = f"practice-answer-{q.kind}"
    return (
        f'<section class="practice-box" id="{q.kind}" data-practice="{q.kind}" '
        f'data-seed="{q.seed}" data-default-seed="{q.seed}">'
        f'<h3 class="practice-title">{escape(q.title)} '
        f'<a class="practice-link" data-practice-link href="{link(q)}" '
        f'title="A link to this question">#</a>'
        f'<span class="practice-done-mark" data-practice-done hidden> ✓ got right before</span></h3>'
        f'<p class="practice-meta">{meta(q)}</p>'
        f'<p class="practice-text" data-practice-text>{escape(q.text)}</p>'
        f'<form class="practice-controls" data-practice-form autocomplete="off">'
        f'<label for="{ident}">Your answer ({escape(q.unit)})</label>'
        f'<input id="{ident}" name="answer" type="text" inputmode="decimal" maxlength="40" '
        f'spellcheck="false" data-practice-input>'
        f'<button type="submit" class="md-button md-button--primary" data-action="check">Check</button>'
        f'<button type="button" class="md-button" data-action="reveal">Show the answer</button>'
        f'<button type="button" class="md-button" data-action="another">Another one</button>'
        f"</form>"
        f'<p class="practice-status" role="status" aria-live="polite" data-practice-status></p>'
        f'<div class="practice-worked" data-practice-worked></div>'
        f"</section>"
    )


def all_boxes() -> str:
    """Every kind's box, in :data:`servecalc.practice.KINDS` order."""
    return f'<div class="practice-page" data-practice-page>{"".join(map(practice_box, KINDS))}</div>'


def printed_set(variants: int = PRINTED_VARIANTS) -> str:
    """The practice set for print: each kind's first ``variants`` seeds, with a line to answer on."""
    by_kind: dict[str, list[Question]] = {}
    for q in practice_set(variants):
        by_kind.setdefault(q.kind, []).append(q)
    parts = []
    for number, (kind, questions) in enumerate(by_kind.items(), 1):
        items = "".join(
            f'<li id="practice-set-{kind}-{q.seed}"><p>{escape(q.text)}</p>'
            f'<p class="practice-blank">Your answer: ______________ {escape(q.unit)} '
            f"(P{number}.{i} in the key; seed {q.seed}; right {escape(q.tolerance_text())})</p></li>"
            for i, q in enumerate(questions, 1))
        parts.append(f'<div class="practice-print-kind"><p class="practice-print-title">'
                     f"<strong>P{number}. {escape(questions[0].title)}</strong> "
                     f"({escape(questions[0].chapter)})</p><ol>{items}</ol></div>")
    return (f'<div class="practice-print" data-practice-print><p>A printed set: '
            f"{variants} variants of each kind (seeds {DEFAULT_SEED} to {DEFAULT_SEED + variants - 1}; "
            "the same questions as the links <code>?q=KIND&amp;seed=N</code> and "
            "<code>servecalc practice --kind KIND --seed N</code>). The answer key is at the end "
            f"of this document.</p>{''.join(parts)}</div>")


def answer_key(variants: int = PRINTED_VARIANTS) -> str:
    """The printed set's answers with their working (the PDF prints it last)."""
    by_kind: dict[str, list[Question]] = {}
    for q in practice_set(variants):
        by_kind.setdefault(q.kind, []).append(q)
    parts = []
    for number, questions in enumerate(by_kind.values(), 1):
        for i, q in enumerate(questions, 1):
            steps = " ".join(escape(line) for line in q.worked[:-1])
            parts.append(f"<li><strong>P{number}.{i} {escape(q.title)}: "
                         f"{escape(q.answer_text())}</strong>. {steps}</li>")
    return (f'<div class="practice-key" id="practice-answer-key" data-practice-key>'
            f"<h2>Practice set: answer key</h2><ul>{''.join(parts)}</ul></div>")


def practice(*, kind: str, seed: int, answer: str, mode: str) -> str:
    """The worker's reply: the question (``mode`` "question"), or the verdict and the worked
    answer ("grade", "reveal"), as HTML for ``web/practice.js``."""
    q = question(kind, seed)
    text = f'<p class="practice-text" data-practice-text>{escape(q.text)}</p>'
    if mode == "question":
        return f'<div data-practice-reply data-seed="{q.seed}">{text}</div>'
    if mode == "reveal":
        return (f'<div data-practice-reply data-seed="{q.seed}" data-correct="" '
                f'data-verdict="The answer is {escape(q.answer_text())}.">{text}{answer_block(q)}</div>')
    result = q.grade(answer)
    return (f'<div data-practice-reply data-seed="{q.seed}" '
            f'data-correct="{str(result.correct).lower()}" data-verdict="{escape(result.verdict())}">'
            f"{text}{answer_block(q)}</div>")


PRACTICE = Calculator(
    id="practice",
    title="Practice",
    fields=[
        Field(name="kind", label="Kind", kind="select", default="weights",
              options=[(k.id, k.title) for k in KINDS.values()]),
        Field(name="seed", label="Seed", kind="int", default=DEFAULT_SEED, min=0, max=MAX_SEED),
        Field(name="answer", label="Answer", kind="text", default="", max=40),
        Field(name="mode", label="Mode", kind="select", default="question",
              options=[(m, m) for m in MODES]),
    ],
    compute=practice,
)


def render_fence(body: str) -> str:
    """The ``practice`` fence: ``questions``, ``set`` or ``key`` (an unknown body is an error)."""
    makers = {"questions": all_boxes, "set": printed_set, "key": answer_key}
    name = body.strip()
    if name not in makers:
        raise ValueError(f"a practice fence holds one of {', '.join(makers)}, got {name!r}")
    return makers[name]()
