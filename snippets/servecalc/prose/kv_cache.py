"""Placeholders for the KV-cache chapter (and anything about cache size).

>>> kv_bytes_per_token("llama-2-7b", kv_dtype="fp16")
'524,288 B'
>>> kv_gib("llama-2-7b", context=4096, kv_dtype="fp16")
'2.00 GiB'
>>> spec("llama-3.1-70b", "num_kv_heads")
'8'
"""

from __future__ import annotations

from .. import kv
from ..gpus import get_gpu
from ..models import get_model
from ..units import GB, GiB, fmt_bytes, fmt_int, fmt_number, fmt_percent

__all__ = [
    "kv_bytes_per_token",
    "kv_kib_per_token",
    "kv_gib",
    "kv_tokens_per_gib",
    "gqa_factor",
    "spec",
    "gpu_memory_gib",
    "gib_over_gb",
]


def kv_bytes_per_token(model: str, kv_dtype: str = "bf16") -> str:
    """KV bytes per token, exact, e.g. '131,072 B'."""
    return f"{fmt_int(kv.kv_bytes_per_token(model, kv_dtype))} B"


def kv_kib_per_token(model: str, kv_dtype: str = "bf16") -> str:
    """KV per token in KiB, e.g. '128 KiB'.

    >>> kv_kib_per_token("llama-3.1-8b")
    '128 KiB'
    """
    return fmt_bytes(kv.kv_bytes_per_token(model, kv_dtype), "KiB", digits=0)


def kv_gib(model: str, context: int, batch: int = 1, kv_dtype: str = "bf16", digits: int = 2) -> str:
    """KV of ``batch`` sequences of ``context`` tokens, in GiB."""
    return fmt_bytes(kv.kv_bytes_per_batch(model, context, batch, kv_dtype), "GiB", digits)


def kv_tokens_per_gib(model: str, kv_dtype: str = "bf16") -> str:
    """Tokens of cache that fit in one GiB.

    >>> kv_tokens_per_gib("llama-3.1-8b")
    '8,192'
    """
    return fmt_int(kv.max_cached_tokens(model, GiB, kv_dtype))


def gqa_factor(model: str) -> str:
    """How many query heads share one KV head (1 for MHA).

    >>> gqa_factor("llama-3.1-70b")
    '8'
    """
    spec_ = get_model(model)
    return fmt_number(spec_.num_attention_heads / spec_.num_kv_heads, digits=0)


def spec(model: str, field: str) -> str:
    """One field of a model's catalog entry, as text."""
    value = getattr(get_model(model), field, None)
    if value is None or field.startswith("_"):
        raise ValueError(f"field must be a ModelSpec field, got {field!r}")
    return fmt_int(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def gpu_memory_gib(gpu: str, digits: int = 2) -> str:
    """A GPU's memory as its runtime reports it, in GiB.

    >>> gpu_memory_gib("h100-sxm")
    '79.18 GiB'
    """
    return fmt_bytes(get_gpu(gpu).memory_bytes, "GiB", digits)


def gib_over_gb() -> str:
    """How much larger a GiB is than a GB.

    >>> gib_over_gb()
    '7.4 %'
    """
    return fmt_percent(GiB / GB - 1)
