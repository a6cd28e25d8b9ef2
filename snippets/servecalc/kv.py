"""KV-cache size: bytes per token, per sequence and per batch.

Each layer stores a key and a value vector per KV head for every token it
attends to. With grouped-query attention (GQA) several query heads share one
KV head, so the cache shrinks by num_attention_heads / num_kv_heads; with
multi-query attention (MQA) all query heads share one. Multi-head latent
attention (MLA) stores one compressed latent of ``kv_lora_rank`` values plus a
decoupled RoPE key of ``qk_rope_head_dim`` values per layer instead.

>>> kv_bytes_per_token("llama-2-7b")          # 2 x 32 layers x 32 heads x 128 x 2 B
524288
>>> kv_bytes_per_token("llama-3.1-70b", kv_dtype="fp8")
163840
"""

from __future__ import annotations

from .models import ModelSpec, get_model
from .precision import storage_bytes
from .validate import non_negative_int, positive_int


def kv_elements_per_token_per_layer(model: str | ModelSpec) -> int:
    """Values one token adds to the cache in one layer.

    >>> kv_elements_per_token_per_layer("llama-3.1-8b")   # K and V: 2 x 8 heads x 128
    2048
    """
    spec = get_model(model)
    if spec.attention == "mla":
        return spec.kv_lora_rank + spec.qk_rope_head_dim
    return 2 * spec.num_kv_heads * spec.head_dim


def kv_bytes_per_token(model: str | ModelSpec, kv_dtype: str = "bf16") -> int:
    """Bytes one token occupies in the cache across all layers (no window).

    >>> kv_bytes_per_token("llama-3.1-8b")
    131072
    """
    spec = get_model(model)
    return storage_bytes(kv_elements_per_token_per_layer(spec) * spec.num_layers, kv_dtype)


def cached_tokens_per_layer(model: str | ModelSpec, context: int) -> tuple[int, int]:
    """Tokens held by (a full-attention layer, a sliding-window layer) at ``context``.

    >>> cached_tokens_per_layer("llama-2-7b", 8192)
    (8192, 8192)
    """
    spec = get_model(model)
    non_negative_int("context", context)
    window = min(context, spec.sliding_window) if spec.sliding_window else context
    return context, window


def kv_bytes_per_sequence(
    model: str | ModelSpec, context: int, kv_dtype: str = "bf16"
) -> int:
    """Bytes of cache one sequence of ``context`` tokens holds.

    Sliding-window layers keep at most ``sliding_window`` tokens.

    >>> kv_bytes_per_sequence("llama-2-7b", 4096) == 2 * 2**30   # 2 GiB
    True
    >>> kv_bytes_per_sequence("llama-2-7b", -1)
    Traceback (most recent call last):
        ...
    ValueError: context must be an integer >= 0, got -1
    """
    spec = get_model(model)
    full_tokens, window_tokens = cached_tokens_per_layer(spec, context)
    full_layers = spec.num_layers - spec.sliding_window_layers
    elements = kv_elements_per_token_per_layer(spec) * (
        full_layers * full_tokens + spec.sliding_window_layers * window_tokens
    )
    return storage_bytes(elements, kv_dtype)


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
