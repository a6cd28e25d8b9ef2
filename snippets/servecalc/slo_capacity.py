"""Capacity under an SLO, by simulation: the highest arrival rate one replica
sustains while the SLO holds at its percentile.

The steady-state model of :mod:`servecalc.slo` fills every slot, has no queue
and compares *mean* latencies with *p99* limits; it overstates what a replica
serves. Here each candidate rate is simulated (:mod:`servecalc.sim`) with
requests arriving at random, queueing and batching as they would, and the
SLO is checked on the percentile it names.

The search
----------

* **One long run per rate.** ``requests`` requests (default
  :data:`DEFAULT_REQUESTS`) from one seed; the same seed at every rate
  (common random numbers: the gaps are scaled, the lengths kept), so the
  p99 moves smoothly with the rate and bisection converges. The SLO holds
  when the ``slo.percentile``-th TTFT and TPOT over all requests are within
  the limits.
* **Bisection on the rate** between a low rate that meets the SLO and one
  that misses it, to :data:`RATE_TOLERANCE` (relative). The answer is the
  highest rate seen to meet the SLO.
* **Uncertainty.** The run is cut into :data:`BLOCKS` consecutive blocks; at
  the answer and 5 % either side, each block's own rate where its p99 meets
  the limit is found by linear interpolation, and the standard error of the
  rate is their standard deviation over ``sqrt(BLOCKS)`` (batch means). The
  95 % interval uses Student's t with ``BLOCKS - 1`` degrees of freedom.
* Why 4,000 requests: a p99 of 4,000 requests rests on its 40 worst; over
  several configurations the capacity from one seed differed from another
  seed's by about 1 % (standard deviation), so a rate 3 % below the answer
  meets the SLO under other seeds too (see docs/performance.md and the tests).

>>> r = max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-interactive",
...                        prompt=1000, output=250)
>>> round(r.max_rate_requests_per_s, 2), round(r.ttft_s.p99, 3) <= 0.5, r.tpot_s.p99 <= 0.03
(8.47, True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .gpus import GpuSpec
from .models import ModelSpec
from .sim import POLICIES, Engine, saturation_rate
from .sim.api import run_policy
from .sim.lengths import Lengths, as_lengths
from .sim.stats import Percentiles, percentile, summarize
from .sim.traces import trace_info, trace_workload
from .sim.workload import Workload, gamma_workload
from .slo import Slo, get_slo
from .validate import choice, non_negative_int, positive_int, positive_number

#: Requests simulated at each candidate rate (see the module docstring).
DEFAULT_REQUESTS = 4000
#: Bisection stops when the bracket is this narrow, relative to its low end.
RATE_TOLERANCE = 0.005
#: Consecutive blocks of the run for the standard error (batch means).
BLOCKS = 10
#: Student's t, 97.5th percentile, BLOCKS - 1 = 9 degrees of freedom.
_T_975 = 2.262


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
            "slo": {"name": self.slo.name, "ttft_s": self.slo.ttft_s, "tpot_s": self.slo.tpot_s,
                    "percentile": self.slo.percentile},
            "policy": self.policy,
            "workload": self.workload,
            "feasible": self.feasible,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _Point:
    """One simulated rate: the SLO ratio overall and per block, and the run."""

    rate: float
    ratio: float                 # max(p-th TTFT / limit, p-th TPOT / limit); <= 1 meets
    block_ratios: tuple[float, ...]
    ttft: tuple[float, ...]
    tpot: tuple[float, ...]
    mean_batch: float


class _Traffic:
    """The workload at any rate: unit-rate arrivals scaled, the same lengths."""

    def __init__(self, *, prompt: Lengths, output: Lengths, trace: str | None, cv: float,
                 requests: int, seed: int) -> None:
        if trace is not None:
            info = trace_info(trace)
            base = trace_workload(trace, requests=requests)
            self.unit_rate = info.mean_rate_per_s
            self.label = f"{info.description} ({len(base)} requests)"
        else:
            base = gamma_workload(1.0, requests, cv=cv, prompt=prompt, output=output, seed=seed)
            self.unit_rate = 1.0
            arrivals = "Poisson" if cv == 1 else f"gamma arrivals, CV {cv:g}"
            self.label = f"{arrivals}, prompt {prompt.describe()}, output {output.describe()}"
        self.base = base
        self.mean_output = math.fsum(base.outputs) / len(base)

    def at(self, rate: float) -> Workload:
        scale = self.unit_rate / rate
        base = self.base
        return Workload(tuple(t * scale for t in base.arrivals), base.prompts, base.outputs,
                        base.description)


def _evaluate(engine: Engine, traffic: _Traffic, rate: float, policy: str, target: Slo) -> _Point:
    work = traffic.at(rate)
    rec = run_policy(engine, work, policy)
    n = len(work)
    ttft = tuple(f - a for f, a in zip(rec.first, work.arrivals))
    tpot = tuple((e - f) / (o - 1) if o > 1 else 0.0
                 for e, f, o in zip(rec.finish, rec.first, work.outputs))
    busy = math.fsum(rec.step_len)
    mean_batch = math.fsum([b * d for b, d in zip(rec.step_batch, rec.step_len)]) / busy
    p = target.percentile

    def ratio(lo: int, hi: int) -> float:
        return max(percentile(ttft[lo:hi], p) / target.ttft_s,
                   percentile(tpot[lo:hi], p) / target.tpot_s)

    size = n // BLOCKS
    blocks = tuple(ratio(b * size, (b + 1) * size) for b in range(BLOCKS)) if size else ()
    return _Point(rate, ratio(0, n), blocks, ttft, tpot, mean_batch)


def _block_rate(points: list[_Point], block: int) -> float:
    """Where one block's ratio crosses 1, interpolated between the points around it."""
    pts = sorted(points, key=lambda q: q.rate)
    for low, high in zip(pts, pts[1:]):
        a, b = low.block_ratios[block], high.block_ratios[block]
        if a <= 1 < b:
            return low.rate + (high.rate - low.rate) * (1 - a) / (b - a)
    first, last = pts[0], pts[-1]
    return first.rate if first.block_ratios[block] > 1 else last.rate


def _stderr(points: list[_Point]) -> float:
    if not points[0].block_ratios:
        return 0.0
    rates = [_block_rate(points, b) for b in range(BLOCKS)]
    mean = math.fsum(rates) / BLOCKS
    spread = math.fsum((x - mean) ** 2 for x in rates) / (BLOCKS - 1)
    return math.sqrt(spread / BLOCKS)


def _search(evaluate: Callable[[float], _Point], saturation: float,
            report: Callable[[float], None]) -> tuple[_Point | None, list[_Point]]:
    """Bisection: (best point meeting the SLO or None, every point tried).

    It starts at half the saturation rate, where batches are large and steps
    few; a point that misses the SLO halves the rate down to 1/64 of
    saturation before the configuration is called infeasible.
    """
    tried: list[_Point] = []

    def at(rate: float) -> _Point:
        point = evaluate(rate)
        tried.append(point)
        report(len(tried))
        return point

    low = at(saturation / 2)
    high = None
    while low.ratio > 1:
        if low.rate < saturation / 64:
            return None, tried
        high, low = low, at(low.rate / 2)
    if high is None:
        high = at(1.2 * saturation)
        while high.ratio <= 1:      # rare: the SLO still holds past saturation
            low, high = high, at(2 * high.rate)
    while high.rate - low.rate > RATE_TOLERANCE * low.rate:
        mid = at((low.rate + high.rate) / 2)
        if mid.ratio <= 1:
            low = mid
        else:
            high = mid
    return low, tried


def _saturation(engine: Engine, traffic: _Traffic, policy: str, seed: int) -> float:
    """The rate at which the engine is always busy (a backlog run on the same lengths)."""
    base = traffic.base
    count = min(len(base), max(256, 8 * engine.max_batch))
    if traffic.unit_rate == 1.0 and len(set(base.prompts)) == 1 and len(set(base.outputs)) == 1:
        return saturation_rate(engine, policy=policy, prompt=base.prompts[0],
                               output=base.outputs[0], requests=count, seed=seed)
    lengths = list(zip(base.prompts, base.outputs))[:count]
    from .sim.lengths import Choice
    return saturation_rate(engine, policy=policy, prompt=Choice(tuple(p for p, _ in lengths)),
                           output=Choice(tuple(o for _, o in lengths)), requests=count, seed=seed)


def max_rate_under_slo(
    model: str | ModelSpec | Engine,
    gpu: str | GpuSpec | None = None,
    *,
    slo: str | Slo,
    policy: str = "continuous",
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
    ``max_batched_tokens``, ...), or pass an ``Engine`` as ``model``. Traffic is
    Poisson (``arrival_cv=1``), gamma-distributed gaps (``arrival_cv`` != 1),
    or a recorded ``trace`` (:mod:`servecalc.sim.traces`; its arrivals are
    scaled, ``requests`` caps how many of its requests are replayed).
    ``progress`` gets the fraction of the search done.

    >>> r = max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-interactive",
    ...                        trace="azure-code-2023", requests=2000)
    >>> round(r.max_rate_requests_per_s, 2), r.requests_per_rate
    (4.14, 2000)
    >>> max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-interactive",
    ...                    policy="dynamic")
    Traceback (most recent call last):
        ...
    ValueError: policy must be one of 'static', 'continuous', 'chunked', got 'dynamic'
    """
    target = get_slo(slo)
    choice("policy", policy, POLICIES)
    count = positive_int("requests", requests)
    if count < 2 * BLOCKS * 10:
        raise ValueError(f"requests must be an integer >= {2 * BLOCKS * 10}, got {count}")
    seed = non_negative_int("seed", seed)
    cv = positive_number("arrival_cv", arrival_cv)
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable taking a fraction, or None, got {progress!r}")
    if isinstance(model, Engine):
        if gpu is not None or engine_options:
            raise ValueError("pass either an Engine or model, gpu and engine options, not both")
        engine = model
    else:
        if gpu is None:
            raise ValueError("gpu must be a GPU id or spec when model is not an Engine, got None")
        engine = Engine(model, gpu, **engine_options)  # type: ignore[arg-type]
    traffic = _Traffic(prompt=as_lengths("prompt", prompt), output=as_lengths("output", output),
                       trace=trace, cv=cv, requests=count, seed=seed)
    saturation = _saturation(engine, traffic, policy, seed)
    expected = math.log2(0.7 / RATE_TOLERANCE) + 4

    def report(done: int) -> None:
        if progress is not None:
            progress(min(0.99, done / expected))

    best, tried = _search(lambda rate: _evaluate(engine, traffic, rate, policy, target),
                          saturation, report)
    if best is None:
        low = tried[-1]
        return _infeasible(target, policy, traffic, saturation, low, tried)
    tried += [_evaluate(engine, traffic, best.rate * f, policy, target) for f in (0.95, 1.05)]
    if progress is not None:
        progress(1.0)
    stderr = _stderr(tried)
    rate = best.rate
    return CapacityResult(
        max_rate_requests_per_s=rate, rate_stderr_requests_per_s=stderr,
        rate_interval_requests_per_s=(max(0.0, rate - _T_975 * stderr), rate + _T_975 * stderr),
        output_tokens_per_s=rate * traffic.mean_output,
        ttft_s=summarize(best.ttft), tpot_s=summarize([t for t in best.tpot if t > 0]),
        mean_batch=best.mean_batch, requests_per_rate=len(traffic.base),
        requests_simulated=len(traffic.base) * len(tried), rates_tried=len(tried),
        saturation_requests_per_s=saturation, slo=target, policy=policy, workload=traffic.label,
        feasible=True,
        reason=f"p{target.percentile:g} TTFT {best.ratio:.3f} of its limit or below at the answer",
    )


def _infeasible(target: Slo, policy: str, traffic: _Traffic, saturation: float, low: _Point,
                tried: list[_Point]) -> CapacityResult:
    ttft = summarize(low.ttft)
    tpot = summarize([t for t in low.tpot if t > 0])
    return CapacityResult(
        max_rate_requests_per_s=0.0, rate_stderr_requests_per_s=0.0,
        rate_interval_requests_per_s=(0.0, 0.0), output_tokens_per_s=0.0, ttft_s=ttft,
        tpot_s=tpot, mean_batch=low.mean_batch, requests_per_rate=len(traffic.base),
        requests_simulated=len(traffic.base) * len(tried), rates_tried=len(tried),
        saturation_requests_per_s=saturation, slo=target, policy=policy, workload=traffic.label,
        feasible=False,
        reason=(f"the SLO fails even at {low.rate:.3g} requests/s (1/64 of saturation): "
                f"p{target.percentile:g} TTFT {ttft.p99:.3f} s (limit {target.ttft_s} s), "
                f"TPOT {tpot.p99:.4f} s (limit {target.tpot_s} s)"),
    )
