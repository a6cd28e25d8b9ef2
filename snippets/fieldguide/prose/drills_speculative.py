"""Placeholders for drills 56 and 57: speculative heads at batch, and the TPOT tail.

>>> spec_verify_tokens("eagle3", 128)
'512'
>>> spec_count_sd("mtp")
'0.36'
"""

from __future__ import annotations

import math

from servecalc.speculation import speculation
from servecalc.units import fmt_int, fmt_number, fmt_percent
from servecalc.validate import positive_int


def _moments(method: str) -> tuple[float, float]:
    """Mean and standard deviation of one step's tokens (1 + accepted drafts)."""
    probs, reach = [], 1.0
    for a in speculation(method).acceptance:
        probs.append(reach * (1 - a))
        reach *= a
    probs.append(reach)
    mean = math.fsum((j + 1) * p for j, p in enumerate(probs))
    var = math.fsum((j + 1 - mean) ** 2 * p for j, p in enumerate(probs))
    return mean, math.sqrt(var)


def spec_verify_tokens(method: str, batch: int) -> str:
    """Tokens one verification step carries: batch x (K + 1)."""
    positive_int("batch", batch)
    return fmt_int(batch * (speculation(method).spec_tokens + 1))


def spec_count_sd(method: str) -> str:
    """Standard deviation of one step's tokens per sequence."""
    return fmt_number(_moments(method)[1], 2)


def spec_request_spread(method: str, output: int) -> str:
    """Relative standard deviation of a request's TPOT from the draws alone: the
    per-step spread over the square root of its steps, ``(output - 1) / mean``.

    >>> spec_request_spread("eagle3", 256)
    '4 %'
    """
    positive_int("output", output)
    mean, sd = _moments(method)
    steps = max(1.0, (output - 1) / mean)
    return fmt_percent(sd / mean / math.sqrt(steps), 0)
