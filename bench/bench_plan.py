"""Benchmark: `servecalc plan` over about thirty feasible configurations, on CPython.

Llama-3.1-70B at 20 requests/s, 1,000 in / 250 out, MLPerf interactive SLO,
every GPU with an example price, 1/2/4/8 GPUs per replica, bf16 and fp8
weights: 48 combinations, of which those that fit and can meet the SLO are
searched. One run (it takes tens of seconds); the target is 30 s.

    .venv/bin/python bench/bench_plan.py [--json]
"""

from __future__ import annotations

import json
import sys
import time

from servecalc.plan import plan

TARGET_S = 30.0


def main(argv: list[str]) -> int:
    start, start_cpu = time.perf_counter(), time.process_time()
    p = plan("llama-3.1-70b", rate=20.0, prompt=1000, output=250,
             slo="mlperf-llama2-70b-interactive", weight_dtypes=["bf16", "fp8"])
    report = {
        "benchmark": "plan-cpython", "python": sys.version.split()[0],
        "combinations": len(p.options) + len(p.skipped), "feasible": len(p.options),
        "wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - start_cpu,
        "target_s": TARGET_S, "cheapest": p.options[0].to_dict() if p.options else None,
    }
    if "--json" in argv:
        print(json.dumps(report, indent=2))
    else:
        print(f"plan: {report['combinations']} combinations, {report['feasible']} feasible, "
              f"{report['wall_s']:.1f} s (CPU {report['cpu_s']:.1f} s, target <= {TARGET_S:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
