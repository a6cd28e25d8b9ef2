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

# --8<-- [start:best_under_slo]
from servecalc.slo import best_under_slo
from servecalc.units import fmt_duration, fmt_number
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1_024, 256

for preset in ["mlperf-llama2-70b-server", "mlperf-llama2-70b-interactive"]:
    r = best_under_slo(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                       prompt=prompt, output=output, slo=preset)
    if not r.feasible:
        print(f"{preset}: {r.reason}")
        continue
    b = r.best
    print(f"{preset}: {r.reason}")
    print(f"   TTFT {fmt_duration(b.ttft_s, 'ms')}, TPOT {fmt_duration(b.tpot_s, 'ms')}, "
          f"{fmt_number(b.output_tokens_per_s, 0)} output tok/s, "
          f"{fmt_number(b.requests_per_s, 2)} requests/s")
# --8<-- [end:best_under_slo]

# --8<-- [start:goodput]
from servecalc.slo import get_slo, operating_point
from servecalc.units import fmt_duration, fmt_number
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1_024, 256
slo = get_slo("mlperf-llama2-70b-interactive")

print(f"{'batch':>5} {'TPOT':>9} {'throughput req/s':>17} {'goodput req/s':>14}")
for batch in [16, 32, 48, 64, 128]:
    p = operating_point(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                        batch=batch, prompt=prompt, output=output)
    met = p.ttft_s <= slo.ttft_s and p.tpot_s <= slo.tpot_s
    # Identical requests: either all of them meet the SLO or none does.
    goodput = p.requests_per_s if met else 0.0
    print(f"{batch:>5} {fmt_duration(p.tpot_s, 'ms'):>9} {fmt_number(p.requests_per_s, 2):>17} "
          f"{fmt_number(goodput, 2):>14}")
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
from servecalc.slo import best_under_slo
from servecalc.units import fmt_bytes, fmt_duration, fmt_number
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1_024, 256
arrival_rate = 20.0           # requests per second the service must absorb

point = best_under_slo(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                       prompt=prompt, output=output, slo="mlperf-llama2-70b-interactive").best
in_flight = littles_law_concurrency(arrival_rate, point.e2e_s)
replicas = math.ceil(arrival_rate / point.requests_per_s)
print("per replica:", point.batch, "sequences,", fmt_number(point.requests_per_s, 2),
      "requests/s, each in the system for", fmt_duration(point.e2e_s, "s", 2))
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
