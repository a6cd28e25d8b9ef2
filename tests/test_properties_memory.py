"""Properties of the memory formulas, checked on random inputs with hypothesis."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servecalc.capacity import fit, kv_budget_bytes
from servecalc.gpus import GPUS
from servecalc.kv import kv_bytes_per_batch, kv_bytes_per_sequence, kv_bytes_per_token
from servecalc.models import MODELS
from servecalc.paging import fragmentation, paged_kv_bytes
from servecalc.params import active_weight_bytes, weight_bytes
from servecalc.precision import WEIGHT_DTYPES

models = st.sampled_from(sorted(MODELS))
gpus_ids = st.sampled_from(sorted(GPUS))
whole_byte_dtypes = st.sampled_from(["fp32", "bf16", "fp16", "fp8", "int8"])
contexts = st.integers(min_value=0, max_value=300_000)
# Sizes in decreasing order: each must need strictly fewer bytes than the one before.
PRECISION_ORDER = ["fp32", "bf16", "fp8", "int4"]


def no_window(model: str) -> bool:
    """Every layer keeps every token (full attention) or none (linear attention)."""
    return set(MODELS[model].layer_counts()) <= {"full_attention", "linear_attention"}


@given(model=models, a=contexts, b=contexts, dtype=whole_byte_dtypes)
def test_kv_linear_in_tokens(model: str, a: int, b: int, dtype: str) -> None:
    spec = MODELS[model]
    assume(no_window(model) or a + b <= (spec.sliding_window or spec.attention_chunk_size))
    assert (kv_bytes_per_sequence(model, a + b, dtype)
            == kv_bytes_per_sequence(model, a, dtype) + kv_bytes_per_sequence(model, b, dtype))


@given(model=models, context=contexts, dtype=whole_byte_dtypes)
def test_kv_is_tokens_times_per_token_without_window(model: str, context: int, dtype: str):
    assume(no_window(model))
    assert kv_bytes_per_sequence(model, context, dtype) == context * kv_bytes_per_token(
        model, dtype)


@given(model=models, context=contexts, batch=st.integers(1, 4096),
       dtype=st.sampled_from(["bf16", "fp8", "int4"]))
def test_kv_linear_in_batch(model: str, context: int, batch: int, dtype: str) -> None:
    assert kv_bytes_per_batch(model, context, batch, dtype) == batch * kv_bytes_per_sequence(
        model, context, dtype)


@given(model=models, context=st.integers(0, 200_000))
def test_windowed_kv_never_exceeds_full(model: str, context: int) -> None:
    spec = MODELS[model]
    full = kv_bytes_per_token(spec) * context
    assert kv_bytes_per_sequence(spec, context) <= full
    grown = kv_bytes_per_sequence(spec, context + 1, peak=True)
    assert grown >= kv_bytes_per_sequence(spec, context, peak=True)


@given(model=models, group_size=st.sampled_from([32, 64, 128, 256]))
def test_weights_monotone_in_precision(model: str, group_size: int) -> None:
    sizes = [weight_bytes(model, d, group_size) for d in PRECISION_ORDER]
    assert all(a > b for a, b in zip(sizes, sizes[1:]))
    active = [active_weight_bytes(model, d, group_size) for d in PRECISION_ORDER]
    assert all(a > b for a, b in zip(active, active[1:]))
    assert weight_bytes(model, "bf16") == weight_bytes(model, "fp16")


@given(model=models, context=st.integers(1, 200_000))
def test_kv_monotone_in_precision(model: str, context: int) -> None:
    sizes = [kv_bytes_per_sequence(model, context, d) for d in PRECISION_ORDER]
    assert all(a > b for a, b in zip(sizes, sizes[1:]))


@given(model=models, small=st.integers(1, 64), large=st.integers(65, 1024))
def test_int4_larger_groups_need_fewer_bytes(model: str, small: int, large: int) -> None:
    assert weight_bytes(model, "int4", large) <= weight_bytes(model, "int4", small)


@given(model=models, context=st.integers(0, 100_000), block=st.integers(1, 512),
       dtype=whole_byte_dtypes)
def test_paged_holds_at_least_used_and_wastes_under_a_block(model, context, block, dtype):
    spec = MODELS[model]
    used = kv_bytes_per_sequence(spec, context, dtype)
    paged = paged_kv_bytes(spec, context, block, dtype)
    assert paged >= used
    # at most one partial block per layer at each end of a window
    per_layer_token = kv_bytes_per_token(spec, dtype) // spec.num_layers
    assert paged - used <= 2 * (block - 1) * spec.num_layers * per_layer_token


@given(model=models, context=st.integers(0, 4096), extra=st.integers(0, 100_000))
def test_fragmentation_ratios_in_unit_interval(model: str, context: int, extra: int) -> None:
    f = fragmentation(model, context, max_context=context + extra + 1)
    assert 0.0 <= f.paged_waste_ratio < 1.0
    # 0 when a sliding-window ring buffer is already full (e.g. Phi-3 past 2,047 tokens)
    assert 0.0 <= f.contiguous_waste_ratio <= 1.0
    assert f.contiguous_waste_bytes >= 0 and f.paged_waste_bytes >= 0


@settings(max_examples=150)
@given(model=models, gpu=gpus_ids, tp=st.sampled_from([1, 2, 4, 8, 16]),
       context=st.integers(1, 300_000), util=st.floats(0.01, 1.0),
       weight_dtype=st.sampled_from(PRECISION_ORDER), kv_dtype=st.sampled_from(PRECISION_ORDER),
       reserve=st.one_of(st.none(), st.integers(0, 8 * 2**30)), block=st.integers(1, 256))
def test_capacity_never_negative(model, gpu, tp, context, util, weight_dtype, kv_dtype,
                                 reserve, block) -> None:
    assume(MODELS[model].num_attention_heads % tp == 0)
    r = fit(model, gpu, gpus=tp, context=context, weight_dtype=weight_dtype,
            kv_dtype=kv_dtype, memory_utilization=util, reserve_bytes=reserve,
            block_size=block)
    for value in (r.max_batch, r.kv_token_capacity, r.kv_budget_bytes, r.usable_bytes,
                  r.weight_bytes, r.sequence_kv_bytes_per_gpu):
        assert isinstance(value, int) and value >= 0
    assert r.kv_budget_bytes <= r.usable_bytes
    assert r.max_batch * r.sequence_kv_bytes_per_gpu <= r.kv_budget_bytes // tp
    assert r.kv_token_capacity % block == 0
    assert r.reason


@given(model=models, gpu=gpus_ids, low=st.floats(0.05, 0.5), high=st.floats(0.5, 1.0))
def test_budget_monotone_in_utilization(model, gpu, low, high) -> None:
    assert kv_budget_bytes(model, gpu, memory_utilization=low) <= kv_budget_bytes(
        model, gpu, memory_utilization=high)


bad_counts = st.one_of(
    st.integers(max_value=-1), st.floats(allow_nan=True), st.booleans(), st.text(max_size=5),
    st.none(),
)
bad_fractions = st.one_of(
    st.floats(max_value=0.0), st.floats(min_value=1.0, exclude_min=True),
    st.just(float("nan")), st.just(float("inf")), st.text(max_size=3), st.booleans(),
)
bad_dtypes = st.text(max_size=6).filter(lambda s: s not in WEIGHT_DTYPES)


# Each argument that must be rejected: its bad values and a call taking (model, bad value).
REJECTS = {
    "context": (bad_counts, lambda m, v: kv_bytes_per_sequence(m, v)),
    "context (paged)": (bad_counts, lambda m, v: paged_kv_bytes(m, v)),
    "batch": (st.one_of(bad_counts, st.just(0)), lambda m, v: kv_bytes_per_batch(m, 128, v)),
    "weight dtype": (bad_dtypes, lambda m, v: weight_bytes(m, v)),
    "kv dtype": (bad_dtypes, lambda m, v: kv_bytes_per_token(m, v)),
    "memory utilization": (bad_fractions,
                           lambda m, v: fit(m, "h100-sxm", memory_utilization=v)),
    "gpus": (st.one_of(st.integers(max_value=0), st.booleans(), st.floats()),
             lambda m, v: kv_budget_bytes(m, "h100-sxm", gpus=v)),
    "model": (st.text(max_size=12).filter(lambda s: s.lower() not in MODELS),
              lambda m, v: weight_bytes(v)),
}


@pytest.mark.parametrize("argument", sorted(REJECTS))
@given(model=models, data=st.data())
def test_bad_argument_raises(argument, model, data) -> None:
    bad_values, call = REJECTS[argument]
    with pytest.raises(ValueError):
        call(model, data.draw(bad_values, label=argument))


def test_precision_order_is_by_bits() -> None:
    from servecalc.precision import bits

    widths = [bits(d) for d in PRECISION_ORDER]
    assert widths == sorted(widths, reverse=True)
    assert math.prod(widths) > 0
