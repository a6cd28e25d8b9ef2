# Cells of docs/topology.md. Each named section is one self-contained cell:
# it runs in a fresh namespace at build time and in the browser.

# --8<-- [start:fit_matrix]
from servecalc.capacity import fit
from servecalc.units import fmt_bytes

gpu = "h100-sxm"
context = 8_192        # tokens per sequence the service must hold

print(f"{'model':15} {'GPUs':>4} {'weights/GPU':>12} {'KV budget':>11} {'sequences':>10}")
for model_id in ["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b"]:
    for gpus in [1, 2, 4, 8]:
        r = fit(model_id, gpu, gpus=gpus, context=context)
        print(f"{model_id:15} {gpus:>4} {fmt_bytes(r.weight_bytes / gpus, 'GiB'):>12} "
              f"{fmt_bytes(r.kv_budget_bytes, 'GiB'):>11} {r.max_batch:>10,}")
# --8<-- [end:fit_matrix]

# --8<-- [start:tp_scaling]
from servecalc.deployment import Deployment
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_percent

model_id, gpu = "llama-3.1-70b", "h100-sxm"
context = 2_048

print(f"{'TP':>3} {'batch':>5} {'step':>9} {'matmuls+KV':>11} {'all-reduce':>11} "
      f"{'comm share':>11}")
for batch in [1, 64]:
    for gpus in [2, 4, 8]:
        r = StepModel(Deployment(model=model_id, gpu=gpu, gpus=gpus)).decode(batch, context)
        kernels = r.linear_s + r.attention_s + r.kv_write_s + r.logits_s
        print(f"{gpus:>3} {batch:>5} {fmt_duration(r.seconds, 'ms'):>9} "
              f"{fmt_duration(kernels, 'ms'):>11} {fmt_duration(r.comm_s, 'ms'):>11} "
              f"{fmt_percent(r.comm_s / r.seconds):>11}")
# --8<-- [end:tp_scaling]

# --8<-- [start:replicas_vs_tp]
from servecalc.layouts import compare_layouts
from servecalc.units import fmt_duration, fmt_number

model_id, gpu = "llama-3.1-70b", "h100-sxm"
total_gpus = 8
context = 4_096        # average tokens each running sequence attends to

# Each layout at the largest batch it holds (pass batch=... to fix the batch).
rows = compare_layouts(model_id, gpu, total_gpus=total_gpus, tps=[2, 4, 8], context=context)
print(f"{'layout':>9} {'batch/replica':>14} {'TPOT':>9} {'fleet tok/s':>12}")
for r in rows:
    if not r.fits:
        print(f"{r.replicas} x TP{r.tp}: does not fit")
        continue
    print(f"{r.replicas} x TP{r.tp:<2} {r.batch:>14,} {fmt_duration(r.step_s, 'ms'):>9} "
          f"{fmt_number(r.fleet_tokens_per_s, 0):>12}")
# --8<-- [end:replicas_vs_tp]

# --8<-- [start:big_models]
from servecalc.capacity import fit

context = 8_192
print(f"{'model':15} {'weights':>7} {'8 x GPU':>9} {'sequences':>10}")
for model_id, weight_dtype in [("llama-3.1-405b", "bf16"), ("llama-3.1-405b", "fp8"),
                               ("deepseek-v3", "fp8")]:
    for gpu in ["h100-sxm", "h200", "mi300x"]:
        r = fit(model_id, gpu, gpus=8, context=context, weight_dtype=weight_dtype)
        answer = f"{r.max_batch:,}" if r.fits else "no"
        print(f"{model_id:15} {weight_dtype:>7} {gpu:>9} {answer:>10}")
# --8<-- [end:big_models]

# --8<-- [start:moe_reads]
from servecalc.params import active_param_count, param_count
from servecalc.step import StepModel
from servecalc.units import fmt_bytes, fmt_number
from servecalc.deployment import Deployment

model_id = "deepseek-v3"
sm = StepModel(Deployment(model=model_id, gpu="h200", weight_dtype="fp8"))
print(f"{model_id}: {fmt_number(param_count(model_id) / 1e9, 0)} billion parameters, "
      f"{fmt_number(active_param_count(model_id) / 1e9, 1)} billion per token")
print(f"{'tokens in step':>15} {'weights read':>13}")
for tokens in [1, 8, 32, 128, 512]:
    print(f"{tokens:>15,} {fmt_bytes(sm.weight_bytes_read(tokens), 'GB'):>13}")
# --8<-- [end:moe_reads]

# --8<-- [start:kv_transfer]
from servecalc.deployment import Deployment
from servecalc.gpus import get_gpu
from servecalc.kv import kv_bytes_per_sequence
from servecalc.step import step, transfer_per_link_s
from servecalc.units import fmt_bytes, fmt_duration

model_id, gpu, tp = "llama-3.1-70b", "h100-sxm", 4
nvlink = get_gpu(gpu).interconnect_bytes_per_s   # from the catalog, one direction
network = 50e9     # assumption: one 400 Gb/s NIC per GPU, in bytes per second

# The cache is split over the TP group: each GPU sends its own shard over its own
# link, in parallel, so the transfer takes (cache / tp) / link.
print(f"{'prompt':>7} {'KV to move':>11} {'prefill':>9} {'NVLink':>8} {'network':>9}")
for prompt in [1_024, 8_192, 32_768]:
    kv = kv_bytes_per_sequence(model_id, prompt)
    prefill = step(Deployment(model=model_id, gpu=gpu, gpus=tp),
                   phase="prefill", batch=1, context=prompt)
    print(f"{prompt:>7,} {fmt_bytes(kv, 'GB'):>11} {fmt_duration(prefill.seconds, 'ms', 0):>9} "
          f"{fmt_duration(transfer_per_link_s(kv, tp, nvlink), 'ms'):>8} "
          f"{fmt_duration(transfer_per_link_s(kv, tp, network), 'ms'):>9}")
# --8<-- [end:kv_transfer]

# --8<-- [start:cold_start]
from servecalc.params import weight_bytes
from servecalc.units import fmt_bytes, fmt_duration

# Where the weights come from, and the bandwidth a loader sustains from it.
# These are assumptions: measure your own and edit them.
sources = {
    "object store": 1.0e9,     # bytes per second, one node pulling over the network
    "local NVMe": 6.0e9,       # one PCIe Gen4 x4 drive, sequential reads
    "host RAM": 25.0e9,        # page cache to GPU over PCIe Gen5
}

for model_id, weight_dtype in [("llama-3.1-8b", "bf16"), ("llama-3.1-70b", "bf16"),
                               ("llama-3.1-70b", "fp8")]:
    size = weight_bytes(model_id, weight_dtype)
    times = "  ".join(f"{name} {fmt_duration(size / rate, 's', 0):>5}"
                      for name, rate in sources.items())
    print(f"{model_id:14} {weight_dtype:5} {fmt_bytes(size, 'GB'):>10}  {times}")
# --8<-- [end:cold_start]

# --8<-- [start:moe_all_to_all]
from servecalc.gpus import get_gpu
from servecalc.moe import all_to_all
from servecalc.units import fmt_bytes, fmt_duration

model_id = "deepseek-v3"
tokens_per_gpu = 128       # decode tokens each GPU holds in one step
# Link each GPU sends over (one direction). Across nodes: one 400 Gb/s NIC per GPU,
# pessimistic by the share of traffic that stays inside a node.
layouts = [
    ("EP8, one HGX node (NVLink)", 8, get_gpu("h200").interconnect_bytes_per_s),
    ("EP32, four nodes (400G NIC)", 32, 50e9),
    ("EP64, one GB200 NVL72 rack (NVLink 5)", 64, get_gpu("gb200").interconnect_bytes_per_s),
]
print(f"{'layout':34} {'sent per layer':>15} {'per step':>9}")
for name, ep, link in layouts:
    t = all_to_all(model_id, tokens_per_gpu=tokens_per_gpu, ep=ep, link_bytes_per_s=link)
    print(f"{name:34} {fmt_bytes(t.bytes_per_gpu_per_layer, 'MB'):>15} "
          f"{fmt_duration(t.seconds_per_step, 'ms'):>9}")
print(f"({t.moe_layers} MoE layers, dispatch fp8 + combine bf16, per GPU)")
# --8<-- [end:moe_all_to_all]

# --8<-- [start:dp_attention]
from servecalc.deployment import Deployment
from servecalc.moe import attention_layouts
from servecalc.units import fmt_bytes, fmt_int

d = Deployment(model="deepseek-v3", gpu="h200", gpus=8, weight_dtype="fp8", kv_dtype="bf16")
print(f"{'attention':>9} {'weights/GPU':>12} {'KV budget/GPU':>14} {'KV tokens (group)':>18}")
for r in attention_layouts(d):
    print(f"{r.layout.upper():>9} {fmt_bytes(r.weight_bytes_per_gpu, 'GB'):>12} "
          f"{fmt_bytes(r.kv_budget_bytes_per_gpu, 'GiB'):>14} {fmt_int(r.kv_tokens):>18}")
# --8<-- [end:dp_attention]

# --8<-- [start:wide_ep_step]
from servecalc.deployment import Deployment
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_int

batch_per_gpu, context = 128, 2000    # decode: sequences per GPU, tokens each attends to
units = [                             # (GPU, GPUs = ep, redundant experts)
    ("h200", 8, 0),                   # one HGX node: all-to-all on NVLink
    ("h100-sxm", 32, 32),             # four nodes: 24 of 31 peers behind the network
    ("h100-sxm", 72, 32),             # nine nodes
    ("gb200", 72, 32),                # one NVL72 rack: every peer on NVLink
]
print(f"{'unit':16} {'step':>8} {'experts':>8} {'attention':>9} {'dispatch':>9} "
      f"{'combine':>8} {'tok/s/GPU':>9}")
for gpu, n, spare in units:
    d = Deployment(model="deepseek-v3", gpu=gpu, gpus=n, ep=n, dp_attention=True,
                   redundant_experts=spare, weight_dtype="fp8")
    b = batch_per_gpu * n
    t = StepModel(d).terms(b, b * context)          # one decode step of the whole unit
    ms = lambda s: fmt_duration(s, "ms", 1)
    print(f"{f'{n} x {gpu}':16} {ms(t.seconds):>8} {ms(t.expert_s):>8} "
          f"{ms(t.attention_s):>9} {ms(t.a2a_dispatch_s):>9} {ms(t.a2a_combine_s):>8} "
          f"{fmt_int(round(batch_per_gpu / t.seconds)):>9}")
# --8<-- [end:wide_ep_step]

# --8<-- [start:kv_aware_routing]
from servecalc.prefix_cache import prefix_cache_effect
from servecalc.routing import effective_hit_rate
from servecalc.units import fmt_duration, fmt_percent

model_id, gpu = "llama-3.1-8b", "h100-sxm"
prompt = 8_000           # a long conversation: earlier turns are the shared prefix
one_replica_hit = 0.9    # what a single replica would find cached
print(f"{'replicas':>8} {'router':>10} {'hit rate':>9} {'TTFT':>9}")
for replicas in [1, 4, 16]:
    for kv_aware in [False, True]:
        h = effective_hit_rate(one_replica_hit, replicas, kv_aware)
        r = prefix_cache_effect(model_id, gpu, prompt=prompt, output=200, hit_rate=h)
        router = "KV-aware" if kv_aware else "blind"
        print(f"{replicas:>8} {router:>10} {fmt_percent(h):>9} {fmt_duration(r.ttft_s, 'ms'):>9}")
# --8<-- [end:kv_aware_routing]

# --8<-- [start:context_parallel]
from servecalc.context_parallel import cp_prefill
from servecalc.gpus import get_gpu
from servecalc.units import fmt_bytes, fmt_duration, fmt_number

model_id, gpu = "llama-3.1-8b", "h100-sxm"
link = get_gpu(gpu).interconnect_bytes_per_s
print(f"{'prompt':>8} {'CP':>3} {'prefill':>9} {'KV sent/GPU':>12} {'speedup':>8}")
for prompt in [32_768, 131_072]:
    for cp in [1, 4, 8]:
        r = cp_prefill(model_id, gpu, prompt=prompt, cp=cp, link_bytes_per_s=link)
        print(f"{prompt:>8,} {cp:>3} {fmt_duration(r.seconds, 's', 2):>9} "
              f"{fmt_bytes(r.kv_bytes_sent_per_gpu, 'GB'):>12} {fmt_number(r.speedup, 1):>7}x")
# --8<-- [end:context_parallel]

# --8<-- [start:disagg_pools]
from servecalc.sim import Engine
from servecalc.sim.disagg import simulate_disagg
from servecalc.sim.workload import poisson_workload
from servecalc.slo import get_slo
from servecalc.units import fmt_duration

slo = get_slo("mlperf-deepseek-r1-interactive")      # p99 TTFT 1.5 s, p99 TPOT 15 ms
replica = Engine("llama-3.1-8b", "h100-sxm", engine="vllm")   # one GPU per replica
work = poisson_workload(8.0, 1000, prompt=4000, output=300, seed=0)

# Each pool ratio, simulated at the load: TTFT includes the prefill queue, the KV
# transfer (400 Gb/s per GPU) and the wait for a decode slot.
print(f"{'prefill:decode':>14} {'GPUs':>5} {'p99 TTFT':>9} {'p99 TPOT':>9}  SLO")
for x, y in [(1, 1), (1, 2), (2, 1), (2, 2), (3, 2)]:
    r = simulate_disagg(replica, replica, work, prefill_replicas=x, decode_replicas=y,
                        link="ib-400g", slo=slo)
    met = r.ttft_s.p99 <= slo.ttft_s and r.tpot_s.p99 <= slo.tpot_s
    print(f"{f'{x}:{y}':>14} {x + y:>5} {fmt_duration(r.ttft_s.p99, 'ms', 0):>9} "
          f"{fmt_duration(r.tpot_s.p99, 'ms', 1):>9}  {'met' if met else 'missed'}")
# --8<-- [end:disagg_pools]
