"""Placeholders for the KV-cache chapter (and anything about cache size).

>>> kv_bytes_per_token("llama-2-7b", kv_dtype="fp16")
'524,288 B'
>>> kv_gib("llama-2-7b", context=4096, kv_dtype="fp16")
'2.00 GiB'
>>> spec("llama-3.1-70b", "num_kv_heads")
'8'
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from servecalc.offload import TIERS, reload_or_recompute
from servecalc.routing import warmup_misses
from servecalc.step import StepModel
from servecalc.validate import lookup
from servecalc import kv
from servecalc.capacity import kv_bytes_per_token_per_gpu
from servecalc.gpus import get_gpu
from servecalc.paging import DEFAULT_BLOCK_SIZE, fragmentation
from servecalc.prefix_cache import prefix_cache_effect
from servecalc.step import step
from servecalc.validate import non_negative_int, positive_number
from servecalc.attention_kinds import layer_kind
from servecalc.models import all_full_attention, get_model
from servecalc.units import GB, GiB, fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.deployment import Deployment


def kv_bytes_per_token(model: str, kv_dtype: str = "bf16") -> str:
    """KV bytes per token, exact, e.g. '131,072 B'."""
    return f"{fmt_int(kv.kv_bytes_per_token(model, kv_dtype))} B"


def kv_kib_per_token(model: str, kv_dtype: str = "bf16") -> str:
    """KV per token in KiB, e.g. '128 KiB'.

    >>> kv_kib_per_token("llama-3.1-8b")
    '128 KiB'
    """
    return fmt_bytes(kv.kv_bytes_per_token(model, kv_dtype), "KiB", digits=0)


def kv_gib(model: str, context: int, batch: int = 1, kv_dtype: str = "bf16", digits: int = 2) -> str:
    """KV of ``batch`` sequences of ``context`` tokens, in GiB."""
    return fmt_bytes(kv.kv_bytes_per_batch(model, context, batch, kv_dtype), "GiB", digits)


def kv_tokens_per_gib(model: str, kv_dtype: str = "bf16") -> str:
    """Tokens of cache that fit in one GiB.

    >>> kv_tokens_per_gib("llama-3.1-8b")
    '8,192'
    """
    return fmt_int(kv.max_cached_tokens(model, GiB, kv_dtype))


def gqa_factor(model: str) -> str:
    """How many query heads share one KV head (1 for MHA).

    >>> gqa_factor("llama-3.1-70b")
    '8'
    """
    spec_ = get_model(model)
    return fmt_number(spec_.num_attention_heads / spec_.num_kv_heads, digits=0)


def spec(model: str, field: str) -> str:
    """One field of a model's catalog entry, as text."""
    value = getattr(get_model(model), field, None)
    if value is None or field.startswith("_"):
        raise ValueError(f"field must be a ModelSpec field, got {field!r}")
    return fmt_int(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def gpu_memory_gib(gpu: str, digits: int = 2) -> str:
    """A GPU's memory as its runtime reports it, in GiB.

    >>> gpu_memory_gib("h100-sxm")
    '79.18 GiB'
    """
    return fmt_bytes(get_gpu(gpu).memory_bytes, "GiB", digits)


def gib_over_gb() -> str:
    """How much larger a GiB is than a GB.

    >>> gib_over_gb()
    '7.4 %'
    """
    return fmt_percent(GiB / GB - 1)


def kv_values_per_layer(model: str) -> str:
    """Values one token adds to the cache in one layer (K and V, or an MLA latent).

    >>> kv_values_per_layer("deepseek-v3"), kv_values_per_layer("llama-3.1-8b")
    ('576', '2,048')
    """
    return fmt_int(kv.kv_elements_per_token_per_layer(model))


def mla_reduction(model: str = "deepseek-v3", head_dim: int = 128) -> str:
    """How many times smaller an MLA cache is than multi-head attention with the
    same number of heads of ``head_dim`` (DeepSeek-V2's comparison).

    >>> mla_reduction()
    '57x'
    """
    spec = get_model(model)
    if spec.attention != "mla":
        raise ValueError(f"model must use multi-head latent attention, got {spec.id!r}")
    mha = replace(spec, kv_lora_rank=0, num_kv_heads=spec.num_attention_heads,
                  head_dim=head_dim)
    return f"{fmt_number(kv.kv_bytes_per_token(mha) / kv.kv_bytes_per_token(spec), 0)}x"


def window_saving(model: str, context: int) -> str:
    """Share of the cache that sliding-window layers save at ``context`` tokens.

    >>> window_saving("mistral-7b", 32768), window_saving("gemma-2-9b", 8192)
    ('87.5 %', '25.0 %')
    """
    spec = get_model(model)
    if not spec.sliding_window:
        raise ValueError(f"model must have sliding-window layers, got {spec.id!r}")
    full = all_full_attention(spec)
    saved = 1 - kv.kv_bytes_per_sequence(spec, context) / kv.kv_bytes_per_sequence(full, context)
    return fmt_percent(saved)


def paged_waste(model: str, context: int, max_context: int,
                block_size: int = DEFAULT_BLOCK_SIZE) -> str:
    """Share of a paged allocation that holds no token (the last block's slack).

    >>> paged_waste("llama-3.1-8b", 1000, 8192)
    '0.8 %'
    """
    f = fragmentation(model, context, max_context=max_context, block_size=block_size)
    return fmt_percent(f.paged_waste_ratio)


def contiguous_waste(model: str, context: int, max_context: int) -> str:
    """Share of a contiguous max-length reservation that holds no token.

    >>> contiguous_waste("llama-3.1-8b", 1000, 8192)
    '87.8 %'
    """
    f = fragmentation(model, context, max_context=max_context)
    return fmt_percent(f.contiguous_waste_ratio)


def prefix_ttft(model: str, gpu: str, prompt: int, hit_rate: float, gpus: int = 1,
                unit: str = "ms") -> str:
    """TTFT when ``hit_rate`` of the prompt's tokens come from the prefix cache.

    >>> prefix_ttft("llama-3.1-70b", "h100-sxm", 8192, 0.9, gpus=4)  # doctest: +ELLIPSIS
    '... ms'
    """
    r = prefix_cache_effect(Deployment(model=model, gpu=gpu, gpus=gpus),
                            prompt=prompt, output=1, hit_rate=hit_rate)
    return fmt_duration(r.ttft_s, unit)


def prefix_speedup(model: str, gpu: str, prompt: int, hit_rate: float, gpus: int = 1) -> str:
    """Cold TTFT over warm TTFT, e.g. '9.2x'.

    >>> prefix_speedup("llama-3.1-70b", "h100-sxm", 8192, 0.9, gpus=4)  # doctest: +ELLIPSIS
    '...x'
    """
    r = prefix_cache_effect(Deployment(model=model, gpu=gpu, gpus=gpus),
                            prompt=prompt, output=1, hit_rate=hit_rate)
    return f"{fmt_number(r.ttft_speedup, 1)}x"


def recompute_time(model: str, gpu: str, tokens: int, gpus: int = 1, unit: str = "ms") -> str:
    """Rebuilding ``tokens`` of evicted cache by prefill (recompute preemption).

    >>> recompute_time("llama-3.1-70b", "h100-sxm", 32768, gpus=4, unit="s")  # doctest: +ELLIPSIS
    '... s'
    """
    r = step(Deployment(model=model, gpu=gpu, gpus=gpus), phase="prefill", batch=1, context=tokens)
    return fmt_duration(r.seconds, unit)


def swap_time(model: str, tokens: int, bandwidth_bytes_per_s: float, gpus: int = 1,
              kv_dtype: str = "bf16", unit: str = "ms") -> str:
    """Copying ``tokens`` of cache one way over a host link, each GPU its own share.

    >>> swap_time("llama-3.1-8b", 4096, bandwidth_bytes_per_s=50e9)
    '10.7 ms'
    """
    non_negative_int("tokens", tokens)
    rate = positive_number("bandwidth_bytes_per_s", bandwidth_bytes_per_s)
    per_gpu = tokens * kv_bytes_per_token_per_gpu(model, gpus, kv_dtype)
    return fmt_duration(per_gpu / rate, unit)


# --------------------------------------------------------------------------- offload and warm-up (2026)


def offload_bandwidth(tier: str) -> str:
    """A KV offload tier's link bandwidth into one GPU, one direction.

    >>> offload_bandwidth("cpu-pcie5")
    '63.0 GB/s'
    """
    return f"{fmt_bytes(lookup('tier', tier, TIERS).bandwidth_bytes_per_s, 'GB', 1)}/s"


def offload_reload_time(model: str, gpu: str, tokens: int, tier: str, gpus: int = 1,
                        unit: str = "ms") -> str:
    """Time for a TP group of ``gpus`` GPUs to load ``tokens`` tokens of one sequence's
    cache back from ``tier`` (each GPU its share, over its own link).

    >>> offload_reload_time("llama-3.1-70b", "h100-sxm", 8192, "nvme-pcie5", gpus=4)
    '42.7 ms'
    """
    r = reload_or_recompute(Deployment(model=model, gpu=gpu, gpus=gpus), tokens=tokens, tier=tier)
    return fmt_duration(r.reload_s, unit)


def offload_vs_recompute(model: str, gpu: str, tokens: int, tier: str, gpus: int = 1) -> str:
    """How many times faster reloading from ``tier`` is than recomputing by prefill.

    >>> offload_vs_recompute("llama-3.1-8b", "h100-sxm", 512,
    ...                      "remote-rdma-400g")  # doctest: +ELLIPSIS
    '...×'
    """
    r = reload_or_recompute(Deployment(model=model, gpu=gpu, gpus=gpus), tokens=tokens, tier=tier)
    return f"{fmt_number(r.recompute_s / r.reload_s, 1)}×"


def warmup_gpu_time(model: str, gpu: str, prefix_tokens: int, prefixes: int, replicas: int,
                    kv_aware: bool, gpus: int = 1, unit: str = "s") -> str:
    """GPU time spent recomputing shared prefixes after every replica restarted cold.

    >>> warmup_gpu_time("llama-3.1-8b", "h100-sxm", 2000, 50, 8,
    ...                 kv_aware=False)  # doctest: +ELLIPSIS
    '... s'
    """
    one = StepModel(Deployment(model=model, gpu=gpu, gpus=gpus)).prefill_time_s(prefix_tokens)
    return fmt_duration(one * warmup_misses(prefixes, replicas, kv_aware), unit)


# --------------------------------------------------------------------------- hybrid attention (2026)


def cache_gib(model: str, context: int, kv_dtype: str = "bf16") -> str:
    """One sequence's cache in GiB: KV of the layers that keep tokens (each as its type keeps
    them) plus the fixed state of linear-attention layers.

    >>> cache_gib("llama-3.1-70b", 131072)
    '40.00 GiB'
    """
    return fmt_bytes(kv.cache_bytes_per_sequence(model, context, kv_dtype), "GiB")


def state_mib(model: str) -> str:
    """Fixed per-sequence state of a model's linear-attention layers, in MiB.

    >>> state_mib("qwen3-next-80b-a3b")
    '37.69 MiB'
    """
    return fmt_bytes(kv.linear_state_bytes(model), "MiB")


def layer_mix(model: str) -> str:
    """How many layers of each attention type a model has, in words.

    >>> layer_mix("gemma-3-27b")
    '10 full-attention and 52 sliding-window layers'
    """
    counts = get_model(model).layer_counts()
    parts = [f"{n} {layer_kind(kind).words.replace(' ', '-')}" for kind, n in counts.items() if n]
    return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + " layers"



# --------------------------------------------------------------------------- prefix caching on a real trace (issue 20)
#: The chapter's measured case: the Mooncake conversation trace's first requests on a
#: fleet of Llama-3.1-8B replicas, one H100 each, under the vllm engine preset.
MOONCAKE_CASE = {"model": "llama-3.1-8b", "gpu": "h100-sxm", "requests": 2000, "replicas": 8}


@lru_cache(maxsize=None)
def _mooncake_fleet(router: str, prefix_cache: bool) -> Any:
    from servecalc.sim import Engine
    from servecalc.sim.fleet import simulate_fleet
    from servecalc.sim.traces import trace_workload

    case = MOONCAKE_CASE
    engine = Engine(case["model"], case["gpu"], prefix_cache=prefix_cache)
    work = trace_workload("mooncake-conv-2025", requests=case["requests"])
    return simulate_fleet(engine, work, replicas=case["replicas"], router=router)


def mooncake_hit_rate(router: str) -> str:
    """Share of prompt tokens the fleet of :data:`MOONCAKE_CASE` served from its caches.

    >>> mooncake_hit_rate("prefix-aware")  # doctest: +ELLIPSIS
    '... %'
    """
    return fmt_percent(_mooncake_fleet(router, True).prefix_hit_rate)


def mooncake_ttft(router: str, stat: str = "p50", prefix_cache: bool = True,
                  unit: str = "ms") -> str:
    """A TTFT percentile of that fleet, with the cache on or off.

    >>> mooncake_ttft("round-robin", "p99", prefix_cache=False, unit="s")  # doctest: +ELLIPSIS
    '... s'
    """
    seconds = getattr(_mooncake_fleet(router, prefix_cache).ttft_s, stat)
    return fmt_duration(seconds, unit, 0 if unit == "ms" else 1)   # 2-3 significant figures


def mooncake_ideal_hit_rate() -> str:
    """The whole trace's hit rate if the cache never evicted (its ceiling).

    >>> mooncake_ideal_hit_rate()  # doctest: +ELLIPSIS
    '... %'
    """
    from servecalc.sim.prefix import ideal_hit_rate
    from servecalc.sim.traces import trace_workload

    w = trace_workload("mooncake-conv-2025")
    return fmt_percent(ideal_hit_rate(w.prompts, w.prefix_hashes, w.hash_block_tokens))


def mooncake_cache_tokens() -> str:
    """KV-cache tokens one replica of :data:`MOONCAKE_CASE` holds (vllm preset).

    >>> mooncake_cache_tokens()  # doctest: +ELLIPSIS
    '...'
    """
    from servecalc.sim import Engine

    return fmt_int(Engine(MOONCAKE_CASE["model"], MOONCAKE_CASE["gpu"]).kv_tokens)


def mooncake_router_table() -> str:
    """The fleet of :data:`MOONCAKE_CASE` under each router, cache on, and round-robin
    with it off, as a Markdown table.

    >>> mooncake_router_table().strip().splitlines()[0]
    '| Router | Prefix cache | Hit rate | TTFT p50 | TTFT p99 | TPOT p99 |'
    """
    lines = ["| Router | Prefix cache | Hit rate | TTFT p50 | TTFT p99 | TPOT p99 |",
             "| :-- | :-- | --: | --: | --: | --: |"]
    runs = [(r, True) for r in ("round-robin", "least-loaded", "prefix-aware")]
    runs += [("round-robin", False), ("prefix-aware", False)]
    for router, on in runs:
        r = _mooncake_fleet(router, on)
        hit = "-" if r.prefix_hit_rate is None else fmt_percent(r.prefix_hit_rate)
        lines.append(f"| {router} | {'on' if on else 'off'} | {hit} | "
                     f"{fmt_duration(r.ttft_s.p50, 'ms', 0)} | {fmt_duration(r.ttft_s.p99, 's', 1)} | "
                     f"{fmt_duration(r.tpot_s.p99, 'ms', 1)} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def router_balance_rule() -> str:
    """SGLang's cache-aware balance rule as the simulator's prefix-aware router applies it.

    >>> router_balance_rule()  # doctest: +ELLIPSIS
    'more than ... requests above the idlest and over ... times its load'
    """
    from servecalc.sim.fleet import BALANCE_ABS, BALANCE_REL

    return (f"more than {BALANCE_ABS} requests above the idlest and over {BALANCE_REL:g} "
            "times its load")
