"""The step model: FLOPs, bytes and times, against derivations written out here.

Expected values are computed in this file from the architectures (published
config.json values restated below) and the formulas stated in
servecalc.step's docstring, not taken from the code's output.
"""

from __future__ import annotations

import math

import pytest

from servecalc.deployment import Deployment
from servecalc.models import ModelSpec
from servecalc.step import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    DEFAULT_OVERHEAD_S,
    WEIGHT_ONLY_COMPUTE_FRACTION,
    StepModel,
    bandwidth_utilization,
    crossover_batch,
    default_compute_dtype,
    flops_utilization,
    prefill_chunk,
    step,
)

H100_BW = 3.35e12          # H100 SXM datasheet, bytes/s
H100_BF16 = 989.4e12       # dense BF16 FLOP/s (1,979 "with sparsity" halved)
H100_FP8 = 1978.9e12
H100_LINK = 450e9          # NVLink 900 GB/s bidirectional, one direction

# Llama-2-7B (config.json): 32 layers, hidden 4096, 32 heads (MHA), head_dim 128,
# intermediate 11008, vocab 32000, untied embeddings.
L7_LAYERS, L7_H, L7_FF, L7_V = 32, 4096, 11008, 32000
L7_LAYER_MATMUL = 4 * L7_H * L7_H + 3 * L7_H * L7_FF
L7_TOTAL = L7_V * L7_H * 2 + L7_LAYERS * (L7_LAYER_MATMUL + 2 * L7_H) + L7_H
L7_KV_PER_TOKEN = 2 * L7_LAYERS * L7_H * 2      # 524,288 B (NVIDIA's figure)


def tiny(**extra) -> ModelSpec:
    """A small GQA model whose every count is easy to write by hand."""
    fields = dict(
        id="tiny", name="Tiny", num_layers=2, hidden_size=64, num_attention_heads=4,
        num_kv_heads=2, head_dim=16, intermediate_size=128, vocab_size=100,
        source="test", source_date="2024-01-01",
    )
    fields.update(extra)
    return ModelSpec(**fields)


TINY_LAYER_MATMUL = 64 * 64 + 64 * 32 + 64 * 32 + 64 * 64 + 3 * 64 * 128   # q k v o + gated MLP
TINY_LINEAR_FLOPS = 2 * 2 * TINY_LAYER_MATMUL      # per token, 2 layers
TINY_LM_HEAD_FLOPS = 2 * 64 * 100
TINY_PAIR_FLOPS = 2 * 4 * (16 + 16)                # per (query, key) pair per layer
TINY_KV_TOKEN_LAYER = 2 * 2 * 16 * 2               # K and V, 2 heads x 16, bf16


def test_llama2_7b_decode_bytes_flops_and_time():
    context = 1000
    r = step("llama-2-7b", "h100-sxm", phase="decode", batch=1, context=context)
    weights = 2 * (L7_TOTAL - L7_V * L7_H)      # the input embedding table is not read
    assert r.weight_bytes_read == weights
    assert r.kv_bytes_read == context * L7_KV_PER_TOKEN
    assert r.kv_bytes_written == L7_KV_PER_TOKEN
    flops = 2 * (L7_LAYERS * L7_LAYER_MATMUL + L7_V * L7_H) + context * L7_LAYERS * 2 * 32 * 256
    assert r.flops == pytest.approx(flops, rel=1e-12)
    moved = weights + (context + 1) * L7_KV_PER_TOKEN
    assert r.bytes == moved
    # At batch 1 every term is bandwidth-bound: the weights, the cache and the new
    # token's embedding row (4096 x 2 bytes) at MBU x peak, plus the fixed overhead
    # (the memory time itself, at an MBU given explicitly, is written out below).
    assert r.compute_s == pytest.approx(flops / (DEFAULT_MFU * H100_BF16), rel=1e-12)
    assert r.bound == "memory" and r.comm_s == 0 and r.overhead_s == DEFAULT_OVERHEAD_S
    assert r.seconds == pytest.approx(r.memory_s + DEFAULT_OVERHEAD_S, rel=1e-12)
    terms = [r.linear_s, r.attention_s, r.kv_write_s, r.logits_s, r.comm_s, r.overhead_s]
    assert r.seconds == pytest.approx(math.fsum(terms), rel=1e-15)
    assert r.arithmetic_intensity == pytest.approx(flops / moved)
    assert r.ridge_point == pytest.approx(H100_BF16 / H100_BW)


def test_llama2_7b_decode_time_at_half_the_bandwidth_written_out():
    # The same step at an explicit MBU of 0.5 (no default involved), its numbers
    # written out by hand: Llama-2-7B has 6,738,415,616 parameters; the decode step
    # reads all but the 32,000 x 4,096 input embedding table in bf16
    # (2 x 6,607,343,616 = 13,214,687,232 B), the cache of 1,000 tokens and writes
    # the new token's (1,001 x 524,288 = 524,812,288 B), and reads one embedding row
    # (8,192 B): 13,739,507,712 B at 0.5 x 3.35 TB/s = 8.2027 ms.
    assert L7_TOTAL == 6_738_415_616
    r = step(Deployment(model="llama-2-7b", gpu="h100-sxm", mbu=0.5),
             phase="decode", batch=1, context=1000)
    assert r.memory_s == pytest.approx(13_739_507_712 / 1.675e12, rel=1e-12)
    assert r.memory_s == pytest.approx(8.2027e-3, abs=5e-8)


def test_tiny_prefill_counts_causal_pairs_and_one_logits_row():
    chunk, past = 10, 6
    r = prefill_chunk(tiny(), "h100-sxm", chunk_tokens=chunk, past_tokens=past)
    pairs = past * chunk + chunk * (chunk + 1) // 2          # 60 + 55 = 115
    assert r.flops == chunk * TINY_LINEAR_FLOPS + TINY_LM_HEAD_FLOPS + 2 * pairs * TINY_PAIR_FLOPS
    assert r.kv_bytes_read == 2 * past * TINY_KV_TOKEN_LAYER
    assert r.kv_bytes_written == 2 * chunk * TINY_KV_TOKEN_LAYER


def test_causal_attention_is_about_half_the_square():
    spec = tiny()
    sm = StepModel(spec, "h100-sxm")
    n = 4096
    whole = sm.prefill(n)
    linear = n * TINY_LINEAR_FLOPS + TINY_LM_HEAD_FLOPS
    attention = whole.flops - linear
    full_square = 2 * n * n * TINY_PAIR_FLOPS
    assert attention / full_square == pytest.approx(0.5, rel=1e-3)


def test_sliding_window_caps_pairs_and_reads():
    spec = tiny(sliding_window=8, layer_types=("sliding_attention", "full_attention"))
    r = prefill_chunk(spec, "h100-sxm", chunk_tokens=20, past_tokens=0)
    full_pairs = 20 * 21 // 2                               # 210
    window_pairs = sum(min(x, 8) for x in range(1, 21))     # 36 + 12 x 8 = 132
    attention = (full_pairs + window_pairs) * TINY_PAIR_FLOPS
    expected = 20 * TINY_LINEAR_FLOPS + TINY_LM_HEAD_FLOPS + attention
    assert r.flops == expected
    d = step(spec, "h100-sxm", phase="decode", batch=3, context=50)
    assert d.kv_bytes_read == 3 * (50 + 8) * TINY_KV_TOKEN_LAYER


def test_chunked_prefill_matches_whole_prefill_attention():
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    whole = sm.prefill(3000)
    parts = [sm.prefill(1000, 0), sm.prefill(1000, 1000), sm.prefill(1000, 2000)]
    lm_head = 2 * 4096 * 128256
    assert math.fsum(p.flops for p in parts) == pytest.approx(whole.flops + 2 * lm_head, rel=1e-12)


def test_moe_expected_distinct_experts():
    # Mixtral-8x7B: 32 MoE layers of 8 experts, 2 per token; one expert is a gated
    # MLP of 3 x 4096 x 14336 weights.
    sm = StepModel("mixtral-8x7b", "h100-sxm")
    expert = 3 * 4096 * 14336 * 2
    one = sm.weight_bytes_read(1)
    for tokens in (2, 3, 16):
        distinct = 8 * (1 - (1 - 2 / 8) ** tokens)
        assert sm.weight_bytes_read(tokens) - one == pytest.approx(
            32 * expert * (distinct - 2), rel=1e-12)
    # Many tokens touch every expert: all weights but the input embedding.
    from servecalc.params import param_count
    assert sm.weight_bytes_read(10_000) == pytest.approx(
        2 * (param_count("mixtral-8x7b") - 32000 * 4096), rel=1e-9)


def test_mla_decode_uses_absorbed_latent_attention():
    # DeepSeek-V3: 128 heads, kv_lora_rank 512, qk_rope 64; 61 layers.
    sm = StepModel(Deployment(model="deepseek-v3", gpu="h200", gpus=8))
    a = sm.decode_total(1, 1000)
    b = sm.decode_total(1, 2000)
    per_token_layer = 2 * 128 * ((512 + 64) + 512)
    assert b.flops - a.flops == pytest.approx(1000 * 61 * per_token_layer, rel=1e-12)
    # The latent (576 values x 2 bytes per layer) is read in full by every GPU.
    assert b.kv_bytes_read - a.kv_bytes_read == 1000 * 61 * 576 * 2


def test_all_reduce_matches_published_measurements():
    from servecalc.step.comm import allreduce_s, ring_s
    # SGLang PR #2904 (2025-01-15), custom all-reduce on H100: 512 B in 3.7 / 4.8 / 5.9 us
    # at TP 2 / 4 / 8, and 1 MiB in 33.8 us at TP 8.
    for n, measured in ((2, 3.7e-6), (4, 4.8e-6), (8, 5.9e-6)):
        assert allreduce_s(512, n, H100_LINK) == pytest.approx(measured, rel=0.10)
    assert allreduce_s(2**20, 8, H100_LINK) == pytest.approx(33.8e-6, rel=0.05)
    # NVIDIA/nccl-tests issue #123: a tiny ring all-reduce on 8 A100s takes 33.7 us.
    assert ring_s(8, 8, 300e9) == pytest.approx(33.7e-6, rel=0.02)
    # Nearly flat from TP2 to TP8 for small decode messages (4 tokens x 8192 x 2 bytes),
    # where a ring would pay 2 (n - 1) hops: 7 times more latency at TP8 than at TP2.
    small = [allreduce_s(4 * 8192 * 2, n, H100_LINK) for n in (2, 4, 8)]
    assert max(small) / min(small) < 2


def test_tensor_parallel_comm_in_the_step():
    r = step(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=8),
             phase="decode", batch=1, context=2048)
    # 80 layers x 2 all-reduces of one token's activations (8192 x 2 bytes) on 8 GPUs:
    # one-shot, about 6 us each (SGLang's 5.9 us for 512 B), so about 1 ms in all.
    assert r.comm_s == pytest.approx(160 * 5.9e-6, rel=0.10)
    assert r.comm_s / r.seconds < 0.25
    assert step("llama-3.1-8b", "h100-sxm", phase="decode", batch=1, context=10).comm_s == 0
    # PCIe: ring only, so the same all-reduces cost more.
    pcie = step(Deployment(model="llama-3.1-8b", gpu="l4", gpus=2), phase="decode", batch=1,
                context=10)
    nvlink = step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", gpus=2), phase="decode",
                  batch=1, context=10)
    assert pcie.comm_s > nvlink.comm_s


def test_tensor_parallel_splits_weights_and_kv_heads():
    one = step(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=1),
               phase="decode", batch=8, context=4096)
    four = step(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                phase="decode", batch=8, context=4096)
    assert four.bytes_per_gpu == pytest.approx(one.bytes_per_gpu / 4, rel=1e-4)
    # 8 KV heads on 16 GPUs: one head each, so each GPU holds 1/8 of the cache.
    sixteen = step(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=16),
                   phase="decode", batch=8, context=4096)
    kv = sixteen.kv_bytes_read + sixteen.kv_bytes_written
    embeddings = 8 * 8192 * 2       # each GPU looks up the batch's embedding rows
    assert sixteen.bytes_per_gpu == pytest.approx(
        sixteen.weight_bytes_read / 16 + kv / 8 + embeddings, rel=1e-12)


def test_compute_precision_follows_weights():
    assert default_compute_dtype("h100-sxm", "fp8") == "fp8"
    assert default_compute_dtype("a100-80gb", "fp8") == "bf16"       # no fp8 tensor cores
    assert default_compute_dtype("h100-sxm", "int4") == "bf16"       # weight-only
    bf16 = step("llama-3.1-8b", "h100-sxm", phase="prefill", batch=1, context=4096)
    fp8 = step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="fp8"),
               phase="prefill", batch=1, context=4096)
    int4 = step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="int4"),
                phase="prefill", batch=1, context=4096)
    assert fp8.compute_s == pytest.approx(bf16.compute_s * H100_BF16 / H100_FP8, rel=1e-9)
    assert int4.compute_s == pytest.approx(bf16.compute_s, rel=1e-12)
    # Compute-bound prefill: weight-only int4 gains nothing and pays for dequantization.
    assert int4.linear_s == pytest.approx(bf16.linear_s / WEIGHT_ONLY_COMPUTE_FRACTION, rel=1e-12)
    w8a8 = step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="int8", compute_dtype="int8"),
                phase="prefill", batch=1, context=4096)
    assert w8a8.compute_dtype == "int8" and w8a8.compute_s < bf16.compute_s


def test_efficiency_and_overhead_knobs():
    base = step("llama-3.1-8b", "h100-sxm", phase="decode", batch=1, context=100)
    slow = step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", mbu=DEFAULT_MBU / 2),
                phase="decode", batch=1, context=100)
    assert slow.memory_s == pytest.approx(2 * base.memory_s)
    late = step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", overhead_s=0.001),
                phase="decode", batch=1, context=100)
    assert late.seconds == pytest.approx(base.seconds - DEFAULT_OVERHEAD_S + 0.001)


def test_linear_layers_turn_compute_bound_at_their_ridge_attention_never():
    # The weight matmuls of a decode step of b tokens take max(2 P b / (MFU peak),
    # 2 P / (MBU bw)) for P bf16 weights: compute-bound from b = ridge x MFU / MBU,
    # whatever the context. Attention reads each sequence's own cache: never.
    ridge = H100_BF16 / H100_BW
    expected = math.ceil(ridge * DEFAULT_MFU / DEFAULT_MBU)
    for context in (1, 1024, 4096):
        b = crossover_batch("llama-3.1-8b", "h100-sxm", context=context)
        assert abs(b - expected) <= 1
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    big = sm.decode(2 * expected, 1024)
    assert big.linear_bound == "compute" and big.attention_bound == "memory"
    # One max over the whole step would hide the compute-bound matmuls behind the
    # KV reads; the sum of terms does not.
    assert big.seconds > 1.1 * max(big.compute_s, big.memory_s)


def test_mixed_step_adds_prefill_chunks_to_decode():
    sm = StepModel("llama-3.1-8b", "h100-sxm")
    mixed = sm.mixed_time_s(16, 16 * 1000, [(256, 0), (256, 256)])
    assert mixed > sm.decode_time_s(16, 16 * 1000)
    assert mixed > sm.prefill_time_s(256, 256)
    with pytest.raises(ValueError, match="prefill_chunks"):
        sm.mixed_time_s(1, 10, [(5,)])
    with pytest.raises(ValueError, match="at least one token"):
        sm.mixed_time_s(0, 0, [])


def test_utilization_helpers():
    # Databricks' example: 14 GB at 14 ms on a 2 TB/s part is 50 % MBU.
    assert bandwidth_utilization(14e9, 0.014, 2e12) == pytest.approx(0.5)
    assert flops_utilization(989.4e12, 1.0, 989.4e12) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="step_s"):
        bandwidth_utilization(1.0, 0.0, 1.0)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(phase="decode", batch=0, context=10), "batch must be an integer >= 1, got 0"),
        (dict(phase="decode", batch=1, context=0), "context must be an integer >= 1, got 0"),
        (dict(phase="decode", batch=1, context=10, mbu=0), "mbu must be a number in (0, 1]"),
        (dict(phase="decode", batch=1, context=10, mfu=1.5), "mfu must be a number in (0, 1]"),
        (dict(phase="decode", batch=1, context=10, overhead_s=-1), "overhead_s must be"),
        (dict(phase="decode", batch=1, context=10, weight_dtype="int3"), "weight_dtype must be"),
        (dict(phase="decode", batch=1, context=10, kv_dtype="q8"), "kv_dtype must be"),
        (dict(phase="decode", batch=1, context=10, gpus=3), "gpus must divide"),
        (dict(phase="warmup", batch=1, context=10), "phase must be one of"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, fragment):
    shape = {k: kwargs.pop(k) for k in ("phase", "batch", "context")}
    with pytest.raises(ValueError) as info:
        step(Deployment(model="llama-3.1-8b", gpu="h100-sxm", **kwargs), **shape)
    assert fragment in str(info.value)


def test_multi_gpu_needs_an_interconnect():
    from dataclasses import replace

    from servecalc.gpus import get_gpu
    lonely = replace(get_gpu("l4"), id="l4-no-link", interconnect_bytes_per_s=0.0)
    with pytest.raises(ValueError, match="interconnect"):
        StepModel(Deployment(model="llama-3.1-8b", gpu=lonely, gpus=2))


def test_fp8_compute_needs_fp8_tensor_cores():
    with pytest.raises(ValueError, match="compute_dtype 'fp8'"):
        StepModel(Deployment(model="llama-3.1-8b", gpu="a100-80gb", compute_dtype="fp8"))
