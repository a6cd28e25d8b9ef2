"""Load shedding: when to refuse a request rather than let it miss the target.

A request that joins a queue of ``queued`` requests on a replica that
completes ``requests_per_s`` waits about ``queued / requests_per_s`` before
its prefill starts (Little's law for the queue). It meets a time-to-first-
token target ``ttft_slo_s`` only if that wait plus its own prefill fits, so a
replica should shed (return a fast "busy", HTTP 429 or 503 with Retry-After)
once the queue is longer than::

    max_queue = floor((ttft_slo_s - prefill_s) * requests_per_s)

Counting prompt tokens rather than requests is steadier when prompts vary:
the work ahead of a new request is the queued prompt tokens, cleared at the
replica's prefill rate, so the bound on queued tokens is
``(ttft_slo_s - prefill_s) * prefill_tokens_per_s``.

>>> max_queue_requests(ttft_slo_s=2.0, prefill_s=0.2, requests_per_s=5.0)
9
>>> max_queued_prompt_tokens(ttft_slo_s=2.0, prefill_s=0.2, prefill_tokens_per_s=20_000)
36000
"""

from __future__ import annotations

import math

from .validate import non_negative_number, positive_number

__all__ = ["max_queue_requests", "max_queued_prompt_tokens"]


def _slack(ttft_slo_s: float, prefill_s: float) -> float:
    slo = positive_number("ttft_slo_s", ttft_slo_s)
    own = non_negative_number("prefill_s", prefill_s)
    if own >= slo:
        raise ValueError(f"prefill_s must be shorter than ttft_slo_s ({slo!r} s): a lone request "
                         f"already misses the target, got {own!r}")
    return slo - own


def max_queue_requests(*, ttft_slo_s: float, prefill_s: float, requests_per_s: float) -> int:
    """Longest queue (in requests) a new arrival can join and still meet the TTFT target.

    >>> max_queue_requests(ttft_slo_s=0.5, prefill_s=0.5, requests_per_s=1)
    Traceback (most recent call last):
        ...
    ValueError: prefill_s must be shorter than ttft_slo_s (0.5 s): a lone request already misses the target, got 0.5
    """
    return math.floor(_slack(ttft_slo_s, prefill_s) * positive_number("requests_per_s",
                                                                        requests_per_s) + 1e-9)


def max_queued_prompt_tokens(*, ttft_slo_s: float, prefill_s: float,
                             prefill_tokens_per_s: float) -> int:
    """Most queued prompt tokens ahead of a new arrival that still let it meet the target."""
    return math.floor(_slack(ttft_slo_s, prefill_s) *
                      positive_number("prefill_tokens_per_s", prefill_tokens_per_s) + 1e-9)
