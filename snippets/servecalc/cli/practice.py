"""``servecalc practice``: a fresh serving question, graded, with its worked answer."""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

from .common import Command, command, table

COMMANDS: dict[str, Command] = {}

NOTE = """An answer is right when it is within the kind's stated tolerance of the exact
value servecalc computes (for most kinds within {low} to {high} %, as on a whiteboard).
The exit status is 0 whether the answer is right or not; 2 for a bad value."""


def _seed(text: str) -> int:
    from ..practice import check_seed

    try:
        return check_seed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _kind(text: str) -> str:
    from ..practice import check_kind

    try:
        return check_kind(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _configure(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    from ..practice import KINDS

    loose = [k.tolerance * 100 for k in KINDS.values() if k.tolerance]
    p.epilog = NOTE.format(low=f"{min(loose):g}", high=f"{max(loose):g}")
    p.add_argument("--list", action="store_true", help="list the kinds of question and stop")
    p.add_argument("--kind", type=_kind, default=None, metavar="KIND",
                   help="kind of question (see --list; default: one at random)")
    p.add_argument("--seed", type=_seed, default=None, metavar="N",
                   help="variant, 0 to 999,999: the same seed gives the same question "
                   "(default: a fresh one, printed with the question)")
    p.add_argument("--answer", default=None, metavar="X",
                   help="grade this answer without asking (a number, e.g. 1,250 or 3.5)")
    p.add_argument("--reveal", action="store_true",
                   help="show the exact value and the worked answer without grading")


def _list() -> tuple[Any, str]:
    from ..practice import KINDS

    rows = [(k.id, k.title, k.chapter) for k in KINDS.values()]
    data = [{"kind": kind, "title": title, "chapter": chapter} for kind, title, chapter in rows]
    return data, table(["kind", "question", "chapter"], rows, set())


def _ask(unit: str) -> str | None:
    """Read the reader's answer from the terminal; None when there is no terminal."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        return None
    try:
        return input(f"Your answer ({unit}): ")
    except EOFError:
        return None


@command(COMMANDS, "practice", "a fresh serving question, graded, with its worked answer",
         configure=_configure)
def _run_practice(args: argparse.Namespace) -> tuple[Any, str]:
    """Draw a practice question (weights, KV cache, fit, decode step, prefill, latency,
    throughput, replicas, cost, quantization, MoE, speculative decoding) from a seed,
    grade your answer against the exact value servecalc computes, within the kind's
    whiteboard tolerance, and show the worked answer. The same kind and seed give the
    same question here, on the guide's practice page and in its PDF."""
    from ..practice import KINDS, MAX_SEED, question

    if args.list:
        return _list()
    fresh = random.SystemRandom()
    kind = args.kind or fresh.choice(list(KINDS))
    seed = args.seed if args.seed is not None else fresh.randrange(MAX_SEED + 1)
    q = question(kind, seed)
    header = (f"{q.title} ({q.kind}, seed {q.seed}; answer in {q.unit}, {q.tolerance_text()})\n"
              f"{q.text}")
    answer = args.answer
    if answer is None and not args.reveal:
        answer = None if args.json else _ask(q.unit)
        if answer is None:
            data = q.to_dict()
            for key in ("exact", "worked", "answer_text"):
                data.pop(key)
            return data, (f"{header}\n\nAnswer with --answer X, or see the working with "
                          f"--reveal: servecalc practice --kind {q.kind} --seed {q.seed} --reveal")
    data = {"question": q.to_dict()}
    lines = [header, ""]
    if answer is not None and not args.reveal:
        result = q.grade(answer)
        data["grade"] = result.to_dict()
        lines += [result.verdict(), ""]
    lines += ["Worked answer:", *(f"  {line}" for line in q.worked)]
    return data, "\n".join(lines)
