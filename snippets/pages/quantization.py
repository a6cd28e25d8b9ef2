# Cells of docs/quantization.md. Each named section is one self-contained cell:
# it runs in a fresh namespace at build time and in the browser.

# --8<-- [start:weight_bytes]
from servecalc.params import param_count, weight_bytes
from servecalc.units import fmt_bytes, fmt_number

model_id = "llama-3.1-70b"
params = param_count(model_id)
print(f"{model_id}: {fmt_number(params / 1e9, 1)} billion parameters")
for weight_dtype in ["bf16", "fp8", "int8", "int4", "fp4"]:
    size = weight_bytes(model_id, weight_dtype)
    print(f"{weight_dtype:>5}: {fmt_bytes(size, 'GB'):>10}  "
          f"({fmt_number(8 * size / params, 2)} bits per parameter on average)")
# --8<-- [end:weight_bytes]

# --8<-- [start:group_size]
from servecalc.params import param_count, weight_bytes
from servecalc.units import fmt_bytes, fmt_number

model_id = "llama-3.1-70b"
params = param_count(model_id)
# One fp16 scale per group of consecutive input weights in each row of a matrix.
for group_size in [32, 64, 128, 256, 1_024]:
    size = weight_bytes(model_id, "int4", group_size=group_size)
    print(f"int4, groups of {group_size:>5,}: {fmt_bytes(size, 'GB'):>10}  "
          f"{fmt_number(8 * size / params, 2)} bits per parameter")
# --8<-- [end:group_size]

# --8<-- [start:side_by_side]
from servecalc.quantization import compare_precisions
from servecalc.units import fmt_bytes, fmt_duration, fmt_number
from servecalc.deployment import Deployment

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 2
context = 8_192

configs = [("bf16", "bf16"), ("fp8", "bf16"), ("fp8", "fp8"),
           ("int8", "bf16"),              # weight-only int8, bf16 matmuls
           ("int8", "bf16", "int8"),      # W8A8 (SmoothQuant-style): int8 matmuls
           ("int4", "bf16"), ("int4", "fp8")]
print(f"{'weights':>7} {'KV':>5} {'matmul':>6} {'weights':>10} {'batch':>5} "
      f"{'prefill':>10} {'TPOT b=1':>9} {'tok/s at max batch':>19}")
for r in compare_precisions(Deployment(model=model_id, gpu=gpu, gpus=gpus),
                            context=context, configs=configs):
    print(f"{r.weight_dtype:>7} {r.kv_dtype:>5} {r.compute_dtype:>6} "
          f"{fmt_bytes(r.weight_bytes, 'GB'):>10} {r.max_batch:>5} "
          f"{fmt_duration(r.prefill_s, 'ms', 0):>10} {fmt_duration(r.tpot_s, 'ms'):>9} "
          f"{fmt_number(r.max_batch_tokens_per_s, 0):>19}")
# --8<-- [end:side_by_side]

# --8<-- [start:kv_quantization]
from servecalc.capacity import fit
from servecalc.kv import kv_bytes_per_token
from servecalc.units import fmt_int

model_id, gpu, gpus = "llama-3.1-70b", "h100-sxm", 4
contexts = [8_192, 32_768, 131_072]

print(f"{'KV':>5} {'B/token':>9} " + " ".join(f"{c:>8,}" for c in contexts))
for kv_dtype in ["bf16", "fp8", "int4"]:
    per_token = kv_bytes_per_token(model_id, kv_dtype)
    batches = [fit(model_id, gpu, gpus=gpus, context=c, kv_dtype=kv_dtype).max_batch
               for c in contexts]
    print(f"{kv_dtype:>5} {fmt_int(per_token):>9} " + " ".join(f"{b:>8,}" for b in batches))
# --8<-- [end:kv_quantization]

# --8<-- [start:rollback_capacity]
from servecalc.capacity import fit

model_id, gpu = "llama-3.1-70b", "h100-sxm"
context, needed = 8_192, 32     # each replica must hold this many sequences of this length

for weight_dtype in ["int4", "fp8", "bf16"]:
    for gpus in [1, 2, 4, 8]:
        r = fit(model_id, gpu, gpus=gpus, context=context, weight_dtype=weight_dtype)
        if r.max_batch >= needed:
            print(f"{weight_dtype:>5}: TP{gpus} ({r.max_batch} sequences fit)")
            break
    else:
        print(f"{weight_dtype:>5}: does not reach {needed} sequences on 8 GPUs")
# --8<-- [end:rollback_capacity]

# --8<-- [start:fp8_kv_scales]
from servecalc.fp8 import E4M3_MAX, dynamic_range, kv_scale
from servecalc.units import fmt_number

# The largest |key| or |value| a layer produced on a calibration set, and in production.
calibrated_amax = 12.0
for live_amax in [8.0, 12.0, 30.0]:
    s = kv_scale(calibrated_amax)
    low, high = dynamic_range(s)
    clipped = "clips" if live_amax > high else "fits"
    print(f"scale {fmt_number(s, 4)}: keeps {fmt_number(low, 6)} .. {fmt_number(high, 1)};"
          f" live max {fmt_number(live_amax, 1)} {clipped}")
print(f"no scale (1.0): keeps up to {fmt_number(E4M3_MAX, 0)}; small values lose precision:",
      f"smallest {fmt_number(dynamic_range(1.0)[0], 6)}")
# --8<-- [end:fp8_kv_scales]

# --8<-- [start:regression_detection]
from servecalc.quality import eval_questions_needed, flip_rate_resolution, kl_divergence
from servecalc.units import fmt_int, fmt_number, fmt_percent

# A task eval: how many questions per model to see an accuracy drop (95 %, power 80 %).
baseline = 0.80
for drop in [0.05, 0.02, 0.01]:
    n = eval_questions_needed(baseline, baseline - drop)
    print(f"detect {fmt_percent(baseline)} -> {fmt_percent(baseline - drop)}: "
          f"{fmt_int(n):>7} questions per model")

# Logprob diffs on a fixed prompt set: resolution of a 1 % flip rate.
for tokens in [10_000, 100_000, 1_000_000]:
    print(f"flip rate 1 % measured over {fmt_int(tokens):>9} tokens: "
          f"+- {fmt_percent(flip_rate_resolution(tokens, 0.01), 3)}")

# KL divergence of one position's top-3 probabilities (renormalised), baseline vs candidate.
p, q = [0.70, 0.20, 0.10], [0.60, 0.28, 0.12]
print("KL(baseline || candidate) at one position:", fmt_number(kl_divergence(p, q), 4), "nats")
# --8<-- [end:regression_detection]

# --8<-- [start:fp4_formats]
from servecalc.deployment import Deployment
from servecalc.params import weight_bytes
from servecalc.precision import bits_per_value
from servecalc.quantization import compare_precisions
from servecalc.units import fmt_bytes, fmt_duration, fmt_int

for fmt in ["bf16", "fp8", "int4", "mxfp4", "nvfp4"]:
    print(f"{fmt:>6}: {bits_per_value(fmt):>6.3f} bits per value; Llama-3.1-70B weights "
          f"{fmt_bytes(weight_bytes('llama-3.1-70b', fmt), 'GB')}")

# W4A4 where the part has FP4 tensor cores, W4A8/W4A16 where it does not.
# A third entry in a config forces the math precision (W4A8: fp8 activations).
configs = [("fp8", "fp8"), ("nvfp4", "fp8"), ("nvfp4", "fp8", "fp8")]
print(f"\n{'GPU':>12} {'weights':>7} {'math':>5} {'fit 8K':>7} {'prefill 8K':>11} {'TPOT b=1':>9}")
for gpu, gpus in [("h100-sxm", 2), ("b200", 1)]:
    rows = compare_precisions(Deployment(model="llama-3.1-70b", gpu=gpu, gpus=gpus), context=8192,
                              configs=configs)
    for r in rows:
        print(f"{str(gpus) + ' x ' + gpu:>12} {r.weight_dtype:>7} {r.compute_dtype:>5} {fmt_int(r.max_batch):>7} "
              f"{fmt_duration(r.prefill_s, 'ms', 0):>11} {fmt_duration(r.tpot_s, 'ms'):>9}")

# What stays in 16 bits is a choice: gpt-oss ships only its experts in MXFP4.
for parts in [("experts",), ("attention", "mlp", "experts")]:
    size = weight_bytes("gpt-oss-120b", "mxfp4", quantize=parts)
    print(f"gpt-oss-120b, {' + '.join(parts)} in mxfp4: {fmt_bytes(size, 'GB')}")
# --8<-- [end:fp4_formats]
