# Cells of docs/kv-cache.md. Each named section is one self-contained cell:
# it runs in a fresh namespace at build time and in the browser.

# --8<-- [start:per_token]
from servecalc.kv import kv_bytes_per_token
from servecalc.models import get_model
from servecalc.units import fmt_int

model = get_model("llama-2-7b")
bytes_per_value = 2  # fp16
# K and V, for every layer, every KV head, every dimension of a head
by_hand = 2 * model.num_layers * model.num_kv_heads * model.head_dim * bytes_per_value
print("by hand:  ", fmt_int(by_hand), "B per token")
print("servecalc:", fmt_int(kv_bytes_per_token(model, kv_dtype="fp16")), "B per token")
# --8<-- [end:per_token]

# --8<-- [start:gqa]
from servecalc.kv import kv_bytes_per_token
from servecalc.models import get_model
from servecalc.units import fmt_bytes

for model_id in ["llama-2-7b", "llama-3.1-8b", "llama-3.1-70b"]:
    m = get_model(model_id)
    per_token = kv_bytes_per_token(m, kv_dtype="bf16")
    print(f"{m.name:14} {m.attention.upper():4} "
          f"{m.num_attention_heads:3} query heads / {m.num_kv_heads:2} KV heads  "
          f"{fmt_bytes(per_token, 'KiB', digits=0):>8} per token")
# --8<-- [end:gqa]

# --8<-- [start:what_if]
from dataclasses import replace

from servecalc.kv import kv_bytes_per_token
from servecalc.models import get_model
from servecalc.units import fmt_bytes

base = get_model("llama-3.1-70b")
# Same model, other attention layouts: only the number of KV heads changes.
for label, kv_heads in [("MHA", 64), ("GQA-8", 8), ("MQA", 1)]:
    variant = replace(base, num_kv_heads=kv_heads)
    print(f"{label:6} {fmt_bytes(kv_bytes_per_token(variant), 'KiB', digits=0):>9} per token")
# --8<-- [end:what_if]

# --8<-- [start:worked_example]
from servecalc.kv import kv_bytes_per_batch, kv_bytes_per_sequence
from servecalc.units import fmt_bytes

model_id = "llama-3.1-70b"
context = 32_768   # tokens per sequence (prompt + output so far)
batch = 8          # sequences decoded together

for kv_dtype in ["bf16", "fp8"]:
    one = kv_bytes_per_sequence(model_id, context, kv_dtype=kv_dtype)
    total = kv_bytes_per_batch(model_id, context, batch, kv_dtype=kv_dtype)
    print(f"{kv_dtype}: {fmt_bytes(one, 'GiB')} per sequence, "
          f"{fmt_bytes(total, 'GiB')} for the batch ({fmt_bytes(total, 'GB')})")
# --8<-- [end:worked_example]

# --8<-- [start:context_sweep]
from servecalc.kv import kv_bytes_per_sequence
from servecalc.units import GiB, fmt_bytes

model_id = "llama-3.1-8b"
kv_budget_gib = 40   # memory left for the cache after weights and activations

print(f"{'context':>8} {'KV per sequence':>16} {'sequences in budget':>20}")
for context in [1_024, 4_096, 16_384, 32_768, 131_072]:
    per_seq = kv_bytes_per_sequence(model_id, context)
    fits = kv_budget_gib * GiB // per_seq
    print(f"{context:>8,} {fmt_bytes(per_seq, 'GiB'):>16} {fits:>20,}")
# --8<-- [end:context_sweep]

# --8<-- [start:bad_input]
from servecalc.kv import kv_bytes_per_sequence

kv_bytes_per_sequence("llama-3.1-8b", context=-4096)
# --8<-- [end:bad_input]

# --8<-- [start:mla]
from dataclasses import replace

from servecalc.kv import kv_bytes_per_token, kv_elements_per_token_per_layer
from servecalc.models import get_model
from servecalc.units import fmt_bytes, fmt_int

ds = get_model("deepseek-v3")
print(f"{ds.name}: {ds.num_layers} layers, {ds.num_attention_heads} query heads")
print(f"  cached per layer: latent {ds.kv_lora_rank} + RoPE key {ds.qk_rope_head_dim} "
      f"= {fmt_int(kv_elements_per_token_per_layer(ds))} values")

# The same model with other attention layouts (head_dim 128, as in DeepSeek-V2's comparison):
variants = {
    "MLA (as built)": ds,
    "GQA, 8 KV heads": replace(ds, kv_lora_rank=0, num_kv_heads=8, head_dim=128),
    "MHA, 128 KV heads": replace(ds, kv_lora_rank=0, num_kv_heads=128, head_dim=128),
}
for label, spec in variants.items():
    per_token = kv_bytes_per_token(spec, kv_dtype="bf16")
    print(f"{label:18} {fmt_int(per_token):>10} B per token  "
          f"{fmt_bytes(per_token * 32_768, 'GiB'):>10} for 32K tokens")
# --8<-- [end:mla]

# --8<-- [start:sliding_window]
from servecalc.kv import kv_bytes_per_sequence
from servecalc.models import get_model
from servecalc.units import fmt_bytes

models = ["llama-3.1-8b", "mistral-7b", "gemma-2-9b"]
print(f"{'context':>8} " + " ".join(f"{m:>13}" for m in models))
for context in [1_024, 4_096, 8_192, 32_768]:
    cells = []
    for model_id in models:
        spec = get_model(model_id)
        if context > spec.max_position_embeddings:
            cells.append("beyond max")    # longer than the model was trained for
        else:
            cells.append(fmt_bytes(kv_bytes_per_sequence(spec, context), "GiB"))
    print(f"{context:>8,} " + " ".join(f"{c:>13}" for c in cells))
# --8<-- [end:sliding_window]

# --8<-- [start:fragmentation]
from servecalc.paging import fragmentation
from servecalc.units import fmt_bytes, fmt_percent

model_id = "llama-3.1-8b"
max_context = 8_192          # what a contiguous allocator must reserve per sequence

print(f"{'tokens':>7} {'used':>10} {'paged':>10} {'waste':>7} {'reserved':>10} {'waste':>7}")
for context in [100, 1_000, 4_000, 8_000]:
    f = fragmentation(model_id, context, max_context=max_context, block_size=16)
    print(f"{context:>7,} {fmt_bytes(f.used_bytes, 'MiB', 0):>10} "
          f"{fmt_bytes(f.paged_bytes, 'MiB', 0):>10} {fmt_percent(f.paged_waste_ratio):>7} "
          f"{fmt_bytes(f.contiguous_bytes, 'MiB', 0):>10} {fmt_percent(f.contiguous_waste_ratio):>7}")
# --8<-- [end:fragmentation]

# --8<-- [start:block_size]
import math

from servecalc.paging import fragmentation
from servecalc.units import fmt_percent

# A spread of sequence lengths, as in a chat workload. Edit it.
lengths = [37, 180, 512, 777, 1_500, 2_049, 3_333, 6_000]

for block_size in [1, 8, 16, 32, 128, 512]:
    waste = [fragmentation("llama-3.1-8b", n, max_context=8_192, block_size=block_size)
             for n in lengths]
    wasted = math.fsum(f.paged_waste_bytes for f in waste)
    held = math.fsum(f.paged_bytes for f in waste)
    print(f"block of {block_size:>3} tokens: {fmt_percent(wasted / held):>7} of allocated cache unused")
# --8<-- [end:block_size]

# --8<-- [start:prefix_cache]
from servecalc.prefix_cache import prefix_cache_effect
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
prompt, output = 8_192, 256     # e.g. a long system prompt and conversation history

print(f"{'hit rate':>8} {'cached':>7} {'computed':>9} {'TTFT':>10} {'speed-up':>9} {'E2E':>8}")
for hit_rate in [0.0, 0.5, 0.9, 0.99]:
    r = prefix_cache_effect(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                            prompt=prompt, output=output, hit_rate=hit_rate)
    print(f"{fmt_percent(hit_rate, 0):>8} {fmt_int(r.cached_tokens):>7} {fmt_int(r.computed_tokens):>9} "
          f"{fmt_duration(r.ttft_s, 'ms'):>10} {fmt_number(r.ttft_speedup, 1):>8}x "
          f"{fmt_duration(r.e2e_s, 's', 2):>8}")
# --8<-- [end:prefix_cache]

# --8<-- [start:prefix_routing]
from servecalc.sim import Engine, simulate
from servecalc.sim.fleet import simulate_fleet
from servecalc.sim.sessions import chat_workload
from servecalc.units import fmt_duration, fmt_percent

# 6-turn chats behind one 1,000-token system prompt: each turn's prompt is the
# conversation so far plus a new message (message and answer lengths uniform).
work = chat_workload(60.0, 1_200, turns=6, prompt="uniform:50-400", output="uniform:20-300",
                     shared_prefix=1_000, think_s=5.0, seed=1)
engine = Engine("llama-3.1-8b", "h100-sxm")

print(f"{'fleet':<30} {'hit rate':>8} {'TTFT p50':>9} {'TTFT p99':>9}  requests per replica")
for cache in (False, True):
    one = simulate(Engine("llama-3.1-8b", "h100-sxm", prefix_cache=cache), work)
    hit = fmt_percent(one.prefix_hit_rate) if cache else "-"
    print(f"{'1 replica, cache ' + ('on' if cache else 'off'):<30} {hit:>8} "
          f"{fmt_duration(one.ttft_s.p50, 'ms', 0):>9} {fmt_duration(one.ttft_s.p99, 'ms', 0):>9}")
for router in ("round-robin", "least-loaded", "prefix-aware"):
    f = simulate_fleet(engine, work, replicas=4, router=router)
    print(f"{'4 replicas, ' + router:<30} {fmt_percent(f.prefix_hit_rate):>8} "
          f"{fmt_duration(f.ttft_s.p50, 'ms', 0):>9} {fmt_duration(f.ttft_s.p99, 'ms', 0):>9}  "
          + " ".join(str(c) for c in f.requests_per_replica))
# --8<-- [end:prefix_routing]

# --8<-- [start:preemption]
from servecalc.capacity import kv_bytes_per_token_per_gpu
from servecalc.step import step
from servecalc.units import fmt_bytes, fmt_duration
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
host_link = 50e9   # assumption: achieved PCIe Gen5 x16 bytes per second, one direction, per GPU

print(f"{'tokens':>7} {'KV per GPU':>11} {'recompute':>10} {'swap in':>9}")
for tokens in [1_024, 8_192, 32_768]:
    kv_per_gpu = tokens * kv_bytes_per_token_per_gpu(model_id, gpus)
    recompute = step(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                     phase="prefill", batch=1, context=tokens)
    print(f"{tokens:>7,} {fmt_bytes(kv_per_gpu, 'GiB'):>11} "
          f"{fmt_duration(recompute.seconds, 'ms', 0):>10} "
          f"{fmt_duration(kv_per_gpu / host_link, 'ms', 0):>9}")
# --8<-- [end:preemption]

# --8<-- [start:capacity_by_context]
from servecalc.capacity import fit

model_id = "llama-3.1-8b"
contexts = [4_096, 32_768, 131_072]

print(f"{'GPU':10} {'KV':>5} " + " ".join(f"{c:>9,}" for c in contexts))
for gpu in ["l4", "a100-80gb", "h100-sxm", "h200"]:
    for kv_dtype in ["bf16", "fp8"]:
        batches = [fit(model_id, gpu, context=c, kv_dtype=kv_dtype).max_batch for c in contexts]
        print(f"{gpu:10} {kv_dtype:>5} " + " ".join(f"{b:>9,}" for b in batches))
# --8<-- [end:capacity_by_context]

# --8<-- [start:offload_tiers]
from servecalc.deployment import Deployment
from servecalc.offload import TIERS, reload_or_recompute
from servecalc.units import fmt_duration

d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
print(f"{'tier':48} {'GB/s':>6}  " + "  ".join(f"{p:>7,} tok" for p in (512, 8_192, 65_536)))
for tier in TIERS.values():
    cells = []
    for prompt in (512, 8_192, 65_536):
        r = reload_or_recompute(d, tokens=prompt, tier=tier)
        cells.append(f"{fmt_duration(r.reload_s, 'ms'):>11}")
    print(f"{tier.name:48} {tier.bandwidth_bytes_per_s / 1e9:>6.1f}  " + "  ".join(cells))
cells = [f"{fmt_duration(reload_or_recompute(d, tokens=p, tier='cpu-pcie5').recompute_s, 'ms'):>11}"
         for p in (512, 8_192, 65_536)]
print(f"{f'recompute by prefill ({d.gpus} x {d.gpu.id})':48} {'':>6}  " + "  ".join(cells))
# --8<-- [end:offload_tiers]

# --8<-- [start:warmup]
from servecalc.prefix_cache import prefix_cache_effect
from servecalc.routing import warmup_misses
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_int

model_id, gpu = "llama-3.1-8b", "h100-sxm"
system_prompt = 2_000      # tokens shared by every request of one product surface
surfaces = 50              # distinct shared prefixes (system prompts, tool schemas)
replicas = 8
prompt = 2_500             # system prompt + the user's message

warm = prefix_cache_effect(model_id, gpu, prompt=prompt, output=200,
                           hit_rate=system_prompt / prompt)
print("TTFT with the prefix cached:", fmt_duration(warm.ttft_s, "ms"),
      "| cold:", fmt_duration(warm.ttft_s_cold, "ms"))
one = StepModel(model_id, gpu).prefill_time_s(system_prompt)
for kv_aware in (False, True):
    misses = warmup_misses(surfaces, replicas, kv_aware)
    router = "KV-aware router" if kv_aware else "cache-blind router"
    print(f"{router:19}: {fmt_int(misses):>4} cold prefills after a restart, "
          f"{fmt_duration(misses * one, 's')} of GPU time")
# --8<-- [end:warmup]

# --8<-- [start:hybrid_attention]
from servecalc.capacity import fit
from servecalc.kv import cache_bytes_per_sequence, linear_state_bytes
from servecalc.models import get_model
from servecalc.units import fmt_bytes, fmt_int

contexts = [8_192, 32_768, 131_072]
models = ["llama-3.1-70b", "qwen3-235b-a22b", "gemma-3-27b", "llama-4-scout", "gpt-oss-120b",
          "qwen3-next-80b-a3b"]
print(f"{'model':19} {'layer types':20} " + " ".join(f"{c // 1024:>8}K" for c in contexts))
for m in models:
    mix = ", ".join(f"{n} {kind.split('_')[0]}" for kind, n in get_model(m).layer_counts().items())
    sizes = " ".join(f"{fmt_bytes(cache_bytes_per_sequence(m, c), 'GiB'):>9}" for c in contexts)
    print(f"{m:19} {mix:20} {sizes}")
print("qwen3-next-80b-a3b keeps", fmt_bytes(linear_state_bytes("qwen3-next-80b-a3b"), "MiB"),
      "of linear-attention state per sequence, whatever its length")

# What that buys: 128K-token sequences next to fp8 weights on one B200.
for m in ["llama-3.1-70b", "gemma-3-27b", "gpt-oss-120b", "qwen3-next-80b-a3b"]:
    r = fit(m, "b200", context=131_072, weight_dtype="fp8")
    print(f"{m:19} {fmt_int(r.max_batch):>5} sequences of 128K tokens")
# --8<-- [end:hybrid_attention]
