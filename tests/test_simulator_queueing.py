"""Queueing theory checks of the simulator.

With ``max_batch=1``, fixed prompt and output lengths and Poisson arrivals the
engine serves one request at a time, each for the same time ``S`` (its prefill
plus ``O - 1`` decode steps, from the step model): an M/D/1 queue. The
Pollaczek-Khinchine formula gives the mean wait in queue for deterministic
service:

    Wq = rho / (2 mu (1 - rho)) = rho S / (2 (1 - rho)),   rho = lambda S.

The sample mean of 50,000 waits is a noisy estimate at high load: successive
waits are strongly correlated, and at rho = 0.8 one run's relative error has a
standard deviation of about 4 % (measured over seeds). So each load is checked on the
pooled mean of 16 independent runs of 50,000 requests (standard error about
1 % at rho = 0.8, 0.5 % at rho = 0.5) against a 3 % tolerance.
"""

from __future__ import annotations

import math
import statistics

import pytest

from servecalc.step import StepModel
from servecalc.sim import Engine, poisson_workload, simulate

MODEL, GPU = "llama-3.1-8b", "h100-sxm"
PROMPT, OUTPUT = 512, 64
REQUESTS = 50_000
SEEDS = range(16)


def service_time() -> float:
    """S computed from the step model directly, not from the simulator."""
    sm = StepModel(MODEL, GPU)
    steps = [sm.prefill_time_s(PROMPT)] + [sm.decode_time_s(1, PROMPT + j) for j in range(1, OUTPUT)]
    return math.fsum(steps)


def mean_waits(rho: float) -> tuple[float, list[float]]:
    s = service_time()
    engine = Engine(MODEL, GPU, max_batch=1)
    waits = []
    for seed in SEEDS:
        work = poisson_workload(rho / s, REQUESTS, prompt=PROMPT, output=OUTPUT, seed=seed)
        result = simulate(engine, work, policy="continuous", chart_points=10)
        waits.append(result.queue_s.mean)
    return s, waits


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_md1_mean_wait_matches_pollaczek_khinchine(rho):
    s, waits = mean_waits(rho)
    expected = rho * s / (2 * (1 - rho))
    errors = [w / expected - 1 for w in waits]
    pooled = statistics.fmean(waits) / expected - 1
    print(f"rho={rho}: pooled error {pooled:+.2%}; per run "
          + ", ".join(f"{e:+.1%}" for e in errors))
    assert abs(pooled) < 0.03
    # Every single run stays within a wide band (about 3.5 standard deviations at 0.8).
    assert max(abs(e) for e in errors) < (0.15 if rho == 0.8 else 0.07)


def test_md1_utilisation_and_throughput():
    """The server is busy a fraction rho of the time and completes lambda requests per second."""
    s = service_time()
    rho = 0.7
    work = poisson_workload(rho / s, REQUESTS, prompt=PROMPT, output=OUTPUT, seed=99)
    r = simulate(Engine(MODEL, GPU, max_batch=1), work, chart_points=10)
    assert math.isclose(r.busy_s / r.duration_s, rho, rel_tol=0.02)
    assert math.isclose(r.requests_per_s, rho / s, rel_tol=0.02)
    assert math.isclose(r.busy_s, REQUESTS * s, rel_tol=1e-9)
