# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Size a chat service for Llama-3.1-70B on H100s
#
# A product team wants a chat assistant on Llama-3.1-70B, served on H100s. They
# know their traffic at peak, the length of a typical conversation turn, and how
# fast the answer should feel. The questions: how many GPUs, in what shape, at
# what precision, and what will it cost?
#
# This notebook works the question the way the [interview drills](../../drills/)
# suggest: restate the requirements, size memory first, estimate latency, find
# the capacity under the latency target, compare configurations, then check how
# sensitive the answer is. Every number below is printed by `servecalc`, the
# library behind the guide, when the site is built.
#
# <div class="admonition note">
# <p class="admonition-title">How to read the numbers</p>
# <p>The library is a roofline model with published efficiency factors. Its
# decode times are usually close; its prefill times are looser (see
# <a href="../../accuracy/">How accurate is this?</a>). Treat the result as the
# plan you then confirm with a load test, not as the load test.</p>
# </div>

# %%
from servecalc.engines import DEFAULT_ENGINE, get_engine

print(f"Load-dependent numbers below assume the {DEFAULT_ENGINE!r} engine preset "
      f"({get_engine().name}); Deployment(engine=...) chooses another.")

# %% [markdown]
# ## 1. The requirements
#
# Written down as code, so that every later cell uses the same numbers. A turn
# of conversation carries the history in its prompt, so prompts are long and
# answers shorter. The latency target is set at the 99th percentile, for time to
# first token and time per output token.

# %%
from servecalc.deployment import Deployment
from servecalc.slo import make_slo
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_usd

MODEL, GPU = "llama-3.1-70b", "h100-sxm"
PROMPT, OUTPUT = 3000, 300          # tokens per turn (history + question, answer)
PEAK_REQUESTS_PER_S = 25
HEADROOM = 0.3                      # spare capacity at peak: bursts, a lost replica
SLO = make_slo("chat", ttft_s=1.0, tpot_s=0.05, percentile=99)
PRICE_USD_PER_GPU_HOUR = 3.78       # the catalog's example on-demand price; use your quote

print(f"{MODEL} on {GPU}: {fmt_int(PROMPT)} tokens in, {fmt_int(OUTPUT)} out, "
      f"{PEAK_REQUESTS_PER_S} requests/s at peak")
print(f"SLO (p{fmt_number(SLO.percentile, 0)}): TTFT {fmt_duration(SLO.ttft_s, 'ms', 0)}, "
      f"TPOT {fmt_duration(SLO.tpot_s, 'ms', 0)}")
print(f"price: {fmt_usd(PRICE_USD_PER_GPU_HOUR)} per GPU-hour")

# %% [markdown]
# ## 2. Memory first
#
# The weights are a fixed cost per replica; everything left over holds KV cache,
# and the cache decides how many conversations a replica can hold at once. The
# cell tries bf16 and fp8 weights on groups of 1, 2, 4 and 8 GPUs (the
# tensor-parallel degree must divide the 64 attention heads).

# %%
from servecalc.capacity import fit
from servecalc.params import weight_bytes
from servecalc.units import fmt_bytes

for dtype in ["bf16", "fp8"]:
    print(f"{dtype} weights: {fmt_bytes(weight_bytes(MODEL, dtype), 'GB')}")
    for gpus in [1, 2, 4, 8]:
        f = fit(MODEL, GPU, gpus=gpus, context=PROMPT + OUTPUT, weight_dtype=dtype)
        print(f"   {gpus} GPUs: {fmt_int(f.max_batch):>4} conversations fit "
              f"(KV budget {fmt_bytes(f.kv_budget_bytes, 'GiB')})")

# %% [markdown]
# One GPU is out in bf16, and two leave almost nothing for the cache. Fp8
# weights halve the fixed cost, so two GPUs become a real option. The
# candidates worth timing are bf16 on 4 and 8 GPUs, and fp8 on 2 and 4.
#
# ## 3. Latency with the GPUs to itself
#
# Before batching, check that one request alone meets the target. If it does
# not, no batch size will.

# %%
from servecalc.latency import request_latency

CANDIDATES = [("bf16", 4), ("bf16", 8), ("fp8", 2), ("fp8", 4)]
for dtype, gpus in CANDIDATES:
    r = request_latency(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                        prompt=PROMPT, output=OUTPUT)
    ok = r.ttft_s <= SLO.ttft_s and r.tpot_s <= SLO.tpot_s
    print(f"{dtype} x{gpus}: TTFT {fmt_duration(r.ttft_s, 'ms'):>9}, TPOT {fmt_duration(r.tpot_s, 'ms'):>8}, "
          f"end to end {fmt_duration(r.e2e_s, 's', 2):>7}  {'meets' if ok else 'MISSES'} the SLO")

# %% [markdown]
# All four meet the target alone, with room to spare on TPOT. That room is what
# batching will spend.
#
# ## 4. Capacity under the SLO, and the fleet
#
# With continuous batching, a replica's TPOT grows with the batch: each step
# reads more KV cache, and arriving prompts' prefills interrupt the decode loop.
# Requests arrive at random, so some land in bursts and wait. The cell finds,
# for each candidate, the highest request rate one replica sustains with both
# limits met at the 99th percentile, by simulating it
# (`servecalc.slo_capacity`), then the replicas needed for the peak with
# headroom, the GPUs in total, and the monthly bill and cost per million tokens
# at the planned load.

# %%
import math

from servecalc.plan import usd_per_million_tokens_at_rate
from servecalc.slo_capacity import max_rate_under_slo

HOURS_PER_MONTH = 730
plans = []
print(f"{'config':>8} {'batch':>6} {'req/s':>7} {'replicas':>9} {'GPUs':>5} "
      f"{'per month':>11} {'$/1M tok':>9}")
for dtype, gpus in CANDIDATES:
    cap = max_rate_under_slo(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                             slo=SLO, prompt=PROMPT, output=OUTPUT)
    replicas = math.ceil(PEAK_REQUESTS_PER_S / (cap.max_rate_requests_per_s * (1 - HEADROOM)))
    total_gpus = replicas * gpus
    monthly = total_gpus * PRICE_USD_PER_GPU_HOUR * HOURS_PER_MONTH
    usd = usd_per_million_tokens_at_rate(total_gpus * PRICE_USD_PER_GPU_HOUR,
                                         PEAK_REQUESTS_PER_S, PROMPT + OUTPUT)
    plans.append((dtype, gpus, cap, replicas, total_gpus, monthly))
    print(f"{dtype + ' x' + str(gpus):>8} {fmt_number(cap.mean_batch, 0):>6} "
          f"{fmt_number(cap.max_rate_requests_per_s):>7} {replicas:>9} {total_gpus:>5} "
          f"{fmt_usd(monthly, 0):>11} {fmt_usd(usd, 3):>9}")
best = min(plans, key=lambda plan: plan[5])
print(f"cheapest: {best[0]} weights, {best[1]} GPUs per replica, {best[3]} replicas, "
      f"{best[4]} GPUs, {fmt_usd(best[5], 0)} per month")

# %% [markdown]
# Read the table by columns ("batch" is the mean number of sequences a replica
# runs at its capacity; the cost per million tokens, input and output, is at
# the peak load). The batch a replica can run under the target
# depends on how much cache it has and how fast each step is; requests per
# second per replica follows; the fleet size follows from the peak. Fewer GPUs
# per replica means more, smaller replicas, which also makes the fleet
# degrade gracefully when one fails.
#
# <div class="admonition warning">
# <p class="admonition-title">Fp8 is a quality decision, not only a cost one</p>
# <p>The library does not model accuracy. Before choosing an fp8 plan, compare
# the fp8 build with bf16 on your own evaluation set (long conversations
# included), and canary it against the bf16 model as described in the
# <a href="../../day-of-checklist/">day-of checklist</a>.</p>
# </div>
#
# ## 5. How sensitive is the answer?
#
# Requirements drift. Conversations get longer as users learn the product;
# answers get longer when the system prompt changes. The cell re-sizes the
# cheapest plan for a few what-ifs.

# %%
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

# %% [markdown]
# For a chat service with long histories, the history is the expensive
# direction. Doubling the prompt doubles each turn's prefill, which every running
# conversation waits for, and doubles its KV cache, so the batch that meets the
# target shrinks. Doubling the answer adds decode steps, but spreads the same
# prefill over more tokens and leaves the batch room to grow. Trimming or
# summarizing old turns is therefore a capacity lever, worth putting in front of
# the product team next to the cost per month.
#
# ## 6. A check at the planned load, with other traffic
#
# The plan loads each replica to the peak divided by the replica count. The
# cell simulates one replica at that load with traffic the search never saw:
# another seed, and answers spread from a quarter to twice the planned length
# (log-normal), and reads its tail against the target.

# %%
from servecalc.sim import Engine, LogNormal, poisson_workload, simulate

replicas = best[3]
engine = Engine(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype))
work = poisson_workload(PEAK_REQUESTS_PER_S / replicas, 4000, prompt=PROMPT,
                        output=LogNormal(OUTPUT, 0.5, low=OUTPUT // 4, high=2 * OUTPUT), seed=42)
run = simulate(engine, work, slo=SLO, chart_points=1)
print(f"one replica at {fmt_number(PEAK_REQUESTS_PER_S / replicas)} requests/s: "
      f"p99 TTFT {fmt_duration(run.ttft_s.p99, 'ms')}, p99 TPOT {fmt_duration(run.tpot_s.p99, 'ms')}, "
      f"mean batch {fmt_number(run.mean_batch, 0)}")
print(f"within the SLO: {fmt_number(run.slo_attainment * 100, 1)} % of requests")

# %% [markdown]
# With the headroom the tail stays inside the target even with answers of
# varied length. Without it, the replica would run at its capacity, where the
# p99 sits on the limit by construction. When the simulation and a load test
# disagree by a lot, trust neither and find out why.
#
# ## 7. What to monitor once it is live
#
# - Time to first token and time per output token at the 99th percentile,
#   against the targets in the first cell, per replica and per version.
# - KV-cache occupancy and preemptions: occupancy near full with a growing
#   queue means the batch is too large for the traffic's real lengths.
# - Prompt and output length distributions, compared with the planning values:
#   the sensitivity table says which drift matters most.
# - Dollars per million tokens per day: the cost table's last column, measured.
#
# The [day-of checklist](../../day-of-checklist/) has the rollout and rollback
# side of the same plan.
