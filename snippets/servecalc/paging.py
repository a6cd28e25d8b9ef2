"""Paged KV cache versus a contiguous reservation for the maximum length.

A paged cache (vLLM's PagedAttention) hands out fixed blocks of
``block_size`` tokens as a sequence grows, so a sequence of ``t`` tokens holds
``ceil(t / block_size)`` blocks and wastes at most ``block_size - 1`` token
slots (internal fragmentation). A contiguous cache reserves room for the
longest allowed sequence up front and wastes ``reserved - used``.

Each layer kind holds its own blocks (:mod:`servecalc.attention_kinds`, with
the arithmetic in :mod:`servecalc.blocks`): sliding-window layers keep only the
blocks that overlap the last ``sliding_window`` tokens; a window that is not
aligned to block boundaries straddles one block more than
``ceil(window / block_size)``. Chunked layers keep the blocks of the current
chunk; linear-attention layers hold no blocks (their fixed-size state is
counted by :func:`servecalc.kv.linear_state_bytes`).

>>> blocks_per_sequence(1000, block_size=16)      # ceil(1000 / 16)
63
>>> paged_kv_bytes("llama-3.1-8b", 1000) == 63 * 16 * 131072
True
>>> f = fragmentation("llama-3.1-8b", 1000, max_context=8192)
>>> fmt_percent(f.paged_waste_ratio), fmt_percent(f.contiguous_waste_ratio)
('0.8 %', '87.8 %')
"""

from __future__ import annotations

from dataclasses import dataclass

from .attention_kinds import layer_kind
from .blocks import (  # noqa: F401 - the block arithmetic, importable from here as before
    DEFAULT_BLOCK_SIZE, blocks_per_sequence, chunk_blocks, window_blocks,
)
from .kv import kv_bytes_per_sequence, kv_elements_per_token_per_layer
from .models import ModelSpec, get_model
from .precision import KV_DTYPES, storage_bytes
from .units import fmt_percent  # noqa: F401 - used by the doctests
from .validate import choice, non_negative_int, positive_int


def _paged_slots(spec: ModelSpec, context: int, block_size: int, peak: bool = False) -> int:
    """Token slots summed over layers (each layer's blocks x block_size)."""
    total = 0
    for name, layers in spec.layer_counts().items():
        kind = layer_kind(name)
        total += layers * kind.blocks(context, kind.size(spec), block_size, peak) * block_size
    return total


def paged_kv_bytes(
    model: str | ModelSpec, context: int, block_size: int = DEFAULT_BLOCK_SIZE,
    kv_dtype: str = "bf16"
) -> int:
    """Bytes of whole blocks one sequence of ``context`` tokens holds.

    >>> paged_kv_bytes("llama-2-7b", 4096) == 2 * 2**30     # 256 full blocks: no waste
    True
    """
    spec = get_model(model)
    non_negative_int("context", context)
    positive_int("block_size", block_size)
    choice("kv_dtype", kv_dtype, KV_DTYPES)
    elements = kv_elements_per_token_per_layer(spec) * _paged_slots(spec, context, block_size)
    return storage_bytes(elements, kv_dtype)


def contiguous_kv_bytes(
    model: str | ModelSpec, max_context: int, kv_dtype: str = "bf16"
) -> int:
    """Bytes reserved up front for one sequence of up to ``max_context`` tokens.

    Sliding-window layers reserve a ring buffer of ``sliding_window`` tokens.

    >>> contiguous_kv_bytes("llama-3.1-8b", 8192) == 8192 * 131072
    True
    """
    positive_int("max_context", max_context)
    return kv_bytes_per_sequence(model, max_context, kv_dtype)


@dataclass(frozen=True, kw_only=True)
class Fragmentation:
    """KV memory of one sequence: used, paged, reserved, and what is wasted."""

    context: int
    max_context: int
    block_size: int
    used_bytes: int
    paged_bytes: int
    paged_waste_bytes: int
    paged_waste_ratio: float
    contiguous_bytes: int
    contiguous_waste_bytes: int
    contiguous_waste_ratio: float


def fragmentation(
    model: str | ModelSpec,
    context: int,
    *,
    max_context: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    kv_dtype: str = "bf16",
) -> Fragmentation:
    """Compare paged and contiguous allocation for one sequence of ``context`` tokens.

    ``max_context`` (the contiguous reservation) defaults to the model's
    ``max_position_embeddings``. Waste ratios are waste / allocated (0 when
    nothing is allocated).

    >>> f = fragmentation("llama-2-7b", 1000, max_context=4096)
    >>> f.paged_waste_bytes == 8 * 524288      # 63 blocks hold 1,008 slots for 1,000 tokens
    True
    >>> fragmentation("llama-2-7b", 5000, max_context=4096)
    Traceback (most recent call last):
        ...
    ValueError: context must be an integer in [0, max_context=4096], got 5000
    """
    spec = get_model(model)
    non_negative_int("context", context)
    if max_context is None:
        max_context = spec.max_position_embeddings
        if not max_context:
            raise ValueError(f"max_context must be given: {spec.id} has no "
                             "max_position_embeddings")
    positive_int("max_context", max_context)
    if context > max_context:
        raise ValueError(
            f"context must be an integer in [0, max_context={max_context}], got {context!r}"
        )
    used = kv_bytes_per_sequence(spec, context, kv_dtype)
    paged = paged_kv_bytes(spec, context, block_size, kv_dtype)
    reserved = contiguous_kv_bytes(spec, max_context, kv_dtype)
    return Fragmentation(
        context=context,
        max_context=max_context,
        block_size=block_size,
        used_bytes=used,
        paged_bytes=paged,
        paged_waste_bytes=paged - used,
        paged_waste_ratio=(paged - used) / paged if paged else 0.0,
        contiguous_bytes=reserved,
        contiguous_waste_bytes=reserved - used,
        contiguous_waste_ratio=(reserved - used) / reserved,
    )
