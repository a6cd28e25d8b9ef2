"""Placeholders for the cheat sheet: the numbers worth memorising, as tables.

Every value is computed from the catalogs and the step model when the site is
built, then rounded the way a person says it (two or three significant
figures): the exact values stay on the reference pages. Each function returns
a Markdown table (a block placeholder).

>>> "H100 SXM" in cheat_accelerators()
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fieldguide.drills import drill, round_sig, say  # say: re-exported for other prose modules
from servecalc.deployment import Deployment
from servecalc.gpus import get_gpu
from servecalc.kv import kv_bytes_per_token
from servecalc.models import get_model
from servecalc.precision import bits_per_value
from servecalc.step import crossover_batch
from servecalc.units import fmt_percent
from servecalc.validate import choice

#: Accelerators whose numbers an interviewer expects you to know, newest last.
CHEAT_GPUS = ("a100-80gb", "h100-sxm", "h200", "b200", "gb200", "gb300", "mi300x", "mi355x",
              "tpu-v7")
#: Models whose KV cache per token is worth knowing: MHA, GQA at three sizes, MoE, MLA.
CHEAT_MODELS = ("llama-2-7b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
                "mixtral-8x7b", "qwen3-235b-a22b", "deepseek-v3")
#: Weight formats, with how each is usually called.
CHEAT_FORMATS = (("bf16", "BF16 / FP16"), ("fp8", "FP8 / INT8"), ("int4", "INT4, groups of 128"),
                 ("mxfp4", "MXFP4"), ("nvfp4", "NVFP4"))
#: The whiteboard rules the drills test, by drill ID, with the rule in words.
CHEAT_RULES = (
    ("weights-70b", "weights = params × bytes per param", "70B, bf16"),
    ("weights-70b-int4", "4-bit weights = params ÷ 2", "70B, int4"),
    ("kv-70b-32k", "KV = 2 × layers × KV heads × head dim × bytes × tokens", "70B, 8 × 32K"),
    ("tpot-8b", "decode step = weight bytes ÷ bandwidth", "8B, H100, batch 1"),
    ("prefill-8b", "prefill = 2 × params × tokens ÷ FLOP/s", "8B, H100, 8K prompt"),
    ("max-batch-8b", "batch = (memory − weights) ÷ KV per sequence", "8B, H100, 4K"),
    ("crossover-8b", "dense decode is compute-bound from batch ≈ ridge point", "8B, H100"),
    ("cost-8b", "$/M tokens = $/hour ÷ 3,600 ÷ tokens/s × 10⁶", "8B, H100, batch 64"),
)


def _table(columns: Sequence[tuple[str, Callable[[Any], str]]], rows: Iterable[Any]) -> str:
    lines = ["| " + " | ".join(h for h, _ in columns) + " |",
             "| :-- |" + " --: |" * (len(columns) - 1)]
    lines += ["| " + " | ".join(cell(r) for _, cell in columns) + " |" for r in rows]
    return "\n\n" + "\n".join(lines) + "\n\n"


def _peak(value: float) -> str:
    return say(value / 1e12, 2) if value > 0 else "–"


def _short_name(gpu_id: str) -> str:
    name = get_gpu(gpu_id).name
    for prefix in ("NVIDIA ", "AMD Instinct ", "Google "):
        name = name.removeprefix(prefix)
    return " ".join(w for w in name.split(" (")[0].split() if not w.endswith("GB"))


def cheat_accelerators() -> str:
    """Memory, bandwidth, dense peaks and BF16 ridge point of the usual accelerators.

    >>> row = [r for r in cheat_accelerators().splitlines() if "H100" in r][0]
    >>> "| 80 GB | 3.4 | 990 | 2,000 | – | 300 |" in row
    True
    """
    return _table([
        ("Accelerator", lambda g: _short_name(g)),
        ("Memory", lambda g: " ".join(get_gpu(g).datasheet_memory.split()[:2])),
        ("TB/s", lambda g: say(get_gpu(g).hbm_bandwidth_bytes_per_s / 1e12, 2)),
        ("BF16 TFLOP/s", lambda g: _peak(get_gpu(g).bf16_flops_per_s)),
        ("FP8 TFLOP/s", lambda g: _peak(get_gpu(g).fp8_flops_per_s)),
        ("FP4 TFLOP/s", lambda g: _peak(get_gpu(g).fp4_flops_per_s)),
        ("Ridge, BF16 (FLOP/B)", lambda g: say(get_gpu(g).ridge_point("bf16"), 2)),
    ], CHEAT_GPUS)


def _attention(model: str) -> str:
    spec = get_model(model)
    if spec.kv_lora_rank:
        return "MLA"
    if spec.num_kv_heads == spec.num_attention_heads:
        return f"MHA, {spec.num_kv_heads} heads"
    return f"GQA, {spec.num_kv_heads} KV heads"


def cheat_kv() -> str:
    """KV-cache bytes per token in bf16 for MHA, GQA and MLA models, and per 32K tokens.

    >>> row = [r for r in cheat_kv().splitlines() if "Llama-3.1-70B" in r][0]
    >>> "| 320 KiB |" in row and "| 11 GB |" in row
    True
    """
    return _table([
        ("Model", lambda m: get_model(m).name),
        ("Attention", _attention),
        ("Layers", lambda m: str(get_model(m).num_layers)),
        ("KV per token", lambda m: f"{say(kv_bytes_per_token(m) / 1024, 2)} KiB"),
        ("32K tokens", lambda m: f"{say(kv_bytes_per_token(m) * 32_768 / 1e9, 2)} GB"),
    ], CHEAT_MODELS)


def cheat_weights() -> str:
    """Weight bytes per billion parameters by format, scales included.

    >>> "| NVFP4 | 4.5 | 0.56 GB |" in cheat_weights()
    True
    """
    return _table([
        ("Format", lambda f: f[1]),
        ("Bits per weight", lambda f: f"{bits_per_value(f[0]):g}"),
        ("Per billion params", lambda f: f"{say(bits_per_value(f[0]) / 8, 2)} GB"),
    ], CHEAT_FORMATS)


def _moe_rule(model: str, gpu: str, gpus: int, weight_dtype: str) -> tuple[float, float]:
    """The whiteboard MoE crossover (ridge point × experts ÷ active experts, per byte of
    weight) against the step model's."""
    spec, g = get_model(model), get_gpu(gpu)
    compute = "fp8" if weight_dtype == "fp8" and g.fp8_flops_per_s else "bf16"
    bytes_per_param = bits_per_value(weight_dtype) / 8
    flops_per_byte = round_sig(g.ridge_point(compute), 2)
    estimate = flops_per_byte * bytes_per_param / 2 * spec.num_experts / spec.experts_per_token
    exact = crossover_batch(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                            context=128)
    if exact is None:
        raise ValueError(f"{model} on {gpu} never turns compute-bound")
    return estimate, float(exact)


def cheat_rules() -> str:
    """Each rule of thumb's whiteboard figure against the exact model, and the error.

    >>> rows = cheat_rules().splitlines()
    >>> any("× experts ÷ active experts" in r for r in rows)
    True
    """
    rows = []
    for drill_id, rule, example in CHEAT_RULES:
        d = drill(drill_id)
        rows.append((rule, example, d.fmt(d.estimate), d.fmt(d.exact), d.gap))
    estimate, exact = _moe_rule("deepseek-v3", "h200", 8, "fp8")
    rows.append(("MoE decode is compute-bound from batch ≈ ridge point × bytes per weight ÷ 2 "
                 "× experts ÷ active experts", "DeepSeek-V3, fp8, 8 × H200",
                 say(estimate, 2), say(exact, 2), estimate / exact - 1))
    return _table([
        ("Rule", lambda r: r[0]),
        ("Example", lambda r: r[1]),
        ("Whiteboard", lambda r: r[2]),
        ("Exact model", lambda r: r[3]),
        ("Error", lambda r: fmt_percent(r[4], 0)),
    ], rows)


def cheat_number(kind: str, name: str) -> str:
    """One number from the sheet for a sentence: ``kind`` is 'bandwidth', 'memory' or 'kv'.

    >>> cheat_number("bandwidth", "h100-sxm"), cheat_number("kv", "llama-3.1-70b")
    ('3.4 TB/s', '320 KiB')
    """
    choice("kind", kind, ("bandwidth", "memory", "kv"))
    if kind == "kv":
        return f"{say(kv_bytes_per_token(name) / 1024, 2)} KiB"
    gpu = get_gpu(name)
    if kind == "bandwidth":
        return f"{say(gpu.hbm_bandwidth_bytes_per_s / 1e12, 2)} TB/s"
    return " ".join(gpu.datasheet_memory.split()[:2])
