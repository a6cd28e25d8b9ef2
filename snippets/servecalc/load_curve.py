"""Latency against load: the simulated tail next to Kingman's approximation.

A queue's waiting time grows slowly with load, then suddenly: the knee. For a
single server with arrivals and service times of coefficients of variation
``ca`` and ``cs``, Kingman's approximation of the mean wait is

    W = rho / (1 - rho) x (ca^2 + cs^2) / 2 x service time

(J. F. C. Kingman, "The single server queue in heavy traffic", Proc.
Cambridge Philosophical Society 57, 1961). A batching LLM server is not one
server with one service time (a batch slows every token as it grows), so the
simulated curve is the one to plan with; Kingman shows why the knee exists and
where it starts, and is drawn next to it.

>>> round(kingman_wait_s(0.9, service_s=0.1), 3)      # M/D/1-like: ca = 1, cs = 0
0.45
>>> round(exponential_tail_s(0.45, 0.9, 99), 3)       # its p99, with an exponential tail
2.25
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .sim import Engine, poisson_workload, saturation_rate, simulate
from .validate import finite_result, non_negative_number, positive_int, positive_number


def kingman_wait_s(rho: float, *, service_s: float, ca: float = 1.0, cs: float = 0.0) -> float:
    """Kingman's mean wait in the queue at utilisation ``rho`` (in (0, 1)).

    >>> kingman_wait_s(1.0, service_s=0.1)
    Traceback (most recent call last):
        ...
    ValueError: rho must be a number in (0, 1), got 1.0
    """
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 < rho < 1:
        raise ValueError(f"rho must be a number in (0, 1), got {rho!r}")
    s = positive_number("service_s", service_s)
    a, c = non_negative_number("ca", ca), non_negative_number("cs", cs)
    return finite_result("mean wait", rho / (1 - rho) * (a * a + c * c) / 2 * s,
                         "service_s, ca and cs")


def exponential_tail_s(mean_wait_s: float, rho: float, percentile: float) -> float:
    """The ``percentile``-th wait if waits are exponential given a wait (as in M/M/1):
    a share ``rho`` of requests waits, with mean ``mean_wait_s / rho``."""
    wait = non_negative_number("mean_wait_s", mean_wait_s)
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 < rho < 1:
        raise ValueError(f"rho must be a number in (0, 1), got {rho!r}")
    level = positive_number("percentile", percentile)
    if level >= 100:
        raise ValueError(f"percentile must be a number in (0, 100), got {percentile!r}")
    tail = 1 - level / 100
    if tail >= rho:
        return 0.0
    return finite_result("p99 wait", wait / rho * math.log(rho / tail), "mean_wait_s")


@dataclass(frozen=True, kw_only=True)
class LoadPoint:
    """One load level: simulated percentiles and Kingman's TTFT at the same load."""

    load: float
    rate_requests_per_s: float
    ttft_p99_s: float
    tpot_p99_s: float
    e2e_p99_s: float
    kingman_ttft_mean_s: float
    kingman_ttft_p99_s: float


def load_curve(engine: Engine, *, prompt: int, output: int, policy: str | None = None,
               loads: Sequence[float] = (0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95),
               requests: int = 4000, seed: int = 1) -> list[LoadPoint]:
    """Simulated p99s at each ``load`` (a share of the saturation rate, the rate at
    which the engine is always busy) and Kingman's TTFT: a lone request's TTFT
    plus the mean wait with Poisson arrivals (``ca = 1``), fixed lengths
    (``cs = 0``) and service time ``1 / saturation rate``; its p99 with an
    exponential tail. ``policy`` left at ``None`` is the engine preset's.

    >>> e = Engine("llama-3.1-8b", "h100-sxm", mbu=0.62, mfu=0.45, overhead_s=0.0003)
    >>> pts = load_curve(e, prompt=500, output=50,
    ...                  loads=[0.5, 0.9], requests=500)
    >>> [round(p.rate_requests_per_s, 1) for p in pts]
    [26.4, 47.4]
    """
    positive_int("prompt", prompt)
    positive_int("output", output)
    if positive_int("requests", requests) > 100_000:
        raise ValueError(f"requests must be an integer from 1 to 100,000, got {requests}")
    levels = list(loads) if isinstance(loads, (list, tuple)) else None
    if not levels or len(levels) > 20:
        raise ValueError(f"loads must be a list of 1 to 20 shares of saturation, got {loads!r}")
    for load in levels:
        if isinstance(load, bool) or not isinstance(load, (int, float)) or not 0 < load < 1:
            raise ValueError(f"loads must hold numbers in (0, 1), got {load!r}")
    mu = saturation_rate(engine, policy=policy, prompt=prompt, output=output)
    alone = simulate(engine, poisson_workload(mu / 1000, 20, prompt=prompt, output=output),
                     policy=policy, chart_points=1).ttft_s.mean
    points = []
    for load in loads:
        wait = kingman_wait_s(load, service_s=1 / mu)
        r = simulate(engine, poisson_workload(load * mu, requests, prompt=prompt, output=output,
                                              seed=seed), policy=policy, chart_points=1)
        points.append(LoadPoint(
            load=load, rate_requests_per_s=load * mu, ttft_p99_s=r.ttft_s.p99,
            tpot_p99_s=r.tpot_s.p99, e2e_p99_s=r.e2e_s.p99,
            kingman_ttft_mean_s=alone + wait,
            kingman_ttft_p99_s=alone + exponential_tail_s(wait, load, 99)))
    return points
