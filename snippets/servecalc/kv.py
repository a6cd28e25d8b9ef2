"""KV-cache size: bytes per token, per sequence and per batch.

Each layer stores a key and a value vector per KV head for every token it
keeps. With grouped-query attention (GQA) several query heads share one KV
head, so the cache shrinks by num_attention_heads / num_kv_heads; with
multi-query attention (MQA) all query heads share one. Multi-head latent
attention (MLA) stores one compressed latent of ``kv_lora_rank`` values plus a
decoupled RoPE key of ``qk_rope_head_dim`` values per layer instead.

How many tokens a layer keeps depends on its type (one entry each in
:mod:`servecalc.attention_kinds`): a full-attention layer keeps the whole
context, a sliding-window layer at most its window, a chunked layer the tokens
of the current chunk, and a linear-attention layer none: it keeps a fixed-size
state per sequence instead (:func:`linear_state_bytes`).

>>> kv_bytes_per_token("llama-2-7b")          # 2 x 32 layers x 32 heads x 128 x 2 B
524288
>>> kv_bytes_per_token("llama-3.1-70b", kv_dtype="fp8")
163840
"""

from __future__ import annotations

from .attention_kinds import kv_layout, layer_kind
from .models import ModelSpec, get_model
from .precision import KV_DTYPES, storage_bytes
from .validate import choice, non_negative_int, positive_int


def kv_elements_per_token_per_layer(model: str | ModelSpec) -> int:
    """Values one token adds to the cache in one attention layer.

    >>> kv_elements_per_token_per_layer("llama-3.1-8b")   # K and V: 2 x 8 heads x 128
    2048
    """
    spec = get_model(model)
    return kv_layout(spec).elements(spec)


def kv_bytes_per_token(model: str | ModelSpec, kv_dtype: str = "bf16") -> int:
    """Bytes one token occupies in the cache across all layers that keep
    tokens (no window; linear-attention layers keep none).

    >>> kv_bytes_per_token("llama-3.1-8b")
    131072
    >>> kv_bytes_per_token("qwen3-next-80b-a3b")   # 12 of 48 layers: 2 x 2 heads x 256 x 2 B
    24576
    """
    spec = get_model(model)
    choice("kv_dtype", kv_dtype, KV_DTYPES)
    return storage_bytes(kv_elements_per_token_per_layer(spec) * spec.kv_layers, kv_dtype)


def cached_tokens(
    model: str | ModelSpec, layer_type: str, context: int, *, peak: bool = False
) -> int:
    """Tokens one layer of ``layer_type`` keeps when a sequence holds ``context``.

    A chunked layer keeps the tokens since the start of the current chunk;
    ``peak=True`` gives the most it held at any length up to ``context``
    (what a sequence that grows to ``context`` must be able to hold).

    >>> [cached_tokens("llama-4-scout", "chunked_attention", c) for c in (8192, 8193, 20000)]
    [8192, 1, 3616]
    >>> cached_tokens("llama-4-scout", "chunked_attention", 8193, peak=True)
    8192
    >>> cached_tokens("gpt-oss-120b", "sliding_attention", 4096)
    128
    """
    spec = get_model(model)
    non_negative_int("context", context)
    choice("layer_type", layer_type, spec.layer_counts())
    kind = layer_kind(layer_type)
    return kind.tokens(context, kind.size(spec), peak)


def cached_tokens_per_layer(model: str | ModelSpec, context: int) -> tuple[int, int]:
    """Tokens held by (a full-attention layer, a sliding-window layer) at ``context``.

    >>> cached_tokens_per_layer("llama-2-7b", 8192)
    (8192, 8192)
    """
    spec = get_model(model)
    non_negative_int("context", context)
    window = min(context, spec.sliding_window) if spec.sliding_window else context
    return context, window


def linear_state_bytes(model: str | ModelSpec, gpus: int = 1) -> int:
    """Bytes of the fixed-size state one sequence keeps in the linear-attention
    layers, on each of ``gpus`` GPUs (heads split across them; 0 for a model
    without such layers).

    Per layer (Gated DeltaNet): a recurrent state of ``value heads x key dim x
    value dim`` values in ``linear_state_dtype``, and a convolution state of
    ``(conv kernel - 1) x (2 x key heads x key dim + value heads x value dim)``
    values in 16 bits.

    >>> linear_state_bytes("qwen3-next-80b-a3b")   # 36 x (32 x 128 x 128 x 2 + 3 x 8192 x 2)
    39518208
    >>> linear_state_bytes("llama-3.1-8b")
    0
    """
    spec = get_model(model)
    positive_int("gpus", gpus)
    return sum(layers * layer_kind(kind).state_bytes(spec, gpus)
               for kind, layers in spec.layer_counts().items())


def kv_bytes_per_sequence(
    model: str | ModelSpec, context: int, kv_dtype: str = "bf16", *, peak: bool = False
) -> int:
    """Bytes of KV cache one sequence of ``context`` tokens holds, every layer
    counted as it stores tokens (see :func:`cached_tokens`; ``peak`` as there).
    The linear-attention state is not included: see :func:`cache_bytes_per_sequence`.

    >>> kv_bytes_per_sequence("llama-2-7b", 4096) == 2 * 2**30   # 2 GiB
    True
    >>> kv_bytes_per_sequence("gpt-oss-120b", 131072)   # (18 x 131072 + 18 x 128) x 1024 x 2 B
    4836556800
    >>> kv_bytes_per_sequence("llama-2-7b", -1)
    Traceback (most recent call last):
        ...
    ValueError: context must be an integer >= 0, got -1
    """
    spec = get_model(model)
    non_negative_int("context", context)
    choice("kv_dtype", kv_dtype, KV_DTYPES)
    slots = sum(layers * cached_tokens(spec, kind, context, peak=peak)
                for kind, layers in spec.layer_counts().items())
    return storage_bytes(kv_elements_per_token_per_layer(spec) * slots, kv_dtype)


def cache_bytes_per_sequence(
    model: str | ModelSpec, context: int, kv_dtype: str = "bf16", *, peak: bool = False
) -> int:
    """KV cache plus linear-attention state: all one sequence keeps.

    >>> cache_bytes_per_sequence("qwen3-next-80b-a3b", 1000)   # 1000 x 24 KiB + the state
    64094208
    """
    return kv_bytes_per_sequence(model, context, kv_dtype, peak=peak) + linear_state_bytes(model)


def kv_bytes_per_batch(
    model: str | ModelSpec, context: int, batch: int, kv_dtype: str = "bf16"
) -> int:
    """Bytes of cache for ``batch`` sequences of ``context`` tokens each.

    >>> kv_bytes_per_batch("llama-3.1-70b", 1024, 8) == 8 * 1024 * 327680
    True
    """
    positive_int("batch", batch)
    return batch * kv_bytes_per_sequence(model, context, kv_dtype)


def max_cached_tokens(
    model: str | ModelSpec, budget_bytes: int, kv_dtype: str = "bf16"
) -> int:
    """Tokens of cache (full attention) that fit in ``budget_bytes``.

    >>> max_cached_tokens("llama-3.1-8b", 2**30)    # 1 GiB / 128 KiB per token
    8192
    """
    non_negative_int("budget_bytes", budget_bytes)
    return budget_bytes // kv_bytes_per_token(model, kv_dtype)
