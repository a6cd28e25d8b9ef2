# Cells of docs/latency.md. Each named section is one self-contained cell:
# it runs in a fresh namespace at build time and in the browser.

# --8<-- [start:one_request]
from servecalc.latency import request_latency
from servecalc.units import fmt_duration, fmt_number, fmt_percent

r = request_latency("llama-3.1-8b", "h100-sxm", prompt=1_000, output=200)

decode_time = r.e2e_s - r.ttft_s
print("time to first token:", fmt_duration(r.ttft_s, "ms"), f"(prefill is {r.prefill_bound}-bound)")
print("time per output token:", fmt_duration(r.tpot_s, "ms", 2), f"(decode is {r.decode_bound}-bound)")
print("end to end:", fmt_duration(r.e2e_s, "s", 2))
print("  of which decoding:", fmt_percent(decode_time / r.e2e_s))
print("tokens per second one user sees:", fmt_number(1 / r.tpot_s, 0))
# --8<-- [end:one_request]

# --8<-- [start:lengths]
from servecalc.latency import request_latency
from servecalc.units import fmt_duration
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4

print(f"{'prompt':>7} {'output':>7} {'TTFT':>10} {'TPOT':>9} {'end to end':>11}")
for prompt, output in [(256, 256), (4_096, 256), (16_384, 256), (1_024, 64), (1_024, 1_024)]:
    r = request_latency(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                        prompt=prompt, output=output)
    print(f"{prompt:>7,} {output:>7,} {fmt_duration(r.ttft_s, 'ms'):>10} "
          f"{fmt_duration(r.tpot_s, 'ms'):>9} {fmt_duration(r.e2e_s, 's', 2):>11}")
# --8<-- [end:lengths]

# --8<-- [start:latency_throughput_chart_data]
from servecalc.slo import operating_point
from servecalc.units import fmt_duration, fmt_number
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1_024, 256

print(f"{'batch':>5} {'TTFT':>9} {'TPOT':>9} {'output tok/s':>13} {'requests/s':>11}")
for batch in [1, 8, 16, 32, 64, 128, 256]:
    p = operating_point(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                        batch=batch, prompt=prompt, output=output)
    print(f"{batch:>5} {fmt_duration(p.ttft_s, 'ms'):>9} {fmt_duration(p.tpot_s, 'ms'):>9} "
          f"{fmt_number(p.output_tokens_per_s, 0):>13} {fmt_number(p.requests_per_s, 2):>11}")
# --8<-- [end:latency_throughput_chart_data]

# --8<-- [start:presets]
from servecalc.slo import PRESETS
from servecalc.units import fmt_duration, fmt_number

print(f"{'preset':34} {'TTFT':>9} {'TPOT':>7} {'checked at':>10}")
for key, slo in PRESETS.items():
    print(f"{key:34} {fmt_duration(slo.ttft_s, 'ms', 0):>9} {fmt_duration(slo.tpot_s, 'ms', 0):>7} "
          f"{'p' + fmt_number(slo.percentile, 0):>10}")
# --8<-- [end:presets]

# --8<-- [start:slo_capacity]
from servecalc.deployment import Deployment
from servecalc.slo import best_under_slo
from servecalc.slo_capacity import max_rate_under_slo
from servecalc.units import fmt_duration, fmt_number, fmt_percent

replica = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
prompt, output = 1_024, 256

for preset in ["mlperf-llama2-70b-server", "mlperf-llama2-70b-interactive"]:
    # Simulated: Poisson arrivals, queueing, continuous batching; the SLO at p99.
    r = max_rate_under_slo(replica, slo=preset, prompt=prompt, output=output)
    low, high = r.rate_interval_requests_per_s
    print(f"{preset}: {fmt_number(r.max_rate_requests_per_s, 2)} requests/s "
          f"(95 % interval {fmt_number(low, 2)}-{fmt_number(high, 2)}), "
          f"{fmt_number(r.output_tokens_per_s, 0)} output tok/s, "
          f"mean batch {fmt_number(r.mean_batch, 0)}")
    print(f"   p99 TTFT {fmt_duration(r.ttft_s.p99, 'ms')}, p99 TPOT {fmt_duration(r.tpot_s.p99, 'ms')}")
    # Upper bound: every slot full, no queue, mean latencies against the limits.
    bound = best_under_slo(replica, prompt=prompt, output=output, slo=preset).best
    print(f"   steady-state formula (upper bound): {fmt_number(bound.requests_per_s, 2)} "
          f"requests/s at batch {bound.batch}, "
          f"{fmt_percent(bound.requests_per_s / r.max_rate_requests_per_s - 1)} too high")
# --8<-- [end:slo_capacity]

# --8<-- [start:knee]
from servecalc.load_curve import load_curve
from servecalc.sim import Engine
from servecalc.units import fmt_duration, fmt_number

engine = Engine("llama-3.1-8b", "h100-sxm")
# Kingman p99: Kingman's mean wait with an exponential (M/M/1-like) tail assumed.
print(f"{'load':>5} {'req/s':>6} {'p99 TTFT':>9} {'Kingman p99':>11} {'p99 TPOT':>9} {'p99 E2E':>8}")
for p in load_curve(engine, prompt=1_000, output=250):
    print(f"{fmt_number(p.load * 100, 0):>4}% {fmt_number(p.rate_requests_per_s, 1):>6} "
          f"{fmt_duration(p.ttft_p99_s, 'ms'):>9} {fmt_duration(p.kingman_ttft_p99_s, 'ms'):>11} "
          f"{fmt_duration(p.tpot_p99_s, 'ms'):>9} {fmt_duration(p.e2e_p99_s, 's'):>8}")
# --8<-- [end:knee]

# --8<-- [start:goodput]
from servecalc.deployment import Deployment
from servecalc.sim import Engine, poisson_workload, simulate
from servecalc.units import fmt_number, fmt_percent

engine = Engine(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4))
slo = "mlperf-llama2-70b-interactive"

print(f"{'arrivals/s':>10} {'throughput req/s':>17} {'goodput req/s':>14} {'within SLO':>10}")
for rate in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]:
    work = poisson_workload(rate, 2_000, prompt=1_024, output=256, seed=1)
    r = simulate(engine, work, slo=slo, chart_points=1)
    print(f"{fmt_number(rate, 1):>10} {fmt_number(r.requests_per_s, 2):>17} "
          f"{fmt_number(r.goodput_requests_per_s, 2):>14} {fmt_percent(r.slo_attainment):>10}")
# --8<-- [end:goodput]

# --8<-- [start:tail]
from servecalc.units import fmt_percent

# A page that waits for n independent calls is slow if any one of them is slow.
for n in [1, 5, 20, 100]:
    p_all_fast = 0.99 ** n       # each call is under its own p99 with probability 0.99
    print(f"{n:>4} calls: {fmt_percent(1 - p_all_fast)} of pages hit at least one p99 call")
# --8<-- [end:tail]

# --8<-- [start:littles_law]
import math

from servecalc.batching import littles_law_concurrency
from servecalc.kv import kv_bytes_per_sequence
from servecalc.slo_capacity import max_rate_under_slo
from servecalc.units import fmt_bytes, fmt_duration, fmt_number
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1_024, 256
arrival_rate = 20.0           # requests per second the service must absorb

# One replica's capacity under the SLO, simulated (Poisson arrivals, p99).
cap = max_rate_under_slo(Deployment(model=model_id, gpu=gpu, gpus=gpus), prompt=prompt,
                         output=output, slo="mlperf-llama2-70b-interactive")
e2e_s = cap.ttft_s.mean + (output - 1) * cap.tpot_s.mean   # mean time in the system
in_flight = littles_law_concurrency(arrival_rate, e2e_s)
replicas = math.ceil(arrival_rate / cap.max_rate_requests_per_s)
print("per replica:", fmt_number(cap.max_rate_requests_per_s, 2), "requests/s, mean batch",
      fmt_number(cap.mean_batch, 0), "; each request in the system for", fmt_duration(e2e_s, "s", 2))
print("in flight across the fleet (L = lambda x W):", fmt_number(in_flight, 0))
print("replicas needed:", replicas, f"({replicas * gpus} GPUs)")
kv = in_flight * kv_bytes_per_sequence(model_id, prompt + output)
print("KV cache held by the requests in flight, at full length:", fmt_bytes(kv, "GiB"))
# --8<-- [end:littles_law]

# --8<-- [start:rag_budget]
import math

from servecalc.latency import request_latency
from servecalc.units import fmt_duration, fmt_percent
from servecalc.deployment import Deployment

budget_s = 1.0                 # target for the first token the user sees, per request

# Assumed stage times (measure your own). Retrieval and reranking run on their own
# services; only the language model is computed here.
stages = {
    "network + gateway": 0.030,
    "query embedding": 0.015,
    "vector search (ANN)": 0.025,
    "fetch passages": 0.020,
    "rerank 50 passages": 0.120,
    "build prompt": 0.005,
    "LLM queue allowance": 0.150,
}

system_tokens, question_tokens = 400, 60
passages, tokens_per_passage = 8, 300
prompt = system_tokens + question_tokens + passages * tokens_per_passage
llm = request_latency(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                      prompt=prompt, output=1)
stages[f"LLM prefill ({prompt:,} tokens)"] = llm.ttft_s

for name, seconds in stages.items():
    print(f"{name:32} {fmt_duration(seconds, 'ms'):>10} {fmt_percent(seconds / budget_s):>8}")
spent = math.fsum(stages.values())
print(f"{'total':32} {fmt_duration(spent, 'ms'):>10} {fmt_percent(spent / budget_s):>8}")
print(f"{'left of the budget':32} {fmt_duration(budget_s - spent, 'ms'):>10}")

print()
for n in [4, 8, 20, 50]:
    longer = system_tokens + question_tokens + n * tokens_per_passage
    r = request_latency(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                        prompt=longer, output=1)
    print(f"{n:>3} passages: {longer:>6,} prompt tokens, prefill {fmt_duration(r.ttft_s, 'ms')}")
# --8<-- [end:rag_budget]
