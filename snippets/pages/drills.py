# Cells of docs/drills/index.md and docs/drills/questions.md. Each named section
# is one self-contained cell: it runs in a fresh namespace at build time and in
# the browser.

# --8<-- [start:worksheet]
import math

from servecalc.capacity import fit
from servecalc.kv import kv_bytes_per_token
from servecalc.latency import request_latency
from servecalc.params import weight_bytes
from servecalc.plan import usd_per_million_tokens_at_rate
from servecalc.slo import make_slo
from servecalc.slo_capacity import max_rate_under_slo
from servecalc.units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_usd
from servecalc.deployment import Deployment

# 1. Restate: the question's numbers, as you wrote them on the board.
model, gpu = "llama-3.1-70b", "h100-sxm"
prompt, output = 2000, 400             # tokens per request
peak_requests_per_s = 10
slo = make_slo("chat", ttft_s=1.0, tpot_s=0.05)
price_usd_per_hour = 3.78              # per GPU; use your quote

# 2. Baseline: does it fit, and on how many GPUs?
print("weights:", fmt_bytes(weight_bytes(model), "GB"),
      "| KV per token:", fmt_bytes(kv_bytes_per_token(model), "KiB", 0))
for gpus in [1, 2, 4, 8]:
    f = fit(model, gpu, gpus=gpus, context=prompt + output)
    print(f"  {gpus} GPUs: {fmt_int(f.max_batch)} sequences fit")

# 3. Estimate: latency alone, then the best batch under the SLO.
gpus = 4
alone = request_latency(Deployment(model=model, gpu=gpu, gpus=gpus), prompt=prompt, output=output)
print("alone: TTFT", fmt_duration(alone.ttft_s, "ms"), "| TPOT", fmt_duration(alone.tpot_s, "ms"),
      "| end to end", fmt_duration(alone.e2e_s, "s", 2))
# One replica under random (Poisson) arrivals, simulated: the highest rate meeting the SLO at p99.
cap = max_rate_under_slo(Deployment(model=model, gpu=gpu, gpus=gpus), slo=slo, prompt=prompt,
                         output=output)
replicas = math.ceil(peak_requests_per_s / cap.max_rate_requests_per_s)
print(f"under the SLO: {fmt_number(cap.max_rate_requests_per_s)} requests/s per replica "
      f"(mean batch {fmt_number(cap.mean_batch, 0)}), {replicas} replicas = {replicas * gpus} GPUs")

# 4. Trade-offs: what the answer costs.
usd = usd_per_million_tokens_at_rate(price_usd_per_hour * gpus, cap.max_rate_requests_per_s,
                                     prompt + output)
print("cost at that rate:", fmt_usd(usd, 3), "per 1M tokens, input and output together")
# 5. Monitor: TTFT/TPOT p99 against the SLO, KV occupancy, queue depth, cost per 1M tokens.
# --8<-- [end:worksheet]

# --8<-- [start:boe_all]
from fieldguide.drills import DRILLS, drill
from servecalc.units import fmt_percent

# Every back-of-the-envelope drill: the whiteboard line, then the library's figure.
for drill_id in DRILLS:
    d = drill(drill_id)
    print(d.question)
    print("   board:  ", d.working)
    print("   library:", d.fmt(d.exact), "| gap", fmt_percent(d.gap))
# --8<-- [end:boe_all]

# --8<-- [start:tp_vs_replicas]
from servecalc.layouts import best_layout, compare_layouts
from servecalc.units import fmt_duration, fmt_int, fmt_percent

# Llama-3.1-70B on 8 x H100: one TP=8 group, or two TP=4 replicas?
context = 4096
for batch in [1, 32, None]:          # None: the largest batch each layout holds
    rows = compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8, tps=[8, 4],
                           context=context, batch=batch)
    for r in rows:
        print(f"TP={r.tp} x {r.replicas}: batch {r.batch:>3} per replica"
              f"  TPOT {fmt_duration(r.step_s, 'ms'):>8}"
              f"  all-reduce {fmt_percent(r.comm_s / r.step_s):>7}"
              f"  total {fmt_int(round(r.fleet_tokens_per_s)):>6} tokens/s")
    print("  -> more tokens/s:", f"TP={best_layout(rows).tp}",
          "(same batch)" if batch else "(largest batch each holds)")
# --8<-- [end:tp_vs_replicas]

# --8<-- [start:decode_batch_sweep]
from servecalc.latency import decode_throughput_curve
from servecalc.units import fmt_duration, fmt_int

points = decode_throughput_curve("llama-3.1-8b", "h100-sxm", batches=[1, 8, 32, 128, 256],
                                 context=512)
for p in points:
    print(f"batch {p.batch:>3}: step {fmt_duration(p.step_s, 'ms'):>8}  "
          f"{fmt_int(round(p.tokens_per_s)):>7} tokens/s  ({p.bound}-bound)")
# --8<-- [end:decode_batch_sweep]

# --8<-- [start:static_vs_continuous]
from servecalc.batching import continuous_batching, static_batching
from servecalc.units import fmt_duration, fmt_int

# Short and long answers mixed: static batches wait for their longest member.
work = [(512, 32), (512, 256), (1024, 64), (256, 512)] * 16
for run in [static_batching, continuous_batching]:
    r = run("llama-3.1-8b", "h100-sxm", requests=work, batch=16)
    print(f"{r.scheme:10}  {fmt_int(round(r.output_tokens_per_s)):>6} tokens/s  "
          f"mean TTFT {fmt_duration(r.mean_ttft_s, 's', 2):>7}  "
          f"mean end to end {fmt_duration(r.mean_e2e_s, 's', 2):>7}")
# --8<-- [end:static_vs_continuous]

# --8<-- [start:chunked_prefill]
from servecalc.step import StepModel
from servecalc.units import fmt_duration

sm = StepModel("llama-3.1-8b", "h100-sxm")
batch, context, prompt = 32, 2048, 4096
alone = sm.decode_time_s(batch, batch * context)
whole = sm.mixed_time_s(batch, batch * context, [(prompt, 0)])
print("decode step alone:              ", fmt_duration(alone, "ms"))
print(f"with a whole {prompt:,}-token prefill:", fmt_duration(whole, "ms"), " <- every user stalls")
for chunk in [512, 1024]:
    step = sm.mixed_time_s(batch, batch * context, [(chunk, 0)])
    print(f"with one {chunk:,}-token chunk:      ", fmt_duration(step, "ms"),
          f"x {prompt // chunk} steps")
# --8<-- [end:chunked_prefill]

# --8<-- [start:precisions]
from servecalc.quantization import compare_precisions
from servecalc.units import fmt_bytes, fmt_duration, fmt_int
from servecalc.deployment import Deployment

rows = compare_precisions(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=2), context=4096)
print(f"{'weights':>7} {'KV':>5} {'math':>5} {'weights':>10} {'fit':>5} {'TPOT b=1':>9} {'prefill 4K':>10}")
for r in rows:
    print(f"{r.weight_dtype:>7} {r.kv_dtype:>5} {r.compute_dtype:>5} "
          f"{fmt_bytes(r.weight_bytes, 'GB', 0):>10} {fmt_int(r.max_batch):>5} "
          f"{fmt_duration(r.tpot_s, 'ms'):>9} {fmt_duration(r.prefill_s, 'ms'):>10}")
# --8<-- [end:precisions]

# --8<-- [start:speculative]
from servecalc.speculative import best_gamma, expected_tokens_per_step, speculative_decode
from servecalc.units import fmt_duration, fmt_number
from servecalc.deployment import Deployment

target, draft, gpu, gpus, context = "llama-3.1-70b", "llama-3.1-8b", "h100-sxm", 4, 2048
# What one draft step costs relative to one target step, on these GPUs.
c = speculative_decode(Deployment(model=target, gpu=gpu, gpus=gpus),
                       draft, alpha=0.5, gamma=1, context=context).cost_ratio
print("draft step / target step:", fmt_number(c))
for alpha in [0.6, 0.8, 0.9]:
    gamma = best_gamma(alpha, cost_ratio=c)
    r = speculative_decode(Deployment(model=target, gpu=gpu, gpus=gpus),
                           draft, alpha=alpha, gamma=gamma, context=context)
    print(f"acceptance {fmt_number(alpha, 1)}: gamma {gamma}, "
          f"{fmt_number(expected_tokens_per_step(alpha, gamma))} tokens per target step, "
          f"TPOT {fmt_duration(r.baseline_tpot_s, 'ms')} -> {fmt_duration(r.tpot_s, 'ms')} "
          f"({fmt_number(r.speedup)}x)")
# --8<-- [end:speculative]
