# Cells of docs/simulator.md. Each named section is one self-contained cell:
# it runs in a fresh namespace at build time and in the browser. Default
# cells stay well under a second on CPython (Pyodide is about twice slower).

# --8<-- [start:run]
from servecalc.sim import Engine, LogNormal, poisson_workload, simulate
from servecalc.units import fmt_duration, fmt_number, fmt_percent

engine = Engine("llama-3.1-8b", "h100-sxm", gpus=1, weight_dtype="bf16", max_batch=256)
work = poisson_workload(
    rate=15.0,                            # requests per second, Poisson arrivals
    requests=1_000,
    prompt=512,                           # tokens: an int, Uniform(a, b), LogNormal(...), Choice(...)
    output=LogNormal(256, 1.0, high=4096),
    seed=0,
)
r = simulate(engine, work, policy="continuous", slo="mlperf-llama3.1-8b-server")

print(f"{'':>14} {'p50':>10} {'p90':>10} {'p99':>10}")
for name, s, unit in [("TTFT", r.ttft_s, "ms"), ("TPOT", r.tpot_s, "ms"), ("end to end", r.e2e_s, "s")]:
    digits = 2 if unit == "s" else 1
    print(f"{name:>14} " + " ".join(f"{fmt_duration(v, unit, digits):>10}" for v in (s.p50, s.p90, s.p99)))
print("throughput:   ", fmt_number(r.throughput_tokens_per_s, 0), "output tok/s,",
      fmt_number(r.requests_per_s, 2), "requests/s")
print("goodput:      ", fmt_number(r.goodput_requests_per_s, 2), "requests/s within",
      r.slo.name, f"({fmt_percent(r.slo_attainment)} of requests)")
print(f"engine:        {fmt_number(r.mean_batch, 1)} sequences on average (peak {r.peak_batch}),"
      f" KV peak {fmt_percent(r.peak_kv_utilization)} of {r.kv_blocks:,} blocks,"
      f" {r.preemptions} preemptions")
# --8<-- [end:run]

# --8<-- [start:batch_chart_data]
from servecalc.sim import Engine, LogNormal, poisson_workload, simulate
from servecalc.units import fmt_number, fmt_percent

# A burst: the arrival rate rises from 12 to 40 requests/s, then falls back.
engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=10_000)   # a smaller KV pool
calm = poisson_workload(12.0, 400, output=LogNormal(256, 1.0, high=4096), seed=1)
busy = poisson_workload(40.0, 800, output=LogNormal(256, 1.0, high=4096), seed=2)
t1 = calm.arrivals[-1]
t2 = t1 + busy.arrivals[-1]
late = poisson_workload(12.0, 400, output=LogNormal(256, 1.0, high=4096), seed=3)

from servecalc.sim import make_workload
work = make_workload(
    calm.arrivals + tuple(t1 + t for t in busy.arrivals) + tuple(t2 + t for t in late.arrivals),
    calm.prompts + busy.prompts + late.prompts,
    calm.outputs + busy.outputs + late.outputs,
)
r = simulate(engine, work, policy="continuous", chart_points=48)

print(f"{r.preemptions} preemptions; burst from {fmt_number(t1, 1)} s to {fmt_number(t2, 1)} s")
print(f"{'time (s)':>9} {'batch':>7} {'KV used':>8} {'queue':>7}")
for p in r.timeline:
    print(f"{fmt_number(p.t_s, 1):>9} {fmt_number(p.batch, 1):>7} "
          f"{fmt_percent(p.kv_utilization):>8} {fmt_number(p.waiting, 1):>7}")
# --8<-- [end:batch_chart_data]

# --8<-- [start:latency_load_chart_data]
from servecalc.sim import Engine, LogNormal, poisson_workload, saturation_rate, simulate
from servecalc.units import fmt_duration, fmt_number

engine = Engine("llama-3.1-8b", "h100-sxm")
prompt, output = 512, LogNormal(256, 1.0, high=4096)
capacity = saturation_rate(engine, policy="continuous", prompt=prompt, output=output)
print("capacity (continuous):", fmt_number(capacity, 2), "requests/s")
print(f"{'load':>5} {'rate':>6} {'policy':>10} {'TTFT p50':>9} {'TTFT p99':>9} "
      f"{'TPOT p50':>9} {'TPOT p99':>9} {'e2e p99':>8}")
for load in [0.2, 0.4, 0.6, 0.8, 0.9, 0.95]:
    work = poisson_workload(load * capacity, 500, prompt=prompt, output=output, seed=0)
    for policy in ["continuous", "chunked"]:
        r = simulate(engine, work, policy=policy, chart_points=1)
        print(f"{load:>5} {fmt_number(load * capacity, 1):>6} {policy:>10} "
              f"{fmt_duration(r.ttft_s.p50, 'ms'):>9} {fmt_duration(r.ttft_s.p99, 'ms'):>9} "
              f"{fmt_duration(r.tpot_s.p50, 'ms'):>9} {fmt_duration(r.tpot_s.p99, 'ms'):>9} "
              f"{fmt_duration(r.e2e_s.p99, 's', 2):>8}")
# --8<-- [end:latency_load_chart_data]

# --8<-- [start:compare]
from servecalc.sim import Engine, LogNormal, Uniform, poisson_workload, saturation_rate, simulate
from servecalc.units import fmt_duration, fmt_number

engine = Engine("llama-3.1-8b", "h100-sxm")
prompt = 512
for label, output in [("fixed 256", 256), ("uniform 16-1,024", Uniform(16, 1024)),
                      ("log-normal, mean 256", LogNormal(256, 1.0, high=4096))]:
    cap = {p: saturation_rate(engine, policy=p, prompt=prompt, output=output, seed=1)
           for p in ["static", "continuous"]}
    print(f"outputs {label}: capacity (requests/s) "
          + ", ".join(f"{p} {fmt_number(c, 2)}" for p, c in cap.items())
          + f"; continuous / static = {fmt_number(cap['continuous'] / cap['static'], 1)}x")
    # Same arrivals for both policies: 80 % of what static batching can sustain.
    work = poisson_workload(0.8 * cap["static"], 400, prompt=prompt, output=output, seed=1)
    for policy in ["static", "continuous"]:
        r = simulate(engine, work, policy=policy, chart_points=1)
        print(f"  {policy:>10}: TTFT p99 {fmt_duration(r.ttft_s.p99, 's', 2):>8}, "
              f"e2e p50 {fmt_duration(r.e2e_s.p50, 's', 2):>8}, p99 {fmt_duration(r.e2e_s.p99, 's', 2):>8}")
# --8<-- [end:compare]

# --8<-- [start:md1]
import math

from servecalc.step import StepModel
from servecalc.sim import Engine, poisson_workload, simulate
from servecalc.units import fmt_duration, fmt_percent

prompt, output, rho = 512, 64, 0.8
sm = StepModel("llama-3.1-8b", "h100-sxm")
service = math.fsum([sm.prefill_time_s(prompt)]
                    + [sm.decode_time_s(1, prompt + j) for j in range(1, output)])
wq = rho * service / (2 * (1 - rho))          # Pollaczek-Khinchine, deterministic service

engine = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
print("service time S:", fmt_duration(service, "ms"), "; Pollaczek-Khinchine Wq:", fmt_duration(wq, "ms"))
for seed in range(4):
    work = poisson_workload(rho / service, 20_000, prompt=prompt, output=output, seed=seed)
    r = simulate(engine, work, chart_points=1)
    print(f"seed {seed}: simulated mean wait {fmt_duration(r.queue_s.mean, 'ms')}"
          f" ({fmt_percent(r.queue_s.mean / wq - 1)} off)")
# --8<-- [end:md1]

# --8<-- [start:preemption]
from servecalc.sim import Engine, Uniform, poisson_workload, simulate
from servecalc.units import fmt_duration, fmt_percent

# About 70 % of what this engine sustains with its full KV pool (28,059 blocks).
work = poisson_workload(6.5, 800, prompt=Uniform(256, 2048), output=Uniform(64, 1024), seed=4)
for blocks in [28_059, 8_000, 4_000, 2_500]:
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=blocks)
    r = simulate(engine, work, policy="continuous", chart_points=1)
    print(f"{blocks:>6,} KV blocks: {r.preemptions:>5} preemptions, peak batch {r.peak_batch:>3}, "
          f"TPOT p99 {fmt_duration(r.tpot_s.p99, 'ms'):>9}, e2e p99 {fmt_duration(r.e2e_s.p99, 's', 1):>7}, "
          f"KV peak {fmt_percent(r.peak_kv_utilization)}")
# --8<-- [end:preemption]

# --8<-- [start:admission]
from servecalc.sim import Engine, Uniform, poisson_workload, simulate
from servecalc.units import fmt_duration

work = poisson_workload(6.5, 800, prompt=Uniform(256, 2048), output=Uniform(64, 1024), seed=4)
for admission in ["grow", "reserve"]:
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=4_000, admission=admission)
    r = simulate(engine, work, policy="continuous", chart_points=1)
    print(f"{admission:>7}: {r.preemptions:>5} preemptions, peak batch {r.peak_batch:>3}, "
          f"TTFT p99 {fmt_duration(r.ttft_s.p99, 's', 1):>7}, "
          f"TPOT p99 {fmt_duration(r.tpot_s.p99, 'ms'):>9}, e2e p99 {fmt_duration(r.e2e_s.p99, 's', 1):>7}")
# --8<-- [end:admission]

# --8<-- [start:bad_input]
from servecalc.sim import Engine, make_workload, simulate

engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=100)
simulate(engine, make_workload([0.0], [1_000], [1_000]))
# --8<-- [end:bad_input]

# --8<-- [start:trace_vs_poisson]
import math

from servecalc.sim import Engine, make_workload, poisson_workload, simulate
from servecalc.sim.traces import trace_workload
from servecalc.units import fmt_duration, fmt_number

engine = Engine("llama-3.1-8b", "h100-sxm")


def gap_cv(arrivals):
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    mean = math.fsum(gaps) / len(gaps)
    return math.sqrt(math.fsum((g - mean) ** 2 for g in gaps) / len(gaps)) / mean


print(f"{'':24} {'gap CV':>6} {'p50 TTFT':>9} {'p99 TTFT':>10} {'p99 TPOT':>9} {'peak batch':>10}")
for name, scale in [("azure-conv-2023", 2.0), ("azure-code-2023", 1.0)]:
    trace = trace_workload(name, rate_scale=scale)
    rate = (len(trace) - 1) / trace.arrivals[-1]
    # Poisson arrivals at the same mean rate, carrying the same requests in the same order.
    poisson = make_workload(poisson_workload(rate, len(trace), seed=1).arrivals,
                            trace.prompts, trace.outputs)
    print(f"{name}, {fmt_number(rate, 2)} requests/s on average:")
    for label, work in [("recorded arrivals", trace), ("Poisson arrivals", poisson)]:
        r = simulate(engine, work, policy="chunked", chart_points=1)
        print(f"  {label:22} {fmt_number(gap_cv(work.arrivals), 1):>6} "
              f"{fmt_duration(r.ttft_s.p50, 'ms'):>9} {fmt_duration(r.ttft_s.p99, 'ms'):>10} "
              f"{fmt_duration(r.tpot_s.p99, 'ms'):>9} {r.peak_batch:>10}")
# --8<-- [end:trace_vs_poisson]
