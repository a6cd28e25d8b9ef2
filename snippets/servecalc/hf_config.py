"""Build a :class:`~servecalc.models.ModelSpec` from a Hugging Face ``config.json``.

Understands the field names of the Llama (2, 3 and 4), Mistral, Mixtral,
Qwen2/Qwen2.5, Qwen3 (dense and MoE), Qwen3-Next, Gemma-2/3, Phi-3,
DeepSeek-V2/V3/R1, Kimi-K2, gpt-oss and OPT configurations. A missing
required field raises ``ValueError`` naming it; so does a feature that cannot
be modelled clearly (Mamba or lightning-attention layers, dense layers
interleaved between MoE layers, unknown layer types).

>>> spec = from_hf_config({
...     "model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096,
...     "num_attention_heads": 32, "num_key_value_heads": 8,
...     "intermediate_size": 14336, "vocab_size": 128256,
... }, id="my-llama")
>>> spec.id, spec.head_dim, spec.attention
('my-llama', 128, 'gqa')
>>> from_hf_config({"hidden_size": 4096})
Traceback (most recent call last):
    ...
ValueError: config is missing 'num_hidden_layers' (number of decoder layers)

Conventions worth knowing:

* ``head_dim`` defaults to hidden_size / num_attention_heads; Gemma-2 and
  MLA configs give it (MLA: qk_nope_head_dim + qk_rope_head_dim).
* ``tie_word_embeddings`` defaults to the model type's default in
  transformers (True for Gemma and OPT, False otherwise).
* Layer types: an explicit ``layer_types`` list is taken as it is (gpt-oss,
  newer Gemma-3 and Qwen3-Next configs); otherwise Qwen3-Next's
  ``full_attention_interval``, Llama 4's ``no_rope_layers`` (RoPE layers
  are the chunked local ones) or ``no_rope_layer_interval``, Gemma-3's
  ``sliding_window_pattern`` (every n-th layer global), Gemma-2's
  alternation (even layers local), and Qwen2's ``use_sliding_window`` with
  ``max_window_layers``; other types apply ``sliding_window`` (when not null)
  to every layer. Linear-attention layers need the Gated DeltaNet fields
  (``linear_num_key_heads`` and the rest).
* Llama's ``attention_bias`` is read as biases on q, k and v; the o_proj
  bias it also adds (hidden_size values per layer) is not counted.
"""

from __future__ import annotations

import os

from .attention_kinds import LAYER_KINDS
from .models import ModelSpec
from .validate import describe, json_value

_REQUIRED = {
    "num_hidden_layers": "number of decoder layers",
    "hidden_size": "model width",
    "num_attention_heads": "query heads per layer",
    "vocab_size": "vocabulary size",
}

_TIED_BY_DEFAULT = {"gemma", "gemma2", "gemma3", "gemma3_text", "opt"}
_MISSING = object()


#: A real config.json is a few kB; anything far larger is not one.
_MAX_CONFIG_CHARS = 10**6


def _load(config: object) -> dict:
    if isinstance(config, dict):
        return config
    if isinstance(config, (str, os.PathLike)):
        shown = describe(os.fspath(config))
        try:
            with open(config, encoding="utf-8") as handle:
                text = handle.read(_MAX_CONFIG_CHARS + 1)
            if len(text) > _MAX_CONFIG_CHARS:
                raise ValueError(f"config file {shown} is over {_MAX_CONFIG_CHARS:,} "
                                 "characters; a config.json is a few kB")
        except OSError as exc:
            raise ValueError(f"config file {shown} cannot be read: {exc.strerror}") from None
        loaded = json_value(f"config file {shown}", text)
        if not isinstance(loaded, dict):
            raise ValueError(f"config file {shown} must hold a JSON object")
        return loaded
    raise ValueError(f"config must be a dict or a path to config.json, got {describe(config)}")


def _get(cfg: dict, *keys: str, default: object = _MISSING) -> object:
    """First non-null value among ``keys``; ``default`` if none (missing -> error)."""
    for key in keys:
        value = cfg.get(key)
        if value is not None:
            return value
    if default is _MISSING:
        what = _REQUIRED.get(keys[0], "required")
        raise ValueError(f"config is missing {keys[0]!r} ({what})")
    return default


def _int(cfg: dict, *keys: str, default: object = _MISSING) -> int:
    value = _get(cfg, *keys, default=default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"config field {keys[0]!r} must be an integer >= 0, got {describe(value)}")
    return value


def _bool(cfg: dict, key: str, default: bool) -> bool:
    value = _get(cfg, key, default=default)
    if not isinstance(value, bool):
        raise ValueError(f"config field {key!r} must be true or false, got {describe(value)}")
    return value


#: Config fields of layer kinds whose cache cannot be described by the layer types here.
_UNMODELLED = {
    "hybrid_override_pattern": "Mamba layers (Nemotron-H)",
    "layers_block_type": "Mamba layers (Jamba)",
    "attn_layer_period": "Mamba layers (Jamba)",
    "attn_type_list": "lightning-attention layers (MiniMax)",
    "index_topk": "a sparse-attention indexer cache (DeepSeek-V3.2)",
    "compress_ratios": "compressed attention layers",
}
_SSM_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}


def _every(num_layers: int, interval: int, kind: str, other: str) -> list[str]:
    """``kind`` on every ``interval``-th layer (1-based), ``other`` elsewhere."""
    return [kind if (i + 1) % interval == 0 else other for i in range(num_layers)]


def _layer_list(cfg: dict, model_type: str, num_layers: int) -> list[str]:
    """One Hugging Face layer type per layer, from whichever field the family uses."""
    unmodelled = [key for key in _UNMODELLED if cfg.get(key) not in (None, [], "")]
    if unmodelled:
        raise ValueError(f"config field {unmodelled[0]!r} describes {_UNMODELLED[unmodelled[0]]}, "
                         f"which is not modelled (supported: {_supported()} layers)")
    window = _int(cfg, "sliding_window", default=0)
    layer_types = cfg.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        return layer_types
    if model_type == "qwen3_next":
        return _every(num_layers, _int(cfg, "full_attention_interval", default=4),
                      "full_attention", "linear_attention")
    if model_type in ("llama4", "llama4_text") and _int(cfg, "attention_chunk_size", default=0):
        rope = cfg.get("no_rope_layers")
        if isinstance(rope, list) and len(rope) == num_layers:  # 1: RoPE, chunked local
            return ["chunked_attention" if r else "full_attention" for r in rope]
        return _every(num_layers, _int(cfg, "no_rope_layer_interval", default=4),
                      "full_attention", "chunked_attention")
    if not window:
        return []
    if _int(cfg, "sliding_window_pattern", default=0):  # Gemma-3: every n-th is global
        return _every(num_layers, _int(cfg, "sliding_window_pattern"), "full_attention",
                      "sliding_attention")
    if model_type == "gemma2":
        return _every(num_layers, 2, "full_attention", "sliding_attention")
    if model_type in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"):
        if not _bool(cfg, "use_sliding_window", False):
            return []
        full = min(_int(cfg, "max_window_layers", default=num_layers), num_layers)
        return ["full_attention"] * full + ["sliding_attention"] * (num_layers - full)
    if window >= _int(cfg, "max_position_embeddings", default=0) > 0:
        return []  # a window as long as the context changes nothing
    return ["sliding_attention"] * num_layers


def _supported() -> str:
    """The layer kinds a config may use, in words.

    >>> _supported()
    'full attention, sliding window, chunked attention and Gated DeltaNet linear attention'
    """
    words = [f"{kind.state_name} {kind.words}".lstrip() for kind in LAYER_KINDS.values()]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


def _kind_fields(cfg: dict, listed: list[str]) -> tuple[list[str], dict]:
    """The fields each listed layer kind reads (Hugging Face names them as
    ``ModelSpec`` does); a window or chunk of 0 means full attention."""
    fields: dict = {}
    for kind in (LAYER_KINDS[name] for name in dict.fromkeys(listed)):
        if kind.size_field:
            fields[kind.size_field] = _int(cfg, kind.size_field)
            if not fields[kind.size_field]:
                listed = ["full_attention" if t == kind.name else t for t in listed]
                del fields[kind.size_field]
        if kind.state_fields:
            missing = [key for key in kind.state_fields if key not in cfg]
            if missing:
                raise ValueError(f"config has {kind.name!r} layers but not the {kind.state_name} "
                                 f"fields {missing}: only that kind of {kind.words} is modelled")
            fields.update({key: _int(cfg, key) for key in kind.state_fields})
            dtype = str(_get(cfg, "mamba_ssm_dtype", default="bfloat16"))
            if dtype not in _SSM_DTYPES:
                raise ValueError(f"config field 'mamba_ssm_dtype' must be one of "
                                 f"{', '.join(_SSM_DTYPES)}, got {dtype!r}")
            fields["linear_state_dtype"] = _SSM_DTYPES[dtype]
    return listed, fields


def _layers(cfg: dict, model_type: str, num_layers: int) -> dict:
    """``layer_types`` and the fields each type needs, or ``ValueError`` naming
    what cannot be modelled."""
    listed = _layer_list(cfg, model_type, num_layers)
    unknown = sorted({str(t) for t in listed} - set(LAYER_KINDS))
    if unknown:
        raise ValueError(f"config field 'layer_types' has layer types {unknown} that are not "
                         f"supported (supported: {', '.join(LAYER_KINDS)})")
    if len(listed) not in (0, num_layers):
        raise ValueError(f"config field 'layer_types' must name num_hidden_layers "
                         f"({num_layers}) layers, got {len(listed)}")
    listed, fields = _kind_fields(cfg, listed)
    if set(listed) != {"full_attention"}:
        fields["layer_types"] = tuple(listed)
    return fields


def _moe(cfg: dict, model_type: str) -> dict:
    """Mixture-of-experts fields ({} for a dense model)."""
    num_experts = _int(cfg, "num_local_experts", "n_routed_experts", "num_experts", default=0)
    if not num_experts:
        return {}
    if _int(cfg, "decoder_sparse_step", default=1) != 1 or cfg.get("mlp_only_layers"):
        raise ValueError("config fields 'decoder_sparse_step' != 1 or 'mlp_only_layers' "
                         "(dense layers between MoE layers) are not supported")
    if _int(cfg, "moe_layer_freq", default=1) != 1:
        raise ValueError("config field 'moe_layer_freq' != 1 is not supported")
    if _int(cfg, "interleave_moe_layer_step", default=1) != 1:
        raise ValueError("config field 'interleave_moe_layer_step' != 1 (Llama-4-Maverick's "
                         "alternating dense and MoE layers) is not supported")
    shared_width = _int(cfg, "shared_expert_intermediate_size", default=0)
    fields = dict(
        num_experts=num_experts,
        experts_per_token=_int(cfg, "num_experts_per_tok", "experts_per_token"),
        num_shared_experts=_int(cfg, "n_shared_experts", default=1 if shared_width else 0),
        first_dense_layers=_int(cfg, "first_k_dense_replace", default=0),
        moe_intermediate_size=_int(cfg, "moe_intermediate_size", default=0),
    )
    if model_type in ("llama4", "llama4_text"):  # one shared expert; experts use intermediate_size
        fields.update(num_shared_experts=1, moe_intermediate_size=_int(cfg, "intermediate_size"))
    if shared_width:
        fields.update(shared_expert_intermediate_size=shared_width, shared_expert_gate=True)
    if model_type in ("deepseek_v3", "kimi_k2", "gpt_oss") or cfg.get("topk_method") == "noaux_tc":
        fields["router_bias"] = True
    return fields


def _attention(cfg: dict, hidden: int, heads: int) -> tuple[int, dict]:
    """(head_dim, multi-head latent attention fields)."""
    kv_lora_rank = _int(cfg, "kv_lora_rank", default=0)
    if kv_lora_rank:
        nope = _int(cfg, "qk_nope_head_dim")
        rope = _int(cfg, "qk_rope_head_dim")
        return nope + rope, dict(
            kv_lora_rank=kv_lora_rank,
            q_lora_rank=_int(cfg, "q_lora_rank", default=0),
            qk_nope_head_dim=nope,
            qk_rope_head_dim=rope,
            v_head_dim=_int(cfg, "v_head_dim"),
        )
    if not cfg.get("head_dim") and hidden % heads:
        raise ValueError(f"config has no 'head_dim' and hidden_size {hidden} is not a "
                         f"multiple of num_attention_heads {heads}")
    return _int(cfg, "head_dim", default=0) or hidden // heads, {}


def _family(cfg: dict, model_type: str, hidden: int) -> dict:
    """Details a family's config implies rather than states (norms, biases, sinks)."""
    fields: dict = {}
    if model_type == "opt":
        if _int(cfg, "word_embed_proj_dim", default=hidden) != hidden:
            raise ValueError("config field 'word_embed_proj_dim' != hidden_size (OPT-350m's "
                             "projections) is not supported")
        fields.update(
            mlp="plain",
            norm="layernorm",
            linear_bias=_bool(cfg, "enable_bias", True),
            position_embeddings=_int(cfg, "max_position_embeddings") + 2,
        )
    if model_type in ("gemma2", "gemma3", "gemma3_text"):
        fields["norms_per_layer"] = 4
    if model_type in ("qwen3", "qwen3_moe", "qwen3_next", "gemma3", "gemma3_text"):
        fields["qk_norm"] = True
    if model_type == "qwen3_next":
        fields["attention_output_gate"] = _bool(cfg, "attn_output_gate", True)
    if model_type == "gpt_oss":  # biases on every projection and expert; one sink per head
        fields.update(linear_bias=True, attention_sinks=True)
    elif model_type in ("qwen2", "qwen2_moe") or _bool(cfg, "attention_bias", False):
        fields["qkv_bias"] = True
    return fields


def from_hf_config(
    config: dict | str | os.PathLike, *, id: str | None = None  # noqa: A002 - mirrors ModelSpec
) -> ModelSpec:
    """Return the :class:`ModelSpec` described by ``config`` (a dict or a path).

    >>> from servecalc.params import param_count
    >>> opt = from_hf_config({"model_type": "opt", "num_hidden_layers": 40,
    ...     "hidden_size": 5120, "num_attention_heads": 40, "ffn_dim": 20480,
    ...     "vocab_size": 50272, "max_position_embeddings": 2048})
    >>> param_count(opt) == param_count("opt-13b")
    True
    """
    cfg = _load(config)
    if "num_hidden_layers" not in cfg and isinstance(cfg.get("text_config"), dict):
        cfg = {**cfg, **cfg["text_config"]}  # multimodal wrappers keep the LM here
    model_type = str(_get(cfg, "model_type", default=""))
    num_layers = _int(cfg, "num_hidden_layers")
    hidden = _int(cfg, "hidden_size")
    heads = _int(cfg, "num_attention_heads")
    vocab = _int(cfg, "vocab_size")
    if heads == 0:
        raise ValueError("config field 'num_attention_heads' must be >= 1, got 0")
    kv_heads = _int(cfg, "num_key_value_heads", default=heads)

    fields = _moe(cfg, model_type)
    intermediate = _int(cfg, "intermediate_size_mlp", "intermediate_size", "ffn_dim", default=0)
    if fields and not fields["moe_intermediate_size"]:
        fields["moe_intermediate_size"] = intermediate  # Mixtral: experts use intermediate_size
    if not intermediate and (not fields or fields["first_dense_layers"]):
        _get(cfg, "intermediate_size")  # raises: the dense MLP width is needed
    head_dim, attention = _attention(cfg, hidden, heads)
    fields.update(attention)
    fields.update(_family(cfg, model_type, hidden))
    fields.update(_layers(cfg, model_type, num_layers))
    name = str(_get(cfg, "_name_or_path", default="") or model_type or "hf-model")
    model_id = id if id is not None else name.rstrip("/").rsplit("/", 1)[-1].lower()
    source = os.fspath(config) if isinstance(config, (str, os.PathLike)) else "config dict"
    return ModelSpec(
        id=model_id,
        name=name,
        num_layers=num_layers,
        hidden_size=hidden,
        num_attention_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        intermediate_size=intermediate,
        vocab_size=vocab,
        tie_word_embeddings=_bool(cfg, "tie_word_embeddings", model_type in _TIED_BY_DEFAULT),
        max_position_embeddings=_int(cfg, "max_position_embeddings", default=0),
        source=f"Hugging Face config.json ({source})",
        source_date="",
        status="built by from_hf_config; not checked against a published parameter count",
        **fields,
    )
