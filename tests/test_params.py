"""Parameter counts and weight bytes against public figures and hand derivations.

Expected values are either published figures (cited next to them) or worked
out here from the architecture, term by term; none is pasted from the code.
"""

from __future__ import annotations

import math

import pytest

from servecalc.models import MODELS
from servecalc.params import (
    active_param_count,
    active_weight_bytes,
    layer_param_count,
    layer_weight_bytes,
    matmul_params_per_token,
    param_count,
    weight_bytes,
    weight_groups,
)

# Exact totals. Llama figures: the public checks named in the project brief
# (the parameter totals Hugging Face shows for meta-llama/Llama-2-7b-hf,
# Llama-3.1-8B and Llama-3.1-70B). Qwen2.5 and Mixtral: the safetensors totals
# Hugging Face reports for Qwen/Qwen2.5-7B-Instruct, Qwen/Qwen2.5-72B-Instruct
# and mistralai/Mixtral-8x7B-v0.1 (the Mixtral figure is also KerasHub's
# mixtral_8_7b_en preset "params").
PUBLISHED_TOTALS = {
    "llama-2-7b": 6_738_415_616,
    "llama-3.1-8b": 8_030_261_248,
    "llama-3.1-70b": 70_553_706_496,
    "qwen2.5-7b": 7_615_616_512,
    "qwen2.5-72b": 72_706_203_648,
    "mixtral-8x7b": 46_702_792_704,
}


@pytest.mark.parametrize("model, expected", sorted(PUBLISHED_TOTALS.items()))
def test_published_totals(model: str, expected: int) -> None:
    assert param_count(model) == expected


def test_mixtral_total_and_active_match_mistral_announcement() -> None:
    # Mistral AI, "Mixtral of experts" (Dec 2023): 46.7B total, 12.9B used per token.
    assert round(param_count("mixtral-8x7b") / 1e9, 1) == 46.7
    assert round(active_param_count("mixtral-8x7b") / 1e9, 1) == 12.9


def test_deepseek_v3_total_and_active_match_report() -> None:
    # DeepSeek-V3 Technical Report (arXiv:2412.19437): 671B total, 37B activated per
    # token; the 671B excludes the 14B multi-token-prediction module.
    assert round(param_count("deepseek-v3") / 1e9) == 671
    # Our active count includes the input embedding and the output head
    # (0.93B each), so it lands a little above the report's rounded 37B.
    assert 37e9 <= active_param_count("deepseek-v3") < 38e9


def test_gemma2_non_embedding_counts_match_paper() -> None:
    # Gemma Team, Gemma 2 (arXiv:2408.00118), Table 2: non-embedding parameters
    # 8,324,201,984 (9B) and 26,047,480,320 (27B). Embeddings are tied.
    assert param_count("gemma-2-9b") - 256000 * 3584 == 8_324_201_984
    assert param_count("gemma-2-27b") - 256000 * 4608 == 26_047_480_320


def test_qwen3_30b_a3b_matches_model_card_rounding() -> None:
    # Qwen3-30B-A3B model card: 30.5B total, 3.3B activated.
    assert round(param_count("qwen3-30b-a3b") / 1e9, 1) == 30.5
    # 3.35B with embeddings and head counted: the card's "3.3B" truncates.
    assert 3.3e9 <= active_param_count("qwen3-30b-a3b") < 3.4e9


def test_llama2_7b_by_hand() -> None:
    h, inter, vocab, layers = 4096, 11008, 32000, 32
    per_layer = 4 * h * h + 3 * h * inter + 2 * h   # q,k,v,o + gate,up,down + 2 RMSNorms
    assert layer_param_count("llama-2-7b", 0) == per_layer
    assert param_count("llama-2-7b") == layers * per_layer + 2 * vocab * h + h


def test_opt_13b_by_hand() -> None:
    # Plain MLP with biases, LayerNorm (weight + bias), learned positions
    # (2048 + offset 2 rows), tied output head: Zhang et al., arXiv:2205.01068.
    h, ffn, vocab, layers = 5120, 20480, 50272, 40
    attention = 4 * (h * h + h)
    mlp = (h * ffn + ffn) + (ffn * h + h)
    norms = 2 * (2 * h)
    total = layers * (attention + mlp + norms) + vocab * h + 2050 * h + 2 * h
    assert param_count("opt-13b") == total
    assert round(total / 1e9, 1) == 12.9  # "13B"


def test_phi3_mini_by_hand() -> None:
    h, inter, vocab, layers = 3072, 8192, 32064, 32
    total = layers * (4 * h * h + 3 * h * inter + 2 * h) + 2 * vocab * h + h
    assert param_count("phi-3-mini") == total
    assert round(total / 1e9, 1) == 3.8  # Phi-3 report: 3.8B


def test_qwen3_8b_by_hand_with_qk_norm() -> None:
    h, heads, kv, hd, inter, vocab, layers = 4096, 32, 8, 128, 12288, 151936, 36
    attention = h * heads * hd * 2 + 2 * h * kv * hd + 2 * hd   # q, o, k, v, q/k norms
    total = layers * (attention + 3 * h * inter + 2 * h) + 2 * vocab * h + h
    assert param_count("qwen3-8b") == total
    assert round(total / 1e9, 1) == 8.2   # model card: 8.2B


def test_deepseek_v3_mla_layer_by_hand() -> None:
    h, heads = 7168, 128
    mla = (
        h * 1536 + 1536                         # q_a_proj + q_a_layernorm
        + 1536 * heads * (128 + 64)             # q_b_proj
        + h * (512 + 64) + 512                  # kv_a_proj_with_mqa + kv_a_layernorm
        + 512 * heads * (128 + 128)             # kv_b_proj
        + heads * 128 * h                       # o_proj
    )
    dense_layer = mla + 3 * h * 18432 + 2 * h
    moe_layer = mla + (256 + 1) * 3 * h * 2048 + 256 * h + 256 + 2 * h
    assert layer_param_count("deepseek-v3", 0) == dense_layer
    assert layer_param_count("deepseek-v3", 3) == moe_layer
    assert param_count("deepseek-v3") == 3 * dense_layer + 58 * moe_layer + 2 * 129280 * h + h


def test_active_equals_total_for_dense_models() -> None:
    for spec in MODELS.values():
        if not spec.is_moe:
            assert active_param_count(spec) == param_count(spec)
        else:
            assert active_param_count(spec) < param_count(spec)


def test_mixtral_active_by_hand() -> None:
    expert = 3 * 4096 * 14336
    assert active_param_count("mixtral-8x7b") == 46_702_792_704 - 32 * 6 * expert


def test_groups_sum_to_total() -> None:
    for spec in MODELS.values():
        assert sum(g.params for g in weight_groups(spec)) == param_count(spec)


def test_layers_sum_to_total() -> None:
    for model in ("llama-2-7b", "deepseek-v3", "gemma-2-9b", "opt-13b"):
        spec = MODELS[model]
        layers = sum(layer_param_count(spec, i) for i in range(spec.num_layers))
        outside = sum(g.params for g in weight_groups(spec)
                      if g.name in ("embed_tokens", "embed_positions", "final_norm", "lm_head"))
        assert layers + outside == param_count(spec)


def test_weight_bytes_16_and_32_bit() -> None:
    n = 6_738_415_616
    assert weight_bytes("llama-2-7b") == 2 * n
    assert weight_bytes("llama-2-7b", "fp16") == 2 * n
    assert weight_bytes("llama-2-7b", "fp32") == 4 * n


def test_weight_bytes_fp8_keeps_embeddings_and_norms_16_bit() -> None:
    h, inter, vocab, layers = 4096, 11008, 32000, 32
    linear = layers * (4 * h * h + 3 * h * inter)
    kept = 2 * vocab * h + (2 * layers + 1) * h
    assert weight_bytes("llama-2-7b", "fp8") == linear + 2 * kept
    assert weight_bytes("llama-2-7b", "int8") == linear + 2 * kept


def test_weight_bytes_int4_group_scales() -> None:
    h, inter, vocab, layers = 4096, 11008, 32000, 32
    linear = layers * (4 * h * h + 3 * h * inter)
    kept = 2 * vocab * h + (2 * layers + 1) * h
    # one fp16 scale per 128 inputs of each output row
    scales = layers * (4 * h * (h // 128) + 2 * inter * (h // 128) + h * math.ceil(inter / 128))
    expected = linear // 2 + 2 * kept + 2 * scales
    assert weight_bytes("llama-2-7b", "int4") == expected
    assert weight_bytes("llama-2-7b", "fp4") == expected
    # a group size that does not divide the rows rounds the group count up
    scales_1000 = layers * (4 * h * math.ceil(h / 1000) + 2 * inter * math.ceil(h / 1000)
                            + h * math.ceil(inter / 1000))
    assert weight_bytes("llama-2-7b", "int4", group_size=1000) == (
        linear // 2 + 2 * kept + 2 * scales_1000)


def test_layer_weight_bytes() -> None:
    assert layer_weight_bytes("llama-2-7b", 31) == 2 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096)


def test_active_weight_bytes() -> None:
    assert active_weight_bytes("llama-3.1-8b") == weight_bytes("llama-3.1-8b")
    expert = 3 * 4096 * 14336
    assert active_weight_bytes("mixtral-8x7b") == 2 * (46_702_792_704 - 32 * 6 * expert)


def test_matmul_params_per_token() -> None:
    # untied: everything but the embedding table and the norms
    assert matmul_params_per_token("llama-3.1-8b") == 8_030_261_248 - 128256 * 4096 - 65 * 4096
    # tied (Gemma-2): the embedding matrix is also the output projection
    spec = MODELS["gemma-2-9b"]
    norms = (4 * 42 + 1) * 3584
    assert matmul_params_per_token(spec) == param_count(spec) - norms


@pytest.mark.parametrize(
    "call",
    [
        lambda: param_count("llama-3-70b"),
        lambda: weight_bytes("llama-2-7b", "int3"),
        lambda: weight_bytes("llama-2-7b", "int4", group_size=0),
        lambda: weight_bytes("llama-2-7b", "int4", group_size=1.5),
        lambda: layer_param_count("llama-2-7b", 32),
        lambda: layer_param_count("llama-2-7b", -1),
        lambda: layer_weight_bytes("llama-2-7b", True),
        lambda: param_count(7),
    ],
)
def test_bad_inputs_raise_value_error(call) -> None:
    with pytest.raises(ValueError):
        call()


def test_unknown_model_names_closest() -> None:
    with pytest.raises(ValueError, match="closest: 'llama-3.1-70b'"):
        param_count("llama-3-70b")
