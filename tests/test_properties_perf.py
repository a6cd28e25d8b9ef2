"""Properties of the performance formulas, on random inputs (hypothesis).

* a step never gets faster when it does more: more sequences, longer contexts,
  longer chunks, more cached tokens before a chunk;
* every result is a finite, non-negative number;
* cost per token falls exactly as throughput rises;
* bad arguments raise ValueError (never TypeError, never a NaN result).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servecalc.cost import cost_per_million_tokens
from servecalc.gpus import GPUS
from servecalc.latency import request_latency
from servecalc.models import MODELS
from servecalc.precision import BITS
from servecalc.step import StepModel, step
from servecalc.slo import operating_point
from servecalc.speculative import expected_tokens_per_step, speedup
from servecalc.deployment import Deployment

models = st.sampled_from(sorted(MODELS))
gpu_ids = st.sampled_from(sorted(GPUS))
tp = st.sampled_from([1, 2, 4, 8])
weight_dtypes = st.sampled_from(["bf16", "fp16", "fp8", "int8", "int4", "fp4"])
kv_dtypes = st.sampled_from(["bf16", "fp8", "int8", "int4"])
batches = st.integers(min_value=1, max_value=2048)
contexts = st.integers(min_value=1, max_value=200_000)
efficiency = st.floats(min_value=0.01, max_value=1.0)


def setting_ok(model: str, gpus: int) -> bool:
    return MODELS[model].num_attention_heads % gpus == 0


def step_model(model, gpu, gpus, weight_dtype, kv_dtype) -> StepModel:
    return StepModel(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype, kv_dtype=kv_dtype))


def finite_non_negative(*values: float) -> bool:
    return all(math.isfinite(v) and v >= 0 for v in values)


@settings(max_examples=150, deadline=None)
@given(model=models, gpu=gpu_ids, gpus=tp, w=weight_dtypes, kv=kv_dtypes, b=batches,
       c=contexts, db=st.integers(1, 512), dc=st.integers(1, 50_000))
def test_decode_time_monotone_in_batch_and_context(model, gpu, gpus, w, kv, b, c, db, dc):
    assume(setting_ok(model, gpus))
    sm = step_model(model, gpu, gpus, w, kv)
    base = sm.decode_time_s(b, b * c)
    assert sm.decode_time_s(b + db, (b + db) * c) >= base
    assert sm.decode_time_s(b, b * (c + dc)) >= base
    r = sm.decode(b, c)
    assert finite_non_negative(r.seconds, r.flops, r.bytes, r.compute_s, r.memory_s, r.comm_s,
                               r.arithmetic_intensity)
    assert r.seconds >= max(r.compute_s, r.memory_s)


@settings(max_examples=150, deadline=None)
@given(model=models, gpu=gpu_ids, gpus=tp, w=weight_dtypes, chunk=st.integers(1, 16_384),
       past=st.integers(0, 100_000), more=st.integers(1, 8_192), seqs=st.integers(1, 8))
def test_prefill_time_monotone_in_chunk_and_past(model, gpu, gpus, w, chunk, past, more, seqs):
    assume(setting_ok(model, gpus))
    sm = step_model(model, gpu, gpus, w, "bf16")
    base = sm.prefill_time_s(chunk, past, seqs)
    assert sm.prefill_time_s(chunk + more, past, seqs) >= base
    assert sm.prefill_time_s(chunk, past + more, seqs) >= base
    assert sm.prefill_time_s(chunk, past, seqs + 1) >= base
    r = sm.prefill(chunk, past, seqs)
    assert finite_non_negative(r.seconds, r.flops, r.bytes, r.kv_bytes_read, r.kv_bytes_written)


@settings(max_examples=100, deadline=None)
@given(model=models, gpu=gpu_ids, b=batches, c=st.integers(1, 20_000),
       mbu=efficiency, mfu=efficiency, lower=st.floats(0.1, 0.99))
def test_lower_efficiency_is_never_faster(model, gpu, b, c, mbu, mfu, lower):
    fast = step(Deployment(model=model, gpu=gpu, mbu=mbu, mfu=mfu),
                phase="decode", batch=b, context=c)
    slow = step(Deployment(model=model, gpu=gpu, mbu=mbu * lower, mfu=mfu),
                phase="decode", batch=b, context=c)
    assert slow.seconds >= fast.seconds


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(["llama-3.1-8b", "mixtral-8x7b", "qwen2.5-7b", "gemma-2-9b"]),
       b1=st.integers(1, 256), b2=st.integers(1, 256), prompt=st.integers(1, 8_000),
       output=st.integers(2, 2_000), price=st.floats(0.1, 20), mbu=efficiency)
def test_cost_falls_as_throughput_rises(model, b1, b2, prompt, output, price, mbu):
    kw = dict(price_usd_per_hour=price, prompt=prompt, output=output)
    d = Deployment(model=model, gpu="h100-sxm", mbu=mbu)
    a = cost_per_million_tokens(d, batch=b1, **kw)
    b = cost_per_million_tokens(d, batch=b2, **kw)
    # Same cluster price: dollars per token times tokens per second is the price per second.
    tokens_a = a.output_tokens_per_s * (prompt + output) / output
    tokens_b = b.output_tokens_per_s * (prompt + output) / output
    assert a.usd_per_million_tokens * tokens_a == pytest.approx(price / 3600 * 1e6, rel=1e-9)
    if tokens_b > tokens_a * (1 + 1e-12):
        assert b.usd_per_million_tokens < a.usd_per_million_tokens
    assert finite_non_negative(a.usd_per_million_input_tokens, a.usd_per_million_output_tokens,
                               a.usd_per_request)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(["llama-3.1-8b", "mistral-7b", "phi-3-mini"]), batch=batches,
       prompt=st.integers(1, 16_000), output=st.integers(1, 4_000))
def test_latency_and_operating_point_are_finite(model, batch, prompt, output):
    r = request_latency(model, "h100-sxm", prompt=prompt, output=output, batch=batch)
    assert finite_non_negative(r.ttft_s, r.tpot_s, r.e2e_s, r.tokens_per_s)
    assert r.e2e_s >= r.ttft_s
    p = operating_point(model, "h100-sxm", batch=batch, prompt=prompt, output=output)
    assert finite_non_negative(p.ttft_s, p.tpot_s, p.e2e_s, p.output_tokens_per_s,
                               p.requests_per_s)


@given(alpha=st.floats(0, 0.999), gamma=st.integers(1, 64), c=st.floats(0, 10))
def test_speculative_formulas_are_bounded(alpha, gamma, c):
    tokens = expected_tokens_per_step(alpha, gamma)
    assert 1 <= tokens <= gamma + 1 + 1e-9
    assert 0 < speedup(alpha, gamma, c) <= tokens + 1e-12


# ---- bad inputs ----------------------------------------------------------------------------

not_positive_int = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
not_fraction = st.one_of(
    st.floats(max_value=0.0),
    st.floats(min_value=1.0, exclude_min=True),
    st.just(float("nan")),
    st.just(float("inf")),
    st.booleans(),
    st.text(max_size=3),
)


@given(value=not_positive_int, field=st.sampled_from(["batch", "context", "gpus"]))
def test_bad_counts_raise_value_error(value, field):
    counts = dict(batch=1, context=16, gpus=1)
    counts[field] = value
    with pytest.raises(ValueError):
        step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", gpus=counts["gpus"]),
             phase="decode", batch=counts["batch"], context=counts["context"])


@given(value=not_fraction, field=st.sampled_from(["mbu", "mfu"]))
def test_bad_efficiencies_raise_value_error(value, field):
    with pytest.raises(ValueError, match=field):
        step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", **{field: value}), phase="decode",
             batch=1, context=16)


@given(value=st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf")),
                       st.text(max_size=3), st.booleans()))
def test_bad_prices_raise_value_error(value):
    with pytest.raises(ValueError, match="price_usd_per_hour"):
        cost_per_million_tokens("llama-3.1-8b", "h100-sxm", price_usd_per_hour=value, batch=1,
                                prompt=10, output=10)


@given(value=st.one_of(st.text(min_size=1, max_size=12), st.integers(), st.none()))
def test_unknown_names_raise_value_error(value):
    assume(value not in MODELS and value not in GPUS and value not in BITS)
    with pytest.raises(ValueError):
        step(value, "h100-sxm", phase="decode", batch=1, context=16)
    with pytest.raises(ValueError):
        step("llama-3.1-8b", value, phase="decode", batch=1, context=16)
    with pytest.raises(ValueError):
        StepModel(Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype=value))


@given(alpha=st.one_of(st.floats(min_value=1.0), st.floats(max_value=-1e-9),
                       st.just(float("nan"))))
def test_bad_acceptance_rates_raise_value_error(alpha):
    with pytest.raises(ValueError, match="alpha"):
        speedup(alpha, 3, 0.1)
