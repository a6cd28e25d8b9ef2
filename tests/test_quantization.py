"""Weight, KV and activation precision side by side.

Expectations follow from the byte sizes of each precision (16, 8 and 4 bits)
and from which tensor-core peak each setting uses; they are derived here.
"""

from __future__ import annotations

import pytest

from servecalc.capacity import fit
from servecalc.kv import kv_bytes_per_token
from servecalc.params import weight_bytes
from servecalc.quantization import DEFAULT_CONFIGS, compare_precisions
from servecalc.step import StepModel
from servecalc.deployment import Deployment


def rows_by_key(rows):
    return {(r.weight_dtype, r.kv_dtype): r for r in rows}


def test_default_rows_and_their_memory():
    rows = compare_precisions(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=2),
                              context=8192)
    assert [(r.weight_dtype, r.kv_dtype) for r in rows] == list(DEFAULT_CONFIGS)
    by = rows_by_key(rows)
    # Llama-3.1-70B: 80 layers x 8 KV heads x 128 x 2 (K and V) values per token.
    assert by["bf16", "bf16"].kv_bytes_per_token == 80 * 8 * 128 * 2 * 2
    assert by["fp8", "fp8"].kv_bytes_per_token == 80 * 8 * 128 * 2
    for r in rows:
        assert r.weight_bytes == weight_bytes("llama-3.1-70b", r.weight_dtype)
        f = fit("llama-3.1-70b", "h100-sxm", gpus=2, context=8192, weight_dtype=r.weight_dtype,
                kv_dtype=r.kv_dtype)
        assert (r.max_batch, r.kv_token_capacity, r.fits) == (f.max_batch, f.kv_token_capacity,
                                                             f.fits)
    # Smaller weights leave more room for the cache; a smaller cache fits more sequences.
    assert by["bf16", "bf16"].max_batch < by["fp8", "bf16"].max_batch < by["fp8", "fp8"].max_batch
    assert by["int4", "bf16"].max_batch < by["int4", "fp8"].max_batch


def test_activation_precision_sets_prefill_speed():
    by = rows_by_key(compare_precisions("llama-3.1-8b", "h100-sxm", context=4096))
    assert by["fp8", "bf16"].compute_dtype == "fp8"
    assert by["int4", "bf16"].compute_dtype == "bf16"
    # Prefill of 4,096 tokens is compute-bound: W8A8 fp8 runs at the fp8 peak
    # (1,978.9 against 989.4 dense TFLOP/s on an H100 SXM), about half the time (the
    # KV writes and the fixed per-step overhead do not halve); weight-only int4 runs
    # at the bf16 peak and dequantizes on top, so it is slower, not faster.
    assert by["fp8", "bf16"].prefill_s == pytest.approx(
        by["bf16", "bf16"].prefill_s * 989.4 / 1978.9, rel=0.02)
    assert by["int4", "bf16"].prefill_s > by["bf16", "bf16"].prefill_s


def test_weight_precision_sets_decode_speed_at_batch_1():
    by = rows_by_key(compare_precisions("llama-3.1-8b", "h100-sxm", context=1024))
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    embedding = 128256 * 4096 * 2       # not read in decode, kept in 16 bits
    kv = 1025 * kv_bytes_per_token("llama-3.1-8b")
    row = 4096 * 2                      # the new token's embedding row, looked up
    for w in ("bf16", "fp8", "int4"):
        moved = weight_bytes("llama-3.1-8b", w) - embedding + kv + row
        assert by[w, "bf16"].tpot_s == pytest.approx(
            moved / (sm.mbu * 3.35e12) + sm.overhead_s, rel=1e-9)
    assert by["int4", "bf16"].tpot_s < by["fp8", "bf16"].tpot_s < by["bf16", "bf16"].tpot_s


def test_a100_has_no_fp8_compute():
    rows = compare_precisions("llama-3.1-8b", "a100-80gb", context=2048,
                              configs=[("fp8", "fp8")])
    assert rows[0].compute_dtype == "bf16"


def test_explicit_compute_precision_and_bad_configs():
    rows = compare_precisions("llama-3.1-8b", "h100-sxm", context=2048,
                              configs=[("int8", "bf16", "int8")])
    assert rows[0].compute_dtype == "int8"
    with pytest.raises(ValueError, match=r"configs\[0\]"):
        compare_precisions("llama-3.1-8b", "h100-sxm", context=2048, configs=["bf16"])
    with pytest.raises(ValueError, match="configs must hold"):
        compare_precisions("llama-3.1-8b", "h100-sxm", context=2048, configs=[])
    with pytest.raises(ValueError, match="kv_dtype must be one of"):
        compare_precisions("llama-3.1-8b", "h100-sxm", context=2048, configs=[("bf16", "int2")])


def test_rows_that_do_not_fit_say_so():
    rows = compare_precisions("llama-3.1-70b", "h100-sxm", context=4096,
                              configs=[("bf16", "bf16"), ("int4", "bf16")])
    assert not rows[0].fits and rows[0].max_batch == 0 and rows[0].max_batch_tokens_per_s == 0
    assert rows[1].fits and rows[1].max_batch_tokens_per_s > rows[1].tokens_per_s
