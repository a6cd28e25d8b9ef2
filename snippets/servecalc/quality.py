"""Catching a quality regression before users do: logprob diffs and eval sizes.

Serve the same fixed prompt set, greedy, on the baseline and on the candidate
(a new quantization, kernel, engine version) and compare token by token:

* **Token flip rate**: the share of positions where the candidate's top token
  differs from the baseline's, with both fed the baseline's prefix.
* **KL divergence** ``KL(P || Q) = sum_i p_i log(p_i / q_i)`` between the
  baseline's next-token distribution ``P`` and the candidate's ``Q``, averaged
  over positions (in nats); it sees shifts in probability that do not flip
  the top token.

Both need only the top-k logprobs that engines return. Task evals answer a
different question (did accuracy drop?) and need many more samples: the
difference of two accuracies measured on ``n`` questions each has a standard
error of ``sqrt(p1 (1 - p1) / n + p2 (1 - p2) / n)``, so a 95 % two-sided
test with 80 % power detects a drop ``delta`` only when::

    n >= (z_0.975 + z_0.8)^2 * (p1 (1 - p1) + p2 (1 - p2)) / delta^2

(the normal approximation to the two-proportion test). Comparing the same
questions on both models (a paired test) needs fewer.

>>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
0.5108
>>> flip_rate([1, 2, 3, 4], [1, 2, 9, 4])
0.25
>>> eval_questions_needed(0.80, 0.78)
6507
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

from .validate import fraction, items, numbers, positive_int

__all__ = ["kl_divergence", "flip_rate", "eval_questions_needed", "flip_rate_resolution"]


def _distribution(name: str, values: Sequence[float]) -> list[float]:
    out = [float(v) for v in numbers(name, values)]
    total = math.fsum(out)
    if not out or abs(total - 1) > 1e-6:
        raise ValueError(f"{name} must sum to 1, got {total!r}")
    return out


def kl_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """``KL(P || Q)`` in nats over the same outcomes (``q_i`` may not be 0 where ``p_i`` > 0).

    >>> kl_divergence([1.0, 0.0], [1.0, 0.0])
    0.0
    >>> kl_divergence([0.5, 0.5], [1.0, 0.0])
    Traceback (most recent call last):
        ...
    ValueError: q must be > 0 wherever p is > 0 (outcome 1)
    """
    ps, qs = _distribution("p", p), _distribution("q", q)
    if len(ps) != len(qs):
        raise ValueError(f"p and q must have the same length, got {len(ps)} and {len(qs)}")
    terms = []
    for i, (a, b) in enumerate(zip(ps, qs)):
        if a == 0:
            continue
        if b == 0:
            raise ValueError(f"q must be > 0 wherever p is > 0 (outcome {i})")
        terms.append(a * math.log(a / b))
    return max(math.fsum(terms), 0.0)


def flip_rate(baseline: Sequence[int], candidate: Sequence[int]) -> float:
    """Share of positions whose greedy token differs (same length, token IDs).

    >>> flip_rate([], [])
    Traceback (most recent call last):
        ...
    ValueError: baseline must hold at least one token, got 0
    """
    base = items("baseline", baseline, empty=True)
    cand = items("candidate", candidate, empty=True)
    if len(base) != len(cand):
        raise ValueError(f"baseline and candidate must have the same length, "
                         f"got {len(base)} and {len(cand)}")
    if not base:
        raise ValueError("baseline must hold at least one token, got 0")
    return sum(a != b for a, b in zip(base, cand)) / len(base)


def eval_questions_needed(baseline_accuracy: float, candidate_accuracy: float,
                          confidence: float = 0.95, power: float = 0.8) -> int:
    """Questions per model for an unpaired eval to detect the accuracy drop.

    >>> eval_questions_needed(0.5, 0.4)
    385
    """
    p1 = fraction("baseline_accuracy", baseline_accuracy)
    p2 = fraction("candidate_accuracy", candidate_accuracy)
    if p1 == p2:
        raise ValueError("candidate_accuracy must differ from baseline_accuracy, got both "
                         f"{p1!r}")
    z = NormalDist().inv_cdf(1 - (1 - fraction("confidence", confidence)) / 2) + \
        NormalDist().inv_cdf(fraction("power", power))
    return math.ceil(z * z * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2)


def flip_rate_resolution(tokens: int, flip_rate_value: float, confidence: float = 0.95) -> float:
    """Half-width of the confidence interval of a flip rate measured over ``tokens`` tokens.

    Positions are treated as independent (they are not quite: a flip changes
    what follows only if the candidate's own prefix is used).

    >>> round(flip_rate_resolution(100_000, 0.01), 5)
    0.00062
    """
    positive_int("tokens", tokens)
    p = fraction("flip_rate_value", flip_rate_value)
    z = NormalDist().inv_cdf(1 - (1 - fraction("confidence", confidence)) / 2)
    return z * math.sqrt(p * (1 - p) / tokens)
