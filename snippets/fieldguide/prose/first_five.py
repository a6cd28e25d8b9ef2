"""Placeholders for "The first five minutes": one worked prompt, every number computed.

The prompt: serve Llama-3.1-70B as a chat model at 20 requests/s with a p99
TTFT of 500 ms. The clarified assumptions (prompt and answer lengths, a TPOT
limit, the GPU, the headroom) are in :data:`SCENARIO`; ``five(quantity)``
returns one number of the transcript, rounded as said aloud.

>>> five("weights")
'140 GB'
"""

from __future__ import annotations

import math
from functools import lru_cache

from fieldguide.prose.cheat_sheet import say
from servecalc.capacity import fit_deployment
from servecalc.deployment import Deployment
from servecalc.gpus import get_gpu
from servecalc.params import param_count, weight_bytes
from servecalc.prices import get_price
from servecalc.slo import make_slo
from servecalc.slo_capacity import CapacityResult, max_rate_under_slo
from servecalc.step import StepModel
from servecalc.validate import choice

#: The prompt's numbers and the answers to the clarifying questions.
SCENARIO = {
    "model": "llama-3.1-70b", "gpu": "h100-sxm", "rate": 20.0, "ttft_s": 0.5, "tpot_s": 0.05,
    "prompt": 1000, "output": 250, "headroom": 0.3,
}


def _deployment(gpus: int, weight_dtype: str = "bf16") -> Deployment:
    return Deployment(model=SCENARIO["model"], gpu=SCENARIO["gpu"], gpus=gpus,
                      weight_dtype=weight_dtype)


@lru_cache(maxsize=None)
def _capacity(gpus: int, weight_dtype: str = "bf16") -> CapacityResult:
    slo = make_slo("first-five", SCENARIO["ttft_s"], SCENARIO["tpot_s"])
    r = max_rate_under_slo(_deployment(gpus, weight_dtype), slo=slo, prompt=SCENARIO["prompt"],
                           output=SCENARIO["output"])
    if not r.feasible:
        raise ValueError(f"no rate meets the scenario's SLO on {gpus} GPUs: {r.reason}")
    return r


def _replicas(gpus: int, weight_dtype: str = "bf16") -> int:
    per_replica = _capacity(gpus, weight_dtype).max_rate_requests_per_s
    return math.ceil(SCENARIO["rate"] / (per_replica * (1 - SCENARIO["headroom"])))


def _ms(seconds: float) -> str:
    return f"{say(seconds * 1000, 2)} ms"


def _whiteboard_step() -> float:
    """Weights over four GPUs' bandwidth, the way it is said: 140 GB ÷ (4 × 3.35 TB/s)."""
    gpu = get_gpu(SCENARIO["gpu"])
    return _round_params() * 2 / (4 * gpu.hbm_bandwidth_bytes_per_s)


def _round_params() -> float:
    """The model's parameter count as its name says it (70B)."""
    count = param_count(SCENARIO["model"])
    return float(round(count / 1e10) * 1e10)


def _in_flight() -> float:
    """Little's law at the target rate with the whiteboard's latency per request."""
    e2e = SCENARIO["ttft_s"] + (SCENARIO["output"] - 1) * SCENARIO["tpot_s"]
    return SCENARIO["rate"] * e2e


def _usd_per_m() -> float:
    replicas, gpus = _replicas(4), 4
    price = get_price(SCENARIO["gpu"]).price_usd_per_hour
    tokens_per_s = SCENARIO["rate"] * (SCENARIO["prompt"] + SCENARIO["output"])
    return price * replicas * gpus / 3600 / tokens_per_s * 1e6


_QUANTITIES = {
    "weights": lambda: f"{say(weight_bytes(SCENARIO['model']) / 1e9, 2)} GB",
    "weights_fp8": lambda: f"{say(weight_bytes(SCENARIO['model'], 'fp8') / 1e9, 2)} GB",
    "fit_2": lambda: say(fit_deployment(_deployment(2), context=1250).max_batch, 2),
    "fit_4": lambda: say(fit_deployment(_deployment(4), context=1250).max_batch, 2),
    "fit_2_fp8": lambda: say(fit_deployment(_deployment(2, "fp8"), context=1250).max_batch, 2),
    "step_board": lambda: _ms(_whiteboard_step()),
    "step_4": lambda: _ms(StepModel(_deployment(4)).decode_time_s(1, 1250)),
    "prefill_4": lambda: _ms(StepModel(_deployment(4)).prefill_time_s(SCENARIO["prompt"])),
    "in_flight": lambda: say(_in_flight(), 2),
    "e2e_limit": lambda: f"{say(_in_flight() / SCENARIO['rate'], 2)} s",
    "rate_4": lambda: f"{say(_capacity(4).max_rate_requests_per_s, 2)} requests/s",
    "batch_4": lambda: say(_capacity(4).mean_batch, 2),
    "ttft_p99_4": lambda: _ms(_capacity(4).ttft_s.p99),
    "tpot_p99_4": lambda: _ms(_capacity(4).tpot_s.p99),
    "replicas_4": lambda: str(_replicas(4)),
    "gpus_4": lambda: str(4 * _replicas(4)),
    "rate_2_fp8": lambda: f"{say(_capacity(2, 'fp8').max_rate_requests_per_s, 2)} requests/s",
    "replicas_2_fp8": lambda: str(_replicas(2, "fp8")),
    "gpus_2_fp8": lambda: str(2 * _replicas(2, "fp8")),
    "usd_per_m": lambda: f"${say(_usd_per_m(), 2)}",
    "price": lambda: f"${say(get_price(SCENARIO['gpu']).price_usd_per_hour, 3)}",
    "ttft_limit": lambda: _ms(SCENARIO["ttft_s"]),
    "tpot_limit": lambda: _ms(SCENARIO["tpot_s"]),
    "headroom": lambda: f"{say(SCENARIO['headroom'] * 100, 2)} %",
}

#: Every quantity the transcript shows.
QUANTITIES = tuple(_QUANTITIES)


def five(quantity: str) -> str:
    """One number of the worked transcript, computed now and rounded as said aloud.

    >>> five("weights_fp8")
    '73 GB'
    >>> five("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: quantity must be one of ...
    """
    return _QUANTITIES[choice("quantity", quantity, QUANTITIES)]()
