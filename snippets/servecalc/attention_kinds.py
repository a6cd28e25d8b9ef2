"""Attention kinds: the one place that says what each kind of layer keeps.

Two independent choices decide a decoder layer's cache, and each has one table:

* the **layer kind** (:data:`LAYER_KINDS`, named as Hugging Face's
  ``layer_types`` names them): how many of a sequence's tokens a layer keeps
  (all of them, a window, the current chunk, or none and a fixed-size state
  instead), how many paged blocks that takes, and what a step attends to;
* the model's **KV layout** (:data:`KV_LAYOUTS`, ``ModelSpec.attention``):
  what one token keeps in one layer (a key and a value per KV head, or one
  latent), how that splits over GPUs, the head widths a step's attention
  multiplies by, and the attention weights.

:mod:`~servecalc.models`, :mod:`~servecalc.kv`, :mod:`~servecalc.paging`,
:mod:`~servecalc.capacity`, :mod:`~servecalc.params`, :mod:`~servecalc.step`,
:mod:`~servecalc.hf_config` and the prose look kinds up here and never branch
on their names: a model built from known kinds is a data edit, and a new kind
is one entry (plus the ``ModelSpec`` fields that size it, if it needs new ones).

>>> list(LAYER_KINDS)
['full_attention', 'sliding_attention', 'chunked_attention', 'linear_attention']
>>> sliding = layer_kind("sliding_attention")
>>> sliding.size_field, sliding.tokens(5000, 4096, False), sliding.blocks(5000, 4096, 16, False)
('sliding_window', 4096, 257)
>>> list(KV_LAYOUTS)
['mla', 'mha', 'mqa', 'gqa']
>>> layer_kind("mamba")
Traceback (most recent call last):
    ...
ValueError: layer kind must be one of 'full_attention', 'sliding_attention', 'chunked_attention', 'linear_attention', got 'mamba'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .attention_weights import gated_deltanet_weights, head_weights, latent_weights
from .blocks import blocks_per_sequence, chunk_blocks, chunk_tokens, window_blocks
from .validate import choice
from .weight_group import WeightGroup

if TYPE_CHECKING:
    from .models import ModelSpec

#: Precisions the recurrent state of linear-attention layers may be kept in.
STATE_DTYPES = {"bf16": 2, "fp16": 2, "fp32": 4}


def _no_state(spec: ModelSpec, gpus: int) -> int:
    return 0


def _no_check(spec: ModelSpec) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class LayerKind:
    """One kind of attention layer: what it keeps of a sequence.

    ``tokens(context, size, peak)`` and ``blocks(context, size, block_size,
    peak)`` give the tokens and paged blocks one layer holds at ``context``
    tokens, ``size`` being the model's ``size_field`` (0 without one);
    ``peak=True`` asks for the most held at any length up to ``context``.
    A kind with a ``size_field`` attends to at most that many tokens in a step;
    one that does not ``keep_kv`` keeps a fixed-size state per sequence
    instead (``state_bytes(spec, gpus)`` per layer on each GPU, sized by
    ``state_fields``). ``weights`` builds its attention tensors (``None``: the
    model's :class:`KvLayout` does).
    """

    name: str
    words: str  # in prose: "sliding window"
    tokens: Callable[[int, int, bool], int]
    blocks: Callable[[int, int, int, bool], int]
    size_field: str = ""  # the ModelSpec field that bounds what it keeps ("" unbounded)
    size_words: str = ""  # in prose, before the size: "window 4,096"
    keeps_kv: bool = True
    state_fields: tuple[str, ...] = ()  # ModelSpec fields that size its state
    state_name: str = ""  # the one architecture of such a state that is modelled
    state_bytes: Callable[[ModelSpec, int], int] = _no_state
    weights: Callable[[ModelSpec], list[WeightGroup]] | None = None
    check: Callable[[ModelSpec], None] = _no_check  # consistency of its fields

    def size(self, spec: ModelSpec) -> int:
        """The model's window or chunk for this kind (0 if unbounded)."""
        return getattr(spec, self.size_field) if self.size_field else 0

    @property
    def fields(self) -> tuple[str, ...]:
        """The ``ModelSpec`` fields this kind reads."""
        return ((self.size_field,) if self.size_field else ()) + self.state_fields


def _gated_deltanet_state(spec: ModelSpec, gpus: int) -> int:
    """Per layer: a recurrent state of ``value heads x key dim x value dim`` in
    ``linear_state_dtype`` and a convolution state of ``(kernel - 1) x (2 x key
    heads x key dim + value heads x value dim)`` values in 16 bits."""
    k_heads = -(-spec.linear_num_key_heads // gpus)
    v_heads = -(-spec.linear_num_value_heads // gpus)
    recurrent = v_heads * spec.linear_key_head_dim * spec.linear_value_head_dim
    conv = (spec.linear_conv_kernel_dim - 1) * (
        2 * k_heads * spec.linear_key_head_dim + v_heads * spec.linear_value_head_dim)
    return recurrent * STATE_DTYPES[spec.linear_state_dtype] + conv * 2


def _check_gated_deltanet(spec: ModelSpec) -> None:
    if spec.linear_num_value_heads % spec.linear_num_key_heads:
        raise ValueError("model.linear_num_key_heads must divide linear_num_value_heads "
                         f"({spec.linear_num_value_heads}), got {spec.linear_num_key_heads}")


_KINDS = (
    LayerKind(
        name="full_attention", words="full attention",
        tokens=lambda context, size, peak: context,
        blocks=lambda context, size, block, peak: blocks_per_sequence(context, block),
    ),
    LayerKind(
        name="sliding_attention", words="sliding window",
        tokens=lambda context, size, peak: min(context, size),
        blocks=lambda context, size, block, peak: window_blocks(context, size, block),
        size_field="sliding_window", size_words="window",
    ),
    LayerKind(
        name="chunked_attention", words="chunked attention",
        tokens=lambda context, size, peak: chunk_tokens(context, size, peak=peak),
        blocks=lambda context, size, block, peak: chunk_blocks(context, size, block, peak=peak),
        size_field="attention_chunk_size", size_words="chunks of",
    ),
    LayerKind(
        name="linear_attention", words="linear attention",
        tokens=lambda context, size, peak: 0,
        blocks=lambda context, size, block, peak: 0,
        keeps_kv=False,
        state_fields=("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim",
                      "linear_value_head_dim", "linear_conv_kernel_dim"),
        state_name="Gated DeltaNet", state_bytes=_gated_deltanet_state,
        weights=gated_deltanet_weights, check=_check_gated_deltanet,
    ),
)

#: Every layer kind, by its ``layer_types`` name, in the order layer counts list them.
LAYER_KINDS: dict[str, LayerKind] = {kind.name: kind for kind in _KINDS}


def layer_kind(name: str) -> LayerKind:
    """The entry for layer kind ``name``; an unknown one names those known."""
    kind = LAYER_KINDS.get(name) if isinstance(name, str) else None
    return kind if kind is not None else LAYER_KINDS[choice("layer kind", name, LAYER_KINDS)]


@dataclass(frozen=True, kw_only=True)
class KvLayout:
    """What one token keeps in one attention layer, and what follows from it.

    ``matches(spec)`` says whether a model uses this layout (the first entry
    of :data:`KV_LAYOUTS` that matches is the model's ``attention``).
    ``elements(spec)``: cache values per token per layer;
    ``elements_per_gpu(spec, gpus)``: on each of ``gpus`` tensor-parallel GPUs;
    ``head_dims(spec)``: (d_qk, d_v) of a step's attention in prefill, then
    in decode; ``weights(spec)``: the attention tensors of one layer;
    ``kv_heads(spec)``: what the cache holds, in a table cell.
    """

    name: str
    words: str
    matches: Callable[[ModelSpec], bool]
    elements: Callable[[ModelSpec], int]
    elements_per_gpu: Callable[[ModelSpec, int], int]
    head_dims: Callable[[ModelSpec], tuple[int, int, int, int]]
    weights: Callable[[ModelSpec], list[WeightGroup]]
    kv_heads: Callable[[ModelSpec], str]


def _latent_head_dims(spec: ModelSpec) -> tuple[int, int, int, int]:
    """Expanded in prefill; absorbed in decode (scores against the cached latent)."""
    return (spec.qk_nope_head_dim + spec.qk_rope_head_dim, spec.v_head_dim,
            spec.kv_lora_rank + spec.qk_rope_head_dim, spec.kv_lora_rank)


def _per_head(name: str, words: str, matches: Callable[[ModelSpec], bool]) -> KvLayout:
    """A layout with a key and a value per KV head (heads split over GPUs, one
    at least on each: fewer heads than GPUs are replicated)."""
    return KvLayout(
        name=name, words=words, matches=matches,
        elements=lambda spec: 2 * spec.num_kv_heads * spec.head_dim,
        elements_per_gpu=lambda spec, gpus: 2 * -(-spec.num_kv_heads // gpus) * spec.head_dim,
        head_dims=lambda spec: (spec.head_dim,) * 4,
        weights=head_weights,
        kv_heads=lambda spec: str(spec.num_kv_heads),
    )


_LAYOUTS = (
    KvLayout(
        name="mla", words="multi-head latent attention",
        matches=lambda spec: bool(spec.kv_lora_rank),
        elements=lambda spec: spec.kv_lora_rank + spec.qk_rope_head_dim,
        elements_per_gpu=lambda spec, gpus: spec.kv_lora_rank + spec.qk_rope_head_dim,
        head_dims=_latent_head_dims,
        weights=latent_weights,
        kv_heads=lambda spec: f"latent {spec.kv_lora_rank}",
    ),
    _per_head("mha", "multi-head attention",
              lambda spec: spec.num_kv_heads == spec.num_attention_heads),
    _per_head("mqa", "multi-query attention", lambda spec: spec.num_kv_heads == 1),
    _per_head("gqa", "grouped-query attention", lambda spec: True),
)

#: Every KV layout, by its ``ModelSpec.attention`` name; the first that matches applies.
KV_LAYOUTS: dict[str, KvLayout] = {layout.name: layout for layout in _LAYOUTS}


def kv_layout(model: str | ModelSpec) -> KvLayout:
    """The KV layout ``model`` (a catalog ID or a ``ModelSpec``) uses.

    >>> layout = kv_layout("deepseek-v3")
    >>> layout.name, layout.words
    ('mla', 'multi-head latent attention')
    >>> from servecalc.models import get_model
    >>> layout.elements(get_model("deepseek-v3"))       # 512 latent + 64 RoPE key
    576
    >>> kv_layout("llama-3.1-8b").elements_per_gpu(get_model("llama-3.1-8b"), 16)   # 1 of 8 heads
    256
    """
    spec = model
    if isinstance(model, str) or not hasattr(model, "kv_lora_rank"):
        from .models import get_model  # models builds on this table: import it when called

        spec = get_model(model)  # an ID, or a ValueError naming what was given
    for layout in KV_LAYOUTS.values():
        if layout.matches(spec):
            return layout
    listed = ", ".join(repr(name) for name in KV_LAYOUTS)
    raise ValueError(f"model {spec.id!r} matches no KV layout (known: {listed})")
