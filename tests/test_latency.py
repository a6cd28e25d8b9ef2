"""Request latency (TTFT, TPOT, end to end), throughput curves and prefix caching.

Each expectation is derived in the test from the step model's definitions:
TTFT is one prefill step, decode step j attends to prompt + j tokens, and so
on; the numbers are not pasted from the code's output.
"""

from __future__ import annotations

import math

import pytest

from servecalc.latency import decode_throughput_curve, request_latency
from servecalc.prefix_cache import prefix_cache_effect
from servecalc.step import StepModel
from servecalc.deployment import Deployment


def test_ttft_is_the_prefill_step():
    r = request_latency("llama-3.1-8b", "h100-sxm", prompt=2000, output=100, batch=4)
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    assert r.ttft_s == sm.prefill_time_s(2000, 0, 4)
    assert r.prefill_bound == "compute"


def test_tpot_at_average_context_equals_mean_of_exact_steps():
    # Memory-bound all the way: each step is linear in context, so the step at the
    # mean context equals the mean of the steps.
    prompt, output, batch = 1000, 301, 8
    r = request_latency("llama-3.1-8b", "h100-sxm", prompt=prompt, output=output, batch=batch)
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    steps = [sm.decode_time_s(batch, batch * (prompt + j)) for j in range(1, output)]
    assert r.decode_bound == "memory"
    assert r.tpot_s == pytest.approx(math.fsum(steps) / len(steps), rel=1e-9)
    assert r.e2e_s == pytest.approx(r.ttft_s + math.fsum(steps), rel=1e-9)
    assert r.tokens_per_s == pytest.approx(batch / r.tpot_s)
    assert r.average_context == prompt + output / 2


def test_single_token_output_has_no_decode():
    r = request_latency("llama-3.1-8b", "h100-sxm", prompt=500, output=1)
    assert r.e2e_s == r.ttft_s


def test_batching_raises_tpot_less_than_it_raises_throughput():
    one = request_latency(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                          prompt=512, output=128)
    many = request_latency(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                           prompt=512, output=128, batch=32)
    assert many.tpot_s > one.tpot_s
    assert many.tokens_per_s / one.tokens_per_s > many.tpot_s / one.tpot_s


def test_throughput_curve_rises_then_flattens():
    batches = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    pts = decode_throughput_curve("llama-3.1-8b", "h100-sxm", batches=batches, context=128)
    rates = [p.tokens_per_s for p in pts]
    assert rates == sorted(rates)
    # Doubling the batch nearly doubles throughput while memory-bound ...
    assert rates[1] / rates[0] > 1.9
    # ... and gains little once compute-bound.
    assert pts[-1].bound == "compute"
    assert rates[-1] / rates[-2] < 1.1


def test_latency_rejects_bad_input():
    with pytest.raises(ValueError, match="output must be an integer >= 1, got 0"):
        request_latency("llama-3.1-8b", "h100-sxm", prompt=10, output=0)
    with pytest.raises(ValueError, match="batches must hold"):
        decode_throughput_curve("llama-3.1-8b", "h100-sxm", batches=[], context=10)
    with pytest.raises(ValueError, match="batches"):
        decode_throughput_curve("llama-3.1-8b", "h100-sxm", batches=[0], context=10)


# Llama-3.1-8B (config.json): 32 layers, hidden 4096, 32 heads, 8 KV heads,
# head_dim 128, intermediate 14336.
L8_LINEAR_FLOPS = 2 * 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336)
L8_PAIR_FLOPS = 32 * 2 * 32 * (128 + 128)    # layers x 2 x heads x (d_qk + d_v)


def test_prefix_cache_hit_prefills_only_the_rest():
    r = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=8000, output=50, hit_rate=0.75)
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    assert (r.cached_tokens, r.computed_tokens) == (6000, 2000)
    assert r.ttft_s == sm.prefill_time_s(2000, 6000)
    assert r.ttft_s_cold == sm.prefill_time_s(8000)
    # The remaining 2,000 tokens still attend to all earlier ones: the pairs are
    # 6000 x 2000 + 2000 x 2001 / 2, against 8000 x 8001 / 2 cold; the linear
    # layers skip 6,000 tokens; both compute one logits row.
    pairs_warm = 6000 * 2000 + 2000 * 2001 // 2
    pairs_cold = 8000 * 8001 // 2
    saved = 6000 * L8_LINEAR_FLOPS + (pairs_cold - pairs_warm) * L8_PAIR_FLOPS
    assert r.prefill_flops_cold - r.prefill_flops == pytest.approx(saved, rel=1e-12)
    assert r.tpot_s == r.tpot_s_cold
    assert r.e2e_s < r.e2e_s_cold
    assert r.ttft_speedup == pytest.approx(r.ttft_s_cold / r.ttft_s)


def test_full_hit_still_computes_the_last_token():
    r = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=1000, output=10, hit_rate=1.0)
    assert (r.cached_tokens, r.computed_tokens) == (999, 1)
    cold = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=1000, output=10, hit_rate=0.0)
    assert cold.ttft_s == cold.ttft_s_cold and cold.ttft_speedup == 1.0


def test_prefix_cache_cost_scales_with_prefill_time():
    r = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=4000, output=10, hit_rate=0.5,
                            price_usd_per_hour=2.0)
    assert r.usd_per_million_input_tokens / r.usd_per_million_input_tokens_cold == pytest.approx(
        r.ttft_s / r.ttft_s_cold)
    assert r.usd_per_million_input_tokens_cold == pytest.approx(
        r.ttft_s_cold * 2.0 / 3600 / 4000 * 1e6)
    without = prefix_cache_effect("llama-3.1-8b", "h100-sxm", prompt=4000, output=10,
                                  hit_rate=0.5)
    assert without.usd_per_million_input_tokens is None
