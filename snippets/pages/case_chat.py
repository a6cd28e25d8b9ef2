# Cells of docs/case-studies/size-a-chat-service.md. A cell runs alone (a fresh
# namespace, at build time and in the browser), so a cell that needs an earlier
# step's result includes that step's section before its own: the requirements
# first, then whatever the step builds on.

# --8<-- [start:requirements]
from servecalc.deployment import Deployment
from servecalc.slo import make_slo
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_usd

MODEL, GPU = "llama-3.1-70b", "h100-sxm"
PROMPT, OUTPUT = 3000, 300          # tokens per turn (history + question, answer)
PEAK_REQUESTS_PER_S = 25
HEADROOM = 0.3                      # spare capacity at peak: bursts, a lost replica
SLO = make_slo("chat", ttft_s=1.0, tpot_s=0.05, percentile=99)
PRICE_USD_PER_GPU_HOUR = 3.78       # the catalog's example on-demand price; use your quote
# --8<-- [end:requirements]

# --8<-- [start:restate]
from servecalc.engines import DEFAULT_ENGINE, get_engine

print(f"Load-dependent numbers below assume the {DEFAULT_ENGINE!r} engine preset "
      f"({get_engine().name}); Deployment(engine=...) chooses another.")
print(f"{MODEL} on {GPU}: {fmt_int(PROMPT)} tokens in, {fmt_int(OUTPUT)} out, "
      f"{PEAK_REQUESTS_PER_S} requests/s at peak")
print(f"SLO (p{fmt_number(SLO.percentile, 0)}): TTFT {fmt_duration(SLO.ttft_s, 'ms', 0)}, "
      f"TPOT {fmt_duration(SLO.tpot_s, 'ms', 0)}")
print(f"price: {fmt_usd(PRICE_USD_PER_GPU_HOUR)} per GPU-hour")
# --8<-- [end:restate]

# --8<-- [start:memory]
from servecalc.capacity import fit
from servecalc.params import weight_bytes
from servecalc.units import fmt_bytes

for dtype in ["bf16", "fp8"]:
    print(f"{dtype} weights: {fmt_bytes(weight_bytes(MODEL, dtype), 'GB')}")
    for gpus in [1, 2, 4, 8]:
        f = fit(MODEL, GPU, gpus=gpus, context=PROMPT + OUTPUT, weight_dtype=dtype)
        print(f"   {gpus} GPUs: {fmt_int(f.max_batch):>4} conversations fit "
              f"(KV budget {fmt_bytes(f.kv_budget_bytes, 'GiB')})")
# --8<-- [end:memory]

# --8<-- [start:candidates]
CANDIDATES = [("bf16", 4), ("bf16", 8), ("fp8", 2), ("fp8", 4)]   # from step 2
# --8<-- [end:candidates]

# --8<-- [start:alone]
from servecalc.latency import request_latency

for dtype, gpus in CANDIDATES:
    r = request_latency(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                        prompt=PROMPT, output=OUTPUT)
    ok = r.ttft_s <= SLO.ttft_s and r.tpot_s <= SLO.tpot_s
    print(f"{dtype} x{gpus}: TTFT {fmt_duration(r.ttft_s, 'ms'):>9}, TPOT {fmt_duration(r.tpot_s, 'ms'):>8}, "
          f"end to end {fmt_duration(r.e2e_s, 's', 2):>7}  {'meets' if ok else 'MISSES'} the SLO")
# --8<-- [end:alone]

# --8<-- [start:plans]
import math

from servecalc.plan import usd_per_million_tokens_at_rate
from servecalc.slo_capacity import max_rate_under_slo

HOURS_PER_MONTH = 730


def fleet_plans():
    """Each candidate's capacity under the SLO, the replicas and GPUs for the peak, the bill."""
    plans = []
    for dtype, gpus in CANDIDATES:
        cap = max_rate_under_slo(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                                 slo=SLO, prompt=PROMPT, output=OUTPUT)
        replicas = math.ceil(PEAK_REQUESTS_PER_S / (cap.max_rate_requests_per_s * (1 - HEADROOM)))
        total_gpus = replicas * gpus
        monthly = total_gpus * PRICE_USD_PER_GPU_HOUR * HOURS_PER_MONTH
        plans.append((dtype, gpus, cap, replicas, total_gpus, monthly))
    return plans


plans = fleet_plans()
best = min(plans, key=lambda plan: plan[5])
# --8<-- [end:plans]

# --8<-- [start:fleet]
print(f"{'config':>8} {'batch':>6} {'req/s':>7} {'replicas':>9} {'GPUs':>5} "
      f"{'per month':>11} {'$/1M tok':>9}")
for dtype, gpus, cap, replicas, total_gpus, monthly in plans:
    usd = usd_per_million_tokens_at_rate(total_gpus * PRICE_USD_PER_GPU_HOUR,
                                         PEAK_REQUESTS_PER_S, PROMPT + OUTPUT)
    print(f"{dtype + ' x' + str(gpus):>8} {fmt_number(cap.mean_batch, 0):>6} "
          f"{fmt_number(cap.max_rate_requests_per_s):>7} {replicas:>9} {total_gpus:>5} "
          f"{fmt_usd(monthly, 0):>11} {fmt_usd(usd, 3):>9}")
print(f"cheapest: {best[0]} weights, {best[1]} GPUs per replica, {best[3]} replicas, "
      f"{best[4]} GPUs, {fmt_usd(best[5], 0)} per month")
# --8<-- [end:fleet]

# --8<-- [start:sensitivity]
dtype, gpus = best[0], best[1]
scenarios = {
    "as planned": (PROMPT, OUTPUT),
    "longer history": (2 * PROMPT, OUTPUT),
    "longer answers": (PROMPT, 2 * OUTPUT),
    "both": (2 * PROMPT, 2 * OUTPUT),
}
for name, (prompt, output) in scenarios.items():
    cap = max_rate_under_slo(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                             slo=SLO, prompt=prompt, output=output)
    if not cap.feasible:
        print(f"{name:>15}: no rate meets the SLO ({cap.reason})")
        continue
    replicas = math.ceil(PEAK_REQUESTS_PER_S / (cap.max_rate_requests_per_s * (1 - HEADROOM)))
    print(f"{name:>15}: {fmt_number(cap.max_rate_requests_per_s):>5} requests/s per replica, "
          f"{replicas:>3} replicas, {replicas * gpus:>3} GPUs")
# --8<-- [end:sensitivity]

# --8<-- [start:check]
from servecalc.sim import Engine, LogNormal, poisson_workload, simulate

dtype, gpus, replicas = best[0], best[1], best[3]
engine = Engine(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype))
work = poisson_workload(PEAK_REQUESTS_PER_S / replicas, 4000, prompt=PROMPT,
                        output=LogNormal(OUTPUT, 0.5, low=OUTPUT // 4, high=2 * OUTPUT), seed=42)
run = simulate(engine, work, slo=SLO, chart_points=1)
print(f"one replica at {fmt_number(PEAK_REQUESTS_PER_S / replicas)} requests/s: "
      f"p99 TTFT {fmt_duration(run.ttft_s.p99, 'ms')}, p99 TPOT {fmt_duration(run.tpot_s.p99, 'ms')}, "
      f"mean batch {fmt_number(run.mean_batch, 0)}")
print(f"within the SLO: {fmt_number(run.slo_attainment * 100, 1)} % of requests")
# --8<-- [end:check]
