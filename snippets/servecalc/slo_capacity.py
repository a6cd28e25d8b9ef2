"""Capacity under an SLO, by simulation: the highest arrival rate one replica
sustains while the SLO holds at its percentile.

The steady-state model of :mod:`servecalc.slo` fills every slot, has no queue
and compares *mean* latencies with *p99* limits; it overstates what a replica
serves. Here each candidate rate is simulated (:mod:`servecalc.sim`) with
requests arriving at random, queueing and batching as they would, and the
SLO is checked on the percentile it names.

How the rate is searched for (one long run per rate from a fixed seed, a
bracketed regula falsi on the SLO ratio, then longer checks from other seeds
that put the answer a margin below the SLO), and why each size and constant is
what it is, is told next to the code: :mod:`servecalc.rate_search`. This module
builds the engine and the traffic, times requests alone (an SLO that no load can
meet is reported at once), finds the saturation rate, runs the search and
reports the answer with its interval.

>>> r = max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-interactive",
...                        prompt=1000, output=250, mbu=0.62, mfu=0.45, overhead_s=0.0003)
>>> round(r.max_rate_requests_per_s, 2), round(r.ttft_s.p99, 3), round(r.tpot_s.p99, 4)
(12.86, 0.177, 0.023)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from .gpus import GpuSpec
from .models import ModelSpec
from .sim import POLICIES, Engine, saturation_rate
from .sim.engine import check_fits
from .sim.lengths import Choice, Lengths, as_lengths
from .sim.single import single_service
from .memo import Memo
from .sim.stats import Percentiles, percentile, summarize
from .sim.traffic import Traffic
from .rate_search import CHECKS, LONGER, Point, search_rate, slo_ratio
from .slo import Slo, get_slo
from .validate import choice, non_negative_int, positive_int, positive_number

#: Requests simulated at each candidate rate (why 2,000: :mod:`servecalc.rate_search`).
DEFAULT_REQUESTS = 2000
#: The most requests per rate a search accepts: ten times the default, so a search
#: simulates about ten times as many requests (and its checks, at CHECKS x LONGER = 16
#: times this, 320,000 at one rate).
MAX_REQUESTS = 20_000
#: A request alone this close to the limit leaves the capacity ill-defined (reported).
_FLAT = 0.95


@dataclass(frozen=True, kw_only=True)
class CapacityResult:
    """The highest rate meeting ``slo``, the latencies there, and how sure it is."""

    max_rate_requests_per_s: float
    rate_stderr_requests_per_s: float
    rate_interval_requests_per_s: tuple[float, float]
    output_tokens_per_s: float
    ttft_s: Percentiles
    tpot_s: Percentiles
    mean_batch: float
    requests_per_rate: int
    requests_simulated: int
    rates_tried: int
    saturation_requests_per_s: float
    slo: Slo
    policy: str
    workload: str
    feasible: bool
    reason: str

    def to_dict(self) -> dict:
        """Plain JSON types: the CLI's ``--json`` output."""
        def pct(p: Percentiles) -> dict:
            return {"p50": p.p50, "p90": p.p90, "p99": p.p99}

        low, high = self.rate_interval_requests_per_s
        return {
            "max_rate_requests_per_s": self.max_rate_requests_per_s,
            "max_rate_stderr_requests_per_s": self.rate_stderr_requests_per_s,
            "max_rate_interval_95_requests_per_s": [low, high],
            "output_tokens_per_s": self.output_tokens_per_s,
            "ttft_s": pct(self.ttft_s),
            "tpot_s": pct(self.tpot_s),
            "mean_batch": self.mean_batch,
            "requests_simulated": self.requests_simulated,
            "requests_per_rate": self.requests_per_rate,
            "rates_tried": self.rates_tried,
            "saturation_requests_per_s": self.saturation_requests_per_s,
            "slo": self.slo.to_dict(),
            "policy": self.policy,
            "workload": self.workload,
            "feasible": self.feasible,
            "reason": self.reason,
        }


def _alone(engine: Engine, traffic: Traffic, policy: str, target: Slo) -> Point:
    """Latencies of (up to 200 of) the requests each alone in the engine: a bound no
    load can beat, so a ratio above 1 here settles the search at once."""
    base = traffic.base
    pairs = list(zip(base.prompts, base.outputs))[:200]
    if engine.speculation is not None:   # random tokens per step: simulate each alone
        return _alone_speculative(engine, pairs, policy, target)
    service = {pair: single_service(engine, policy, *pair) for pair in set(pairs)}
    ttft = tuple(service[pair][0] + engine.request_overhead_s for pair in pairs)
    tpot = tuple((service[pair][1] - service[pair][0]) / (pair[1] - 1) if pair[1] > 1 else 0.0
                 for pair in pairs)
    return Point(0.0, slo_ratio(ttft, tpot, target), ttft, tpot, 1.0)


def _alone_speculative(engine: Engine, pairs: list[tuple[int, int]], policy: str,
                       target: Slo) -> Point:
    """:func:`_alone` with speculative decoding: each request run alone through the
    simulator (arrivals far apart), its accepted tokens drawn as under load."""
    from .sim.api import run_policy
    from .sim.workload import make_workload

    gap = 1e6       # seconds between arrivals: far longer than any one request takes
    work = make_workload([i * gap for i in range(len(pairs))], [p for p, _ in pairs],
                         [o for _, o in pairs])
    rec = run_policy(engine, work, policy)
    ttft = tuple(rec.first[i] - rec.sends[i] for i in range(len(pairs)))
    tpot = tuple((rec.finish[i] - rec.first[i]) / (o - 1) if o > 1 else 0.0
                 for i, (_, o) in enumerate(pairs))
    return Point(0.0, slo_ratio(ttft, tpot, target), ttft, tpot, 1.0)


def _saturation(engine: Engine, traffic: Traffic, policy: str, seed: int) -> float:
    """The rate at which the engine is always busy (a backlog run on the same lengths)."""
    base = traffic.base
    count = min(len(base), max(256, 8 * engine.max_batch))
    if traffic.unit_rate == 1.0 and len(set(base.prompts)) == 1 and len(set(base.outputs)) == 1:
        return saturation_rate(engine, policy=policy, prompt=base.prompts[0],
                               output=base.outputs[0], requests=count, seed=seed)
    lengths = list(zip(base.prompts, base.outputs))[:count]
    return saturation_rate(engine, policy=policy, prompt=Choice(tuple(p for p, _ in lengths)),
                           output=Choice(tuple(o for _, o in lengths)), requests=count, seed=seed)


def max_rate_under_slo(
    model: str | ModelSpec | Engine,
    gpu: str | GpuSpec | None = None,
    *,
    slo: str | Slo,
    policy: str | None = None,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    trace: str | None = None,
    arrival_cv: float = 1.0,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    **engine_options: object,
) -> CapacityResult:
    """Highest arrival rate (requests/s) one replica sustains with ``slo`` met at its
    percentile (the search is in the module docstring).

    ``model`` and ``gpu`` build an :class:`~servecalc.sim.Engine` with
    ``engine_options`` (``gpus``, ``weight_dtype``, ``kv_dtype``, ``max_batch``,
    ``max_batched_tokens``, ``engine``, ``memory_utilization``, ...), or pass an
    ``Engine`` as ``model``; ``policy`` left at ``None`` is the engine preset's. Traffic is
    Poisson (``arrival_cv=1``), gamma-distributed gaps (``arrival_cv`` != 1),
    or a recorded ``trace`` (:mod:`servecalc.sim.traces`; its arrivals are
    scaled, ``requests`` caps how many of its requests are replayed).
    ``progress`` gets the fraction of the search done.

    >>> r = max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-server",
    ...                        trace="azure-code-2023", requests=2000, policy="chunked",
    ...                        mbu=0.62, mfu=0.45, overhead_s=0.0003)
    >>> round(r.max_rate_requests_per_s, 2), r.requests_per_rate
    (0.43, 2000)
    >>> max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-interactive",
    ...                    policy="dynamic")
    Traceback (most recent call last):
        ...
    ValueError: policy must be one of 'static', 'continuous', 'chunked', got 'dynamic'
    """
    key = _memo_key(model, gpu, slo, policy, prompt, output, trace, arrival_cv, requests, seed,
                    engine_options)

    computed = []

    def compute() -> CapacityResult:
        computed.append(True)
        return _max_rate(model, gpu, slo=slo, policy=policy, prompt=prompt, output=output,
                         trace=trace, arrival_cv=arrival_cv, requests=requests, seed=seed,
                         progress=progress, **engine_options)

    if key is None:
        return compute()
    result = MEMO.get_or_compute(key, compute)
    if progress is not None and not computed:
        progress(1.0)                       # an answer kept from before: all done
    return result


def _encode(result: CapacityResult) -> dict:
    return dataclasses.asdict(result)


def _decode(data: dict) -> CapacityResult:
    return CapacityResult(**{
        **data,
        "rate_interval_requests_per_s": tuple(data["rate_interval_requests_per_s"]),
        "ttft_s": Percentiles(**data["ttft_s"]), "tpot_s": Percentiles(**data["tpot_s"]),
        "slo": Slo(**data["slo"]),
    })


#: The one memo of answers (:mod:`servecalc.memo`): pages, prose, calculators and
#: notebooks ask for the same configurations, and an answer is deterministic.
MEMO: Memo[CapacityResult] = Memo("capacity", encode=_encode, decode=_decode)


def _memo_key(*args: object) -> tuple | None:
    """The arguments and the default engine preset as a key, or None when one is
    not a value (an Engine, a list)."""
    *plain, options = args
    if isinstance(plain[0], Engine):
        return None
    from . import engines

    key = (*plain, tuple(sorted(options.items())), engines.DEFAULT_ENGINE)  # type: ignore[union-attr]
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _max_rate(model, gpu, *, slo, policy, prompt, output, trace, arrival_cv, requests, seed,
              progress, **engine_options) -> CapacityResult:
    target = get_slo(slo)
    if policy is not None:
        choice("policy", policy, POLICIES)
    count = positive_int("requests", requests)
    if not 200 <= count <= MAX_REQUESTS:
        raise ValueError(f"requests must be an integer from 200 (a p99 needs a tail) to "
                         f"{MAX_REQUESTS:,} (the checks run {CHECKS * LONGER} times as many), "
                         f"got {count}")
    seed = non_negative_int("seed", seed)
    cv = positive_number("arrival_cv", arrival_cv)
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable taking a fraction, or None, got {progress!r}")
    if isinstance(model, Engine):
        if gpu is not None or engine_options:
            raise ValueError("pass either an Engine or model, gpu and engine options, not both")
        engine = model
    else:
        engine = Engine(model, gpu, **engine_options)  # type: ignore[arg-type]
    policy = engine.policy if policy is None else policy
    traffic = Traffic(prompt=as_lengths("prompt", prompt), output=as_lengths("output", output),
                       trace=trace, cv=cv, requests=count, seed=seed)
    check_fits(engine, traffic.base)           # before timing lone requests of any length
    alone = _alone(engine, traffic, policy, target)
    if alone.ratio > 1:
        return _infeasible(target, policy, traffic, 0.0, alone, [])
    saturation = _saturation(engine, traffic, policy, seed)
    found = search_rate(engine, traffic, policy, target, saturation, progress)
    tried, final = found.tried, found.last
    if not found.feasible:
        return _infeasible(target, policy, traffic, saturation, final, tried)
    if progress is not None:
        progress(1.0)
    rate = found.rate
    return CapacityResult(
        max_rate_requests_per_s=rate, rate_stderr_requests_per_s=found.stderr,
        rate_interval_requests_per_s=found.interval,
        output_tokens_per_s=rate * traffic.mean_output,
        ttft_s=summarize(final.ttft), tpot_s=summarize([t for t in final.tpot if t > 0]),
        mean_batch=final.mean_batch, requests_per_rate=len(traffic.base),
        requests_simulated=sum(len(q.ttft) for q in tried), rates_tried=len(tried),
        saturation_requests_per_s=saturation, slo=target, policy=policy, workload=traffic.label,
        feasible=True,
        reason=(f"p{target.percentile:g} TTFT and TPOT at most {100 * final.ratio:.1f} % of "
                f"their limits (the closer one binds)" + (
                    f"; a request alone already takes {100 * alone.ratio:.1f} % of the limit, so "
                    f"load barely moves the p99 and the rate is ill-defined: loosen the SLO or "
                    f"use faster hardware" if alone.ratio > _FLAT else "")),
    )


def _infeasible(target: Slo, policy: str, traffic: Traffic, saturation: float, low: Point,
                tried: list[Point]) -> CapacityResult:
    ttft = summarize(low.ttft)
    tpot = summarize([t for t in low.tpot if t > 0])
    return CapacityResult(
        max_rate_requests_per_s=0.0, rate_stderr_requests_per_s=0.0,
        rate_interval_requests_per_s=(0.0, 0.0), output_tokens_per_s=0.0, ttft_s=ttft,
        tpot_s=tpot, mean_batch=low.mean_batch, requests_per_rate=len(traffic.base),
        requests_simulated=sum(len(q.ttft) for q in tried), rates_tried=len(tried),
        saturation_requests_per_s=saturation, slo=target, policy=policy, workload=traffic.label,
        feasible=False,
        reason=(("the SLO fails even for requests alone in the engine: " if not tried else
                 f"the SLO fails even at {low.rate:.3g} requests/s "
                 f"(1/{saturation / low.rate:.0f} of saturation): ") +
                f"p{target.percentile:g} TTFT {percentile(low.ttft, target.percentile):.3f} s "
                f"(limit {target.ttft_s} s), TPOT {percentile(low.tpot, target.percentile):.4f} s "
                f"(limit {target.tpot_s} s)"),
    )
