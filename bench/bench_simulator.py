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

from servecalc.simulate import Engine, saturation_rate, simulate
from servecalc.workload import poisson_workload

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
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
