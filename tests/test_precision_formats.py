"""FP4 formats, exact to the bit, and the compute precision each pairing runs at.

Expected values are derived by hand from the format definitions:
NVFP4 (NVIDIA, "Introducing NVFP4", 2025): 16 FP4 values share one FP8 E4M3
scale, plus one FP32 scale per tensor; MXFP4 (OCP Microscaling Formats v1.0):
32 FP4 values share one 8-bit E8M0 scale.
"""

from __future__ import annotations

import pytest

from servecalc.capacity import fit
from servecalc.kv import cache_bytes_per_sequence, kv_bytes_per_sequence, linear_state_bytes
from servecalc.paging import chunk_blocks
from servecalc.params import weight_bytes, weight_groups
from servecalc.precision import bits_per_value, compute_dtype, matrix_bits
from servecalc.gpus import get_gpu
from servecalc.deployment import Deployment
from servecalc.step import StepModel


def test_nvfp4_and_mxfp4_bits_by_hand() -> None:
    # 4096 x 4096: 16,777,216 values of 4 bits; NVFP4 adds 4096 rows x 256 blocks of 8 bits
    # and one 32-bit tensor scale; MXFP4 adds 4096 x 128 blocks of 8 bits.
    assert matrix_bits(4096, 4096, "nvfp4") == 67_108_864 + 8_388_608 + 32
    assert matrix_bits(4096, 4096, "mxfp4") == 67_108_864 + 4_194_304
    # A row of 33 values: NVFP4 needs 3 blocks, MXFP4 2 (partial blocks still carry a scale).
    assert matrix_bits(33, 1, "nvfp4") == 132 + 24 + 32
    assert matrix_bits(33, 1, "mxfp4") == 132 + 16
    assert (bits_per_value("nvfp4"), bits_per_value("mxfp4")) == (4.5, 4.25)


def test_fp4_weights_keep_the_same_parts_in_16_bits() -> None:
    # Llama-3.1-8B: only decoder linear layers are quantized; the rest stays 2 bytes.
    groups = weight_groups("llama-3.1-8b")
    linear = [g for g in groups if g.kind == "linear"]
    kept = sum(g.params for g in groups if g.kind != "linear")
    blocks16 = sum(g.count * g.out_features * -(-g.in_features // 16) for g in linear)
    values = sum(g.params for g in linear)
    tensors = sum(g.count for g in linear)
    expected_bits = 4 * values + 8 * blocks16 + 32 * tensors + 16 * kept
    assert weight_bytes("llama-3.1-8b", "nvfp4") == -(-expected_bits // 8)


def test_quantize_keeps_chosen_parts_in_bf16() -> None:
    every = weight_bytes("gpt-oss-120b", "mxfp4")
    experts_only = weight_bytes("gpt-oss-120b", "mxfp4", quantize=["experts"])
    attention = sum(g.params for g in weight_groups("gpt-oss-120b") if g.part == "attention")
    # Attention kept in bf16: 2 bytes instead of 4.25 bits for each attention weight,
    # minus the scales those weights no longer carry (2880- and 4096-wide rows, blocks of 32).
    assert experts_only > every
    assert experts_only - every == pytest.approx(attention * (2 - 4.25 / 8), rel=1e-3)
    with pytest.raises(ValueError, match="quantize"):
        weight_bytes("gpt-oss-120b", "mxfp4", quantize=["embeddings"])
    with pytest.raises(ValueError, match="quantize"):
        weight_bytes("gpt-oss-120b", "mxfp4", quantize="experts")


def test_compute_dtype_pairings() -> None:
    b200, h100, mi355 = (get_gpu(g).peaks() for g in ("b200", "h100-sxm", "mi355x"))
    assert compute_dtype("nvfp4", b200) == "fp4"            # W4A4 at the FP4 peak
    assert compute_dtype("mxfp4", mi355) == "fp4"
    assert compute_dtype("nvfp4", h100) == "bf16"           # W4A16 on Hopper
    assert compute_dtype("mxfp4", h100, "fp8") == "fp8"     # W4A8
    assert compute_dtype("int4", b200) == "bf16"
    with pytest.raises(ValueError, match="no tensor-core support"):
        compute_dtype("mxfp4", get_gpu("a100-80gb").peaks(), "fp8")
    sm = StepModel(Deployment(model="llama-3.1-8b", gpu="b200", weight_dtype="nvfp4"))
    assert sm.compute_dtype == "fp4"
    assert Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="mxfp4").compute_dtype == "bf16"


def test_layer_types_store_what_they_keep() -> None:
    # Gemma-3-27B: 52 local layers keep <= 1024 tokens, 10 global keep all; 2 x 16 x 128 values.
    per_layer = 2 * 16 * 128 * 2
    assert kv_bytes_per_sequence("gemma-3-27b", 32768) == per_layer * (10 * 32768 + 52 * 1024)
    # Llama-4-Scout: 36 chunked layers keep the current chunk of 8192; 12 global keep all.
    per_layer = 2 * 8 * 128 * 2
    assert kv_bytes_per_sequence("llama-4-scout", 20000) == per_layer * (12 * 20000 + 36 * 3616)
    assert kv_bytes_per_sequence("llama-4-scout", 20000, peak=True) == per_layer * (
        12 * 20000 + 36 * 8192)
    assert chunk_blocks(20000, 8192) == 226 and chunk_blocks(20000, 8192, peak=True) == 512
    # Qwen3-Next: 36 Gated DeltaNet layers keep a fixed state, 12 gated-attention layers the KV.
    state = 36 * (32 * 128 * 128 * 2 + 3 * (2 * 16 * 128 + 32 * 128) * 2)
    assert linear_state_bytes("qwen3-next-80b-a3b") == state
    assert cache_bytes_per_sequence("qwen3-next-80b-a3b", 0) == state
    assert cache_bytes_per_sequence("qwen3-next-80b-a3b", 100) == state + 100 * 12 * 2 * 2 * 256 * 2
    # Split over 2 GPUs, each keeps half the heads' state.
    assert linear_state_bytes("qwen3-next-80b-a3b", 2) == state // 2


def test_fit_counts_the_linear_state_and_the_chunk_peak() -> None:
    r = fit("qwen3-next-80b-a3b", "h200", gpus=2, context=4096)
    per_token = 12 * 2 * 256 * 2  # one KV head per GPU, 12 attention layers, bf16
    assert r.sequence_kv_bytes_per_gpu == 4096 * per_token + linear_state_bytes(
        "qwen3-next-80b-a3b", 2)
    r = fit("llama-4-scout", "h200", gpus=4, context=8192 + 16)
    per_token_layer = 2 * 2 * 128 * 2  # 2 of 8 KV heads per GPU
    assert r.sequence_kv_bytes_per_gpu == per_token_layer * (12 * 8208 + 36 * 8192)
