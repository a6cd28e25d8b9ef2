"""The cheapest fleet for a load: every GPU, GPU count and weight precision that
fits, each replica's capacity under the SLO by simulation, sorted by cost.

For each combination of ``gpus`` (accelerator IDs with an example price in
:mod:`servecalc.prices`), tensor-parallel sizes and weight precisions:

1. the model must fit: weights and at least one request's KV cache
   (:class:`servecalc.sim.Engine` refuses otherwise);
2. one replica's capacity is :func:`servecalc.slo_capacity.max_rate_under_slo`
   (the highest rate meeting the SLO at its percentile, simulated);
3. ``replicas = ceil(rate / (capacity x (1 - headroom)))``: each replica is
   loaded to at most ``1 - headroom`` of its capacity;
4. cost: ``replicas x gpus x price`` per hour, and per million output tokens
   at the requested load (``rate x mean output`` tokens per second).

>>> p = plan("llama-3.1-8b", rate=20.0, prompt=1000, output=250,
...          slo="mlperf-llama3.1-8b-interactive", gpu_ids=["h100-sxm", "l4"], gpu_counts=[1])
>>> [(o.gpu, o.gpus, o.replicas) for o in p.options]
[('h100-sxm', 1, 2)]
>>> p.skipped[0][1][:40]
'the SLO fails even for requests alone in'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .deployment import Deployment
from .engines import get_engine
from .models import ModelSpec, get_model
from .prices import PRICES, get_price
from .sim import POLICIES, Engine
from .sim.lengths import Lengths, as_lengths
from .slo import Slo, get_slo
from .slo_capacity import DEFAULT_REQUESTS, CapacityResult, max_rate_under_slo
from .validate import (choice, finite_result, fraction, items, positive_int, positive_number, text,
                       unit_interval)

#: Tensor-parallel sizes tried unless told otherwise.
DEFAULT_GPU_COUNTS = (1, 2, 4, 8)


@dataclass(frozen=True, kw_only=True)
class PlanOption:
    """One fleet that serves the load within the SLO."""

    gpu: str
    gpus: int
    weight_dtype: str
    replicas: int
    max_rate_per_replica: float
    usd_per_hour: float
    usd_per_million_output_tokens: float
    price_usd_per_gpu_hour: float
    price_source: str
    capacity: CapacityResult

    def to_dict(self) -> dict:
        return {
            "gpu": self.gpu, "gpus": self.gpus, "weight_dtype": self.weight_dtype,
            "replicas": self.replicas, "max_rate_per_replica": self.max_rate_per_replica,
            "max_rate_per_replica_stderr": self.capacity.rate_stderr_requests_per_s,
            "usd_per_hour": self.usd_per_hour,
            "usd_per_million_output_tokens": self.usd_per_million_output_tokens,
            "price_usd_per_gpu_hour": self.price_usd_per_gpu_hour,
            "price_source": self.price_source,
        }


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Options cheapest first, and every combination left out with the reason."""

    model: str
    rate_requests_per_s: float
    slo: Slo
    headroom: float
    options: tuple[PlanOption, ...]
    skipped: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict:
        return {
            "model": self.model, "rate_requests_per_s": self.rate_requests_per_s,
            "slo": self.slo.to_dict(),
            "headroom": self.headroom,
            "options": [o.to_dict() for o in self.options],
            "skipped": [{"config": c, "reason": r} for c, r in self.skipped],
        }


def _combinations(gpu_ids: Sequence[str] | None, gpu_counts: Sequence[int],
                  weight_dtypes: Sequence[str]) -> list[tuple[str, int, str]]:
    ids = (list(dict.fromkeys(p.gpu for p in PRICES)) if gpu_ids is None
           else [text("gpu_ids", g) for g in items("gpu_ids", gpu_ids)])
    for gpu in ids:
        get_price(gpu)                       # refuses an unknown or unpriced GPU, by name
    counts = [positive_int("gpu_counts", c) for c in items("gpu_counts", gpu_counts)]
    weight_dtypes = [text("weight_dtypes", d) for d in items("weight_dtypes", weight_dtypes)]
    return [(g, n, d) for g in ids for n in counts for d in weight_dtypes]


def plan(
    model: str | ModelSpec,
    *,
    rate: float,
    prompt: int | str | Lengths,
    output: int | str | Lengths,
    slo: str | Slo,
    gpu_ids: Sequence[str] | None = None,
    gpu_counts: Sequence[int] = DEFAULT_GPU_COUNTS,
    weight_dtypes: Sequence[str] = ("bf16",),
    kv_dtype: str = "bf16",
    trace: str | None = None,
    headroom: float = 0.0,
    policy: str | None = None,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    engine: str | None = None,
    memory_utilization: float | None = None,
) -> Plan:
    """Every feasible fleet for ``rate`` requests/s within ``slo``, cheapest first
    (see the module docstring). ``gpu_ids`` defaults to every GPU with an example
    price; ``progress`` gets the fraction of combinations done. ``engine`` names
    the serving-engine preset (:mod:`servecalc.engines`), whose scheduler, memory
    fraction and efficiencies apply unless ``policy`` or ``memory_utilization``
    says otherwise.
    """
    spec = get_model(model)
    load = positive_number("rate", rate)
    spare = unit_interval("headroom", headroom)
    if spare >= 1:
        raise ValueError(f"headroom must be a number in [0, 1), got {headroom!r}")
    target = get_slo(slo)
    # The workload is the same for every fleet: bad input is refused here, not
    # reported as a fleet that "does not fit".
    prompt, output = as_lengths("prompt", prompt), as_lengths("output", output)
    positive_int("requests", requests)
    engine = get_engine(engine).id
    if memory_utilization is not None:
        fraction("memory_utilization", memory_utilization)
    if policy is not None:
        choice("policy", policy, POLICIES)
    combos = _combinations(gpu_ids, gpu_counts, weight_dtypes)
    options: list[PlanOption] = []
    skipped: list[tuple[str, str]] = []
    for index, (gpu, gpus, dtype) in enumerate(combos):
        label = f"{gpu} x{gpus} {dtype}"
        try:
            deployment = Deployment(model=spec, gpu=gpu, gpus=gpus, weight_dtype=dtype,
                                    kv_dtype=kv_dtype, engine=engine)
            replica = Engine(deployment, memory_utilization=memory_utilization)
            cap = max_rate_under_slo(replica, slo=target, policy=policy, prompt=prompt,
                                     output=output, trace=trace, requests=requests, seed=seed)
        except ValueError as exc:            # does not fit, or a request longer than memory
            skipped.append((label, str(exc)))
            continue
        finally:
            if progress is not None:
                progress((index + 1) / len(combos))
        if not cap.feasible:
            skipped.append((label, cap.reason))
            continue
        options.append(_option(gpu, gpus, dtype, cap, load, spare))
    options.sort(key=lambda o: (o.usd_per_hour, o.gpu, o.gpus, o.weight_dtype))
    return Plan(model=spec.id, rate_requests_per_s=load, slo=target, headroom=spare,
                options=tuple(options), skipped=tuple(skipped))


def usd_per_million_tokens_at_rate(usd_per_hour: float, requests_per_s: float,
                                   tokens_per_request: float) -> float:
    """Dollars per million tokens when a fleet costing ``usd_per_hour`` serves
    ``requests_per_s`` requests of ``tokens_per_request`` tokens each (count
    input and output tokens for a blended price, output tokens alone for an
    output price).

    >>> round(usd_per_million_tokens_at_rate(15.12, 3.3, 1250), 3)   # 4 x $3.78 at 3.3 req/s
    1.018
    """
    hourly = positive_number("usd_per_hour", usd_per_hour)
    tokens_per_hour = (positive_number("requests_per_s", requests_per_s)
                       * positive_number("tokens_per_request", tokens_per_request) * 3600)
    return finite_result("cost", hourly / tokens_per_hour * 1e6,
                         "usd_per_hour, requests_per_s and tokens_per_request")


def _option(gpu: str, gpus: int, dtype: str, cap: CapacityResult, load: float, spare: float
            ) -> PlanOption:
    price = get_price(gpu)
    per_replica = cap.max_rate_requests_per_s
    replicas = math.ceil(load / (per_replica * (1 - spare)))
    usd_per_hour = replicas * gpus * price.price_usd_per_hour
    mean_output = cap.output_tokens_per_s / per_replica
    return PlanOption(
        gpu=gpu, gpus=gpus, weight_dtype=dtype, replicas=replicas,
        max_rate_per_replica=per_replica, usd_per_hour=usd_per_hour,
        usd_per_million_output_tokens=usd_per_million_tokens_at_rate(usd_per_hour, load,
                                                                     mean_output),
        price_usd_per_gpu_hour=price.price_usd_per_hour,
        price_source=f"{price.provider}, {price.instance}, {price.date}: {price.source}",
        capacity=cap,
    )
