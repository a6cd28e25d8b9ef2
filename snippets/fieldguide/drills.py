"""The back-of-the-envelope drills: whiteboard estimates next to the library's figures.

Each drill in :data:`DRILLS` has a whiteboard estimate, computed the way a
candidate would: round inputs (a model's size from its name, a GPU's spec
rounded to one or two significant figures, 32K tokens as 32,000) and no
efficiency factors. Next to it is the exact figure from the library, and the
relative gap between them. The round inputs are derived from the catalogs,
never typed as results. The drill pages show them through the ``boe_*``
placeholders of :mod:`fieldguide.prose.drills`.

>>> d = drill("weights-70b")
>>> d.working, d.fmt(d.exact)
('70B params × 2 bytes = 140 GB', '141.1 GB')
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from servecalc.capacity import fit
from servecalc.gpus import get_gpu
from servecalc.kv import kv_bytes_per_batch, kv_bytes_per_token
from servecalc.models import get_model
from servecalc.params import param_count, weight_bytes
from servecalc.prices import get_price
from servecalc.step import DEFAULT_MBU, DEFAULT_MFU, StepModel, crossover_batch
from servecalc.cost import cost_per_million_tokens
from servecalc.units import GB, fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_percent, fmt_usd
from servecalc.validate import lookup

__all__ = ["DRILLS", "Drill", "drill", "round_sig"]

# --------------------------------------------------------------------------- whiteboard rounding


def round_sig(value: float, digits: int = 1) -> float:
    """``value`` rounded to ``digits`` significant figures, as on a whiteboard.

    >>> round_sig(70.55e9), round_sig(3.35e12, 2), round_sig(989.4e12)
    (70000000000.0, 3400000000000.0, 1000000000000000.0)
    """
    if value == 0:
        return 0.0
    exponent = math.floor(math.log10(abs(value)))
    scale = 10.0 ** (exponent - digits + 1)
    return round(value / scale) * scale


def say(value: float, figures: int = 2) -> str:
    """``value`` rounded to ``figures`` significant figures and printed as said aloud
    (a formatter the prose modules share; not a placeholder of its own).

    >>> say(3.35e12 / 1e12), say(989.4, 3), say(141.12, 3), say(0.0771, 2), say(24_576, 2)
    ('3.4', '989', '141', '0.077', '25,000')
    """
    if not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    rounded = round_sig(value, figures)
    if rounded == 0:
        return "0"
    exponent = math.floor(math.log10(abs(rounded)))
    decimals = max(0, figures - 1 - exponent)
    return f"{rounded:,.{decimals}f}"


def _round_params(model: str) -> float:
    """The size a model's name gives: its parameter count to one or two figures."""
    count = param_count(model)
    return round_sig(count, 1 if count < 1e11 else 2)


def _datasheet_gb(gpu: str) -> float:
    """The GB figure of a datasheet label such as '80 GB HBM3'."""
    label = get_gpu(gpu).datasheet_memory
    return float(label.split()[0]) * GB


def _billions(count: float) -> str:
    return f"{fmt_number(count / 1e9, 0)}B"


def _tera(value: float, digits: int = 0) -> str:
    return fmt_number(value / 1e12, digits)


# --------------------------------------------------------------------------- the drills


@dataclass(frozen=True)
class Drill:
    """One back-of-the-envelope drill: the whiteboard line and both figures."""

    id: str
    question: str
    working: str
    estimate: float
    exact: float
    fmt: Callable[[float], str]
    why: str

    @property
    def gap(self) -> float:
        """Relative gap of the estimate from the exact figure."""
        return (self.estimate - self.exact) / self.exact


def _gb(value: float) -> str:
    """A result in GB: one decimal from 10 GB up, two below."""
    return fmt_bytes(value, "GB", digits=1 if value >= 10 * GB else 2)


def _gb_round(value: float) -> str:
    """A whiteboard figure in GB, as written on the board."""
    return fmt_bytes(value, "GB", digits=0 if value >= 10 * GB else 1)


def _ms(value: float) -> str:
    return fmt_duration(value, "ms", digits=1)


def _weights(model: str, bytes_per_param: float, dtype: str) -> Drill:
    params = _round_params(model)
    estimate = params * bytes_per_param
    width = "2 bytes" if bytes_per_param == 2 else f"{fmt_number(bytes_per_param, 1)} byte"
    return Drill(
        id="",
        question=f"{get_model(model).name} weights in {dtype}",
        working=f"{_billions(params)} params × {width} = {_gb_round(estimate)}",
        estimate=estimate,
        exact=float(weight_bytes(model, dtype)),
        fmt=_gb,
        why=(
            "the name rounds the parameter count"
            if dtype == "bf16"
            else "embeddings and lm_head stay in 16 bits, and every group of 128 weights "
            "carries a 16-bit scale"
        ),
    )


def _kv_batch() -> Drill:
    model, context, batch = "llama-3.1-70b", 32_768, 8
    spec = get_model(model)
    per_token = 2 * spec.num_layers * spec.num_kv_heads * spec.head_dim * 2
    per_token_mb = round_sig(per_token / 1e6, 2) * 1e6
    tokens = context // 1024 * 1000  # "32K" read as 32,000
    estimate = per_token_mb * tokens * batch
    return Drill(
        id="",
        question=f"KV cache of {batch} × 32K-token conversations on {spec.name}, bf16",
        working=(
            f"2 × {spec.num_layers} layers × {spec.num_kv_heads} KV heads × {spec.head_dim} × "
            f"2 bytes ≈ {fmt_number(per_token_mb / 1e6, 2)} MB per token; "
            f"× {fmt_int(tokens)} tokens × {batch} = {_gb_round(estimate)}"
        ),
        estimate=estimate,
        exact=float(kv_bytes_per_batch(model, context, batch, "bf16")),
        fmt=_gb,
        why="32K is 32,768 tokens, not 32,000 (the exact total is a round 80 GiB)",
    )


def _tpot() -> Drill:
    model, gpu, context = "llama-3.1-8b", "h100-sxm", 1024
    params = _round_params(model)
    bandwidth = round_sig(get_gpu(gpu).hbm_bandwidth_bytes_per_s, 2)
    estimate = params * 2 / bandwidth
    exact = StepModel(model, gpu).decode_time_s(1, context)
    return Drill(
        id="",
        question="Llama-3.1-8B decode step at batch 1 on one H100 (1K context)",
        working=(
            f"{_billions(params)} × 2 bytes = {_gb_round(params * 2)} read per token ÷ "
            f"{_tera(bandwidth, 1)} TB/s = {_ms(estimate)}"
        ),
        estimate=estimate,
        exact=exact,
        fmt=_ms,
        why=f"real kernels reach about {fmt_percent(DEFAULT_MBU, 0)} of peak bandwidth (MBU)",
    )


def _prefill() -> Drill:
    model, gpu, prompt = "llama-3.1-8b", "h100-sxm", 8192
    params = _round_params(model)
    peak = round_sig(get_gpu(gpu).bf16_flops_per_s, 1)
    tokens = round_sig(prompt, 1)
    flops = 2 * params * tokens
    estimate = flops / peak
    exact = StepModel(model, gpu).prefill_time_s(prompt)
    return Drill(
        id="",
        question="Prefill of an 8K-token prompt on Llama-3.1-8B, one H100",
        working=(
            f"2 × {_billions(params)} × {fmt_int(int(tokens))} tokens = "
            f"{_tera(flops)} TFLOP ÷ {_tera(peak)} TFLOP/s = {_ms(estimate)}"
        ),
        estimate=estimate,
        exact=exact,
        fmt=_ms,
        why=(
            f"matmuls reach about {fmt_percent(DEFAULT_MFU, 0)} of peak FLOP/s (MFU), and "
            "causal attention over 8K tokens adds FLOPs the 2 × params rule leaves out"
        ),
    )


def _max_batch() -> Drill:
    model, gpu, context = "llama-3.1-8b", "h100-sxm", 4096
    params = _round_params(model)
    memory = _datasheet_gb(gpu)
    per_token = round_sig(kv_bytes_per_token(model), 2)
    tokens = round_sig(context, 1)
    per_sequence = per_token * tokens
    estimate = math.floor((memory - 2 * params) / per_sequence)
    exact = fit(model, gpu, context=context).max_batch
    return Drill(
        id="",
        question="Concurrent 4K-token sequences of Llama-3.1-8B on one H100",
        working=(
            f"({_gb_round(memory)} − {_gb_round(2 * params)} of weights) ÷ "
            f"({fmt_number(per_token / 1e6, 2)} MB per token × {fmt_int(int(tokens))} tokens = "
            f"{fmt_bytes(per_sequence, 'GB', 2)} per sequence) = {fmt_int(estimate)}"
        ),
        estimate=float(estimate),
        exact=float(exact),
        fmt=lambda v: fmt_int(int(v)),
        why=(
            "the engine may use only part of the memory (0.9 in vLLM), keeps a reserve "
            "for activations, and allocates whole 16-token blocks"
        ),
    )


def _crossover() -> Drill:
    model, gpu, context = "llama-3.1-8b", "h100-sxm", 128
    spec = get_gpu(gpu)
    peak = round_sig(spec.bf16_flops_per_s, 1)
    bandwidth = round_sig(spec.hbm_bandwidth_bytes_per_s, 2)
    estimate = peak / bandwidth
    exact = crossover_batch(model, gpu, context=context)
    return Drill(
        id="",
        question="Decode batch at which Llama-3.1-8B turns compute-bound on an H100 (short context)",
        working=(
            f"bf16 decode does about batch FLOPs per weight byte; ridge point = "
            f"{_tera(peak)} TFLOP/s ÷ {_tera(bandwidth, 1)} TB/s ≈ {fmt_number(estimate, 0)}"
        ),
        estimate=estimate,
        exact=float(exact),
        fmt=lambda v: fmt_number(v, 0),
        why=(
            f"MFU ({fmt_percent(DEFAULT_MFU, 0)}) is lower than MBU "
            f"({fmt_percent(DEFAULT_MBU, 0)}), which moves the linear layers' crossover "
            "down; KV reads do not move it (attention stays bandwidth-bound on its own)"
        ),
    )


def _cost_output() -> Drill:
    model, gpu, batch, prompt, output = "llama-3.1-8b", "h100-sxm", 64, 1000, 250
    price = get_price(gpu).price_usd_per_hour
    params = _round_params(model)
    bandwidth = round_sig(get_gpu(gpu).hbm_bandwidth_bytes_per_s, 2)
    step = params * 2 / bandwidth
    tokens_per_s = batch / step
    estimate = price / 3600 / tokens_per_s * 1e6
    exact = cost_per_million_tokens(model, gpu, price_usd_per_hour=price, batch=batch,
                                    prompt=prompt, output=output).usd_per_million_output_tokens
    average_context = prompt + output // 2
    kv_share = kv_bytes_per_batch(model, average_context, batch) / weight_bytes(model)
    return Drill(
        id="",
        question=(
            f"Dollars per million output tokens, Llama-3.1-8B on one H100 at batch {batch} "
            f"({fmt_usd(price)} per GPU-hour)"
        ),
        working=(
            f"step ≈ {_ms(step)} (weights ÷ bandwidth), so {batch} ÷ {_ms(step)} = "
            f"{fmt_int(round(tokens_per_s))} tokens/s; {fmt_usd(price)} ÷ 3,600 s ÷ "
            f"{fmt_int(round(tokens_per_s))} × 10^6 = {fmt_usd(estimate, 3)}"
        ),
        estimate=estimate,
        exact=exact,
        fmt=lambda v: fmt_usd(v, 3),
        why=(
            f"MBU of {fmt_percent(DEFAULT_MBU, 0)}, and at batch {batch} every step also reads "
            f"the KV cache of {batch} sequences of about {fmt_int(average_context)} tokens, "
            f"{fmt_percent(kv_share, 0)} of the weights' bytes on top of them"
        ),
    )


_BUILDERS: dict[str, Callable[[], Drill]] = {
    "weights-70b": lambda: _weights("llama-3.1-70b", 2, "bf16"),
    "weights-70b-int4": lambda: _weights("llama-3.1-70b", 0.5, "int4"),
    "kv-70b-32k": _kv_batch,
    "tpot-8b": _tpot,
    "prefill-8b": _prefill,
    "max-batch-8b": _max_batch,
    "crossover-8b": _crossover,
    "cost-8b": _cost_output,
}

#: Every back-of-the-envelope drill, by ID.
DRILLS = tuple(_BUILDERS)


def drill(drill_id: str) -> Drill:
    """The drill ``drill_id`` with its figures computed now.

    >>> d = drill("tpot-8b")
    >>> d.fmt(d.estimate), d.fmt(d.exact), f"{d.gap:+.1%}"  # doctest: +ELLIPSIS
    ('4.7 ms', '... ms', '-...%')
    """
    build = lookup("drill", drill_id, _BUILDERS)
    return replace(build(), id=drill_id)  # type: ignore[operator]
