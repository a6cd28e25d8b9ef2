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

# --8<-- [start:shadow_diff]
from statistics import fmean

from servecalc.quality import flip_rate, flip_rate_resolution, kl_divergence
from servecalc.units import fmt_number, fmt_percent

# Greedy tokens of a shadowed request on the baseline and the candidate, fed the
# baseline's prefix (token IDs), and each position's top-3 probabilities.
baseline = [791, 1217, 374, 264, 3160, 315, 279, 1917, 13, 578]
candidate = [791, 1217, 374, 264, 3160, 315, 1057, 1917, 13, 578]
p_base = [[0.91, 0.06, 0.03]] * 6 + [[0.48, 0.45, 0.07]] + [[0.95, 0.03, 0.02]] * 3
p_cand = [[0.90, 0.07, 0.03]] * 6 + [[0.44, 0.49, 0.07]] + [[0.95, 0.03, 0.02]] * 3
kl = [kl_divergence(p, q) for p, q in zip(p_base, p_cand)]
print("flip rate:", fmt_percent(flip_rate(baseline, candidate)),
      "| mean KL:", fmt_number(fmean(kl), 4), "nats | worst position KL:",
      fmt_number(max(kl), 4))
# How many shadowed tokens a day tells a 0.5 % flip rate from a 1 % one?
for tokens in [10_000, 100_000, 1_000_000]:
    print(f"{tokens:>9,} tokens: 1 % flip rate +- {fmt_percent(flip_rate_resolution(tokens, 0.01), 3)}")
# --8<-- [end:shadow_diff]

# --8<-- [start:load_shedding]
from servecalc.admission import max_queue_requests, max_queued_prompt_tokens
from servecalc.deployment import Deployment
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_int

d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
ttft_slo_s = 2.0
sm = StepModel(d)
print(f"{'prompt':>7} {'own prefill':>12} {'shed above (requests)':>22} {'(queued prompt tokens)':>23}")
for prompt in [500, 2_000, 8_000]:
    own = sm.prefill_time_s(prompt)
    rate = prompt / own                     # this replica's prefill rate, tokens/s
    requests = max_queue_requests(ttft_slo_s=ttft_slo_s, prefill_s=own, requests_per_s=1 / own)
    tokens = max_queued_prompt_tokens(ttft_slo_s=ttft_slo_s, prefill_s=own,
                                      prefill_tokens_per_s=rate)
    print(f"{prompt:>7,} {fmt_duration(own, 'ms'):>12} {fmt_int(requests):>22} {fmt_int(tokens):>23}")
# --8<-- [end:load_shedding]
