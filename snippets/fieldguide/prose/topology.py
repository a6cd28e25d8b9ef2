"""Placeholders for the serving-topology chapter: fit, parallelism, cold starts.

>>> weights_gb("llama-3.1-70b")
'141.11 GB'
>>> fit_max_batch("llama-3.1-70b", "h100-sxm", gpus=4, context=8192)
'59'
>>> weight_load_time("llama-3.1-70b", bandwidth_bytes_per_s=2e9)
'70.6 s'
"""

from __future__ import annotations

import math
from typing import Any

from servecalc.capacity import fit
from servecalc.gpus import get_gpu
from servecalc.kv import kv_bytes_per_sequence
from servecalc.context_parallel import cp_prefill
from servecalc.layouts import best_layout, compare_layouts
from servecalc.expert_parallel import a2a_link
from servecalc.moe import a2a_bytes, all_to_all, attention_layouts, moe_layers
from servecalc.routing import effective_hit_rate, warmup_misses
from servecalc.params import active_param_count, param_count, weight_bytes
from servecalc.step import StepModel, step, transfer_per_link_s
from servecalc.units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice, positive_number
from servecalc.deployment import Deployment


def weights_gb(model: str, weight_dtype: str = "bf16", unit: str = "GB") -> str:
    """All weights of ``model`` in ``weight_dtype``.

    >>> weights_gb("llama-3.1-8b", unit="GiB")
    '14.96 GiB'
    """
    return fmt_bytes(weight_bytes(model, weight_dtype), unit)


def fit_max_batch(model: str, gpu: str, **fit_options: Any) -> str:
    """Sequences that fit next to the weights (0 if none); ``fit_options`` are those of
    :func:`servecalc.capacity.fit` (``gpus``, ``context``, ``weight_dtype``, ``kv_dtype``...).

    >>> fit_max_batch("llama-3.1-70b", "h100-sxm", gpus=1)
    '0'
    """
    return fmt_int(fit(model, gpu, **fit_options).max_batch)


def fit_reason(model: str, gpu: str, **fit_options: Any) -> str:
    """The sentence :func:`servecalc.capacity.fit` gives for its answer (same options).

    >>> fit_reason("llama-3.1-405b", "h100-sxm", gpus=8, context=8192)
    'weights (755.96 GiB) and reserve (1.50 GiB per GPU) exceed usable memory (570.09 GiB) on 8 x NVIDIA H100 SXM5 80GB'
    """
    return fit(model, gpu, **fit_options).reason


def params_billion(model: str, digits: int = 1) -> str:
    """Total parameters in billions, e.g. '671.0 billion'.

    >>> params_billion("mixtral-8x7b")
    '46.7 billion'
    """
    return f"{fmt_number(param_count(model) / 1e9, digits)} billion"


def active_params_billion(model: str, digits: int = 1) -> str:
    """Parameters one token uses (MoE: its routed experts), in billions.

    >>> active_params_billion("mixtral-8x7b")
    '12.9 billion'
    """
    return f"{fmt_number(active_param_count(model) / 1e9, digits)} billion"


def moe_weight_read_gb(
    model: str, tokens: int, gpu: str = "h100-sxm", weight_dtype: str = "bf16"
) -> str:
    """Weight bytes one step over ``tokens`` tokens reads (MoE: distinct experts touched).

    >>> moe_weight_read_gb("mixtral-8x7b", 1), moe_weight_read_gb("mixtral-8x7b", 64)
    ('25.50 GB', '93.14 GB')
    """
    sm = StepModel(Deployment(model=model, gpu=gpu, weight_dtype=weight_dtype))
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise ValueError(f"tokens must be an integer >= 1, got {tokens!r}")
    return fmt_bytes(sm.weight_bytes_read(tokens), "GB")


def tp_decode_step(
    model: str, gpu: str, gpus: int, batch: int = 1, context: int = 2048, digits: int = 1
) -> str:
    """Decode step time with tensor parallelism over ``gpus`` GPUs.

    >>> tp_decode_step("llama-3.1-70b", "h100-sxm", 4)  # doctest: +ELLIPSIS
    '... ms'
    """
    r = step(Deployment(model=model, gpu=gpu, gpus=gpus),
             phase="decode", batch=batch, context=context)
    return fmt_duration(r.seconds, "ms", digits)


def tp_comm_share(
    model: str, gpu: str, gpus: int, batch: int = 1, context: int = 2048, phase: str = "decode"
) -> str:
    """Share of a step spent in tensor-parallel all-reduces.

    >>> tp_comm_share("llama-3.1-70b", "h100-sxm", 8)  # doctest: +ELLIPSIS
    '... %'
    """
    r = step(Deployment(model=model, gpu=gpu, gpus=gpus),
             phase=phase, batch=batch, context=context)
    return fmt_percent(r.comm_s / r.seconds)


def link_bandwidth(gpu: str) -> str:
    """A GPU's scale-up link bandwidth, one direction, in GB/s.

    >>> link_bandwidth("h100-sxm")
    '450 GB/s'
    """
    return f"{fmt_bytes(get_gpu(gpu).interconnect_bytes_per_s, 'GB', digits=0)}/s"


def bandwidth(bytes_per_s: float, digits: int = 1) -> str:
    """A bandwidth given in bytes per second, in GB/s.

    >>> bandwidth(2e9)
    '2.0 GB/s'
    """
    positive_number("bytes_per_s", bytes_per_s)
    return f"{fmt_bytes(bytes_per_s, 'GB', digits)}/s"


def weight_load_time(
    model: str, bandwidth_bytes_per_s: float, weight_dtype: str = "bf16", unit: str = "s"
) -> str:
    """Time to read all weights at ``bandwidth_bytes_per_s`` (the floor of a cold start).

    >>> weight_load_time("llama-3.1-8b", bandwidth_bytes_per_s=25e9, unit="ms")
    '642.4 ms'
    """
    rate = positive_number("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    return fmt_duration(weight_bytes(model, weight_dtype) / rate, unit)


def kv_transfer_time(
    model: str,
    prompt: int,
    bandwidth_bytes_per_s: float,
    kv_dtype: str = "bf16",
    unit: str = "ms",
    gpus: int = 1,
) -> str:
    """Time to move one prompt's KV cache from a prefill to a decode worker when the
    cache is sharded over ``gpus`` GPUs (tensor parallelism), each sending its shard
    over its own link of ``bandwidth_bytes_per_s``.

    >>> kv_transfer_time("llama-3.1-70b", 8192, bandwidth_bytes_per_s=450e9)
    '6.0 ms'
    >>> kv_transfer_time("llama-3.1-70b", 8192, bandwidth_bytes_per_s=50e9, gpus=4)
    '13.4 ms'
    """
    rate = positive_number("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    kv = kv_bytes_per_sequence(model, prompt, kv_dtype)
    return fmt_duration(transfer_per_link_s(kv, gpus, rate), unit)


def tp_fleet_tokens_per_s(model: str, gpu: str, tp: int, total_gpus: int = 8,
                          context: int = 4096, batch: int | None = None) -> str:
    """Decode tokens/s of ``total_gpus`` GPUs run as replicas of TP ``tp``, each at the
    largest batch of ``context``-token sequences that fits (or at ``batch``).

    >>> tp_fleet_tokens_per_s("llama-3.1-70b", "h100-sxm", 4)  # doctest: +ELLIPSIS
    '... tok/s'
    """
    (row,) = compare_layouts(model, gpu, total_gpus=total_gpus, tps=[tp], context=context,
                             batch=batch)
    if not row.fits:
        raise ValueError(f"tp must leave room for the batch of {context}-token sequences of "
                         f"{model} on {gpu}, got {tp}")
    return f"{fmt_number(row.fleet_tokens_per_s, 0)} tok/s"


def prefill_time(model: str, gpu: str, prompt: int, gpus: int = 1, unit: str = "ms") -> str:
    """Time of one prefill step over a whole prompt (no queueing).

    >>> prefill_time("llama-3.1-70b", "h100-sxm", 8192, gpus=4)  # doctest: +ELLIPSIS
    '... ms'
    """
    r = step(Deployment(model=model, gpu=gpu, gpus=gpus), phase="prefill", batch=1, context=prompt)
    return fmt_duration(r.seconds, unit)


# --------------------------------------------------------------------------- review fixes, 2026


def _layouts(model: str, gpu: str, total_gpus: int, context: int, batch: int | None):
    return compare_layouts(model, gpu, total_gpus=total_gpus, tps=[t for t in (1, 2, 4, 8)
                                                                    if t <= total_gpus],
                           context=context, batch=batch)


def layout_best(model: str, gpu: str, total_gpus: int = 8, context: int = 4096,
                batch: int | None = None) -> str:
    """The layout of ``total_gpus`` GPUs with the most decode tokens per second,
    at ``batch`` per replica (``None``: the largest batch each layout holds).

    >>> layout_best("llama-3.1-70b", "h100-sxm"), layout_best("llama-3.1-70b", "h100-sxm", batch=32)
    ('one TP=8 group', 'two TP=4 replicas')
    """
    r = best_layout(_layouts(model, gpu, total_gpus, context, batch))
    if r.replicas == 1:
        return f"one TP={r.tp} group"
    words = {2: "two", 4: "four", 8: "eight"}
    return f"{words.get(r.replicas, fmt_int(r.replicas))} TP={r.tp} replicas"


def layout_batch(model: str, gpu: str, tp: int, context: int = 4096) -> str:
    """The largest batch of ``context``-token sequences one TP group holds.

    >>> layout_batch("llama-3.1-70b", "h100-sxm", 4)
    '118'
    """
    return fit_max_batch(model, gpu, gpus=tp, context=context)


# --------------------------------------------------------------------------- MoE, routing, CP (2026)


def a2a_bytes_per_layer(model: str, tokens_per_gpu: int, ep: int) -> str:
    """What one GPU sends per MoE layer (dispatch in fp8 plus combine in bf16), in MB.

    >>> a2a_bytes_per_layer("deepseek-v3", 128, 32)
    '21.33 MB'
    """
    t = all_to_all(model, tokens_per_gpu=tokens_per_gpu, ep=ep, link_bytes_per_s=1e9)
    return fmt_bytes(t.bytes_per_gpu_per_layer, "MB")


def a2a_step_time(model: str, tokens_per_gpu: int, ep: int, link: float | str,
                  unit: str = "ms") -> str:
    """All-to-all time of one step over every MoE layer (fixed latency included), over
    ``link`` bytes per second or a catalog GPU's scale-up link.

    >>> a2a_step_time("deepseek-v3", 128, 32, 50e9), a2a_step_time("deepseek-v3", 128, 64, "gb200")
    ('25.9 ms', '2.6 ms')
    """
    rate = get_gpu(link).interconnect_bytes_per_s if isinstance(link, str) else link
    t = all_to_all(model, tokens_per_gpu=tokens_per_gpu, ep=ep, link_bytes_per_s=rate)
    return fmt_duration(t.seconds_per_step, unit)


def moe_layer_count(model: str) -> str:
    """Decoder layers whose MLP is a mixture of experts.

    >>> moe_layer_count("deepseek-v3")
    '58'
    """
    return fmt_int(moe_layers(model))


def attention_kv_tokens(model: str, gpu: str, gpus: int, layout: str,
                        weight_dtype: str = "bf16", kv_dtype: str = "bf16") -> str:
    """Distinct KV tokens a group holds with 'tp' or 'dp' attention (experts by EP).

    >>> attention_kv_tokens("deepseek-v3", "h200", 8, "dp", weight_dtype="fp8")
    '3,719,296'
    """
    choice("layout", layout, ["tp", "dp"])
    tp, dp = attention_layouts(Deployment(model=model, gpu=gpu, gpus=gpus,
                                          weight_dtype=weight_dtype, kv_dtype=kv_dtype))
    return fmt_int((tp if layout == "tp" else dp).kv_tokens)


def dp_attention_gain(model: str, gpu: str, gpus: int, weight_dtype: str = "bf16",
                      kv_dtype: str = "bf16") -> str:
    """How many times more cache data-parallel attention holds than tensor-parallel.

    >>> dp_attention_gain("deepseek-v3", "h200", 8, weight_dtype="fp8")
    '5.3×'
    """
    tp, dp = attention_layouts(Deployment(model=model, gpu=gpu, gpus=gpus,
                                          weight_dtype=weight_dtype, kv_dtype=kv_dtype))
    return f"{fmt_number(dp.kv_tokens / tp.kv_tokens, 1)}×"


def routed_hit_rate(hit_rate: float, replicas: int, kv_aware: bool,
                    affinity: float = 1.0) -> str:
    """Prefix-cache hit rate a request sees across ``replicas`` replicas.

    >>> routed_hit_rate(0.9, 8, kv_aware=False)
    '11.2 %'
    """
    return fmt_percent(effective_hit_rate(hit_rate, replicas, kv_aware, affinity))


def warmup_prefills(prefixes: int, replicas: int, kv_aware: bool) -> str:
    """Cold prefills of shared prefixes after a fleet restart.

    >>> warmup_prefills(50, 8, kv_aware=False)
    '400'
    """
    return fmt_int(warmup_misses(prefixes, replicas, kv_aware))


def cp_prefill_time(model: str, gpu: str, prompt: int, cp: int, link_bytes_per_s: float | None = None,
                    unit: str = "s") -> str:
    """Prefill of one ``prompt``-token prompt with context parallelism over ``cp`` GPUs.

    >>> cp_prefill_time("llama-3.1-8b", "h100-sxm", 131072, 1)  # doctest: +ELLIPSIS
    '... s'
    """
    rate = get_gpu(gpu).interconnect_bytes_per_s if link_bytes_per_s is None else link_bytes_per_s
    r = cp_prefill(model, gpu, prompt=prompt, cp=cp, link_bytes_per_s=rate or 1.0)
    return fmt_duration(r.seconds, unit)


# -- expert parallelism in the step: wide EP, timed (issue 20) ----------------------------

def _unit_deployment(gpu: str, gpus: int, redundant: int = 0) -> Deployment:
    return Deployment(model="deepseek-v3", gpu=gpu, gpus=gpus, ep=gpus, dp_attention=True,
                      redundant_experts=redundant, weight_dtype="fp8")


def ep_a2a_mb(tokens_per_gpu: int, ep: int, direction: str = "dispatch") -> str:
    """One GPU's dispatch (FP8) or combine (BF16) bytes per MoE layer of DeepSeek-V3.

    >>> ep_a2a_mb(128, 32)
    '7.1 MB'
    """
    choice("direction", direction, ("dispatch", "combine"))
    dtype = "fp8" if direction == "dispatch" else "bf16"
    return fmt_bytes(a2a_bytes("deepseek-v3", tokens_per_gpu=tokens_per_gpu, ep=ep, dtype=dtype),
                     "MB", 1)


def ep_network_peers(gpu: str, ep: int) -> str:
    """How many of a GPU's ``ep - 1`` peers sit behind the network, as 'N of M'.

    >>> ep_network_peers("h100-sxm", 32), ep_network_peers("gb200", 72)
    ('24 of 31', '0 of 71')
    """
    inside, across = a2a_link(Deployment(model="deepseek-v3", gpu=gpu).gpu, ep)
    return f"{across} of {inside + across}"


def ep_step_term(gpu: str, gpus: int, batch_per_gpu: int, context: int, term: str,
                 redundant: int = 0) -> str:
    """One term of a decode step of a wide-EP DeepSeek-V3 unit, in ms (the engine default).

    ``term``: 'seconds', 'linear_s', 'expert_s', 'attention_s', 'a2a_dispatch_s',
    'a2a_combine_s', 'overhead_s'.
    """
    choice("term", term, ("seconds", "linear_s", "expert_s", "attention_s", "a2a_dispatch_s",
                          "a2a_combine_s", "overhead_s"))
    sm = StepModel(_unit_deployment(gpu, gpus, redundant))
    b = batch_per_gpu * gpus
    return fmt_duration(getattr(sm.terms(b, b * context), term), "ms", 1)


def ep_tokens_per_gpu(gpu: str, gpus: int, batch_per_gpu: int, context: int,
                      redundant: int = 0, dp_attention: bool = True) -> str:
    """Output tokens/s per GPU of that decode step (2 significant figures)."""
    d = _unit_deployment(gpu, gpus, redundant).replace(dp_attention=dp_attention)
    b = batch_per_gpu * gpus
    return _ep_sig(batch_per_gpu / StepModel(d).terms(b, b * context).seconds)


def _ep_sig(value: float) -> str:
    """Two significant figures, thousands separated."""
    digits = 1 - math.floor(math.log10(abs(value)))
    return fmt_number(round(value, digits), max(0, digits))


def ep_imbalance_cost(gpu: str, gpus: int, batch_per_gpu: int, context: int, imbalance: float,
                      redundant: int = 0) -> str:
    """How much longer a decode step gets when the busiest GPU's expert load is
    ``imbalance`` times the mean (ms)."""
    d = _unit_deployment(gpu, gpus, redundant)
    b = batch_per_gpu * gpus
    even = StepModel(d).terms(b, b * context).seconds
    skewed = StepModel(d.replace(ep_imbalance=imbalance)).terms(b, b * context).seconds
    return fmt_duration(skewed - even, "ms", 1)
