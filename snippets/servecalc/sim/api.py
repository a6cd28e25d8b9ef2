"""The simulator's entry points: run a workload, a replica's saturation rate, one-call Poisson.

>>> from servecalc.sim.workload import poisson_workload
>>> engine = Engine("llama-3.1-8b", "h100-sxm", mbu=0.62, mfu=0.45, overhead_s=0.0003)
>>> work = poisson_workload(rate=4.0, requests=200, prompt=512, output=128, seed=1)
>>> r = simulate(engine, work, policy="continuous")
>>> r.requests, r.preemptions
(200, 0)
>>> from servecalc.units import fmt_duration
>>> fmt_duration(r.ttft_s.p50, "ms"), fmt_duration(r.tpot_s.p50, "ms", digits=2)
('33.2 ms', '8.24 ms')
>>> s = simulate(engine, work, policy="static")
>>> fmt_duration(s.e2e_s.p99, "s"), fmt_duration(r.e2e_s.p99, "s")
('2.1 s', '1.2 s')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from ..deployment import Deployment
from ..gpus import GpuSpec
from ..models import ModelSpec
from ..slo import Slo, get_slo
from ..validate import choice, positive_int, positive_number
from .engine import POLICIES, Engine, Recorder, check_fits, check_work
from .policies import LONE_POLICIES, RUNNERS
from .result import SimResult, build_result
from .single import run_single, single_service
from .speculative import run_speculative
from .lengths import Lengths, as_lengths
from .workload import Workload, burst_workload, poisson_workload

#: SLO used for goodput unless told otherwise (:data:`servecalc.slo.PRESETS`).
DEFAULT_SLO = "mlperf-llama2-70b-server"


def simulate(
    engine: Engine,
    workload: Workload,
    *,
    policy: str | None = None,
    slo: str | Slo = DEFAULT_SLO,
    chart_points: int = 300,
    progress: Callable[[float], object] | None = None,
) -> SimResult:
    """Run ``workload`` through ``engine`` under ``policy``; see the module docstring.

    ``progress``, if given, is called with the fraction of requests completed
    (at most about a hundred times, and once with 1.0 at the end).
    ``chart_points`` bins the engine's state over time for charts.

    >>> from servecalc.sim.workload import poisson_workload
    >>> e = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
    >>> w = poisson_workload(rate=1.0, requests=50, prompt=256, output=32, seed=0)
    >>> seen = []
    >>> r = simulate(e, w, policy="continuous", progress=seen.append)
    >>> len(seen) <= 101, seen[-1]
    (True, 1.0)
    >>> simulate(e, w, policy="dynamic")
    Traceback (most recent call last):
        ...
    ValueError: policy must be one of 'static', 'continuous', 'chunked', got 'dynamic'
    """
    return _simulate(engine, workload, policy=policy, slo=slo, chart_points=chart_points,
                     progress=progress, fast=True)


def _simulate(engine: Engine, workload: Workload, *, policy: str, slo: str | Slo,
              chart_points: int, progress: Callable[[float], object] | None,
              fast: bool) -> SimResult:
    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be a servecalc.sim.Engine, got {engine!r}")
    if not isinstance(workload, Workload):
        raise ValueError(f"workload must be a servecalc.sim.Workload, got {workload!r}")
    policy = engine.policy if policy is None else choice("policy", policy, POLICIES)
    target = get_slo(slo)
    positive_int("chart_points", chart_points)
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable taking a fraction, or None, got {progress!r}")
    rec = run_policy(engine, workload, policy, progress=progress, fast=fast)
    sent = dataclasses.replace(workload, arrivals=tuple(rec.sends))
    return build_result(engine, sent, rec, policy, target, chart_points)


def run_policy(engine: Engine, workload: Workload, policy: str | None = None, *,
               progress: Callable[[float], object] | None = None, fast: bool = True) -> Recorder:
    """The bare run: per-request times and per-step records, not summarised
    (for searches that simulate many times, such as :mod:`servecalc.slo_capacity`).
    ``policy`` left at ``None`` is the engine preset's. The recorder's ``sends``
    are the times the clients sent each request (the workload's arrivals, or a
    closed loop's sends); the engine sees each ``engine.request_overhead_s`` later, and in
    a closed loop ``engine.request_overhead_per_outstanding_s`` more per request already
    outstanding when it was sent (an open loop does not know that count before it runs).

    >>> from servecalc.sim.workload import make_workload
    >>> rec = run_policy(Engine("llama-3.1-8b", "h100-sxm", engine="ideal"),
    ...                  make_workload([0.0], [100], [3]), "continuous")
    >>> rec.done, len(rec.step_len), rec.extra_steps      # alone: its 3 steps as 1 record
    (1, 1, 2)
    """
    policy = engine.policy if policy is None else policy
    check_fits(engine, workload)
    if not (fast and engine.max_batch == 1) or engine.speculation is not None:
        # (one at a time without speculation: each request in closed form)
        check_work(engine, workload)
    rec = Recorder(len(workload), progress)
    work = _engine_side(engine, workload, rec)
    cached = engine.prefix_cache and workload.prefix_hashes is not None
    if engine.speculation is not None:  # random tokens per step: no closed forms
        if cached:
            raise ValueError("workload must carry no prefix hashes with speculative decoding "
                             "(the two are not simulated together): turn the prefix cache off")
        run_speculative(engine, work, rec, policy)
    elif fast and engine.max_batch == 1 and workload.concurrency is None and not cached:
        run_single(engine, work, rec, policy)
    elif policy in LONE_POLICIES:
        RUNNERS[policy](engine, work, rec, lone=fast)
    else:
        RUNNERS[policy](engine, work, rec)
    rec.close()
    return rec


def _engine_side(engine: Engine, workload: Workload, rec: Recorder) -> Workload:
    """The workload as the engine sees it: each send plus the request overhead. A
    closed loop's arrivals are filled in as its requests complete (``inf`` until then:
    the policies' loops read them in order)."""
    overhead = engine.request_overhead_s
    c = workload.concurrency
    if c is None:
        rec.sends = workload.arrivals
        if not overhead:
            return workload
        arrivals: list[float] | tuple[float, ...] = tuple(t + overhead for t in workload.arrivals)
    else:
        # each send also waits behind the requests already outstanding at the front end
        # (the k-th of the first wave behind k; later ones behind the other c - 1)
        per = engine.request_overhead_per_outstanding_s
        n = len(workload)
        first = min(c, n)
        sends = [0.0] * first + [math.inf] * (n - first)
        arrivals = [overhead + per * k for k in range(first)] + [math.inf] * (n - first)
        rec.sends = sends
        issued, finished = [first], [0]

        def on_finish(count: int, at: float) -> None:
            finished[0] += count
            for _ in range(count):
                i = issued[0]
                if i < n:
                    sends[i] = at
                    arrivals[i] = at + overhead + per * (i - finished[0])
                    issued[0] = i + 1

        rec.on_finish = on_finish
    return dataclasses.replace(workload, arrivals=arrivals,  # type: ignore[arg-type]
                               concurrency=None)


def saturation_rate(
    engine: Engine,
    *,
    policy: str | None = None,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    requests: int | None = None,
    seed: int = 0,
) -> float:
    """Requests per second the engine completes while a backlog is always waiting.

    This is the policy's capacity: the arrival rate at which utilisation
    reaches 100 %. It runs a burst of ``requests`` requests (default
    ``max(256, 8 x max_batch)``) all waiting at time zero and measures the
    completion rate between the 25th and 75th percentile completions, away
    from the start-up and drain phases.

    >>> e = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
    >>> ttft, service, _ = single_service(e, "continuous", 512, 64)
    >>> math.isclose(saturation_rate(e, prompt=512, output=64), 1 / service, rel_tol=1e-9)
    True
    """
    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be a servecalc.sim.Engine, got {engine!r}")
    policy = engine.policy if policy is None else choice("policy", policy, POLICIES)
    count = max(256, 8 * engine.max_batch) if requests is None else positive_int(
        "requests", requests)
    if count < 4:
        raise ValueError(f"requests must be an integer >= 4, got {count}")
    work = burst_workload(count, prompt=prompt, output=output, seed=seed)
    result = simulate(engine, work, policy=policy, chart_points=1)
    done = sorted(result.finish_s)
    low, high = count // 4, (3 * count) // 4
    span = done[high] - done[low]
    if span <= 0:  # everything finished together (one static batch)
        return count / done[-1]
    return (high - low) / span


def simulate_poisson(
    model: Deployment | str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    rate: float,
    requests: int,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    policy: str | None = None,
    seed: int = 0,
    slo: str | Slo = DEFAULT_SLO,
    chart_points: int = 300,
    progress: Callable[[float], object] | None = None,
    **engine_options: object,
) -> SimResult:
    """One call: build an :class:`Engine`, draw a Poisson workload, simulate.

    ``engine_options`` go to :class:`Engine` (``gpus``, ``weight_dtype``,
    ``kv_dtype``, ``max_batch``, ``max_batched_tokens``, ``block_size``,
    ``memory_utilization``, ``kv_blocks``, ``mbu``, ``mfu``, ``speculative``, ...).

    >>> r = simulate_poisson("llama-3.1-8b", "h100-sxm", rate=2.0, requests=20, seed=4)
    >>> r.requests, r.policy
    (20, 'chunked')
    """
    positive_number("rate", rate)
    allowed = ("gpus", "weight_dtype", "kv_dtype", "max_batch", "max_batched_tokens",
               "block_size", "memory_utilization", "reserve_bytes", "kv_blocks", "mbu", "mfu",
               "overhead_s", "engine", "request_overhead_s", "speculative")
    for key in engine_options:
        if key not in allowed:
            listed = ", ".join(allowed)
            raise ValueError(f"engine option {key!r} is not one of {listed}")
    engine = Engine(model, gpu, **engine_options)  # type: ignore[arg-type]
    work = poisson_workload(rate, requests, prompt=as_lengths("prompt", prompt),
                            output=as_lengths("output", output), seed=seed)
    return simulate(engine, work, policy=policy, slo=slo, chart_points=chart_points,
                    progress=progress)
