"""Percentiles of a sum of stages: what is and is not an upper bound.

The p99 of a request that passes through several stages (gateway, queue,
prefill, decode) is not bounded by the sum of the stages' p99s. Take two
independent stages that are each slow with probability ``q`` just under 1 %:
each stage's p99 is its fast time, yet the request is slow when *either*
stage is, with probability ``1 - (1 - q)^2``, close to 2 %, so the p99 of the
total includes a slow stage and exceeds the sum of the p99s.

What is always safe, whatever the dependence between stages, is the union
bound: the total exceeds ``sum_i x_i`` only if some stage ``i`` exceeds its
``x_i``, so ``P(total > sum x_i) <= sum_i P(stage_i > x_i)``. Budgeting each
of ``k`` stages at its ``1 - (1 - p)/k`` quantile therefore bounds the total
at quantile ``p``: for a p99 over two stages, sum the stages' p99.5s.

>>> stage_quantile_for_total(0.99, 2)
0.995
>>> round(prob_any_stage_slow([0.009, 0.009]), 6)
0.017919
"""

from __future__ import annotations

from collections.abc import Sequence

from .validate import is_number, numbers, positive_int

__all__ = ["stage_quantile_for_total", "prob_any_stage_slow"]


def _quantile(name: str, value: object) -> float:
    if not is_number(value) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    return float(value)


def stage_quantile_for_total(quantile: float, stages: int) -> float:
    """The per-stage quantile whose sum over ``stages`` stages bounds the total's ``quantile``.

    Union bound (Boole's inequality): ``1 - (1 - quantile) / stages``. Holds for
    any dependence between stages.

    >>> stage_quantile_for_total(0.999, 4)
    0.99975
    >>> stage_quantile_for_total(1.0, 2)
    Traceback (most recent call last):
        ...
    ValueError: quantile must be a number in (0, 1), got 1.0
    """
    q = _quantile("quantile", quantile)
    k = positive_int("stages", stages)
    return round(1 - (1 - q) / k, 12)


def prob_any_stage_slow(probabilities: Sequence[float]) -> float:
    """Chance that at least one of independent stages is slow, each with its probability.

    ``1 - prod(1 - p_i)``: with two stages each slow 0.9 % of the time, one
    request in about 56 meets a slow stage, more than the 1 % a p99 allows.

    >>> prob_any_stage_slow([0.5, 0.5])
    0.75
    >>> prob_any_stage_slow([])
    Traceback (most recent call last):
        ...
    ValueError: probabilities must list at least one stage, got []
    """
    listed = numbers("probabilities", probabilities)
    if not listed:
        raise ValueError("probabilities must list at least one stage, got []")
    fast = 1.0
    for p in listed:
        if p > 1:
            raise ValueError(f"probabilities must be numbers in [0, 1], got {p!r}")
        fast *= 1 - p
    return 1 - fast
