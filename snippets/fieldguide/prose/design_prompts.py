"""Placeholders for the four staff-level design prompts and their model answers.

Each prompt's inputs are in :data:`PROMPTS`; ``design(prompt, quantity)``
returns one number of its answer, computed from the catalogs, the step model
and the queueing formulas, rounded as a sentence says it. The arithmetic
composes library functions the way the answer does aloud; the formulas
themselves live in ``servecalc``.

>>> design("moe-rack", "weights_total")
'670 GB'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

from fieldguide.prose.cheat_sheet import say
from servecalc.capacity import fit_deployment
from servecalc.deployment import Deployment
from servecalc.gpus import get_gpu
from servecalc.kv import kv_bytes_per_sequence, kv_bytes_per_token
from servecalc.load_curve import exponential_tail_s, kingman_wait_s
from servecalc.lora import lora_bytes
from servecalc.moe import all_to_all, ep_weight_bytes_per_gpu
from servecalc.params import weight_bytes
from servecalc.prices import get_price
from servecalc.routing import effective_hit_rate
from servecalc.step import StepModel
from servecalc.step.comm import transfer_per_link_s
from servecalc.units import fmt_percent
from servecalc.validate import choice

#: The inputs of each prompt (what the clarifying questions settle).
PROMPTS: dict[str, dict] = {
    "pools": dict(model="llama-3.1-70b", gpu="h100-sxm", tp=4, rate=10.0, prompt=8000,
                  output=400, ttft_s=3.0, tpot_s=0.04, nic_bytes_per_s=50e9, step_margin=0.8),
    "moe-rack": dict(model="deepseek-v3", gpu="gb200", gpus=72, ep=64, weight_dtype="fp8",
                     context=8192, tokens_per_gpu=128, nic_bytes_per_s=50e9,
                     memory_utilization=0.9),
    "reasoning": dict(model="qwen3-32b", gpu="h100-sxm", gpus=2, prompt=2000, thinking=6000,
                      answer=600, batch=32),
    "lora": dict(model="llama-3.1-8b", gpu="h100-sxm", rank=16, adapters=500,
                 adapter_share=0.1, replicas=8, hit_rate=0.8, batch=32),
}


def _ms(seconds: float) -> str:
    return f"{say(seconds * 1000, 2)} ms"


def _s(seconds: float) -> str:
    return f"{say(seconds, 2)} s"


def _gb(value: float) -> str:
    return f"{say(value / 1e9, 2)} GB"


# --------------------------------------------------------------------------- 1. prefill and decode pools


def _pools_dep() -> Deployment:
    p = PROMPTS["pools"]
    return Deployment(model=p["model"], gpu=p["gpu"], gpus=p["tp"])


def _prefill_s() -> float:
    return StepModel(_pools_dep()).prefill_time_s(PROMPTS["pools"]["prompt"])


def _prefill_p99(instances: int) -> float:
    """p99 TTFT of the prefill pool: service time plus Kingman's wait (constant service,
    random arrivals) with an exponential tail assumed."""
    p, service = PROMPTS["pools"], _prefill_s()
    rho = p["rate"] * service / instances
    if rho >= 1:
        return math.inf
    wait = kingman_wait_s(rho, service_s=service, ca=1.0, cs=0.0)
    return service + exponential_tail_s(wait, rho, 99)


@lru_cache(maxsize=None)
def _prefill_instances() -> int:
    n = 1
    while _prefill_p99(n) > PROMPTS["pools"]["ttft_s"]:
        n += 1
        if n > 1000:
            raise ValueError("no prefill pool size meets the TTFT target")
    return n


@lru_cache(maxsize=None)
def _decode_batch() -> int:
    """Largest batch whose mean step stays within the margin of the TPOT limit and fits."""
    p = PROMPTS["pools"]
    sm = StepModel(_pools_dep())
    context = p["prompt"] + p["output"] // 2
    limit = fit_deployment(_pools_dep(), context=p["prompt"] + p["output"]).max_batch
    best = 0
    for batch in range(1, limit + 1):
        if sm.decode_time_s(batch, batch * context) > p["tpot_s"] * p["step_margin"]:
            break
        best = batch
    if not best:
        raise ValueError("no decode batch meets the TPOT target")
    return best


def _decode_step() -> float:
    p = PROMPTS["pools"]
    b = _decode_batch()
    return StepModel(_pools_dep()).decode_time_s(b, b * (p["prompt"] + p["output"] // 2))


def _decode_in_flight() -> float:
    p = PROMPTS["pools"]
    return p["rate"] * p["output"] * _decode_step()


def _decode_replicas() -> int:
    return math.ceil(_decode_in_flight() / _decode_batch())


def _kv_transfer_s() -> float:
    p = PROMPTS["pools"]
    kv = kv_bytes_per_sequence(p["model"], p["prompt"])
    return transfer_per_link_s(kv, p["tp"], p["nic_bytes_per_s"])


_POOLS: dict[str, Callable[[], str]] = {
    "ttft_limit": lambda: _s(PROMPTS["pools"]["ttft_s"]),
    "tpot_limit": lambda: _ms(PROMPTS["pools"]["tpot_s"]),
    "step_margin": lambda: fmt_percent(PROMPTS["pools"]["step_margin"], 0),
    "prefill_s": lambda: _ms(_prefill_s()),
    "prefill_busy": lambda: say(PROMPTS["pools"]["rate"] * _prefill_s(), 2),
    "prefill_instances": lambda: str(_prefill_instances()),
    "prefill_gpus": lambda: str(_prefill_instances() * PROMPTS["pools"]["tp"]),
    "prefill_p99": lambda: _s(_prefill_p99(_prefill_instances())),
    "prefill_util": lambda: fmt_percent(PROMPTS["pools"]["rate"] * _prefill_s()
                                        / _prefill_instances(), 0),
    "kv_gb": lambda: _gb(kv_bytes_per_sequence(PROMPTS["pools"]["model"],
                                               PROMPTS["pools"]["prompt"])),
    "kv_transfer": lambda: _ms(_kv_transfer_s()),
    "decode_batch": lambda: str(_decode_batch()),
    "decode_step": lambda: _ms(_decode_step()),
    "decode_in_flight": lambda: say(_decode_in_flight(), 2),
    "decode_replicas": lambda: str(_decode_replicas()),
    "decode_gpus": lambda: str(_decode_replicas() * PROMPTS["pools"]["tp"]),
    "total_gpus": lambda: str((_prefill_instances() + _decode_replicas()) * PROMPTS["pools"]["tp"]),
}


# --------------------------------------------------------------------------- 2. a MoE on one NVL72 rack


def _rack_weights_per_gpu() -> float:
    p = PROMPTS["moe-rack"]
    return float(ep_weight_bytes_per_gpu(p["model"], p["ep"], p["weight_dtype"]))


def _rack_kv_tokens_per_gpu() -> float:
    p = PROMPTS["moe-rack"]
    budget = get_gpu(p["gpu"]).memory_bytes * p["memory_utilization"] - _rack_weights_per_gpu()
    return budget / kv_bytes_per_token(p["model"])


def _a2a_s(link: float) -> float:
    p = PROMPTS["moe-rack"]
    return all_to_all(p["model"], tokens_per_gpu=p["tokens_per_gpu"], ep=p["ep"],
                      link_bytes_per_s=link).seconds_per_step


_RACK: dict[str, Callable[[], str]] = {
    "weights_total": lambda: _gb(weight_bytes(PROMPTS["moe-rack"]["model"],
                                              PROMPTS["moe-rack"]["weight_dtype"])),
    "weights_per_gpu": lambda: _gb(_rack_weights_per_gpu()),
    "gpu_memory": lambda: _gb(get_gpu(PROMPTS["moe-rack"]["gpu"]).memory_bytes),
    "kv_per_token": lambda: f"{say(kv_bytes_per_token(PROMPTS['moe-rack']['model']) / 1024, 2)} KiB",
    "kv_tokens_per_gpu": lambda: say(_rack_kv_tokens_per_gpu(), 2),
    "sequences_per_rack": lambda: say(_rack_kv_tokens_per_gpu() * PROMPTS["moe-rack"]["ep"]
                                      / PROMPTS["moe-rack"]["context"], 2),
    "a2a_nvlink": lambda: _ms(_a2a_s(get_gpu(PROMPTS["moe-rack"]["gpu"]).interconnect_bytes_per_s)),
    "a2a_nic": lambda: _ms(_a2a_s(PROMPTS["moe-rack"]["nic_bytes_per_s"])),
    "spare_gpus": lambda: str(PROMPTS["moe-rack"]["gpus"] - PROMPTS["moe-rack"]["ep"]),
}


# --------------------------------------------------------------------------- 3. a reasoning-model service


def _reason_dep() -> Deployment:
    p = PROMPTS["reasoning"]
    return Deployment(model=p["model"], gpu=p["gpu"], gpus=p["gpus"])


def _reason_step(batch: int, thinking: bool = True) -> float:
    p = PROMPTS["reasoning"]
    hidden = p["thinking"] if thinking else 0
    context = p["prompt"] + (hidden + p["answer"]) // 2
    return StepModel(_reason_dep()).decode_time_s(batch, batch * context)


def _first_answer_s(batch: int) -> float:
    p = PROMPTS["reasoning"]
    prefill = StepModel(_reason_dep()).prefill_time_s(p["prompt"])
    return prefill + p["thinking"] * _reason_step(batch)


def _reason_fit(thinking: bool) -> int:
    p = PROMPTS["reasoning"]
    context = p["prompt"] + p["answer"] + (p["thinking"] if thinking else 0)
    return fit_deployment(_reason_dep(), context=context).max_batch


def _gpu_s_per_request(thinking: bool) -> float:
    """GPU-seconds of decode per request at the prompt's batch."""
    p = PROMPTS["reasoning"]
    tokens = p["answer"] + (p["thinking"] if thinking else 0)
    return tokens * _reason_step(p["batch"], thinking) / p["batch"] * p["gpus"]


def _usd_per_1k(thinking: bool) -> float:
    price = get_price(PROMPTS["reasoning"]["gpu"]).price_usd_per_hour
    return _gpu_s_per_request(thinking) * price / 3600 * 1000


_REASONING: dict[str, Callable[[], str]] = {
    "first_answer_1": lambda: _s(_first_answer_s(1)),
    "first_answer_batch": lambda: _s(_first_answer_s(PROMPTS["reasoning"]["batch"])),
    "tpot_batch": lambda: _ms(_reason_step(PROMPTS["reasoning"]["batch"])),
    "fit_plain": lambda: say(_reason_fit(False), 2),
    "fit_thinking": lambda: say(_reason_fit(True), 2),
    "usd_plain": lambda: f"${say(_usd_per_1k(False), 2)}",
    "usd_thinking": lambda: f"${say(_usd_per_1k(True), 2)}",
    "cost_ratio": lambda: say(_usd_per_1k(True) / _usd_per_1k(False), 2),
}


# --------------------------------------------------------------------------- 4. multi-tenant LoRA


def _adapter_bytes() -> float:
    p = PROMPTS["lora"]
    return float(lora_bytes(p["model"], p["rank"]))


def _lora_overhead(adapters: int) -> float:
    p = PROMPTS["lora"]
    sm = StepModel(p["model"], p["gpu"])
    extra = adapters * _adapter_bytes() / (sm.mbu * sm.gpu.hbm_bandwidth_bytes_per_s)
    return extra / sm.decode_time_s(p["batch"], p["batch"] * 2048)


_LORA: dict[str, Callable[[], str]] = {
    "hit_rate": lambda: fmt_percent(PROMPTS["lora"]["hit_rate"], 0),
    "adapter_mb": lambda: f"{say(_adapter_bytes() / 1e6, 2)} MB",
    "adapters_gb": lambda: _gb(_adapter_bytes() * PROMPTS["lora"]["adapters"]),
    "adapters_resident": lambda: say(get_gpu(PROMPTS["lora"]["gpu"]).memory_bytes
                                     * PROMPTS["lora"]["adapter_share"] / _adapter_bytes(), 2),
    "overhead_8": lambda: fmt_percent(_lora_overhead(8), 0),
    "overhead_32": lambda: fmt_percent(_lora_overhead(32), 0),
    "hit_blind": lambda: fmt_percent(effective_hit_rate(PROMPTS["lora"]["hit_rate"],
                                                        PROMPTS["lora"]["replicas"], False), 0),
    "hit_aware": lambda: fmt_percent(effective_hit_rate(PROMPTS["lora"]["hit_rate"],
                                                        PROMPTS["lora"]["replicas"], True), 0),
}

_ALL = {"pools": _POOLS, "moe-rack": _RACK, "reasoning": _REASONING, "lora": _LORA}


def design(prompt: str, quantity: str) -> str:
    """One number of a design prompt's model answer, computed now.

    >>> design("lora", "hit_aware"), design("lora", "hit_blind")
    ('80 %', '10 %')
    >>> design("pools", "nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: quantity must be one of ...
    """
    table = _ALL[choice("prompt", prompt, tuple(_ALL))]
    return table[choice("quantity", quantity, tuple(table))]()
