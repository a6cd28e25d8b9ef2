"""What a step needs to know about a deployment, computed once: per-token
FLOPs, weight bytes (dense and per routed expert), KV bytes and peaks.

>>> from servecalc.deployment import Deployment
>>> s = shape_of(Deployment(model="llama-3.1-8b", gpu="h100-sxm"))
>>> s.layers_full, s.layers_window, s.hidden
(32, 0, 4096)
>>> int(s.kv_bytes_per_token_layer)
4096
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..attention_kinds import kv_layout, layer_kind
from ..capacity import kv_elements_per_token_per_layer_per_gpu
from ..deployment import Deployment
from ..gpus import GpuSpec
from ..kv import kv_elements_per_token_per_layer
from ..models import ModelSpec
from ..params import active_weight_bytes, matmul_params_per_token, weight_bytes, weight_groups
from ..precision import bits
from ..validate import instance, non_negative_int, positive_int
from ..validate import instance, non_negative_int, positive_int


@dataclass(frozen=True)
class Shape:
    """Per (model, GPU, precision, parallelism) numbers a step needs."""

    layers_full: int
    layers_window: int
    window: int
    hidden: int
    linear_flops_per_token: float  # without lm_head
    lm_head_flops_per_token: float
    lm_head_bytes: float  # the output projection's weights (read by the logits term)
    pair_flops_prefill: float  # per (query, key) pair, per layer
    pair_flops_decode: float
    dense_weight_bytes: float  # read every step (routed experts and lm_head excluded)
    expert_bytes: float  # one routed expert in one MoE layer
    moe_layers: int
    num_experts: int
    experts_per_token: int
    kv_bytes_per_token_layer: float  # one token, one layer
    kv_gpu_fraction: float  # share of the KV cache one GPU holds
    peak_flops_per_s: float
    bandwidth_bytes_per_s: float
    interconnect_bytes_per_s: float


def _kept_bytes_per_param(weight_dtype: str) -> float:
    """Bytes per parameter of tables that stay in 16 bits under <= 8-bit weights."""
    width = bits(weight_dtype)
    return 2 if width <= 8 else width / 8


def _embedding_bytes(spec: ModelSpec, weight_dtype: str) -> float:
    """Bytes of the input embedding tables that a step does not read.

    Follows :mod:`servecalc.params`: embeddings stay in 16 bits when the
    weights are quantized to 8 bits or fewer. A tied table is read by the
    output projection, so only position tables are skipped then.
    """
    per_param = _kept_bytes_per_param(weight_dtype)
    skipped = 0
    for group in weight_groups(spec):
        if group.kind != "embedding":
            continue
        if group.name == "embed_tokens" and spec.tie_word_embeddings:
            continue
        skipped += group.params
    return skipped * per_param


def window_sum(past: int, chunk: int, window: int) -> float:
    """Sum over a chunk's tokens of min(tokens attended, window).

    >>> window_sum(0, 4, 100), window_sum(0, 4, 2), window_sum(10, 4, 2)
    (10.0, 7.0, 8.0)
    """
    non_negative_int("past", past)
    positive_int("chunk", chunk)
    positive_int("window", window)
    non_negative_int("past", past)
    positive_int("chunk", chunk)
    positive_int("window", window)
    first, last = past + 1, past + chunk
    if last <= window:
        return (first + last) * chunk / 2
    if first >= window:
        return float(window * chunk)
    return (first + window) * (window - first + 1) / 2 + (last - window) * window


def shape_of(d: Deployment) -> Shape:
    """The :class:`Shape` of a deployment (cached by what it depends on)."""
    instance("d", d, Deployment)
    # With data-parallel attention each GPU holds its own sequences' cache whole.
    return _shape(d.model, d.gpu, 1 if d.dp_attention else d.gpus, d.weight_dtype, d.kv_dtype, d.compute_dtype,
                  d.group_size, d.quantize)


def _attended_layers(spec: ModelSpec) -> tuple[int, int, int]:
    """(full layers, windowed layers, the window): layers by what a step's
    attention reads (:mod:`servecalc.attention_kinds`). A chunked layer attends
    to at most one chunk, counted as a window of that size (an upper bound);
    layers that keep no KV cache (linear attention) read none.

    >>> from servecalc.models import get_model
    >>> _attended_layers(get_model("gemma-3-27b")), _attended_layers(get_model("llama-4-scout"))
    ((10, 52, 1024), (12, 36, 8192))
    """
    full = windowed = window = 0
    for name, layers in spec.layer_counts().items():
        kind = layer_kind(name)
        if not kind.keeps_kv:
            continue
        if kind.size_field:
            windowed += layers
            window = max(window, kind.size(spec))
        else:
            full += layers
    return full, windowed, window


@lru_cache(maxsize=256)
def _shape(spec: ModelSpec, gpu: GpuSpec, gpus: int, weight_dtype: str, kv_dtype: str,
           compute_dtype: str, group_size: int, quantize: tuple[str, ...]) -> Shape:
    heads = spec.num_attention_heads
    # d_qk and d_v in prefill, then in decode (MLA: expanded, then absorbed).
    qk_prefill, v_prefill, qk_decode, v_decode = kv_layout(spec).head_dims(spec)
    # Share of the cache each GPU holds: KV heads split over the GPUs, one head
    # at least (replicated); an MLA latent is whole on every GPU.
    kv_fraction = kv_elements_per_token_per_layer_per_gpu(spec, gpus) / (
        kv_elements_per_token_per_layer(spec)
    )
    lm_head = 0
    for group in weight_groups(spec):
        if group.kind == "lm_head":
            lm_head = group.params
    if spec.tie_word_embeddings:
        lm_head = spec.vocab_size * spec.hidden_size
    matmul = matmul_params_per_token(spec)

    total = weight_bytes(spec, weight_dtype, group_size, quantize)
    read_all = total - _embedding_bytes(spec, weight_dtype)
    experts, k = spec.num_experts, spec.experts_per_token
    moe_layers = spec.num_layers - spec.first_dense_layers if experts else 0
    expert_bytes = 0.0
    if experts and experts > k and moe_layers:
        active = active_weight_bytes(spec, weight_dtype, group_size, quantize)
        expert_bytes = (total - active) / ((experts - k) * moe_layers)
    lm_head_bytes = lm_head * _kept_bytes_per_param(weight_dtype)
    dense = read_all - expert_bytes * experts * moe_layers - lm_head_bytes

    layers_full, layers_window, window = _attended_layers(spec)
    return Shape(
        layers_full=layers_full,
        layers_window=layers_window,
        window=window,
        hidden=spec.hidden_size,
        linear_flops_per_token=2.0 * (matmul - lm_head),
        lm_head_flops_per_token=2.0 * lm_head,
        lm_head_bytes=lm_head_bytes,
        pair_flops_prefill=2.0 * heads * (qk_prefill + v_prefill),
        pair_flops_decode=2.0 * heads * (qk_decode + v_decode),
        dense_weight_bytes=float(dense),
        expert_bytes=float(expert_bytes),
        moe_layers=moe_layers,
        num_experts=experts,
        experts_per_token=k,
        kv_bytes_per_token_layer=kv_elements_per_token_per_layer(spec) * bits(kv_dtype) / 8,
        kv_gpu_fraction=kv_fraction,
        peak_flops_per_s=gpu.peak_flops_per_s(compute_dtype),
        bandwidth_bytes_per_s=gpu.hbm_bandwidth_bytes_per_s,
        interconnect_bytes_per_s=gpu.interconnect_bytes_per_s,
    )
