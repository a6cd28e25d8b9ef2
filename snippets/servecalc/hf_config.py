"""Build a :class:`~servecalc.models.ModelSpec` from a Hugging Face ``config.json``.

Understands the field names of the Llama, Mistral, Mixtral, Qwen2/Qwen2.5,
Qwen3 (dense and MoE), Gemma-2, Phi-3, DeepSeek-V2/V3 and OPT configurations.
A missing required field raises ``ValueError`` naming it.

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
  transformers (True for Gemma-2 and OPT, False otherwise).
* Sliding windows: an explicit ``layer_types`` list is counted; Gemma-2
  alternates local and global layers (even layers are local); Qwen2 uses its
  window only when ``use_sliding_window`` is true, on the layers from
  ``max_window_layers`` on; other types apply ``sliding_window`` (when not
  null) to every layer.
* Llama's ``attention_bias`` is read as biases on q, k and v; the o_proj
  bias it also adds (hidden_size values per layer) is not counted.
"""

from __future__ import annotations

import json
import os

from .models import ModelSpec
from .validate import describe

_REQUIRED = {
    "num_hidden_layers": "number of decoder layers",
    "hidden_size": "model width",
    "num_attention_heads": "query heads per layer",
    "vocab_size": "vocabulary size",
}

_TIED_BY_DEFAULT = {"gemma2", "gemma", "opt"}
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
            loaded = json.loads(text)
        except OSError as exc:
            raise ValueError(f"config file {shown} cannot be read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"config file {shown} is not valid JSON: "
                             f"{exc.msg} (line {exc.lineno})") from None
        except RecursionError:
            raise ValueError(f"config file {shown} is nested too deeply to be a "
                             "config.json") from None
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


def _sliding(cfg: dict, model_type: str, num_layers: int) -> tuple[int, int]:
    """(window tokens, layers with a window)."""
    window = _int(cfg, "sliding_window", default=0)
    layer_types = cfg.get("layer_types")
    if isinstance(layer_types, list) and layer_types:
        count = sum(1 for kind in layer_types if kind == "sliding_attention")
        return (window, count) if window and count else (0, 0)
    if not window:
        return 0, 0
    if model_type == "gemma2":
        return window, (num_layers + 1) // 2
    if model_type in ("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"):
        if not _bool(cfg, "use_sliding_window", False):
            return 0, 0
        full = min(_int(cfg, "max_window_layers", default=num_layers), num_layers)
        return (window, num_layers - full) if num_layers > full else (0, 0)
    if window >= _int(cfg, "max_position_embeddings", default=0) > 0:
        return 0, 0  # a window as long as the context changes nothing
    return window, num_layers


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

    fields: dict = {}
    num_experts = _int(cfg, "num_local_experts", "n_routed_experts", "num_experts", default=0)
    if num_experts:
        fields.update(
            num_experts=num_experts,
            experts_per_token=_int(cfg, "num_experts_per_tok"),
            num_shared_experts=_int(cfg, "n_shared_experts", default=0),
            first_dense_layers=_int(cfg, "first_k_dense_replace", default=0),
        )
        if _int(cfg, "decoder_sparse_step", default=1) != 1 or cfg.get("mlp_only_layers"):
            raise ValueError("config fields 'decoder_sparse_step' != 1 or 'mlp_only_layers' "
                             "(dense layers between MoE layers) are not supported")
        if _int(cfg, "moe_layer_freq", default=1) != 1:
            raise ValueError("config field 'moe_layer_freq' != 1 is not supported")
        if model_type == "deepseek_v3" or cfg.get("topk_method") == "noaux_tc":
            fields["router_bias"] = True
    intermediate = _int(cfg, "intermediate_size", "ffn_dim", default=0)
    moe_intermediate = _int(cfg, "moe_intermediate_size", default=0)
    if num_experts and not moe_intermediate:
        moe_intermediate = intermediate  # Mixtral: experts use intermediate_size
    if num_experts:
        fields["moe_intermediate_size"] = moe_intermediate
    if not intermediate and (not num_experts or fields["first_dense_layers"]):
        _get(cfg, "intermediate_size")  # raises: the dense MLP width is needed

    kv_lora_rank = _int(cfg, "kv_lora_rank", default=0)
    if kv_lora_rank:
        nope = _int(cfg, "qk_nope_head_dim")
        rope = _int(cfg, "qk_rope_head_dim")
        fields.update(
            kv_lora_rank=kv_lora_rank,
            q_lora_rank=_int(cfg, "q_lora_rank", default=0),
            qk_nope_head_dim=nope,
            qk_rope_head_dim=rope,
            v_head_dim=_int(cfg, "v_head_dim"),
        )
        head_dim = nope + rope
    else:
        head_dim = _int(cfg, "head_dim", default=0) or hidden // heads
        if not cfg.get("head_dim") and hidden % heads:
            raise ValueError(f"config has no 'head_dim' and hidden_size {hidden} is not a "
                             f"multiple of num_attention_heads {heads}")

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
    if model_type == "gemma2":
        fields["norms_per_layer"] = 4
    if model_type in ("qwen3", "qwen3_moe"):
        fields["qk_norm"] = True
    if model_type in ("qwen2", "qwen2_moe") or _bool(cfg, "attention_bias", False):
        fields["qkv_bias"] = True

    window, window_layers = _sliding(cfg, model_type, num_layers)
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
        sliding_window=window,
        sliding_window_layers=window_layers,
        source=f"Hugging Face config.json ({source})",
        source_date="",
        status="built by from_hf_config; not checked against a published parameter count",
        **fields,
    )
