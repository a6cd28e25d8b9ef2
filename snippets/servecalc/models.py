"""Model architectures: the numbers the serving formulas need.

Every entry carries its public source (the official configuration file or
paper) and that source's publication date. Where the official file could not be
read directly here, ``status`` says how the values were checked.

>>> m = get_model("llama-3.1-70b")
>>> m.num_layers, m.num_kv_heads, m.head_dim, m.attention
(80, 8, 128, 'gqa')
>>> get_model("llama-2-7b").attention
'mha'
"""

from __future__ import annotations

from dataclasses import dataclass

from .validate import lookup


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
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
    # Sliding-window attention: ``sliding_window_layers`` layers keep only the
    # last ``sliding_window`` tokens.
    sliding_window: int = 0
    sliding_window_layers: int = 0
    source: str
    source_date: str
    status: str = "confirmed"

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


_GATED_CONFIG_NOTE = (
    "official repository is gated; values checked against public copies of the same "
    "config.json (see shared/reference/models.json)"
)

MODELS: dict[str, ModelSpec] = {
    m.id: m
    for m in [
        ModelSpec(
            id="llama-2-7b",
            name="Llama-2-7B",
            num_layers=32,
            hidden_size=4096,
            num_attention_heads=32,
            num_kv_heads=32,
            head_dim=128,
            intermediate_size=11008,
            vocab_size=32000,
            max_position_embeddings=4096,
            source="https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json; "
            "Touvron et al., Llama 2, arXiv:2307.09288",
            source_date="2023-07-18",
            status=_GATED_CONFIG_NOTE,
        ),
        ModelSpec(
            id="llama-3.1-8b",
            name="Llama-3.1-8B",
            num_layers=32,
            hidden_size=4096,
            num_attention_heads=32,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=14336,
            vocab_size=128256,
            max_position_embeddings=131072,
            source="https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json; "
            "Llama Team, The Llama 3 Herd of Models, arXiv:2407.21783, Table 3",
            source_date="2024-07-23",
            status=_GATED_CONFIG_NOTE,
        ),
        ModelSpec(
            id="llama-3.1-70b",
            name="Llama-3.1-70B",
            num_layers=80,
            hidden_size=8192,
            num_attention_heads=64,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=28672,
            vocab_size=128256,
            max_position_embeddings=131072,
            source="https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json; "
            "Llama Team, The Llama 3 Herd of Models, arXiv:2407.21783, Table 3",
            source_date="2024-07-23",
            status=_GATED_CONFIG_NOTE,
        ),
    ]
}


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
