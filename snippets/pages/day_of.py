# Cells of docs/day-of-checklist.md. Each named section is one self-contained
# cell: it runs in a fresh namespace at build time and in the browser.

# --8<-- [start:capacity_check]
import math

from servecalc.capacity import fit
from servecalc.slo import best_under_slo, get_slo
from servecalc.units import fmt_bytes, fmt_duration, fmt_number
from servecalc.deployment import Deployment

# The release: the model, the hardware, the traffic you expect at peak.
model, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1024, 256                  # typical request (use your p90, not the mean)
peak_requests_per_s = 20
headroom = 0.3                              # spare capacity for spikes and a lost replica
slo = get_slo("mlperf-llama2-70b-interactive")

f = fit(model, gpu, gpus=gpus, context=prompt + output)
print("fits:", f.reason)
print("KV budget:", fmt_bytes(f.kv_budget_bytes, "GiB"), "| weights:", fmt_bytes(f.weight_bytes, "GiB"))
r = best_under_slo(Deployment(model=model, gpu=gpu, gpus=gpus),
                   prompt=prompt, output=output, slo=slo)
if r.best is None:
    print("NO-GO:", r.reason)
else:
    p = r.best
    per_replica = p.requests_per_s * (1 - headroom)
    replicas = math.ceil(peak_requests_per_s / per_replica)
    print(f"best batch under the SLO: {p.batch} (TTFT {fmt_duration(p.ttft_s, 'ms')}, "
          f"TPOT {fmt_duration(p.tpot_s, 'ms')})")
    print(f"one replica: {fmt_number(p.requests_per_s)} requests/s, "
          f"{fmt_number(per_replica)} with headroom")
    print(f"replicas for {peak_requests_per_s} requests/s at peak: {replicas} "
          f"({replicas * gpus} GPUs)")
# --8<-- [end:capacity_check]

# --8<-- [start:error_budget]
from servecalc.units import fmt_int, fmt_number, fmt_percent

target = 0.999            # share of requests that must meet the SLO
days = 30
requests_per_s = 20

budget_minutes = (1 - target) * days * 24 * 60
budget_requests = (1 - target) * requests_per_s * days * 86_400
print(f"error budget: {fmt_number(budget_minutes, 1)} min of full outage, "
      f"or {fmt_int(round(budget_requests))} requests out of SLO, per {days} days")
# Burn rate: how fast the budget goes. 1.0 lasts exactly the window.
for spent, window_h in [(0.02, 1), (0.05, 6), (0.10, 72)]:
    rate = spent * days * 24 / window_h
    print(f"alert if {fmt_percent(spent, 0)} of the budget burns in {window_h} h: "
          f"burn rate {fmt_number(rate, 1)}, budget gone in {fmt_number(days * 24 / rate, 1)} h")
# --8<-- [end:error_budget]

# --8<-- [start:canary_time]
from servecalc.units import fmt_number, fmt_percent

peak_requests_per_s = 20
samples = 1000   # requests per canary stage: 10 of them beyond the p99
print(f"{'canary share':>12} {'requests/s':>11} {'time for 1,000 requests':>24}")
for share in [0.01, 0.05, 0.25, 0.5]:
    rate = peak_requests_per_s * share
    minutes = samples / rate / 60
    print(f"{fmt_percent(share, 0):>12} {fmt_number(rate, 1):>11} {fmt_number(minutes, 1):>20} min")
# --8<-- [end:canary_time]

# --8<-- [start:incident_whatif]
from servecalc.latency import request_latency
from servecalc.slo import get_slo
from servecalc.units import fmt_duration
from servecalc.deployment import Deployment

slo = get_slo("mlperf-llama2-70b-interactive")
# Symptom: p99 TTFT doubled. Did prompts get longer (a new client, a RAG change)?
print(f"{'prompt':>7} {'TTFT':>10} {'within SLO':>11}")
for prompt in [1024, 2048, 4096, 8192]:
    r = request_latency(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                        prompt=prompt, output=256)
    print(f"{prompt:>7,} {fmt_duration(r.ttft_s, 'ms'):>10} {str(r.ttft_s <= slo.ttft_s):>11}")
# --8<-- [end:incident_whatif]
