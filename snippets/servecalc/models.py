"""Model architectures: the numbers the serving formulas need.

The entries are data (``catalog/models.json``); every one carries its public
source (the official configuration file or paper) and that source's
publication date. Where the official file could not be read directly here,
``status`` says how the values were checked.

>>> m = get_model("llama-3.1-70b")
>>> m.num_layers, m.num_kv_heads, m.head_dim, m.attention
(80, 8, 128, 'gqa')
>>> get_model("llama-2-7b").attention
'mha'
>>> len(MODELS)
26

Layers are described the way Hugging Face configs do, one type per layer
(``layer_types``; empty means every layer is full attention). What each type
keeps is one entry of :data:`servecalc.attention_kinds.LAYER_KINDS`:

* ``"full_attention"`` keeps every token of the context;
* ``"sliding_attention"`` keeps the last ``sliding_window`` tokens
  (Mistral-7B, Gemma-2/3, gpt-oss);
* ``"chunked_attention"`` attends within fixed chunks of
  ``attention_chunk_size`` tokens and keeps only the current chunk's tokens
  (Llama 4's local layers);
* ``"linear_attention"`` keeps no per-token cache but a fixed-size state per
  sequence (Qwen3-Next's Gated DeltaNet layers: ``linear_*`` fields).

>>> get_model("gemma-3-27b").layer_counts()
{'full_attention': 10, 'sliding_attention': 52}
>>> get_model("qwen3-next-80b-a3b").layer_counts()
{'full_attention': 12, 'linear_attention': 36}

Catalog notes (decisions where a config.json alone is ambiguous):

* Mistral-7B v0.1 has a 4096 window on all layers; Phi-3-mini-4k's
  config.json says 2047 on all layers and the window is real (llama.cpp and
  vLLM had to implement it), so it is kept as written (flash-attention
  backends keep one token more). Mixtral-8x7B attends over its full 32k
  context (the paper; early config copies said 4096). Qwen2.5 and Qwen3
  configs carry a window but ``use_sliding_window`` is false.
* Multi-head latent attention (DeepSeek-V3/R1, Kimi-K2): ``head_dim`` is the
  query/key width (128 + 64) and ``num_kv_heads`` the config's head count, but
  the cache holds one latent of ``kv_lora_rank + qk_rope_head_dim`` values
  per layer.
* Parameter-count details (OPT's biases, LayerNorm and learned positions,
  Gemma's four norms per layer, q/k norms, routing biases, gpt-oss's
  attention sinks, Qwen3-Next's gated attention and shared-expert gate) are
  fields with defaults; see params.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from .attention_kinds import LAYER_KINDS, STATE_DTYPES, kv_layout, layer_kind
from .catalog import Sourced, build
from .validate import choice, lookup, non_negative_int, positive_int, text_fields

_POSITIVE = ("num_layers", "hidden_size", "num_attention_heads", "vocab_size", "norms_per_layer")


def _kind_fields() -> tuple[str, ...]:
    """The fields that size the layer kinds (windows, chunks, states), each once."""
    return tuple(dict.fromkeys(f for kind in LAYER_KINDS.values() for f in kind.fields))


_BOOLS = ("tie_word_embeddings", "qkv_bias", "qk_norm", "linear_bias", "router_bias",
          "attention_sinks", "attention_output_gate", "shared_expert_gate")


@dataclass(frozen=True, kw_only=True)
class ModelSpec(Sourced):
    """Architecture of one decoder-only transformer.

    ``head_dim`` is always explicit: hidden_size / num_attention_heads is
    wrong for Gemma and for multi-head latent attention (MLA).
    """

    id: str
    name: str
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    tie_word_embeddings: bool = False
    max_position_embeddings: int = 0
    mlp: str = "gated"  # "gated" (SwiGLU/GeGLU, three matrices) or "plain" (two)
    qkv_bias: bool = False
    # Mixture of experts (num_experts == 0 means dense).
    num_experts: int = 0
    experts_per_token: int = 0
    moe_intermediate_size: int = 0
    num_shared_experts: int = 0
    shared_expert_intermediate_size: int = 0  # 0: moe_intermediate_size (DeepSeek)
    shared_expert_gate: bool = False  # a sigmoid gate on the shared expert (Qwen2-MoE, Qwen3-Next)
    first_dense_layers: int = 0
    # Multi-head latent attention (kv_lora_rank == 0 means none).
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    # Details that only the parameter count needs (see params.py).
    norm: str = "rms"  # "rms" (weight only) or "layernorm" (weight and bias)
    norms_per_layer: int = 2  # Gemma-2/3 have 4: pre/post attention and pre/post MLP
    qk_norm: bool = False  # RMSNorm over each query and key head (Qwen3, Gemma-3)
    linear_bias: bool = False  # every attention and MLP projection has a bias (OPT, gpt-oss)
    position_embeddings: int = 0  # rows of a learned absolute position table (OPT)
    router_bias: bool = False  # per-expert routing bias (DeepSeek-V3, gpt-oss)
    attention_sinks: bool = False  # one learned sink logit per query head (gpt-oss)
    attention_output_gate: bool = False  # q_proj also yields a gate (Qwen3-Next)
    # Per-layer attention types (see the module docstring).
    layer_types: tuple[str, ...] = ()
    sliding_window: int = 0
    attention_chunk_size: int = 0
    # Linear-attention (Gated DeltaNet) layers: their fixed-size state.
    linear_num_key_heads: int = 0
    linear_num_value_heads: int = 0
    linear_key_head_dim: int = 0
    linear_value_head_dim: int = 0
    linear_conv_kernel_dim: int = 0
    linear_state_dtype: str = "bf16"  # the recurrent state (HF ``mamba_ssm_dtype``)

    def __post_init__(self) -> None:
        text_fields("model", self, ("id", "name"), ("source", "source_date", "status"))
        choice("model.mlp", self.mlp, ["gated", "plain"])
        choice("model.norm", self.norm, ["rms", "layernorm"])
        choice("model.linear_state_dtype", self.linear_state_dtype, STATE_DTYPES)
        for field in _POSITIVE:
            positive_int(f"model.{field}", getattr(self, field))
        for field in (
            "num_kv_heads", "head_dim", "intermediate_size", "max_position_embeddings",
            "num_experts", "experts_per_token", "moe_intermediate_size", "num_shared_experts",
            "shared_expert_intermediate_size", "first_dense_layers", "kv_lora_rank",
            "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
            "position_embeddings", *_kind_fields(),
        ):
            non_negative_int(f"model.{field}", getattr(self, field))
        for field in _BOOLS:
            if not isinstance(getattr(self, field), bool):
                raise ValueError(
                    f"model.{field} must be True or False, got {getattr(self, field)!r}"
                )
        positive_int("model.head_dim", self.head_dim)
        if self.kv_lora_rank:
            for field in ("qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"):
                positive_int(f"model.{field}", getattr(self, field))
        else:
            positive_int("model.num_kv_heads", self.num_kv_heads)
            if self.num_attention_heads % self.num_kv_heads:
                raise ValueError(
                    "model.num_kv_heads must divide num_attention_heads "
                    f"({self.num_attention_heads}), got {self.num_kv_heads}"
                )
        self._check_moe()
        self._check_layers()

    def _check_moe(self) -> None:
        if self.num_experts:
            positive_int("model.experts_per_token", self.experts_per_token)
            if self.experts_per_token > self.num_experts:
                raise ValueError(
                    f"model.experts_per_token must be <= num_experts ({self.num_experts}), "
                    f"got {self.experts_per_token}"
                )
            if self.mlp != "gated":
                raise ValueError("model.mlp must be 'gated' for a mixture of experts, "
                                 f"got {self.mlp!r}")
            positive_int("model.moe_intermediate_size",
                         self.moe_intermediate_size or self.intermediate_size)
        elif (self.experts_per_token or self.num_shared_experts or self.first_dense_layers
              or self.shared_expert_gate):
            raise ValueError(
                "model.experts_per_token, num_shared_experts, shared_expert_gate and "
                f"first_dense_layers need num_experts > 0, got num_experts={self.num_experts}"
            )
        if self.first_dense_layers > self.num_layers:
            raise ValueError(
                f"model.first_dense_layers must be <= num_layers ({self.num_layers}), "
                f"got {self.first_dense_layers}"
            )
        if self.first_dense_layers or not self.num_experts:
            positive_int("model.intermediate_size", self.intermediate_size)

    def _check_layers(self) -> None:
        types, known = self.layer_types, tuple(LAYER_KINDS)
        if not isinstance(types, (tuple, list)) or any(t not in known for t in types):
            listed = ", ".join(repr(t) for t in known)
            raise ValueError(f"model.layer_types must be a list of {listed}, got {types!r}")
        object.__setattr__(self, "layer_types", tuple(types))  # lists from JSON; hashable
        if types and len(types) != self.num_layers:
            raise ValueError(f"model.layer_types must name num_layers ({self.num_layers}) "
                             f"layers, got {len(types)}")
        present = set(types) or {"full_attention"}
        sizers: dict[str, list[str]] = {}
        for kind in LAYER_KINDS.values():
            if kind.size_field:
                sizers.setdefault(kind.size_field, []).append(kind.name)
        for field, kinds in sizers.items():
            if bool(present.intersection(kinds)) != bool(getattr(self, field)):
                named = " or ".join(repr(k) for k in kinds)
                raise ValueError(f"model.{field} must be > 0 exactly when layer_types has "
                                 f"{named} layers, got {getattr(self, field)}")
        for kind in LAYER_KINDS.values():
            for field in kind.state_fields:
                if kind.name in present:
                    positive_int(f"model.{field}", getattr(self, field))
                elif getattr(self, field):
                    raise ValueError(f"model.{field} needs {kind.name!r} layers, "
                                     f"got {getattr(self, field)}")
            if kind.name in present:
                kind.check(self)

    @property
    def attention(self) -> str:
        """The KV layout's name: 'mla', 'mha', 'mqa' or 'gqa' (see
        :data:`servecalc.attention_kinds.KV_LAYOUTS`)."""
        return kv_layout(self).name

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    def layer_counts(self) -> dict[str, int]:
        """Layers of each type present, in :data:`LAYER_KINDS` order.

        >>> get_model("gpt-oss-120b").layer_counts()
        {'full_attention': 18, 'sliding_attention': 18}
        >>> get_model("llama-3.1-8b").layer_counts()
        {'full_attention': 32}
        """
        if not self.layer_types:
            return {"full_attention": self.num_layers}
        counts = Counter(self.layer_types)
        return {kind: counts[kind] for kind in LAYER_KINDS if counts[kind]}

    @property
    def sliding_window_layers(self) -> int:
        """Layers that keep only the last ``sliding_window`` tokens."""
        return self.layer_counts().get("sliding_attention", 0)

    @property
    def kv_layers(self) -> int:
        """Layers that keep a per-token KV cache (every type but linear attention)."""
        return sum(n for kind, n in self.layer_counts().items() if layer_kind(kind).keeps_kv)


def all_full_attention(model: str | ModelSpec) -> ModelSpec:
    """``model`` with every windowed or chunked layer made full attention
    (linear-attention layers stay): what the windows save is the difference.

    >>> all_full_attention("gemma-2-9b").layer_counts()
    {'full_attention': 42}
    """
    spec = get_model(model)
    windowed = {kind.name: kind.size_field for kind in LAYER_KINDS.values() if kind.size_field}
    types = tuple("full_attention" if t in windowed else t for t in spec.layer_types)
    return replace(spec, layer_types=types, **{field: 0 for field in windowed.values()})


def _from_catalog(*, layer_pattern: list[str] | None = None, **fields: object) -> ModelSpec:
    """A catalog entry; ``layer_pattern`` (a short list) repeats to ``num_layers`` layers."""
    if layer_pattern is not None:
        layers = fields.get("num_layers")
        if not isinstance(layers, int) or not isinstance(layer_pattern, list) or not layer_pattern:
            raise ValueError(f"model.layer_pattern must be a non-empty list, got {layer_pattern!r}")
        fields["layer_types"] = tuple(layer_pattern[i % len(layer_pattern)]
                                      for i in range(layers))
    return ModelSpec(**fields)  # type: ignore[arg-type]


MODELS: dict[str, ModelSpec] = {m.id: m for m in build("models", _from_catalog)}


def get_model(model: str | ModelSpec) -> ModelSpec:
    """Return the catalog entry for ``model`` (an ID), or ``model`` itself.

    IDs are matched without regard to case; an unknown ID names the closest.

    >>> get_model("Llama-3.1-70B").name
    'Llama-3.1-70B'
    >>> get_model("llama-3-70b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: model 'llama-3-70b' is not in the catalog; closest: 'llama-3.1-70b', ...
    """
    if isinstance(model, ModelSpec):
        return model
    return lookup("model", model, MODELS)  # type: ignore[return-value]
