"""Benchmark: the serving simulator on CPython.

Llama-3.1-8B on one H100 SXM, Poisson arrivals at 80 % of the continuous
policy's capacity, prompt 512 and output 256 tokens, continuous batching,
10,000 requests. Prints the median of 5 timed runs of ``simulate`` (wall
clock, and process CPU time, which is steadier on a shared machine; the
workload is drawn once, outside the timing, and its time is printed too).
The target is at most 1 s.

    .venv/bin/python bench/bench_simulator.py [--json]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from servecalc.sim import Engine, poisson_workload, saturation_rate, simulate
from servecalc.slo_capacity import MEMO, max_rate_under_slo

MODEL, GPU = "llama-3.1-8b", "h100-sxm"
PROMPT, OUTPUT, REQUESTS, LOAD, SEED = 512, 256, 10_000, 0.8, 0
RUNS = 5
TARGET_S = 1.0


def setup():
    """The engine, its capacity and the workload (not timed)."""
    engine = Engine(MODEL, GPU)
    capacity = saturation_rate(engine, policy="continuous", prompt=PROMPT, output=OUTPUT)
    start = time.perf_counter()
    work = poisson_workload(LOAD * capacity, REQUESTS, prompt=PROMPT, output=OUTPUT, seed=SEED)
    workload_s = time.perf_counter() - start
    return engine, capacity, work, workload_s


#: The capacity search benchmarked: Llama-3.1-70B on 4 x H100, 1,000 in / 250 out, MLPerf
#: interactive SLO, default search sizes (issue 12's example).
CAPACITY_CASE = dict(gpus=4, prompt=1000, output=250, slo="mlperf-llama2-70b-interactive")
CAPACITY_RUNS = 3
CAPACITY_TARGET_S = 2.0


def time_capacity() -> dict:
    """Median wall and CPU seconds of the capacity search (no memo between runs)."""
    wall, cpu = [], []
    result = None
    for _ in range(CAPACITY_RUNS):
        MEMO.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = max_rate_under_slo("llama-3.1-70b", "h100-sxm", **CAPACITY_CASE)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"capacity_median_s": statistics.median(wall), "capacity_runs_s": wall,
            "capacity_cpu_median_s": statistics.median(cpu),
            "capacity_requests_per_s": result.max_rate_requests_per_s,
            "capacity_requests_simulated": result.requests_simulated,
            "capacity_target_s": CAPACITY_TARGET_S}


def main(argv: list[str]) -> int:
    engine, capacity, work, workload_s = setup()
    times = []
    cpu = []
    result = None
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = simulate(engine, work, policy="continuous")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    median = statistics.median(times)
    report = {
        "benchmark": "simulator-cpython",
        "python": sys.version.split()[0],
        "requests": REQUESTS,
        "rate_per_s": LOAD * capacity,
        "capacity_per_s": capacity,
        "steps": result.steps,
        "median_s": median,
        "runs_s": times,
        "cpu_median_s": statistics.median(cpu),
        "workload_s": workload_s,
        "target_s": TARGET_S,
        "within_target": median <= TARGET_S,
        **time_capacity(),
    }
    if "--json" in argv:
        print(json.dumps(report, indent=2))
    else:
        print(f"simulator, CPython {report['python']}: {REQUESTS:,} requests "
              f"({result.steps:,} steps) at {report['rate_per_s']:.2f} req/s "
              f"(80 % of {capacity:.2f}), continuous batching")
        print(f"  median of {RUNS}: {median:.3f} s (target <= {TARGET_S:.1f} s); "
              f"runs {', '.join(f'{t:.3f}' for t in times)}; CPU time "
              f"{report['cpu_median_s']:.3f} s; workload {workload_s:.3f} s")
        print(f"capacity search (70B on 4 x H100, interactive SLO): median of {CAPACITY_RUNS} "
              f"{report['capacity_median_s']:.2f} s (CPU {report['capacity_cpu_median_s']:.2f} s, "
              f"target <= {CAPACITY_TARGET_S:.0f} s), {report['capacity_requests_simulated']:,} "
              f"requests simulated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
