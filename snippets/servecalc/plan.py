"""The cheapest fleet for a load: every GPU, GPU count and weight precision that
fits, each replica's capacity under the SLO by simulation, sorted by cost.

For each combination of ``gpus`` (accelerator IDs with a price in
:mod:`servecalc.prices`), tensor-parallel sizes and weight precisions (by
default every precision the GPU runs natively, :func:`native_weight_dtypes`):

1. the model must fit: weights and at least one request's KV cache
   (:class:`servecalc.sim.Engine` refuses otherwise);
2. one replica's capacity is :func:`servecalc.slo_capacity.max_rate_under_slo`
   (the highest rate meeting the SLO at its percentile, simulated);
3. ``replicas = ceil(rate / (capacity x (1 - headroom)))``: each replica is
   loaded to at most ``1 - headroom`` of its capacity;
4. cost: ``replicas x gpus x price`` per hour (the price is the point of the
   GPU's band, :func:`servecalc.prices.price_band`, which each option names),
   and per million output tokens at the requested load (``rate x mean output``
   tokens per second).

Simulations are the slow part, so the combinations run cheapest-looking first:
each gets a cost floor from the steady-state operating point
(:func:`servecalc.slo.operating_point`: every slot full, no queue, mean
latencies; a simulated replica serves less), and a combination whose floor is
more than :data:`PRUNE_FACTOR` times the cheapest fleet found so far is left
out with that reason instead of simulated.

>>> p = plan("llama-3.1-8b", rate=20.0, prompt=1000, output=250,
...          slo="mlperf-llama3.1-8b-interactive", gpu_ids=["h100-sxm", "l4"], gpu_counts=[1],
...          engine="vllm")
>>> [(o.gpu, o.gpus, o.weight_dtype, o.replicas) for o in p.options]
[('h100-sxm', 1, 'fp8', 1)]
>>> [label for label, _ in p.skipped]
['h100-sxm x1 bf16', 'l4 x1 bf16', 'l4 x1 fp8']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .expert_parallel import expert_options
from .deployment import Deployment
from .engines import get_engine
from .models import ModelSpec, get_model
from .gpus import get_gpu
from .prices import PRICES, get_price, price_band
from .sim import POLICIES
from .engines import ADMISSIONS
from .sim.lengths import Lengths, as_lengths
from .speculation import Speculation
from .slo import OperatingPoint, Slo, get_slo, operating_point
from .slo_capacity import DEFAULT_REQUESTS, CapacityResult, max_rate_under_slo
from .validate import (choice, finite_result, fraction, items, positive_int, positive_number, text,
                       unit_interval)

#: Tensor-parallel sizes tried unless told otherwise.
DEFAULT_GPU_COUNTS = (1, 2, 4, 8)
#: A combination whose steady-state cost floor exceeds this many times the cheapest
#: fleet found is not simulated. The floor is a lower bound on the combination's
#: cost, so any factor of at least 1 keeps the cheapest fleet; the margin covers
#: schedulers (chunked prefill) that beat the prefill-first steady state, and lists
#: the near-cheapest alternatives.
PRUNE_FACTOR = 1.25


def native_weight_dtypes(gpu: str) -> tuple[str, ...]:
    """The weight precisions ``gpu`` computes in natively: bf16, fp8 where it has FP8
    tensor cores (Hopper, Ada, MI300-class and later), FP4 where it has FP4 ones
    (Blackwell: ``nvfp4``; MI355X: ``mxfp4``).

    >>> native_weight_dtypes("a100-80gb"), native_weight_dtypes("h100-sxm")
    (('bf16',), ('bf16', 'fp8'))
    >>> native_weight_dtypes("b200"), native_weight_dtypes("mi355x")
    (('bf16', 'fp8', 'nvfp4'), ('bf16', 'fp8', 'mxfp4'))
    """
    spec = get_gpu(gpu)
    peaks = spec.peaks()
    out = ["bf16"]
    if peaks["fp8"] > 0:
        out.append("fp8")
    if peaks["fp4"] > 0:
        out.append("mxfp4" if spec.name.startswith("AMD") else "nvfp4")
    return tuple(out)


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
    price_band: str = ""

    def to_dict(self) -> dict:
        return {
            "gpu": self.gpu, "gpus": self.gpus, "weight_dtype": self.weight_dtype,
            "replicas": self.replicas, "max_rate_per_replica": self.max_rate_per_replica,
            "max_rate_per_replica_stderr": self.capacity.rate_stderr_requests_per_s,
            "usd_per_hour": self.usd_per_hour,
            "usd_per_million_output_tokens": self.usd_per_million_output_tokens,
            "price_usd_per_gpu_hour": self.price_usd_per_gpu_hour,
            "price_source": self.price_source,
            "price_band": self.price_band,
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
                  weight_dtypes: Sequence[str] | None) -> list[tuple[str, int, str]]:
    ids = (list(dict.fromkeys(p.gpu for p in PRICES)) if gpu_ids is None
           else [text("gpu_ids", g) for g in items("gpu_ids", gpu_ids)])
    for gpu in ids:
        get_price(gpu)                       # refuses an unknown or unpriced GPU, by name
    counts = [positive_int("gpu_counts", c) for c in items("gpu_counts", gpu_counts)]
    if weight_dtypes is not None:
        weight_dtypes = [text("weight_dtypes", d) for d in items("weight_dtypes", weight_dtypes)]
    return [(g, n, d) for g in ids for n in counts
            for d in (native_weight_dtypes(g) if weight_dtypes is None else weight_dtypes)]


def _floor_usd_per_hour(deployment: Deployment, gpus: int, prompt: int, output: int,
                        target: Slo, load: float, spare: float, cap: int) -> float:
    """A lower bound on a combination's cost: replicas at the steady-state operating
    point's rate (the largest batch up to ``cap`` meeting the SLO's limits on mean
    latency, by bisection: TTFT, TPOT and throughput all grow with the batch)."""
    def meets(batch: int) -> OperatingPoint | None:
        point = operating_point(deployment, batch=batch, prompt=prompt, output=output)
        return point if point.ttft_s <= target.ttft_s and point.tpot_s <= target.tpot_s else None
    best = meets(1)
    if best is None:
        return math.inf
    low, high = 1, max(1, cap)
    while low < high:
        mid = (low + high + 1) // 2
        point = meets(mid)
        if point is None:
            high = mid - 1
        else:
            low, best = mid, point
    replicas = math.ceil(load / (best.requests_per_s * (1 - spare)))
    return replicas * gpus * get_price(deployment.gpu).price_usd_per_hour


def plan(
    model: str | ModelSpec,
    *,
    rate: float,
    prompt: int | str | Lengths,
    output: int | str | Lengths,
    slo: str | Slo,
    gpu_ids: Sequence[str] | None = None,
    gpu_counts: Sequence[int] = DEFAULT_GPU_COUNTS,
    weight_dtypes: Sequence[str] | None = None,
    kv_dtype: str = "bf16",
    trace: str | None = None,
    headroom: float = 0.0,
    policy: str | None = None,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    engine: str | None = None,
    memory_utilization: float | None = None,
    speculative: Speculation | None = None,
    ep: int = 1,
    admission: str | None = None,
    dp_attention: bool = False,
) -> Plan:
    """Every feasible fleet for ``rate`` requests/s within ``slo``, cheapest first
    (see the module docstring). ``gpu_ids`` defaults to every GPU with a price,
    ``weight_dtypes`` to each GPU's native precisions; ``progress`` gets the
    fraction of combinations done. ``engine`` names
    the serving-engine preset (:mod:`servecalc.engines`), whose scheduler, memory
    fraction and efficiencies apply unless ``policy``, ``memory_utilization`` or
    ``admission`` (:data:`servecalc.engines.ADMISSIONS`) says otherwise.
    ``speculative`` (:func:`servecalc.speculation.speculation`) runs every
    replica with speculative decoding; the steady-state cost floors that prune
    combinations assume plain decoding, so none is pruned then.
    ``ep`` and ``dp_attention`` apply to every candidate
    (:mod:`servecalc.expert_parallel`); GPU counts ``ep`` does not divide are left out.
    """
    spec = get_model(model)
    if speculative is not None and not isinstance(speculative, Speculation):
        raise ValueError("speculative must be a servecalc.speculation.Speculation or None, "
                         f"got {speculative!r}")
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
    if admission is not None:
        choice("admission", admission, ADMISSIONS)
    combos = _combinations(gpu_ids, gpu_counts, weight_dtypes)
    expert = expert_options(spec, ep, dp_attention)
    floors = (_floors(combos, spec, kv_dtype, engine, prompt, output, target, load, spare, trace,
                      expert) if speculative is None else [0.0] * len(combos))
    options: list[PlanOption] = []
    skipped: list[tuple[int, str, str]] = []
    cheapest = math.inf
    for done, index in enumerate(sorted(range(len(combos)), key=lambda i: (floors[i], i))):
        gpu, gpus, dtype = combos[index]
        label = f"{gpu} x{gpus} {dtype}"
        if progress is not None:
            progress((done + 1) / len(combos))
        if floors[index] > PRUNE_FACTOR * cheapest:
            reason = ("not simulated: it does not fit, or even its steady-state rate misses the SLO"
                      if math.isinf(floors[index]) else
                      f"not simulated: even at its steady-state rate it costs at least "
                      f"${floors[index]:,.2f}/h, over {PRUNE_FACTOR:g} x the cheapest fleet "
                      f"(${cheapest:,.2f}/h)")
            skipped.append((index, label, reason))
            continue
        try:
            deployment = Deployment(model=spec, gpu=gpu, gpus=gpus, weight_dtype=dtype,
                                    kv_dtype=kv_dtype, engine=engine, **expert)
            # The deployment, not an Engine: its answer is a value the memo keeps
            # (:data:`servecalc.slo_capacity.MEMO`, on disk across the build and the tests).
            cap = max_rate_under_slo(deployment, slo=target, policy=policy, prompt=prompt,
                                     output=output, trace=trace, requests=requests, seed=seed,
                                     memory_utilization=memory_utilization,
                                     speculative=speculative, admission=admission)
        except ValueError as exc:            # does not fit, or a request longer than memory
            skipped.append((index, label, str(exc)))
            continue
        if not cap.feasible:
            skipped.append((index, label, cap.reason))
            continue
        option = _option(gpu, gpus, dtype, cap, load, spare)
        options.append(option)
        cheapest = min(cheapest, option.usd_per_hour)
    options.sort(key=lambda o: (o.usd_per_hour, o.gpu, o.gpus, o.weight_dtype))
    return Plan(model=spec.id, rate_requests_per_s=load, slo=target, headroom=spare,
                options=tuple(options), skipped=tuple((c, r) for _, c, r in sorted(skipped)))


def _floors(combos: list[tuple[str, int, str]], spec: ModelSpec, kv_dtype: str, engine: str,
            prompt: Lengths, output: Lengths, target: Slo, load: float, spare: float,
            trace: str | None, expert: dict | None = None) -> list[float]:
    """Each combination's cost floor (0 where none is computed: recorded traffic, or a
    combination that does not even build; the simulation then says why)."""
    floors = []
    for gpu, gpus, dtype in combos:
        floor = 0.0
        if trace is None:
            try:
                d = Deployment(model=spec, gpu=gpu, gpus=gpus, weight_dtype=dtype,
                               kv_dtype=kv_dtype, engine=engine, **(expert or {}))
                cap = get_engine(engine).max_num_seqs(gpu)
                floor = _floor_usd_per_hour(d, gpus, max(1, round(prompt.mean)),
                                            max(1, round(output.mean)), target, load, spare, cap)
            except ValueError:
                floor = 0.0
        floors.append(floor)
    return floors


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
        price_band=price_band(gpu).describe(),
        capacity=cap,
    )
