# Cells of docs/cost.md. Each named section is one self-contained cell: it runs
# in a fresh namespace at build time and in the browser.

# --8<-- [start:per_million]
from servecalc.cost import cost_per_million_tokens
from servecalc.prices import get_price
from servecalc.units import fmt_duration, fmt_int, fmt_usd

price = get_price("h100-sxm")          # an example; pass your own price_usd_per_hour
print("price:", fmt_usd(price.price_usd_per_hour), "per GPU-hour,", price.provider, price.date)

c = cost_per_million_tokens(
    "llama-3.1-8b", "h100-sxm",
    price_usd_per_hour=price.price_usd_per_hour,
    batch=64,          # sequences decoded together
    prompt=1000,       # input tokens per request
    output=250,        # output tokens per request
)
print("prefill of the batch:", fmt_duration(c.prefill_s, "s", 2),
      "| decode of the batch:", fmt_duration(c.decode_s, "s", 2))
print("output tokens/s:     ", fmt_int(round(c.output_tokens_per_s)))
print("per 1M input tokens: ", fmt_usd(c.usd_per_million_input_tokens, 3))
print("per 1M output tokens:", fmt_usd(c.usd_per_million_output_tokens, 3))
print("per 1M tokens, all:  ", fmt_usd(c.usd_per_million_tokens, 3))
print("per request:         ", fmt_usd(c.usd_per_request, 5))
# --8<-- [end:per_million]

# --8<-- [start:by_hand]
from servecalc.cost import cost_per_million_tokens
from servecalc.units import fmt_usd

price_usd_per_hour, batch, prompt, output = 3.78, 64, 1000, 250
c = cost_per_million_tokens("llama-3.1-8b", "h100-sxm", price_usd_per_hour=price_usd_per_hour,
                            batch=batch, prompt=prompt, output=output)
# The whole model: the cluster's price per second, times the seconds each phase
# keeps it busy, over the tokens that phase produces.
usd_per_s = price_usd_per_hour / 3600
input_by_hand = c.prefill_s * usd_per_s / (batch * prompt) * 1e6
output_by_hand = c.decode_s * usd_per_s / (batch * output) * 1e6
print("by hand:   input", fmt_usd(input_by_hand, 4), "| output", fmt_usd(output_by_hand, 4))
print("servecalc: input", fmt_usd(c.usd_per_million_input_tokens, 4),
      "| output", fmt_usd(c.usd_per_million_output_tokens, 4))
# --8<-- [end:by_hand]

# --8<-- [start:input_output]
from servecalc.cost import cost_per_million_tokens
from servecalc.units import fmt_number, fmt_usd
from servecalc.deployment import Deployment

# Same model and GPU; three request shapes.
shapes = {"chat": (1000, 250), "summarize": (8000, 200), "generate": (200, 1500)}
print(f"{'shape':10} {'in':>6} {'out':>6} {'$/1M in':>9} {'$/1M out':>9} {'out/in':>7} {'$/1M all':>9}")
for name, (prompt, output) in shapes.items():
    c = cost_per_million_tokens(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                                price_usd_per_hour=3.78, batch=32, prompt=prompt, output=output)
    ratio = c.usd_per_million_output_tokens / c.usd_per_million_input_tokens
    print(f"{name:10} {prompt:>6,} {output:>6,} {fmt_usd(c.usd_per_million_input_tokens, 3):>9} "
          f"{fmt_usd(c.usd_per_million_output_tokens, 3):>9} {fmt_number(ratio, 1):>6}x "
          f"{fmt_usd(c.usd_per_million_tokens, 3):>9}")
# --8<-- [end:input_output]

# --8<-- [start:batch_sweep]
from servecalc.capacity import fit
from servecalc.cost import cost_vs_batch
from servecalc.latency import request_latency
from servecalc.units import fmt_duration, fmt_usd
from servecalc.deployment import Deployment

model, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 1000, 250
fits = fit(model, gpu, gpus=gpus, context=prompt + output).max_batch
batches = [1, 4, 16, 64, 128, 256]
rows = cost_vs_batch(Deployment(model=model, gpu=gpu, gpus=gpus),
                     price_usd_per_hour=3.78, batches=batches, prompt=prompt, output=output)
print(f"at most {fits} sequences of {prompt + output:,} tokens fit on {gpus} GPUs")
print(f"{'batch':>5} {'TPOT':>9} {'$/1M out':>10} {'$/1M all':>10}")
for b, r in zip(batches, rows):
    tpot = request_latency(Deployment(model=model, gpu=gpu, gpus=gpus),
                           prompt=prompt, output=output, batch=b).tpot_s
    print(f"{b:>5} {fmt_duration(tpot, 'ms'):>9} {fmt_usd(r.usd_per_million_output_tokens, 3):>10} "
          f"{fmt_usd(r.usd_per_million_tokens, 3):>10}")
# --8<-- [end:batch_sweep]

# --8<-- [start:slo_batch]
from servecalc.cost import cost_per_million_tokens
from servecalc.slo import best_under_slo, get_slo
from servecalc.units import fmt_duration, fmt_usd
from servecalc.deployment import Deployment

model, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
slo = get_slo("mlperf-llama2-70b-interactive")   # or make_slo("chat", ttft_s=1.0, tpot_s=0.05)
r = best_under_slo(Deployment(model=model, gpu=gpu, gpus=gpus), prompt=1000, output=250, slo=slo)
print("SLO:", fmt_duration(slo.ttft_s, "ms", 0), "TTFT,", fmt_duration(slo.tpot_s, "ms", 0), "TPOT")
print("best batch under it:", r.best.batch, "of", r.max_batch_fit, "that fit",
      "| TPOT", fmt_duration(r.best.tpot_s, "ms"), "| TTFT", fmt_duration(r.best.ttft_s, "ms"))
for batch in [r.best.batch, r.max_batch_fit]:
    c = cost_per_million_tokens(Deployment(model=model, gpu=gpu, gpus=gpus),
                                price_usd_per_hour=3.78, batch=batch, prompt=1000, output=250)
    print(f"batch {batch:>3}: {fmt_usd(c.usd_per_million_tokens, 3)} per 1M tokens")
# --8<-- [end:slo_batch]

# --8<-- [start:cost_chart_data]
from servecalc.cost import cost_vs_batch
from servecalc.units import fmt_usd
from servecalc.deployment import Deployment

# Data for a chart: $ per 1M tokens (input and output together) against batch
# size, one series per utilization. Llama-3.1-70B on 4 x H100, 1,000 in / 250 out.
batches = [1, 2, 4, 8, 16, 32, 64, 128, 256]
utilizations = [1.0, 0.6, 0.3]
print("batch " + " ".join(f"{'util ' + format(u, '.0%'):>11}" for u in utilizations))
series = {
    u: cost_vs_batch(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                     price_usd_per_hour=3.78, batches=batches, prompt=1000, output=250,
                     utilization=u)
    for u in utilizations
}
for i, b in enumerate(batches):
    print(f"{b:>5} " + " ".join(f"{fmt_usd(series[u][i].usd_per_million_tokens, 3):>11}"
                                 for u in utilizations))
# --8<-- [end:cost_chart_data]

# --8<-- [start:break_even]
from servecalc.cost import break_even_vs_api
from servecalc.units import fmt_int, fmt_percent, fmt_usd
from servecalc.deployment import Deployment

# An API quote to compare with: replace with yours (dollars per 1M tokens).
api_input, api_output = 0.60, 0.60
b = break_even_vs_api(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                      price_usd_per_hour=3.78, api_usd_per_million_input=api_input,
                      api_usd_per_million_output=api_output, batch=256, prompt=1000, output=250)
print("API, per request:              ", fmt_usd(b.api_usd_per_request, 5))
print("self-hosted, fully busy:       ", fmt_usd(b.self_hosted_usd_per_request_at_full_load, 5))
print("break-even utilization:        ", fmt_percent(b.break_even_utilization))
print("break-even traffic, per hour:  ", fmt_int(round(b.break_even_requests_per_hour)), "requests")
print("one replica's capacity, per h: ", fmt_int(round(b.capacity_requests_per_hour)), "requests")
print("self-hosting can win:          ", b.self_hosting_can_win)
# --8<-- [end:break_even]

# --8<-- [start:calibrate]
from servecalc.cost import cost_per_million_tokens
from servecalc.params import weight_bytes
from servecalc.gpus import get_gpu
from servecalc.kv import kv_bytes_per_batch
from servecalc.step import bandwidth_utilization
from servecalc.units import fmt_duration, fmt_percent, fmt_usd
from servecalc.deployment import Deployment

# Your benchmark: the TPOT you measured at a batch and average context.
measured_tpot_s = 0.030   # replace with your measurement (seconds)
batch, avg_context, gpus = 64, 1125, 4
moved = weight_bytes("llama-3.1-70b") + kv_bytes_per_batch("llama-3.1-70b", avg_context, batch)
mbu = bandwidth_utilization(moved / gpus, measured_tpot_s, get_gpu("h100-sxm").hbm_bandwidth_bytes_per_s)
print("measured TPOT", fmt_duration(measured_tpot_s, "ms"), "means MBU =", fmt_percent(mbu))
for label, value in [("library default", None), ("calibrated", mbu)]:
    c = cost_per_million_tokens(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=gpus, mbu=value),
                                price_usd_per_hour=3.78, batch=batch, prompt=1000, output=250)
    print(f"{label:16} {fmt_usd(c.usd_per_million_output_tokens, 3)} per 1M output tokens")
# --8<-- [end:calibrate]

# --8<-- [start:reasoning_tokens]
from servecalc.api_pricing import request_usd
from servecalc.deployment import Deployment
from servecalc.latency import request_latency
from servecalc.units import fmt_duration, fmt_usd

# An illustrative quote in dollars per million tokens; cached input at a tenth of the
# input price, the discount several providers publish. Replace with your provider's.
quote = dict(input_usd_per_m=1.00, cached_input_usd_per_m=0.10, output_usd_per_m=8.00)
prompt, answer = 2_000, 500
print(f"{'reasoning':>9} {'cached':>7} {'$/request':>10} {'answer done (self-hosted 70B, 4 x H100)':>40}")
for reasoning in [0, 2_000, 8_000]:
    done = request_latency(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                           prompt=prompt, output=answer + reasoning)
    for cached in [0.0, 0.8]:
        usd = request_usd(prompt=prompt, answer=answer, reasoning=reasoning, cached_share=cached,
                          **quote)
        print(f"{reasoning:>9,} {cached:>7.0%} {fmt_usd(usd, 4):>10} {fmt_duration(done.e2e_s, 's'):>40}")
# --8<-- [end:reasoning_tokens]

# --8<-- [start:owned_vs_rented]
from servecalc.ownership import owned_usd_per_gpu_hour, owning_break_even_utilization
from servecalc.prices import get_price
from servecalc.units import fmt_percent, fmt_usd

# One 8-GPU H100 server. Every input is an assumption to replace with your quotes:
owned = owned_usd_per_gpu_hour(
    server_usd=250_000,        # purchase price of the server (illustrative)
    gpus_per_server=8,
    years=4,                   # straight-line depreciation
    power_kw=10.2,             # NVIDIA DGX H100 datasheet: ~10.2 kW max system power
    pue=1.3,                   # facility overhead (cooling, power conversion)
    usd_per_kwh=0.08,          # electricity price (illustrative)
    other_usd_per_year=20_000, # space, support contract, network share (illustrative)
)
rented = get_price("h100-sxm")
print(f"owned: {fmt_usd(owned)} per GPU-hour, every hour, busy or idle")
print(f"rented: {fmt_usd(rented.price_usd_per_hour)} per GPU-hour ({rented.provider}, {rented.date})")
print(f"owning wins above {fmt_percent(owning_break_even_utilization(owned, rented.price_usd_per_hour))}"
      " of hours busy (if rented GPUs are released when idle)")
for years in [3, 4, 5]:
    cost = owned_usd_per_gpu_hour(server_usd=250_000, gpus_per_server=8, years=years,
                                  power_kw=10.2, pue=1.3, usd_per_kwh=0.08,
                                  other_usd_per_year=20_000)
    print(f"  written off over {years} years: {fmt_usd(cost)} per GPU-hour")
# --8<-- [end:owned_vs_rented]

# --8<-- [start:node_packing]
from servecalc.ownership import node_packing
from servecalc.prices import get_price
from servecalc.units import fmt_usd

per_gpu = get_price("h100-sxm").price_usd_per_hour
print(f"{'replica':>8} {'replicas':>8} {'nodes':>5} {'idle GPUs':>9} {'paid/used':>9} {'$/hour':>9}")
for tp, replicas in [(2, 5), (4, 3), (4, 5), (8, 2)]:
    p = node_packing(replica_gpus=tp, replicas=replicas, gpus_per_node=8)
    print(f"{'TP' + str(tp):>8} {replicas:>8} {p.nodes:>5} {p.stranded_gpus:>9} "
          f"{p.paid_over_used:>8.2f}x {fmt_usd(p.nodes * 8 * per_gpu, 0):>9}")
# --8<-- [end:node_packing]
