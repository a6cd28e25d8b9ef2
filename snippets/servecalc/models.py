"""Model architectures: the numbers the serving formulas need.

Every entry carries its public source (the official configuration file or
paper) and that source's publication date. Where the official file could not be
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

from .validate import choice, lookup, non_negative_int, positive_int


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
    source: str
    source_date: str
    status: str = "confirmed"

    def __post_init__(self) -> None:
        for field in ("id", "name", "source", "source_date", "status"):
            value = getattr(self, field)
            if not isinstance(value, str) or (field in ("id", "name") and not value):
                kind = "a non-empty string" if field in ("id", "name") else "a string"
                raise ValueError(f"model.{field} must be {kind}, got {value!r}")
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
        ModelSpec(
            id="llama-2-13b",
            name="Llama-2-13B",
            num_layers=40,
            hidden_size=5120,
            num_attention_heads=40,
            num_kv_heads=40,
            head_dim=128,
            intermediate_size=13824,
            vocab_size=32000,
            max_position_embeddings=4096,
            source="https://huggingface.co/meta-llama/Llama-2-13b-hf/blob/main/config.json; "
            "Touvron et al., Llama 2, arXiv:2307.09288",
            source_date="2023-07-18",
            status=_GATED_CONFIG_NOTE,
        ),
        ModelSpec(
            id="llama-2-70b",
            name="Llama-2-70B",
            num_layers=80,
            hidden_size=8192,
            num_attention_heads=64,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=28672,
            vocab_size=32000,
            max_position_embeddings=4096,
            source="https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json; "
            "Touvron et al., Llama 2, arXiv:2307.09288",
            source_date="2023-07-18",
            status=_GATED_CONFIG_NOTE,
        ),
        ModelSpec(
            id="llama-3.1-405b",
            name="Llama-3.1-405B",
            num_layers=126,
            hidden_size=16384,
            num_attention_heads=128,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=53248,
            vocab_size=128256,
            max_position_embeddings=131072,
            source="https://huggingface.co/meta-llama/Llama-3.1-405B/blob/main/config.json; "
            "Llama Team, The Llama 3 Herd of Models, arXiv:2407.21783, Table 3",
            source_date="2024-07-23",
            status=_GATED_CONFIG_NOTE
            + "; 8 KV heads as in the paper's Table 3 (some early copies showed 16)",
        ),
        ModelSpec(
            id="mistral-7b",
            name="Mistral-7B-v0.1",
            num_layers=32,
            hidden_size=4096,
            num_attention_heads=32,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=14336,
            vocab_size=32000,
            max_position_embeddings=32768,
            sliding_window=4096,
            sliding_window_layers=32,
            source="https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json; "
            "Jiang et al., Mistral 7B, arXiv:2310.06825, Table 1 (window_size 4096)",
            source_date="2023-09-27",
            status=_GATED_CONFIG_NOTE + "; architecture also in the paper's Table 1",
        ),
        ModelSpec(
            id="mixtral-8x7b",
            name="Mixtral-8x7B-v0.1",
            num_layers=32,
            hidden_size=4096,
            num_attention_heads=32,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=14336,
            vocab_size=32000,
            max_position_embeddings=32768,
            num_experts=8,
            experts_per_token=2,
            moe_intermediate_size=14336,
            source="https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json; "
            "Jiang et al., Mixtral of Experts, arXiv:2401.04088, Table 1; "
            "https://mistral.ai/news/mixtral-of-experts (46.7B total, 12.9B per token)",
            source_date="2023-12-11",
            status=_GATED_CONFIG_NOTE
            + "; full attention over 32k (the paper; early config copies had sliding_window 4096)",
        ),
        ModelSpec(
            id="qwen2.5-7b",
            name="Qwen2.5-7B",
            num_layers=28,
            hidden_size=3584,
            num_attention_heads=28,
            num_kv_heads=4,
            head_dim=128,
            intermediate_size=18944,
            vocab_size=152064,
            max_position_embeddings=32768,
            qkv_bias=True,
            source="https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/config.json; "
            "Qwen Team, Qwen2.5 Technical Report, arXiv:2412.15115, Table 1",
            source_date="2024-09-19",
            status=_GATED_CONFIG_NOTE.replace("official repository is gated", "official file not "
                                              "reachable from here"),
        ),
        ModelSpec(
            id="qwen2.5-72b",
            name="Qwen2.5-72B",
            num_layers=80,
            hidden_size=8192,
            num_attention_heads=64,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=29568,
            vocab_size=152064,
            max_position_embeddings=32768,
            qkv_bias=True,
            source="https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/config.json; "
            "Qwen Team, Qwen2.5 Technical Report, arXiv:2412.15115, Table 1",
            source_date="2024-09-19",
            status=_GATED_CONFIG_NOTE.replace("official repository is gated", "official file not "
                                              "reachable from here"),
        ),
        ModelSpec(
            id="gemma-2-9b",
            name="Gemma-2-9B",
            num_layers=42,
            hidden_size=3584,
            num_attention_heads=16,
            num_kv_heads=8,
            head_dim=256,
            intermediate_size=14336,
            vocab_size=256000,
            tie_word_embeddings=True,
            max_position_embeddings=8192,
            norms_per_layer=4,
            sliding_window=4096,
            sliding_window_layers=21,
            source="https://huggingface.co/google/gemma-2-9b/blob/main/config.json; "
            "Gemma Team, Gemma 2, arXiv:2408.00118, Table 1 (local 4096 / global 8192 "
            "attention alternating every other layer)",
            source_date="2024-06-27",
            status=_GATED_CONFIG_NOTE + "; head_dim 256 != hidden/heads (224)",
        ),
        ModelSpec(
            id="gemma-2-27b",
            name="Gemma-2-27B",
            num_layers=46,
            hidden_size=4608,
            num_attention_heads=32,
            num_kv_heads=16,
            head_dim=128,
            intermediate_size=36864,
            vocab_size=256000,
            tie_word_embeddings=True,
            max_position_embeddings=8192,
            norms_per_layer=4,
            sliding_window=4096,
            sliding_window_layers=23,
            source="https://huggingface.co/google/gemma-2-27b/blob/main/config.json; "
            "Gemma Team, Gemma 2, arXiv:2408.00118, Table 1",
            source_date="2024-06-27",
            status=_GATED_CONFIG_NOTE + "; head_dim 128 != hidden/heads (144)",
        ),
        ModelSpec(
            id="phi-3-mini",
            name="Phi-3-mini-4k",
            num_layers=32,
            hidden_size=3072,
            num_attention_heads=32,
            num_kv_heads=32,
            head_dim=96,
            intermediate_size=8192,
            vocab_size=32064,
            max_position_embeddings=4096,
            sliding_window=2047,
            sliding_window_layers=32,
            source="https://huggingface.co/microsoft/Phi-3-mini-4k-instruct/blob/main/config.json; "
            "Abdin et al., Phi-3 Technical Report, arXiv:2404.14219",
            source_date="2024-04-23",
            status=_GATED_CONFIG_NOTE.replace("official repository is gated", "official file not "
                                              "reachable from here")
            + "; sliding_window 2047 on every layer as in config.json: the window is real "
            "(llama.cpp PR #8627 fixed garbled output past ~2048 tokens by enabling it; vLLM "
            "PR #4380), though flash-attention backends keep one token more (2048, +0.05 %)",
        ),
        ModelSpec(
            id="deepseek-v3",
            name="DeepSeek-V3",
            num_layers=61,
            hidden_size=7168,
            num_attention_heads=128,
            num_kv_heads=128,
            head_dim=192,
            intermediate_size=18432,
            vocab_size=129280,
            max_position_embeddings=163840,
            num_experts=256,
            experts_per_token=8,
            moe_intermediate_size=2048,
            num_shared_experts=1,
            first_dense_layers=3,
            router_bias=True,
            kv_lora_rank=512,
            q_lora_rank=1536,
            qk_nope_head_dim=128,
            qk_rope_head_dim=64,
            v_head_dim=128,
            source="https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json; "
            "DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv:2412.19437 (671B total, 37B "
            "activated, excluding the 14B multi-token-prediction module)",
            source_date="2024-12-26",
            status="official file not reachable from here; values checked against public copies "
            "of config.json and the report's section 4.2 (see shared/reference/models.json)",
        ),
        ModelSpec(
            id="opt-13b",
            name="OPT-13B",
            num_layers=40,
            hidden_size=5120,
            num_attention_heads=40,
            num_kv_heads=40,
            head_dim=128,
            intermediate_size=20480,
            vocab_size=50272,
            tie_word_embeddings=True,
            max_position_embeddings=2048,
            mlp="plain",
            norm="layernorm",
            linear_bias=True,
            position_embeddings=2050,  # 2048 positions + OPT's offset of 2
            source="https://huggingface.co/facebook/opt-13b/blob/main/config.json; "
            "Zhang et al., OPT, arXiv:2205.01068, Table 1",
            source_date="2022-05-02",
            status="official file not reachable from here; values checked against the paper's "
            "Table 1 and public copies of the config (see shared/reference/models.json)",
        ),
        ModelSpec(
            id="qwen3-8b",
            name="Qwen3-8B",
            num_layers=36,
            hidden_size=4096,
            num_attention_heads=32,
            num_kv_heads=8,
            head_dim=128,
            intermediate_size=12288,
            vocab_size=151936,
            max_position_embeddings=40960,
            qk_norm=True,
            source="https://huggingface.co/Qwen/Qwen3-8B/blob/main/config.json; "
            "Qwen Team, Qwen3 Technical Report, arXiv:2505.09388, Table 1",
            source_date="2025-04-29",
            status="official file not reachable from here; values checked against public copies "
            "of config.json",
        ),
        ModelSpec(
            id="qwen3-30b-a3b",
            name="Qwen3-30B-A3B",
            num_layers=48,
            hidden_size=2048,
            num_attention_heads=32,
            num_kv_heads=4,
            head_dim=128,
            intermediate_size=6144,
            vocab_size=151936,
            max_position_embeddings=40960,
            qk_norm=True,
            num_experts=128,
            experts_per_token=8,
            moe_intermediate_size=768,
            source="https://huggingface.co/Qwen/Qwen3-30B-A3B/blob/main/config.json; "
            "Qwen Team, Qwen3 Technical Report, arXiv:2505.09388, Table 2",
            source_date="2025-04-29",
            status="official file not reachable from here; values checked against public copies "
            "of config.json",
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
