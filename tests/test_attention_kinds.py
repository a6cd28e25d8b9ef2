"""The attention-kind table: every kind the catalog uses is in it, and a new
kind is one entry (kv, paging, capacity, the step's shape, params, hf_config
and the prose pick it up with no other change).

Expected numbers are worked out here from the architecture (Mistral-7B:
32 layers, 8 KV heads of 128, a 4,096-token window; Llama-3.1-8B: 32 layers,
8 KV heads of 128, hidden size 4,096) or are published parameter totals.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from fieldguide.prose.kv_cache import layer_mix
from servecalc import attention_kinds
from servecalc.attention_kinds import (
    KV_LAYOUTS,
    LAYER_KINDS,
    KvLayout,
    LayerKind,
    kv_layout,
    layer_kind,
)
from servecalc.attention_weights import head_weights
from servecalc.capacity import kv_elements_per_token_per_layer_per_gpu
from servecalc.deployment import Deployment
from servecalc.hf_config import from_hf_config
from servecalc.kv import cached_tokens, kv_bytes_per_sequence, kv_bytes_per_token
from servecalc.models import MODELS, ModelSpec, all_full_attention, get_model
from servecalc.paging import paged_kv_bytes
from servecalc.params import param_count
from servecalc.step.shape import shape_of

MISTRAL_TOTAL = 7_241_732_096  # Mistral-7B-v0.1, as Hugging Face reports its safetensors
LLAMA_8B_TOTAL = 8_030_261_248  # Llama-3.1-8B (tests/test_params.py)


def test_every_kind_the_catalog_uses_is_in_the_table() -> None:
    used_kinds = {t for spec in MODELS.values() for t in spec.layer_counts()}
    used_layouts = {spec.attention for spec in MODELS.values()}
    assert used_kinds <= set(LAYER_KINDS)
    assert used_layouts <= set(KV_LAYOUTS)
    # and the catalog exercises every entry, so none is dead
    assert used_kinds == set(LAYER_KINDS)
    assert used_layouts == set(KV_LAYOUTS) - {"mqa"}  # no multi-query model in the catalog


def test_an_unknown_kind_is_a_value_error_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"layer kind must be one of 'full_attention', "
                                         r"'sliding_attention', .*got 'mamba'"):
        layer_kind("mamba")
    with pytest.raises(ValueError, match=r"model.layer_types must be a list of "
                                         r"'full_attention', .*'mamba'"):
        replace(get_model("mistral-7b"), layer_types=("mamba",) * 32)


def test_the_layout_follows_the_heads() -> None:
    assert kv_layout("llama-2-7b").name == "mha"                       # 32 KV heads of 32
    assert kv_layout("llama-3.1-8b").name == "gqa"                     # 8 of 32
    assert kv_layout(replace(get_model("llama-3.1-8b"), num_kv_heads=1)).name == "mqa"
    assert kv_layout("kimi-k2").name == "mla"


def _ring_blocks(context: int, size: int, block_size: int, peak: bool) -> int:
    return -(-min(context, size) // block_size)  # whole blocks, never straddling


#: A toy kind: the last ``sliding_window`` tokens in a ring of whole blocks.
RING = LayerKind(
    name="ring_attention", words="ring buffer",
    tokens=lambda context, size, peak: min(context, size),
    blocks=_ring_blocks,
    size_field="sliding_window", size_words="ring of",
)


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    """Mistral-7B with every layer a ring-buffer layer: the new kind is one entry."""
    monkeypatch.setitem(LAYER_KINDS, RING.name, RING)
    return replace(get_model("mistral-7b"), id="mistral-ring", layer_types=(RING.name,) * 32)


def test_a_new_layer_kind_reaches_kv_and_paging(ring: ModelSpec) -> None:
    per_token_layer = 2 * 8 * 128 * 2  # K and V, 8 heads of 128, 2 bytes: 4,096 B
    assert cached_tokens(ring, "ring_attention", 5000) == 4096
    assert kv_bytes_per_sequence(ring, 5000) == 32 * 4096 * per_token_layer
    # 256 whole blocks; the sliding window it replaces straddles a 257th at 5,000 tokens
    assert paged_kv_bytes(ring, 5000) == 32 * 256 * 16 * per_token_layer
    assert paged_kv_bytes("mistral-7b", 5000) == 32 * 257 * 16 * per_token_layer
    assert kv_bytes_per_token(ring) == 32 * per_token_layer
    assert ring.kv_layers == 32
    assert all_full_attention(ring).layer_counts() == {"full_attention": 32}


def test_a_new_layer_kind_reaches_the_step_params_config_and_prose(ring: ModelSpec) -> None:
    shape = shape_of(Deployment(model=ring, gpu="h100-sxm"))
    assert (shape.layers_full, shape.layers_window, shape.window) == (0, 32, 4096)
    assert param_count(ring) == MISTRAL_TOTAL  # the layout's attention weights, unchanged
    config = {"model_type": "mistral", "num_hidden_layers": 32, "hidden_size": 4096,
              "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
              "vocab_size": 32000, "sliding_window": 4096,
              "layer_types": ["ring_attention", "full_attention"] * 16}
    assert from_hf_config(config).layer_counts() == {"full_attention": 16, "ring_attention": 16}
    assert layer_mix(ring) == "32 ring-buffer layers"


def _shared_kv_weights(spec: ModelSpec) -> list:
    return [g for g in head_weights(spec) if g.name != "attn.v_proj"]


#: A toy layout: one shared key-value vector per KV head (half the cache, no v_proj).
SHARED = KvLayout(
    name="shared_kv", words="shared key-value attention",
    matches=lambda spec: spec.id.endswith("-shared-kv"),
    elements=lambda spec: spec.num_kv_heads * spec.head_dim,
    elements_per_gpu=lambda spec, gpus: -(-spec.num_kv_heads // gpus) * spec.head_dim,
    head_dims=lambda spec: (spec.head_dim,) * 4,
    weights=_shared_kv_weights,
    kv_heads=lambda spec: f"{spec.num_kv_heads} shared",
)


def test_a_new_kv_layout_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attention_kinds, "KV_LAYOUTS", {"shared_kv": SHARED, **KV_LAYOUTS})
    spec = replace(get_model("llama-3.1-8b"), id="llama-shared-kv")
    assert spec.attention == "shared_kv"
    assert kv_bytes_per_token(spec) == 32 * 8 * 128 * 2           # half Llama-3.1-8B's 128 KiB
    assert kv_elements_per_token_per_layer_per_gpu(spec, 4) == 2 * 128
    assert shape_of(Deployment(model=spec, gpu="h100-sxm")).kv_bytes_per_token_layer == 2048
    assert param_count(spec) == LLAMA_8B_TOTAL - 32 * 4096 * 1024  # no v_proj in 32 layers
