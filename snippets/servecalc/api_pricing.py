"""What an API request costs: reasoning tokens and cached input.

Reasoning models bill their hidden reasoning as output tokens, so the output a
request pays for is the visible answer plus the reasoning, often several times
the answer. Providers that cache prompt prefixes bill the cached part of the
input at a discounted rate. For one request::

    usd = (uncached_input * input_price + cached_input * cached_input_price
           + (answer + reasoning) * output_price) / 1e6

with prices in US dollars per million tokens. The same token counts drive a
self-hosted deployment's cost: reasoning tokens are decode steps like any
others.

>>> round(request_usd(prompt=2000, answer=500, reasoning=3000, cached_share=0.8,
...                   input_usd_per_m=1.25, cached_input_usd_per_m=0.125,
...                   output_usd_per_m=10.0), 6)
0.0357
"""

from __future__ import annotations

from .validate import fraction, non_negative_int, non_negative_number

__all__ = ["request_usd"]


def request_usd(
    *,
    prompt: int,
    answer: int,
    input_usd_per_m: float,
    output_usd_per_m: float,
    reasoning: int = 0,
    cached_share: float = 0.0,
    cached_input_usd_per_m: float | None = None,
) -> float:
    """Dollars one request costs at per-million-token prices.

    ``cached_share``: the share of the prompt billed at ``cached_input_usd_per_m``
    (defaults to the full input price, i.e. no discount).

    >>> request_usd(prompt=1_000_000, answer=0, input_usd_per_m=2.0, output_usd_per_m=8.0)
    2.0
    >>> request_usd(prompt=0, answer=1, reasoning=-1, input_usd_per_m=1, output_usd_per_m=1)
    Traceback (most recent call last):
        ...
    ValueError: reasoning must be an integer >= 0, got -1
    """
    p = non_negative_int("prompt", prompt)
    a = non_negative_int("answer", answer)
    r = non_negative_int("reasoning", reasoning)
    share = fraction("cached_share", cached_share) if cached_share else 0.0
    price_in = non_negative_number("input_usd_per_m", input_usd_per_m)
    price_out = non_negative_number("output_usd_per_m", output_usd_per_m)
    price_cached = price_in if cached_input_usd_per_m is None else \
        non_negative_number("cached_input_usd_per_m", cached_input_usd_per_m)
    cached = p * share
    return ((p - cached) * price_in + cached * price_cached + (a + r) * price_out) / 1e6
