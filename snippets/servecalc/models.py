"""Model architectures: the numbers the serving formulas need.

The entries are data (``catalog/models.json``); every one carries its public
source (the official configuration file or paper) and that source's
publication date. Where the official file could not be
read directly here, ``status`` says how the values were checked.

>>> m = get_model("llama-3.1-70b")
>>> m.num_layers, m.num_kv_heads, m.head_dim, m.attention
(80, 8, 128, 'gqa')
>>> get_model("llama-2-7b").attention
'mha'
>>> len(MODELS) >= 16
True

Catalog notes (decisions where a config.json alone is ambiguous):

* Sliding windows: ``sliding_window_layers`` layers keep the last
  ``sliding_window`` tokens. Gemma-2 alternates local (4096) and global
  layers, so half its layers have the window; Mistral-7B v0.1 has a 4096
  window on all layers; Phi-3-mini-4k's config.json says 2047 on all layers
  and the window is real (llama.cpp and vLLM had to implement it), so it is
  kept as written (flash-attention backends keep one token more).
  Mixtral-8x7B attends over its full 32k context (the paper; early config
  copies said 4096). Qwen2.5 configs carry a window but
  ``use_sliding_window`` is false.
* DeepSeek-V3 uses multi-head latent attention: ``head_dim`` is the query/key
  width (128 + 64) and ``num_kv_heads`` the config's 128, but the cache holds
  one latent of ``kv_lora_rank + qk_rope_head_dim`` values per layer.
* Parameter-count details (OPT's biases, LayerNorm and learned positions,
  Gemma-2's four norms per layer, Qwen3's q/k norms, DeepSeek-V3's routing
  bias) are fields with defaults; see params.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Sourced, build
from .validate import choice, lookup, non_negative_int, positive_int, text_fields


@dataclass(frozen=True, kw_only=True)
class ModelSpec(Sourced):
    """Architecture of one decoder-only transformer.

    ``head_dim`` is always explicit: hidden_size / num_attention_heads is
    wrong for Gemma-2 and for multi-head latent attention (MLA).
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
    first_dense_layers: int = 0
    # Multi-head latent attention (kv_lora_rank == 0 means none).
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    # Details that only the parameter count needs (see params.py).
    norm: str = "rms"  # "rms" (weight only) or "layernorm" (weight and bias)
    norms_per_layer: int = 2  # Gemma-2 has 4: pre/post attention and pre/post MLP
    qk_norm: bool = False  # RMSNorm over each query and key head (Qwen3)
    linear_bias: bool = False  # every attention and MLP projection has a bias (OPT)
    position_embeddings: int = 0  # rows of a learned absolute position table (OPT)
    router_bias: bool = False  # per-expert routing bias (DeepSeek-V3 e_score_correction_bias)
    # Sliding-window attention: ``sliding_window_layers`` layers keep only the
    # last ``sliding_window`` tokens.
    sliding_window: int = 0
    sliding_window_layers: int = 0

    def __post_init__(self) -> None:
        text_fields("model", self, ("id", "name"), ("source", "source_date", "status"))
        choice("model.mlp", self.mlp, ["gated", "plain"])
        choice("model.norm", self.norm, ["rms", "layernorm"])
        for field in ("num_layers", "hidden_size", "num_attention_heads", "vocab_size",
                      "norms_per_layer"):
            positive_int(f"model.{field}", getattr(self, field))
        for field in (
            "num_kv_heads", "head_dim", "intermediate_size", "max_position_embeddings",
            "num_experts", "experts_per_token", "moe_intermediate_size", "num_shared_experts",
            "first_dense_layers", "kv_lora_rank", "q_lora_rank", "qk_nope_head_dim",
            "qk_rope_head_dim", "v_head_dim", "sliding_window", "sliding_window_layers",
            "position_embeddings",
        ):
            non_negative_int(f"model.{field}", getattr(self, field))
        for field in ("tie_word_embeddings", "qkv_bias", "qk_norm", "linear_bias",
                      "router_bias"):
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
        elif self.experts_per_token or self.num_shared_experts or self.first_dense_layers:
            raise ValueError(
                "model.experts_per_token, num_shared_experts and first_dense_layers need "
                f"num_experts > 0, got num_experts={self.num_experts}"
            )
        if self.first_dense_layers > self.num_layers:
            raise ValueError(
                f"model.first_dense_layers must be <= num_layers ({self.num_layers}), "
                f"got {self.first_dense_layers}"
            )
        if self.first_dense_layers or not self.num_experts:
            positive_int("model.intermediate_size", self.intermediate_size)
        if self.sliding_window_layers > self.num_layers:
            raise ValueError(
                f"model.sliding_window_layers must be <= num_layers ({self.num_layers}), "
                f"got {self.sliding_window_layers}"
            )
        if bool(self.sliding_window) != bool(self.sliding_window_layers):
            raise ValueError(
                "model.sliding_window and sliding_window_layers must both be 0 or both > 0, "
                f"got {self.sliding_window} and {self.sliding_window_layers}"
            )

    @property
    def attention(self) -> str:
        """'mla', 'mha', 'mqa' or 'gqa'."""
        if self.kv_lora_rank:
            return "mla"
        if self.num_kv_heads == self.num_attention_heads:
            return "mha"
        if self.num_kv_heads == 1:
            return "mqa"
        return "gqa"

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0


MODELS: dict[str, ModelSpec] = {m.id: m for m in build("models", ModelSpec)}


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
