"""The weight tensors of one attention layer, for each way a layer can be built.

:mod:`servecalc.attention_kinds` names which builder a layer kind or KV
layout uses; :mod:`servecalc.params` adds the MLP, experts and norms.

>>> from servecalc.models import get_model
>>> sum(g.params for g in head_weights(get_model("llama-3.1-8b")))   # 2 x 4096^2 + 2 x 4096 x 1024
41943040
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .weight_group import WeightGroup, group, norm_size

if TYPE_CHECKING:
    from .models import ModelSpec


def head_weights(spec: ModelSpec) -> list[WeightGroup]:
    """Query, key, value and output projections with per-head keys and values
    (multi-head, grouped-query and multi-query attention), with the biases,
    q/k norms and sinks the model has."""
    h = spec.hidden_size
    heads = spec.num_attention_heads
    q_width = heads * spec.head_dim
    kv_width = spec.num_kv_heads * spec.head_dim
    q_out = 2 * q_width if spec.attention_output_gate else q_width  # query and its gate
    groups = [
        group("attn.q_proj", "linear", h, q_out),
        group("attn.k_proj", "linear", h, kv_width),
        group("attn.v_proj", "linear", h, kv_width),
        group("attn.o_proj", "linear", q_width, h),
    ]
    if spec.qkv_bias or spec.linear_bias:
        groups.append(group("attn.qkv_bias", "bias", 1, q_width + 2 * kv_width))
    if spec.linear_bias:
        groups.append(group("attn.o_bias", "bias", 1, h))
    if spec.qk_norm:
        groups.append(group("attn.qk_norm", "norm", 1, 2 * norm_size(spec, spec.head_dim)))
    if spec.attention_sinks:
        groups.append(group("attn.sinks", "bias", 1, heads))
    return groups


def latent_weights(spec: ModelSpec) -> list[WeightGroup]:
    """Multi-head latent attention (DeepSeek-V2/V3): low-rank query and
    key-value projections with their norms, and the output projection.

    >>> from servecalc.models import get_model
    >>> [g.name for g in latent_weights(get_model("deepseek-v3"))][:3]
    ['attn.q_a_proj', 'attn.q_a_norm', 'attn.q_b_proj']
    """
    h = spec.hidden_size
    heads = spec.num_attention_heads
    q_head = spec.qk_nope_head_dim + spec.qk_rope_head_dim
    groups = []
    if spec.q_lora_rank:
        groups += [
            group("attn.q_a_proj", "linear", h, spec.q_lora_rank),
            group("attn.q_a_norm", "norm", 1, norm_size(spec, spec.q_lora_rank)),
            group("attn.q_b_proj", "linear", spec.q_lora_rank, heads * q_head),
        ]
    else:
        groups.append(group("attn.q_proj", "linear", h, heads * q_head))
    groups += [
        group("attn.kv_a_proj", "linear", h, spec.kv_lora_rank + spec.qk_rope_head_dim),
        group("attn.kv_a_norm", "norm", 1, norm_size(spec, spec.kv_lora_rank)),
        group(
            "attn.kv_b_proj", "linear", spec.kv_lora_rank,
            heads * (spec.qk_nope_head_dim + spec.v_head_dim),
        ),
        group("attn.o_proj", "linear", heads * spec.v_head_dim, h),
    ]
    return groups


def gated_deltanet_weights(spec: ModelSpec) -> list[WeightGroup]:
    """A Gated DeltaNet layer (Qwen3-Next): projections, short convolution,
    per-head decay and step parameters, and a gated norm over each value head.

    Qwen3-Next: 2048 x 12288 + 2048 x 64 + 4 x 8192 + 64 + 128 + 4096 x 2048.

    >>> from servecalc.models import get_model
    >>> sum(g.params for g in gated_deltanet_weights(get_model("qwen3-next-80b-a3b")))
    33718464
    """
    h = spec.hidden_size
    key = spec.linear_num_key_heads * spec.linear_key_head_dim
    value = spec.linear_num_value_heads * spec.linear_value_head_dim
    v_heads = spec.linear_num_value_heads
    return [
        group("linear_attn.in_proj_qkvz", "linear", h, 2 * key + 2 * value),
        group("linear_attn.in_proj_ba", "linear", h, 2 * v_heads),
        group("linear_attn.conv1d", "bias", spec.linear_conv_kernel_dim, 2 * key + value),
        group("linear_attn.dt_bias_a_log", "bias", 1, 2 * v_heads),
        group("linear_attn.norm", "norm", 1, spec.linear_value_head_dim),
        group("linear_attn.out_proj", "linear", value, h),
    ]
