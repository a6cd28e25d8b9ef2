"""Placeholders for the interview drills: whiteboard estimates and exact answers.

Two kinds of functions live here.

*Back-of-the-envelope drills* (``boe_*``): the drills of :mod:`fieldguide.drills`,
their whiteboard working, estimate, the library's exact figure and the gap.

*Drill answers* (``drill_*``): the library's figure for one question, formatted
with its unit.

>>> boe_working("weights-70b")
'70B params × 2 bytes = 140 GB'
>>> boe_exact("weights-70b"), boe_gap("weights-70b")
('141.1 GB', '-0.8 %')
>>> drill_fit_batch("llama-3.1-8b", "h100-sxm", context=4096)
'109'
"""

from __future__ import annotations


from dataclasses import replace

from servecalc.batching import continuous_batching, littles_law_concurrency, static_batching
from servecalc.capacity import fit
from servecalc.kv import kv_bytes_per_batch, kv_bytes_per_token
from servecalc.latency import request_latency
from servecalc.models import get_model
from servecalc.paging import fragmentation
from servecalc.params import active_param_count, param_count, weight_bytes
from servecalc.prefix_cache import prefix_cache_effect
from servecalc.quantization import compare_precisions
from servecalc.step import DEFAULT_MBU, DEFAULT_MFU, StepModel, crossover_batch
from servecalc.speculative import expected_tokens_per_step, speculative_decode, speedup
from servecalc.units import GB, fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice
from servecalc.deployment import Deployment

from ..drills import DRILLS, drill


def boe_working(drill_id: str) -> str:
    """The whiteboard line, with the candidate's round numbers.

    >>> boe_working("tpot-8b")
    '8B × 2 bytes = 16 GB read per token ÷ 3.4 TB/s = 4.7 ms'
    """
    return drill(drill_id).working


def boe_estimate(drill_id: str) -> str:
    """The whiteboard result.

    >>> boe_estimate("weights-70b-int4")
    '35.0 GB'
    """
    d = drill(drill_id)
    return d.fmt(d.estimate)


def boe_exact(drill_id: str) -> str:
    """The library's figure.

    >>> boe_exact("tpot-8b")  # doctest: +ELLIPSIS
    '... ms'
    """
    d = drill(drill_id)
    return d.fmt(d.exact)


def boe_gap(drill_id: str) -> str:
    """Relative gap of the estimate from the library's figure, signed.

    >>> boe_gap("weights-70b-int4")
    '-11.4 %'
    """
    return fmt_percent(drill(drill_id).gap)


def boe_why(drill_id: str) -> str:
    """What the whiteboard leaves out, in a phrase."""
    return drill(drill_id).why


def boe_table() -> str:
    """All back-of-the-envelope drills side by side, as a Markdown table.

    >>> boe_table().strip().splitlines()[0]
    '| Drill | Whiteboard | Library | Gap | What the whiteboard leaves out |'
    """
    lines = [
        "| Drill | Whiteboard | Library | Gap | What the whiteboard leaves out |",
        "| :-- | --: | --: | --: | :-- |",
    ]
    for drill_id in DRILLS:
        d = drill(drill_id)
        lines.append(f"| {d.question} | {d.fmt(d.estimate)} | {d.fmt(d.exact)} | "
                     f"{fmt_percent(d.gap)} | {d.why} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


# --------------------------------------------------------------------------- drill answers


def drill_weights(model: str, weight_dtype: str = "bf16", unit: str = "GB") -> str:
    """All weights of ``model``.

    >>> drill_weights("llama-3.1-70b", "int4")
    '39.50 GB'
    """
    return fmt_bytes(weight_bytes(model, weight_dtype), unit)


def drill_params(model: str) -> str:
    """Exact parameter count, in billions.

    >>> drill_params("llama-3.1-70b")
    '70.55 billion'
    """
    return f"{fmt_number(param_count(model) / 1e9, 2)} billion"


def drill_fit_batch(model: str, gpu: str, gpus: int = 1, context: int = 4096,
                    weight_dtype: str = "bf16", kv_dtype: str = "bf16") -> str:
    """Concurrent sequences of ``context`` tokens that fit.

    >>> drill_fit_batch("llama-3.1-70b", "h100-sxm", gpus=2)
    '6'
    """
    return fmt_int(fit(model, gpu, gpus=gpus, context=context, weight_dtype=weight_dtype,
                       kv_dtype=kv_dtype).max_batch)


def drill_kv_budget(model: str, gpu: str, gpus: int = 1, weight_dtype: str = "bf16") -> str:
    """Memory left for the KV cache across the group, in GiB.

    >>> drill_kv_budget("llama-3.1-70b", "h100-sxm", gpus=4)
    '147.63 GiB'
    """
    return fmt_bytes(fit(model, gpu, gpus=gpus, weight_dtype=weight_dtype).kv_budget_bytes, "GiB")


def _sm(model, gpu, gpus=1, weight_dtype="bf16", kv_dtype="bf16") -> StepModel:
    return StepModel(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype, kv_dtype=kv_dtype))


def drill_decode_step(model: str, gpu: str, gpus: int = 1, batch: int = 1, context: int = 2048,
                      weight_dtype: str = "bf16", unit: str = "ms", digits: int = 1) -> str:
    """One decode step (the TPOT of a static batch).

    >>> drill_decode_step("llama-3.1-8b", "h100-sxm", batch=32)  # doctest: +ELLIPSIS
    '... ms'
    """
    return fmt_duration(_sm(model, gpu, gpus, weight_dtype).decode(batch, context).seconds,
                        unit, digits)


def drill_decode_tokens_per_s(model: str, gpu: str, gpus: int = 1, batch: int = 1,
                              context: int = 2048, weight_dtype: str = "bf16") -> str:
    """Decode throughput of a batch, tokens per second.

    >>> drill_decode_tokens_per_s("llama-3.1-70b", "h100-sxm", gpus=4)  # doctest: +ELLIPSIS
    '... tokens/s'
    """
    step = _sm(model, gpu, gpus, weight_dtype).decode(batch, context).seconds
    return f"{fmt_int(round(batch / step))} tokens/s"


def drill_comm_share(model: str, gpu: str, gpus: int, batch: int = 1, context: int = 2048) -> str:
    """Share of a tensor-parallel decode step spent in all-reduce.

    >>> drill_comm_share("llama-3.1-70b", "h100-sxm", gpus=8)  # doctest: +ELLIPSIS
    '... %'
    """
    r = _sm(model, gpu, gpus).decode(batch, context)
    return fmt_percent(r.comm_s / r.seconds)


def drill_step_ratio(model: str, gpu: str, batch_a: int, batch_b: int, context: int = 2048,
                     gpus: int = 1) -> str:
    """How many times longer a decode step at ``batch_b`` is than at ``batch_a``.

    >>> drill_step_ratio("llama-3.1-8b", "h100-sxm", 1, 32, context=512)
    '1.12×'
    """
    sm = _sm(model, gpu, gpus)
    ratio = sm.decode(batch_b, context).seconds / sm.decode(batch_a, context).seconds
    return f"{fmt_number(ratio, 2)}×"


def drill_mixed_step(model: str, gpu: str, decode_batch: int, context: int, chunk: int,
                     gpus: int = 1, unit: str = "ms") -> str:
    """A decode step of ``decode_batch`` sequences that also prefills one ``chunk``.

    >>> drill_mixed_step("llama-3.1-8b", "h100-sxm", 32, 2048, 512)  # doctest: +ELLIPSIS
    '... ms'
    """
    sm = _sm(model, gpu, gpus)
    return fmt_duration(sm.mixed_time_s(decode_batch, decode_batch * context, [(chunk, 0)]),
                        unit)


def drill_latency(model: str, gpu: str, prompt: int, output: int, field: str, gpus: int = 1,
                  batch: int = 1, weight_dtype: str = "bf16", unit: str = "ms") -> str:
    """One field of a request's latency: 'ttft', 'tpot', 'e2e' or 'decode_share'.

    >>> drill_latency("llama-3.1-8b", "h100-sxm", 1000, 200, "e2e", unit="s")  # doctest: +ELLIPSIS
    '... s'
    """
    choice("field", field, ["ttft", "tpot", "e2e", "decode_share"])
    r = request_latency(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                        prompt=prompt, output=output, batch=batch)
    if field == "decode_share":
        return fmt_percent((r.e2e_s - r.ttft_s) / r.e2e_s)
    return fmt_duration(getattr(r, f"{field}_s"), unit)


#: The mixed workload of the batching drill: (prompt, output) pairs.
BATCHING_WORKLOAD = [(512, 32), (512, 256), (1024, 64), (256, 512)] * 16


def drill_batching(field: str, batch: int = 16) -> str:
    """Static against continuous batching on :data:`BATCHING_WORKLOAD`
    (Llama-3.1-8B, one H100).

    ``field``: 'static_tps', 'continuous_tps', 'gain', 'static_ttft',
    'continuous_ttft'.

    >>> drill_batching("gain")
    '1.94×'
    """
    choice("field", field, ["static_tps", "continuous_tps", "gain", "static_ttft",
                            "continuous_ttft"])
    s = static_batching("llama-3.1-8b", "h100-sxm", requests=BATCHING_WORKLOAD, batch=batch)
    c = continuous_batching("llama-3.1-8b", "h100-sxm", requests=BATCHING_WORKLOAD, batch=batch)
    if field == "gain":
        return f"{fmt_number(c.output_tokens_per_s / s.output_tokens_per_s, 2)}×"
    if field.endswith("tps"):
        r = s if field.startswith("static") else c
        return f"{fmt_int(round(r.output_tokens_per_s))} tokens/s"
    r = s if field.startswith("static") else c
    return fmt_duration(r.mean_ttft_s, "s", 2)


def drill_crossover(model: str, gpu: str, context: int, gpus: int = 1) -> str:
    """Smallest decode batch whose linear layers are compute-bound, or a sentence
    saying none is.

    >>> drill_crossover("llama-3.1-8b", "h100-sxm", 1024)  # doctest: +ELLIPSIS
    '...'
    >>> drill_crossover("llama-3.1-8b", "h100-sxm", 128) == drill_crossover(
    ...     "llama-3.1-8b", "h100-sxm", 1024)
    True
    """
    b = crossover_batch(Deployment(model=model, gpu=gpu, gpus=gpus), context=context)
    return "none up to 65,536 sequences" if b is None else fmt_int(b)


def drill_kv_per_token(model: str, kv_heads: int | None = None, kv_dtype: str = "bf16") -> str:
    """KV bytes per token, in KiB, optionally with another number of KV heads.

    >>> drill_kv_per_token("llama-3.1-70b"), drill_kv_per_token("llama-3.1-70b", kv_heads=64)
    ('320 KiB', '2,560 KiB')
    """
    spec = get_model(model)
    if kv_heads is not None:
        spec = replace(spec, num_kv_heads=kv_heads)
    return fmt_bytes(kv_bytes_per_token(spec, kv_dtype), "KiB", digits=0)


def drill_kv_batch(model: str, context: int, batch: int = 1, kv_dtype: str = "bf16",
                   unit: str = "GiB") -> str:
    """KV cache of ``batch`` sequences of ``context`` tokens.

    >>> drill_kv_batch("llama-3.1-70b", 32768, 8)
    '80.00 GiB'
    """
    return fmt_bytes(kv_bytes_per_batch(model, context, batch, kv_dtype), unit)


def drill_paged_waste(model: str, context: int, max_context: int, scheme: str) -> str:
    """Share of the allocated KV memory that is wasted: 'paged' or 'contiguous'.

    >>> drill_paged_waste("llama-3.1-8b", 1000, 8192, "contiguous")
    '87.8 %'
    """
    choice("scheme", scheme, ["paged", "contiguous"])
    f = fragmentation(model, context, max_context=max_context)
    return fmt_percent(f.paged_waste_ratio if scheme == "paged" else f.contiguous_waste_ratio)


def drill_prefix(model: str, gpu: str, prompt: int, hit_rate: float, field: str,
                 output: int = 200, gpus: int = 1) -> str:
    """Prefix caching: 'ttft_cold', 'ttft' or 'speedup'.

    >>> drill_prefix("llama-3.1-8b", "h100-sxm", 8000, 0.9, "speedup")  # doctest: +ELLIPSIS
    '...×'
    """
    choice("field", field, ["ttft_cold", "ttft", "speedup"])
    r = prefix_cache_effect(Deployment(model=model, gpu=gpu, gpus=gpus),
                            prompt=prompt, output=output, hit_rate=hit_rate)
    if field == "speedup":
        return f"{fmt_number(r.ttft_speedup, 1)}×"
    return fmt_duration(r.ttft_s_cold if field == "ttft_cold" else r.ttft_s, "ms")


def drill_precision(model: str, gpu: str, weight_dtype: str, kv_dtype: str, field: str,
                    gpus: int = 1, context: int = 4096, batch: int = 1) -> str:
    """One figure of a precision setting: 'weights', 'max_batch', 'tpot', 'prefill',
    'max_batch_tps'.

    >>> drill_precision("llama-3.1-70b", "h100-sxm", "int4", "bf16", "max_batch", gpus=2)
    '82'
    """
    choice("field", field, ["weights", "max_batch", "tpot", "prefill", "max_batch_tps"])
    (row,) = compare_precisions(Deployment(model=model, gpu=gpu, gpus=gpus),
                                context=context, batch=batch, configs=[(weight_dtype, kv_dtype)])
    if field == "weights":
        return fmt_bytes(row.weight_bytes, "GB")
    if field == "max_batch":
        return fmt_int(row.max_batch)
    if field == "max_batch_tps":
        return f"{fmt_int(round(row.max_batch_tokens_per_s))} tokens/s"
    return fmt_duration(row.tpot_s if field == "tpot" else row.prefill_s, "ms")


def drill_speculative(field: str, alpha: float = 0.8, gamma: int = 4,
                      cost_ratio: float | None = None, target: str = "llama-3.1-70b",
                      draft: str = "llama-3.1-8b", gpu: str = "h100-sxm", gpus: int = 4,
                      context: int = 2048) -> str:
    """Speculative decoding with ``draft`` proposing ``gamma`` tokens for ``target``.

    ``field``: 'tokens_per_step' (expected tokens per target step),
    'cost_ratio' (a draft step over a target step, from the roofline unless
    given), 'paper_speedup' (Leviathan et al.'s formula with that ratio),
    'speedup' (roofline step times, verification included), 'tpot',
    'baseline_tpot'.

    >>> drill_speculative("tokens_per_step")
    '3.36'
    >>> drill_speculative("cost_ratio")  # doctest: +ELLIPSIS
    '...'
    """
    choice("field", field, ["tokens_per_step", "cost_ratio", "paper_speedup", "speedup", "tpot",
                            "baseline_tpot"])
    if field == "tokens_per_step":
        return fmt_number(expected_tokens_per_step(alpha, gamma), 2)
    r = speculative_decode(Deployment(model=target, gpu=gpu, gpus=gpus),
                           draft, alpha=alpha, gamma=gamma, context=context)
    ratio = r.cost_ratio if cost_ratio is None else cost_ratio
    if field == "cost_ratio":
        return fmt_number(ratio, 2)
    if field == "paper_speedup":
        return f"{fmt_number(speedup(alpha, gamma, ratio), 2)}×"
    if field == "speedup":
        return f"{fmt_number(r.speedup, 2)}×"
    return fmt_duration(r.tpot_s if field == "tpot" else r.baseline_tpot_s, "ms")


def drill_default_mbu() -> str:
    """The library's default bandwidth utilisation.

    >>> drill_default_mbu()  # doctest: +ELLIPSIS
    '... %'
    """
    return fmt_percent(DEFAULT_MBU, 0)


def drill_default_mfu() -> str:
    """The library's default FLOPs utilisation.

    >>> drill_default_mfu()  # doctest: +ELLIPSIS
    '... %'
    """
    return fmt_percent(DEFAULT_MFU, 0)


def drill_active_params(model: str) -> str:
    """Parameters one token uses, in billions (all of them for a dense model).

    >>> drill_active_params("mixtral-8x7b")
    '12.88 billion'
    """
    return f"{fmt_number(active_param_count(model) / 1e9, 2)} billion"


def drill_moe_bytes(model: str, gpu: str, tokens: int, gpus: int = 1, unit: str = "GB") -> str:
    """Weight bytes a step over ``tokens`` tokens reads (a mixture of experts reads
    only the experts its tokens are routed to).

    >>> drill_moe_bytes("mixtral-8x7b", "h100-sxm", 1, gpus=2)
    '25.50 GB'
    """
    return fmt_bytes(_sm(model, gpu, gpus).weight_bytes_read(tokens), unit)


def drill_littles_law(requests_per_s: float, latency_s: float) -> str:
    """Requests in flight on average: arrival rate x time in the system.

    >>> drill_littles_law(10, 8)
    '80'
    """
    return fmt_number(littles_law_concurrency(requests_per_s, latency_s), 0)
