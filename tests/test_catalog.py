"""Model, GPU and price catalogs, and building models from Hugging Face configs."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from servecalc.gpus import GPUS, GpuSpec, get_gpu
from servecalc.hf_config import from_hf_config
from servecalc.kv import kv_bytes_per_sequence, kv_bytes_per_token, linear_state_bytes
from servecalc.models import MODELS, ModelSpec, get_model
from servecalc.params import param_count
from servecalc.prices import PRICES, PriceSpec, get_price, prices_for

REQUIRED_MODELS = [
    "llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b",
    "llama-3.1-405b", "mistral-7b", "mixtral-8x7b", "qwen2.5-7b", "qwen2.5-72b",
    "gemma-2-9b", "gemma-2-27b", "phi-3-mini", "deepseek-v3", "opt-13b",
    # 2025 (issue 13)
    "gpt-oss-120b", "gpt-oss-20b", "qwen3-235b-a22b", "qwen3-32b", "gemma-3-27b",
    "llama-4-scout", "deepseek-r1", "kimi-k2", "qwen3-next-80b-a3b",
]
REQUIRED_GPUS = [
    "a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h200", "b200", "l4", "l40s",
    "a10g", "mi300x", "tpu-v5e",
    "b300", "gb200", "mi325x", "mi355x", "h20", "rtx-pro-6000", "tpu-v6e",
    # late 2026 (issue 21)
    "gb300", "tpu-v7",
]


# ------------------------------------------------------------------------- models


def test_catalog_has_required_models_and_a_recent_family() -> None:
    assert len(MODELS) >= 25
    for model in REQUIRED_MODELS:
        assert model in MODELS
    assert any(m.startswith("qwen3-") for m in MODELS)


@pytest.mark.parametrize("spec", list(MODELS.values()), ids=list(MODELS))
def test_model_entries_are_well_formed(spec: ModelSpec) -> None:
    assert re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", spec.id)
    assert spec.head_dim > 0
    assert spec.source and spec.source_date and spec.status
    assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", spec.source_date)
    assert "http" in spec.source or "arXiv" in spec.source


def test_head_dim_differs_from_hidden_over_heads_where_it_should() -> None:
    # Gemma-2 (arXiv:2408.00118 Table 1): 9B has 16 heads of 256 in a 3584-wide model.
    assert get_model("gemma-2-9b").head_dim == 256 != 3584 // 16
    assert get_model("gemma-2-27b").head_dim == 128 != 4608 // 32


def test_sliding_windows() -> None:
    gemma = get_model("gemma-2-9b")
    assert (gemma.sliding_window, gemma.sliding_window_layers) == (4096, 21)  # half of 42
    assert get_model("gemma-2-27b").sliding_window_layers == 23             # half of 46
    mistral = get_model("mistral-7b")
    assert (mistral.sliding_window, mistral.sliding_window_layers) == (4096, 32)
    phi = get_model("phi-3-mini")
    assert (phi.sliding_window, phi.sliding_window_layers) == (2047, 32)
    for model in ("llama-3.1-8b", "mixtral-8x7b", "qwen2.5-7b", "deepseek-v3"):
        assert get_model(model).sliding_window == 0


def test_kv_bytes_per_token_by_hand() -> None:
    # 2 (K and V) x layers x KV heads x head_dim x 2 bytes
    assert kv_bytes_per_token("llama-2-7b") == 2 * 32 * 32 * 128 * 2
    assert kv_bytes_per_token("llama-3.1-70b") == 2 * 80 * 8 * 128 * 2
    assert kv_bytes_per_token("llama-3.1-405b") == 2 * 126 * 8 * 128 * 2
    assert kv_bytes_per_token("qwen2.5-7b") == 2 * 28 * 4 * 128 * 2
    # MLA (DeepSeek-V3 report section 2.1.1): latent of 512 + decoupled RoPE key of 64
    assert kv_bytes_per_token("deepseek-v3") == (512 + 64) * 61 * 2
    assert kv_bytes_per_token("opt-13b") == 2 * 40 * 40 * 128 * 2


def test_windowed_kv_by_hand() -> None:
    per_layer_token = 2 * 8 * 256 * 2           # Gemma-2-9B bytes per token per layer
    assert kv_bytes_per_sequence("gemma-2-9b", 8192) == per_layer_token * (
        21 * 8192 + 21 * 4096)
    assert kv_bytes_per_sequence("mistral-7b", 32768) == 2 * 32 * 8 * 128 * 2 * 4096


def test_kv_fp8_and_a_full_sequence_by_hand() -> None:
    # Llama-3.1-70B in fp8: 2 (K and V) x 80 layers x 8 KV heads x 128 x 1 byte.
    assert kv_bytes_per_token("llama-3.1-70b", kv_dtype="fp8") == 2 * 80 * 8 * 128
    # Llama-2-7B: 2 x 32 x 32 x 128 x 2 B = 512 KiB a token; 4,096 tokens = 2 GiB.
    assert kv_bytes_per_sequence("llama-2-7b", 4096) == 2 * 2**30


def test_moe_fields() -> None:
    mixtral = get_model("mixtral-8x7b")
    assert (mixtral.num_experts, mixtral.experts_per_token) == (8, 2)
    ds = get_model("deepseek-v3")
    assert (ds.num_experts, ds.experts_per_token, ds.num_shared_experts,
            ds.first_dense_layers) == (256, 8, 1, 3)
    assert ds.attention == "mla"


@pytest.mark.parametrize(
    "changes",
    [
        {"num_layers": 0},
        {"num_kv_heads": 3},            # does not divide 32 heads
        {"head_dim": 0},
        {"mlp": "swiglu"},
        {"norm": "batchnorm"},
        {"experts_per_token": 2},       # without experts
        {"sliding_window": 4096},       # without window layers
        {"layer_types": ("sliding_attention",) * 40, "sliding_window": 10},  # 40 != 32 layers
        {"layer_types": ("sliding_attention",) * 32},                          # no window
        {"layer_types": ("local",) * 32},
        {"layer_types": ("chunked_attention",) * 32},                          # no chunk size
        {"layer_types": ("linear_attention",) * 32},                           # no state sizes
        {"linear_num_key_heads": 16},                                          # no linear layers
        {"tie_word_embeddings": 1},
        {"id": ""},
        {"hidden_size": 4096.0},
    ],
)
def test_model_spec_validates(changes: dict) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(get_model("llama-2-7b"), **changes)


# ------------------------------------------------------------------------- GPUs


def test_catalog_has_required_gpus() -> None:
    assert len(GPUS) >= 16
    for gpu in REQUIRED_GPUS:
        assert gpu in GPUS


@pytest.mark.parametrize("spec", list(GPUS.values()), ids=list(GPUS))
def test_gpu_entries_are_well_formed(spec: GpuSpec) -> None:
    assert isinstance(spec.memory_bytes, int) and spec.memory_bytes > 0
    assert spec.source and spec.source_date and spec.status
    assert spec.bf16_flops_per_s > 0 and spec.hbm_bandwidth_bytes_per_s > 0


def test_memory_bytes_follow_one_convention() -> None:
    # One convention: the total the runtime reports (CUDA's totalGlobalMem in public
    # deviceQuery logs: A100-SXM4-80GB 81,158 MiB, A100-SXM4-40GB 40,339 MiB,
    # L4 22,518 MiB, L40S 45,373 MiB); memory_source says how each value was found.
    assert get_gpu("h100-sxm").memory_bytes == 85_017_493_504
    assert get_gpu("h200").memory_bytes == 150_109_880_320
    assert get_gpu("a100-80gb").memory_bytes == 85_100_068_864
    assert get_gpu("a100-40gb").memory_bytes == 42_298_834_944
    assert get_gpu("l4").memory_bytes == 23_612_293_120
    assert get_gpu("l40s").memory_bytes == 47_576_711_168
    # Estimates where no runtime log was found: nvidia-smi totals (MiB) or datasheets.
    assert get_gpu("a10g").memory_bytes == 23028 * 2**20
    assert get_gpu("rtx-pro-6000").memory_bytes == 97887 * 2**20
    assert get_gpu("mi355x").memory_bytes == 288 * 10**9
    for gpu in GPUS.values():
        assert gpu.memory_source in ("runtime", "nvidia-smi", "datasheet")
        if gpu.memory_source != "runtime":
            assert "memory_bytes =" in gpu.status
    # The issue-13 inversion is gone: an A100-80GB no longer reports more than an H100.
    assert get_gpu("a100-80gb").memory_bytes > get_gpu("h100-sxm").memory_bytes - 2**30
    assert abs(get_gpu("a100-80gb").memory_bytes / get_gpu("h100-sxm").memory_bytes - 1) < 0.002


def test_fp4_peaks_are_dense() -> None:
    # HGX B200: FP4 144 PFLOPS with sparsity for 8 GPUs -> 9 PFLOPS dense per GPU.
    assert get_gpu("b200").fp4_flops_per_s == 9e15
    # GB200 NVL72: 720 PFLOPS dense FP4 over 72 GPUs.
    assert get_gpu("gb200").fp4_flops_per_s == 10e15
    # MI355X: MXFP4 10.1 PFLOPS dense, four times its BF16 peak.
    assert get_gpu("mi355x").fp4_flops_per_s == pytest.approx(4 * get_gpu("mi355x").bf16_flops_per_s,
                                                                 rel=1e-4)
    # GB300 NVL72: 1,080 PFLOPS dense FP4 over 72 GPUs; FP16/BF16 360 PFLOPS sparse.
    assert get_gpu("gb300").fp4_flops_per_s == pytest.approx(1080e15 / 72)
    assert get_gpu("gb300").bf16_flops_per_s == pytest.approx(360e15 / 72 / 2)
    for gpu in ("h100-sxm", "h200", "mi325x", "l40s", "tpu-v6e", "tpu-v7"):
        assert get_gpu(gpu).fp4_flops_per_s == 0
        with pytest.raises(ValueError, match="no tensor-core support"):
            get_gpu(gpu).peak_flops_per_s("fp4")


def test_dense_flops_are_half_the_sparsity_figures() -> None:
    # NVIDIA H100 datasheet: BF16 1,979 and FP8 3,958 TFLOPS "with sparsity" (SXM).
    h100 = get_gpu("h100-sxm")
    assert h100.bf16_flops_per_s == pytest.approx(1979e12 / 2, rel=1e-3)
    assert h100.fp8_flops_per_s == pytest.approx(3958e12 / 2, rel=1e-3)
    # H100 PCIe: 1,513 / 3,026 with sparsity; L4: 242 BF16 and 485 FP8 with sparsity.
    assert get_gpu("h100-pcie").bf16_flops_per_s == pytest.approx(1513e12 / 2)
    assert get_gpu("l4").bf16_flops_per_s == pytest.approx(242e12 / 2)
    assert get_gpu("l4").fp8_flops_per_s == pytest.approx(485e12 / 2)
    # H200 has the H100 SXM's compute.
    assert get_gpu("h200").bf16_flops_per_s == h100.bf16_flops_per_s


def test_gpus_without_fp8_refuse_it() -> None:
    with pytest.raises(ValueError, match="no tensor-core support"):
        get_gpu("a100-80gb").peak_flops_per_s("fp8")


def test_gpu_spec_validates() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(get_gpu("h100-sxm"), memory_bytes=0)
    with pytest.raises(ValueError):
        dataclasses.replace(get_gpu("h100-sxm"), hbm_bandwidth_bytes_per_s=float("nan"))
    with pytest.raises(ValueError, match="closest"):
        get_gpu("a100")


# ------------------------------------------------------------------------- prices


def test_prices_cover_h100_a100_l4() -> None:
    for gpu in ("h100-sxm", "a100-80gb", "a100-40gb", "l4"):
        price = get_price(gpu)
        assert price.price_usd_per_hour > 0
        assert price.source.startswith("https://")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", price.date)
    assert all(p.gpu in GPUS for p in PRICES)


def test_prices_for_and_missing_price() -> None:
    assert all(p.gpu == "h100-sxm" for p in prices_for("h100-sxm"))
    assert prices_for("tpu-v5e") == ()
    with pytest.raises(ValueError, match="no example price"):
        get_price("tpu-v5e")


def test_price_spec_validates() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(PRICES[0], price_usd_per_hour=-1.0)
    with pytest.raises(ValueError):
        PriceSpec(provider="x", instance="y", gpu="h100", price_usd_per_hour=1.0,
                  date="2026-01-01", source="https://example.com")


# ------------------------------------------------------------------------- HF configs
# Excerpts of each model's public config.json (the catalog entry's source names it), in
# the field names Hugging Face uses; issue 13's families included.
HF_CONFIGS = json.loads((Path(__file__).parent / "data" / "hf_configs.json").read_text())


@pytest.mark.parametrize("model", sorted(HF_CONFIGS))
def test_hf_config_reproduces_catalog(model: str) -> None:
    built = from_hf_config(HF_CONFIGS[model], id=model)
    catalog = get_model(model)
    assert param_count(built) == param_count(catalog)
    assert kv_bytes_per_token(built) == kv_bytes_per_token(catalog)
    for context in (1000, 8192, 40000):
        assert kv_bytes_per_sequence(built, context) == kv_bytes_per_sequence(catalog, context)
    assert linear_state_bytes(built) == linear_state_bytes(catalog)
    for field in ("num_layers", "head_dim", "num_kv_heads", "sliding_window",
                  "sliding_window_layers", "num_experts", "experts_per_token", "layer_types",
                  "attention_chunk_size"):
        assert getattr(built, field) == getattr(catalog, field), field


def test_hf_config_gemma3_layer_types_list_equals_its_pattern() -> None:
    # Newer Gemma-3 configs list layer_types instead of sliding_window_pattern.
    text = dict(HF_CONFIGS["gemma-3-27b"]["text_config"])
    del text["sliding_window_pattern"]
    text["layer_types"] = (["sliding_attention"] * 5 + ["full_attention"]) * 10 + [
        "sliding_attention"] * 2
    assert from_hf_config({"text_config": text}).layer_types == get_model("gemma-3-27b").layer_types


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"hybrid_override_pattern": "M-M*-"}, "Mamba"),
        ({"attn_type_list": [0, 1] * 24}, "lightning"),
        ({"index_topk": 2048}, "indexer"),
        ({"layer_types": ["full_attention", "mamba"] * 24}, "not supported"),
        ({"layer_types": ["full_attention"] * 47}, "48"),
        ({"linear_num_key_heads": None}, "Gated DeltaNet"),
        ({"mamba_ssm_dtype": "float8"}, "mamba_ssm_dtype"),
    ],
)
def test_hf_config_refuses_what_it_cannot_model(changes: dict, message: str) -> None:
    config = {**HF_CONFIGS["qwen3-next-80b-a3b"], **changes}
    config = {k: v for k, v in config.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        from_hf_config(config)


def test_hf_config_refuses_llama4_maverick_interleaving() -> None:
    text = {**HF_CONFIGS["llama-4-scout"]["text_config"], "interleave_moe_layer_step": 2}
    with pytest.raises(ValueError, match="interleave_moe_layer_step"):
        from_hf_config({"text_config": text})


def test_hf_config_from_file(tmp_path) -> None:
    path = tmp_path / "config.json"
    config = {**HF_CONFIGS["llama-3.1-70b"], "_name_or_path": "meta-llama/Llama-3.1-70B"}
    path.write_text(json.dumps(config))
    built = from_hf_config(path)
    assert built.id == "llama-3.1-70b"
    assert param_count(built) == 70_553_706_496
    assert from_hf_config(str(path), id="mine").id == "mine"


def test_hf_config_layer_types_list() -> None:
    config = {**HF_CONFIGS["gemma-2-9b"],
              "layer_types": ["sliding_attention", "full_attention"] * 21}
    assert from_hf_config(config).sliding_window_layers == 21


def test_hf_config_head_dim_defaults_to_hidden_over_heads() -> None:
    config = {k: v for k, v in HF_CONFIGS["llama-3.1-70b"].items()}
    assert from_hf_config(config).head_dim == 8192 // 64


@pytest.mark.parametrize(
    "missing", ["num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size",
                "intermediate_size"],
)
def test_hf_config_missing_field_is_named(missing: str) -> None:
    config = {k: v for k, v in HF_CONFIGS["llama-3.1-70b"].items() if k != missing}
    with pytest.raises(ValueError, match=repr(missing)):
        from_hf_config(config)


def test_hf_config_missing_moe_field_is_named() -> None:
    config = {k: v for k, v in HF_CONFIGS["mixtral-8x7b"].items() if k != "num_experts_per_tok"}
    with pytest.raises(ValueError, match="'num_experts_per_tok'"):
        from_hf_config(config)


@pytest.mark.parametrize(
    "bad",
    [
        42,
        {"num_hidden_layers": "32", "hidden_size": 4096, "num_attention_heads": 32,
         "vocab_size": 32000, "intermediate_size": 11008},
        {"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 0,
         "vocab_size": 32000, "intermediate_size": 11008},
        {"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
         "vocab_size": 32000, "intermediate_size": 11008, "tie_word_embeddings": "yes"},
        {**HF_CONFIGS["qwen3-30b-a3b"], "mlp_only_layers": [0]},
        {**HF_CONFIGS["opt-13b"], "word_embed_proj_dim": 512},
    ],
)
def test_hf_config_bad_values(bad) -> None:
    with pytest.raises(ValueError):
        from_hf_config(bad)


def test_hf_config_bad_files(tmp_path) -> None:
    with pytest.raises(ValueError, match="cannot be read"):
        from_hf_config(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        from_hf_config(broken)


# ------------------------------------------------------------------------- data files


def test_catalogs_are_the_data_files_in_file_order() -> None:
    from servecalc import catalog

    assert list(MODELS) == [e["id"] for e in catalog.entries("models")]
    assert list(GPUS) == [e["id"] for e in catalog.entries("gpus")]
    assert [p.instance for p in PRICES] == [e["instance"] for e in catalog.entries("prices")]
    for name in catalog.NAMES:
        for entry in catalog.entries(name):
            assert entry["source"] and (entry.get("source_date") or entry.get("date"))


def test_a_bad_data_entry_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from servecalc import catalog

    good = catalog.entries("models")[0]
    monkeypatch.setattr(catalog, "entries", lambda name: [{**good, "num_layer": 32}])
    with pytest.raises(ValueError, match=r"models.json entry 'llama-2-7b'.*num_layer"):
        catalog.build("models", ModelSpec)
    monkeypatch.setattr(catalog, "entries", lambda name: [{**good, "num_layers": 0}])
    with pytest.raises(ValueError, match=r"entry 'llama-2-7b': model.num_layers must be"):
        catalog.build("models", ModelSpec)


def test_tpu_v7_follows_the_cloud_documentation() -> None:
    # Google Cloud, "TPU7x (Ironwood)": 2,307 TFLOPS bf16, 4,614 fp8, 192 GiB, 7,380 GB/s,
    # 1,200 GB/s bidirectional ICI per chip.
    tpu = get_gpu("tpu-v7")
    assert tpu.bf16_flops_per_s == 2307e12 and tpu.fp8_flops_per_s == 2 * tpu.bf16_flops_per_s
    assert tpu.memory_bytes == 192 * 2**30
    assert tpu.hbm_bandwidth_bytes_per_s == 7380e9
    assert tpu.interconnect_bytes_per_s == 1200e9 / 2
