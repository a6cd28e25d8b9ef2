"""``--speculative``, ``--spec-tokens`` and ``--acceptance``: speculative decoding options.

>>> import argparse
>>> p = argparse.ArgumentParser(exit_on_error=False)
>>> add_speculative_options(p)
>>> speculation_from_args(p.parse_args(["--speculative", "eagle3", "--spec-tokens", "2"])).spec_tokens
2
>>> p.parse_args(["--speculative", "medusa"])
Traceback (most recent call last):
    ...
argparse.ArgumentError: argument --speculative: speculative must be one of 'draft:MODEL', 'eagle3', 'mtp', 'ngram', got 'medusa'
>>> speculation_from_args(p.parse_args(["--acceptance", "0.8"]))
Traceback (most recent call last):
    ...
ValueError: acceptance goes with --speculative METHOD (and so does --spec-tokens)
"""

from __future__ import annotations

import argparse
from typing import Any

from ..speculation import MAX_SPEC_TOKENS, Speculation, parse_acceptance, speculation


def _method(text: str) -> str:
    try:
        speculation(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _spec_tokens(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"spec_tokens must be an integer, got {text!r}") from None
    if not 0 <= k <= MAX_SPEC_TOKENS:
        raise argparse.ArgumentTypeError(
            f"spec_tokens must be an integer in [0, {MAX_SPEC_TOKENS}], got {k}")
    return k


def _acceptance(text: str) -> Any:
    try:
        return parse_acceptance(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_speculative_options(p: argparse.ArgumentParser) -> None:
    """The three options, on ``step``, ``latency``, ``simulate`` and ``capacity``."""
    p.add_argument("--speculative", type=_method, default=None, metavar="METHOD",
                   help="speculative decoding: draft:MODEL (a catalog model drafts), eagle3 "
                   "(an EAGLE-3 head), mtp (a multi-token-prediction module) or ngram "
                   "(prompt lookup); default: none")
    p.add_argument("--spec-tokens", type=_spec_tokens, default=None, metavar="K",
                   help="tokens drafted per step (0 turns speculation off; default: the "
                   "method's, servecalc.speculation.DEFAULTS)")
    p.add_argument("--acceptance", type=_acceptance, default=None, metavar="A",
                   help="chance each drafted token is accepted (given the ones before "
                   "were), or a comma list, one per position (default: the method's "
                   "published figure)")


def speculation_from_args(args: argparse.Namespace) -> Speculation | None:
    """The :class:`~servecalc.speculation.Speculation` the options ask for, or None."""
    method = getattr(args, "speculative", None)
    if method is None:
        if args.spec_tokens is not None or args.acceptance is not None:
            raise ValueError("acceptance goes with --speculative METHOD (and so does "
                             "--spec-tokens)" if args.acceptance is not None else
                             "spec_tokens goes with --speculative METHOD")
        return None
    return speculation(method, spec_tokens=args.spec_tokens, acceptance=args.acceptance,
                       seed=getattr(args, "seed", 0) or 0)
