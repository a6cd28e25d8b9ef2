"""Disaggregated fleets beside aggregated ones: ``plan --disagg``.

For each GPU, weight precision and pair of tensor-parallel sizes (prefill,
decode), the smallest prefill pool X and decode pool Y found whose whole
fleet, simulated at the load (:func:`servecalc.sim.disagg.simulate_disagg`),
meets the SLO at its percentile (the first :data:`WARM_UP` of requests left
out, as the capacity search does):

1. start from X = the prefill work per second (rate x one prompt's prefill
   time, rounded up) and Y = 1;
2. simulate; on a miss grow the pool to blame by a quarter (at least one
   replica): the decode pool when TPOT misses, or when the wait for a decode
   slot is the larger part of the TTFT at the percentile; else the prefill
   pool;
3. once met, take single replicas back from each pool while the SLO holds.

Unlike the aggregated search, which finds one replica's capacity and divides,
this simulates the whole fleet at the load (the pools' ratio is the answer),
so the load is fixed and a fleet's cost is its GPUs times the price.

Disaggregation does not always pay: vLLM's documentation says plainly that
"disaggregated prefill DOES NOT improve throughput"; it lets TTFT and
inter-token latency be tuned apart and controls the tail of the latter
(vLLM, "Disaggregated Prefilling (experimental)",
https://docs.vllm.ai/en/latest/features/disagg_prefill/, read 2026-12). With
short prompts or a loose TTFT limit, prefill barely disturbs decoding, and a
separate pool only adds GPUs that idle and a transfer; :func:`verdict` says
which kind of fleet came out cheaper and why.

>>> opts, skipped = disagg_options("llama-3.1-8b", rate=4.0, prompt=2000, output=200,
...     slo="mlperf-llama3.1-8b-interactive", gpu_ids=["h100-sxm"], gpu_counts=[1],
...     weight_dtypes=["fp8"], engine="vllm", requests=400)
>>> [(o.prefill_replicas, o.decode_replicas) for o in opts], skipped
([(1, 1)], [])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .deployment import Deployment
from .engines import get_engine
from .kv_links import DEFAULT_LINK, LINKS
from .models import ModelSpec, get_model
from .plan import Plan, native_weight_dtypes, usd_per_million_tokens_at_rate
from .prices import get_price
from .sim import Engine
from .sim.disagg import DisaggResult, simulate_disagg
from .sim.lengths import Lengths, as_lengths
from .sim.single import single_service
from .sim.stats import percentile
from .sim.workload import poisson_workload
from .slo import Slo, get_slo
from .validate import choice, instance, items, positive_int, positive_number, text, unit_interval

#: Requests per simulated fleet (the search simulates each fleet it tries once).
DEFAULT_REQUESTS = 1000
#: Fleets simulated per combination at most.
MAX_TRIES = 24
#: The first tenth of each run is left out of the percentiles (the engines start empty).
WARM_UP = 0.1
#: Replicas per pool at most.
MAX_REPLICAS = 256


@dataclass(frozen=True, kw_only=True)
class DisaggOption:
    """One disaggregated fleet that meets the SLO at the load."""

    gpu: str
    weight_dtype: str
    prefill_gpus: int
    decode_gpus: int
    prefill_replicas: int
    decode_replicas: int
    link: str
    ttft_s: float
    tpot_s: float
    usd_per_hour: float
    usd_per_million_output_tokens: float
    price_usd_per_gpu_hour: float

    @property
    def gpus(self) -> int:
        """GPUs of both pools."""
        return self.prefill_replicas * self.prefill_gpus + self.decode_replicas * self.decode_gpus

    def to_dict(self) -> dict:
        return {
            "mode": "disaggregated", "gpu": self.gpu, "weight_dtype": self.weight_dtype,
            "prefill_replicas": self.prefill_replicas, "decode_replicas": self.decode_replicas,
            "prefill_gpus": self.prefill_gpus, "decode_gpus": self.decode_gpus,
            "total_gpus": self.gpus, "kv_link": self.link,
            "ttft_s_at_percentile": self.ttft_s, "tpot_s_at_percentile": self.tpot_s,
            "usd_per_hour": self.usd_per_hour,
            "usd_per_million_output_tokens": self.usd_per_million_output_tokens,
            "price_usd_per_gpu_hour": self.price_usd_per_gpu_hour,
        }


def _measure(r: DisaggResult, target: Slo, outputs: tuple[int, ...]) -> tuple[float, float, float]:
    """(TTFT, TPOT, decode-slot wait) at the SLO's percentile, warm-up left out."""
    skip = int(len(outputs) * WARM_UP)
    keep = range(skip, len(outputs))
    sends, first, finish, ready = r.arrivals, r.first_token_s, r.finish_s, r.kv_ready_s
    ttft = [first[i] - sends[i] for i in keep]
    wait = [first[i] - ready[i] for i in keep]
    tpot = [(finish[i] - first[i]) / (outputs[i] - 1) for i in keep if outputs[i] > 1]
    p = target.percentile
    return (percentile(ttft, p), percentile(tpot, p) if tpot else 0.0, percentile(wait, p))


def _size_pools(prefill: Engine, decode: Engine, work, target: Slo, link: str
               ) -> tuple[int, int, float, float] | str:
    """The smallest (X, Y, TTFT, TPOT) found meeting ``target`` for ``work`` (see the
    module docstring), or the reason none was."""
    mean_prompt = max(1, round(sum(work.prompts) / len(work)))
    load = len(work) / max(work.arrivals[-1], 1e-9)
    alone = single_service(prefill, prefill.policy, mean_prompt, 1)[0]
    x, y = min(MAX_REPLICAS, max(1, math.ceil(load * alone))), 1
    cache: dict[tuple[int, int], tuple[float, float, float]] = {}

    def measure(a: int, b: int) -> tuple[float, float, float]:
        if (a, b) not in cache:
            r = simulate_disagg(prefill, decode, work, prefill_replicas=a, decode_replicas=b,
                                link=link, slo=target)
            cache[a, b] = _measure(r, target, work.outputs)
        return cache[a, b]

    def meets(m: tuple[float, float, float]) -> bool:
        return m[0] <= target.ttft_s and m[1] <= target.tpot_s

    while True:
        m = measure(x, y)
        if meets(m):
            break
        if len(cache) >= MAX_TRIES or max(x, y) >= MAX_REPLICAS:
            return (f"no fleet found within {MAX_TRIES} simulations or {MAX_REPLICAS} "
                    f"replicas per pool (last: {x} prefill + {y} decode)")
        if m[1] > target.tpot_s or (m[0] > target.ttft_s and m[2] > m[0] - m[2]):
            y += max(1, y // 4)
        else:
            x += max(1, x // 4)
    for pool in ("prefill", "decode"):
        while len(cache) < 2 * MAX_TRIES:
            a, b = (x - 1, y) if pool == "prefill" else (x, y - 1)
            if min(a, b) < 1 or not meets(measure(a, b)):
                break
            x, y = a, b
    ttft, tpot, _ = measure(x, y)
    return x, y, ttft, tpot


def disagg_options(
    model: str | ModelSpec, *, rate: float, prompt: int | str | Lengths,
    output: int | str | Lengths, slo: str | Slo, gpu_ids: Sequence[str],
    gpu_counts: Sequence[int] = (1, 2, 4, 8), weight_dtypes: Sequence[str] | None = None,
    kv_dtype: str = "bf16", link: str = DEFAULT_LINK, headroom: float = 0.0,
    requests: int = DEFAULT_REQUESTS, seed: int = 0, engine: str | None = None,
) -> tuple[list[DisaggOption], list[tuple[str, str]]]:
    """Disaggregated fleets for every GPU, precision and (prefill, decode) TP pair,
    cheapest first, and the combinations left out with the reason. The fleet is
    simulated at ``rate / (1 - headroom)``."""
    spec = get_model(model)
    load = positive_number("rate", rate)
    spare = unit_interval("headroom", headroom)
    if spare >= 1:
        raise ValueError(f"headroom must be a number in [0, 1), got {headroom!r}")
    target = get_slo(slo)
    choice("link", link, tuple(LINKS))
    prompt, output = as_lengths("prompt", prompt), as_lengths("output", output)
    engine = get_engine(engine).id
    ids = [text("gpu_ids", g) for g in items("gpu_ids", gpu_ids)]
    counts = [positive_int("gpu_counts", c) for c in items("gpu_counts", gpu_counts)]
    if weight_dtypes is not None:
        weight_dtypes = [text("weight_dtypes", d) for d in items("weight_dtypes", weight_dtypes)]
    work = poisson_workload(load / (1 - spare), positive_int("requests", requests),
                            prompt=prompt, output=output, seed=seed)
    options: list[DisaggOption] = []
    skipped: list[tuple[str, str]] = []
    for gpu in ids:
        price = get_price(gpu).price_usd_per_hour
        dtypes = native_weight_dtypes(gpu) if weight_dtypes is None else list(weight_dtypes)
        for dtype in dtypes:
            for tp_p in counts:
                for tp_d in counts:
                    label = f"{gpu} {dtype} prefill x{tp_p} decode x{tp_d}"
                    try:
                        pools = [Engine(Deployment(model=spec, gpu=gpu, gpus=n,
                                                   weight_dtype=dtype, kv_dtype=kv_dtype,
                                                   engine=engine)) for n in (tp_p, tp_d)]
                        found = _size_pools(pools[0], pools[1], work, target, link)
                    except ValueError as exc:
                        skipped.append((label, str(exc)))
                        continue
                    if isinstance(found, str):
                        skipped.append((label, found))
                        continue
                    x, y, ttft, tpot = found
                    hourly = (x * tp_p + y * tp_d) * price
                    options.append(DisaggOption(
                        gpu=gpu, weight_dtype=dtype, prefill_gpus=tp_p, decode_gpus=tp_d,
                        prefill_replicas=x, decode_replicas=y, link=link, ttft_s=ttft,
                        tpot_s=tpot, usd_per_hour=hourly,
                        usd_per_million_output_tokens=usd_per_million_tokens_at_rate(
                            hourly, load, output.mean),
                        price_usd_per_gpu_hour=price))
    options.sort(key=lambda o: (o.usd_per_hour, o.gpus, o.gpu, o.weight_dtype))
    return options, skipped


def verdict(aggregated: Plan, options: Sequence[DisaggOption], mean_prompt: float) -> str:
    """One sentence: which kind of fleet is cheaper here, and when disaggregation
    does not pay.

    >>> verdict(Plan(model="m", rate_requests_per_s=1.0, slo=get_slo("mlperf-llama2-70b-server"),
    ...              headroom=0.0, options=(), skipped=()), [], 100)
    'no fleet of either kind meets the SLO'
    """
    instance("aggregated", aggregated, Plan)
    options = [instance("options", o, DisaggOption) for o in items("options", options,
                                                                  empty=True)]
    mean_prompt = positive_number("mean_prompt", mean_prompt)
    best_a = aggregated.options[0].usd_per_hour if aggregated.options else math.inf
    best_d = options[0].usd_per_hour if options else math.inf
    if math.isinf(best_a) and math.isinf(best_d):
        return "no fleet of either kind meets the SLO"
    if best_d < best_a:
        return (f"disaggregation pays here: ${best_d:,.2f}/h against ${best_a:,.2f}/h "
                "aggregated (the prefill pool keeps long prefills out of the decoders' steps)")
    return (f"disaggregation does not pay here: ${best_d:,.2f}/h against ${best_a:,.2f}/h "
            f"aggregated; with {mean_prompt:,.0f}-token prompts and a "
            f"{aggregated.slo.ttft_s:g} s TTFT limit prefill barely disturbs decoding, and "
            "vLLM's documentation warns that disaggregated prefill does not improve "
            "throughput")
