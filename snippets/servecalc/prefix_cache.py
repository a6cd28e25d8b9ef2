"""What a prefix-cache hit does to time to first token and to the input bill.

Engines with prefix caching (vLLM's automatic prefix caching, SGLang's
RadixAttention) keep the KV cache of earlier prompts; a new prompt that starts
with a cached prefix skips the prefill of those tokens. ``hit_rate`` here is
the fraction of the prompt's tokens found in the cache. The prefill then runs
only on the rest, attending to the cached tokens (they are read, not
recomputed). At least the last prompt token is always computed: its logits
give the first output token.

Decode is unchanged: the cached tokens are in the KV cache either way.

>>> r = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=8000, output=200, hit_rate=0.9)
>>> r.cached_tokens, r.computed_tokens
(7200, 800)
>>> 5 < r.ttft_speedup < 20
True
>>> r.tpot_s == r.tpot_s_cold
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .cost import MILLION, SECONDS_PER_HOUR
from .deployment import DeploymentLike, GpuLike
from .latency import latency_from_step_model
from .step import StepModel
from .validate import positive_int, positive_number, unit_interval


@dataclass(frozen=True, kw_only=True)
class PrefixCacheResult:
    """One request shape, without and with ``hit_rate`` of its prompt cached."""

    prompt: int
    output: int
    hit_rate: float
    cached_tokens: int
    computed_tokens: int
    ttft_s_cold: float
    ttft_s: float
    ttft_speedup: float
    prefill_flops_cold: float
    prefill_flops: float
    tpot_s_cold: float
    tpot_s: float
    e2e_s_cold: float
    e2e_s: float
    usd_per_million_input_tokens_cold: float | None
    usd_per_million_input_tokens: float | None


def prefix_cache_effect(deployment: DeploymentLike, gpu: GpuLike = None, *, prompt: int,
                        output: int, hit_rate: float, batch: int = 1,
                        price_usd_per_hour: float | None = None) -> PrefixCacheResult:
    """TTFT, prefill FLOPs and (with a price per GPU-hour) input-token cost,
    cold and with ``hit_rate`` of the prompt served from the prefix cache.

    Input tokens are priced by prefill time, as in :mod:`servecalc.cost`.

    >>> r = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=4000, output=100,
    ...                         hit_rate=0.5, price_usd_per_hour=3.0)
    >>> r.usd_per_million_input_tokens < r.usd_per_million_input_tokens_cold
    True
    >>> prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=10, output=1, hit_rate=1.5)
    Traceback (most recent call last):
        ...
    ValueError: hit_rate must be a number in [0, 1], got 1.5
    """
    positive_int("prompt", prompt)
    positive_int("output", output)
    positive_int("batch", batch)
    rate = unit_interval("hit_rate", hit_rate)
    price = None if price_usd_per_hour is None else positive_number(
        "price_usd_per_hour", price_usd_per_hour)
    sm = StepModel(deployment, gpu)
    cached = min(math.floor(rate * prompt), prompt - 1)
    computed = prompt - cached
    cold = latency_from_step_model(sm, prompt=prompt, output=output, batch=batch)
    warm_prefill = sm.prefill(computed, cached, batch)
    cold_prefill = sm.prefill(prompt, 0, batch)
    e2e = math.fsum([warm_prefill.seconds, (output - 1) * cold.tpot_s])

    def usd(seconds: float) -> float | None:
        if price is None:
            return None
        return seconds * price * sm.gpus / SECONDS_PER_HOUR / (batch * prompt) * MILLION

    return PrefixCacheResult(
        prompt=prompt,
        output=output,
        hit_rate=rate,
        cached_tokens=cached,
        computed_tokens=computed,
        ttft_s_cold=cold.ttft_s,
        ttft_s=warm_prefill.seconds,
        ttft_speedup=cold.ttft_s / warm_prefill.seconds,
        prefill_flops_cold=cold_prefill.flops,
        prefill_flops=warm_prefill.flops,
        tpot_s_cold=cold.tpot_s,
        tpot_s=cold.tpot_s,
        e2e_s_cold=cold.e2e_s,
        e2e_s=e2e,
        usd_per_million_input_tokens_cold=usd(cold.ttft_s),
        usd_per_million_input_tokens=usd(warm_prefill.seconds),
    )
