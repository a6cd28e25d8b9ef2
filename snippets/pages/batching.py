# Cells of docs/batching.md. Each named section is one self-contained cell:
# it runs in a fresh namespace at build time and in the browser.

# --8<-- [start:intensity_by_hand]
from servecalc.gpus import get_gpu
from servecalc.params import matmul_params_per_token, weight_bytes
from servecalc.units import fmt_number

model_id, gpu = "llama-3.1-8b", "h100-sxm"
flops_per_token = 2 * matmul_params_per_token(model_id)   # one multiply-add = 2 FLOPs
weights = weight_bytes(model_id)                           # read once per step, bf16

for batch in [1, 8, 64, 512]:
    intensity = batch * flops_per_token / weights          # ignoring the KV cache
    print(f"batch {batch:>4}: {fmt_number(intensity, 1):>6} FLOPs per byte of weights")
print("ridge point of the GPU:", fmt_number(get_gpu(gpu).ridge_point("bf16"), 0), "FLOPs per byte")
# --8<-- [end:intensity_by_hand]

# --8<-- [start:roofline_chart_data]
from servecalc.gpus import get_gpu
from servecalc.step import StepModel
from servecalc.units import fmt_number

model_id, gpu = "llama-3.1-8b", "h100-sxm"
spec = get_gpu(gpu)
sm = StepModel(model_id, gpu)
print("peak bf16:", fmt_number(spec.bf16_flops_per_s / 1e12, 0), "TFLOP/s;",
      "HBM:", fmt_number(spec.hbm_bandwidth_bytes_per_s / 1e12, 2), "TB/s;",
      "ridge:", fmt_number(sm.ridge_point, 0), "FLOP/B")
print(f"{'batch':>6} {'context':>8} {'FLOP/B':>8} {'achieved TFLOP/s':>17} {'linear':>8} "
      f"{'attention':>10}")
for context in [128, 4_096]:
    for batch in [1, 4, 16, 64, 256, 1_024]:
        r = sm.decode(batch, context)
        achieved = r.flops / r.seconds / 1e12
        print(f"{batch:>6,} {context:>8,} {fmt_number(r.arithmetic_intensity, 1):>8} "
              f"{fmt_number(achieved, 1):>17} {r.linear_bound:>8} {r.attention_bound:>10}")
# --8<-- [end:roofline_chart_data]

# --8<-- [start:crossover]
from servecalc.deployment import Deployment
from servecalc.step import StepModel, crossover_batch
from servecalc.units import fmt_duration, fmt_percent

# The linear layers turn compute-bound at the same batch whatever the context;
# attention stays bandwidth-bound. What share of the step is each, at that batch?
for model_id, gpus in [("llama-3.1-8b", 1), ("llama-3.1-70b", 4)]:
    d = Deployment(model=model_id, gpu="h100-sxm", gpus=gpus)
    sm = StepModel(d)
    for context in [128, 1_024, 4_096]:
        b = crossover_batch(d, context=context)
        r = sm.decode(b, context)
        print(f"{model_id:14} TP{gpus} context {context:>5,}: linear compute-bound from batch "
              f"{b:,}; there the step is {fmt_duration(r.seconds, 'ms')}, "
              f"{fmt_percent(r.attention_s / r.seconds, 0)} of it attention")
# --8<-- [end:crossover]

# --8<-- [start:throughput_chart_data]
from servecalc.batching import max_batch
from servecalc.latency import decode_throughput_curve
from servecalc.units import fmt_duration, fmt_number

model_id, gpu, context = "llama-3.1-8b", "h100-sxm", 2_048
fits = max_batch(model_id, gpu, context=context)

print(f"{'batch':>6} {'step (TPOT)':>12} {'tok/s':>8} {'bound':>7}  memory")
for p in decode_throughput_curve(model_id, gpu, batches=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
                                 context=context):
    note = "fits" if p.batch <= fits else "KV cache does not fit"
    print(f"{p.batch:>6} {fmt_duration(p.tpot_s, 'ms', 2):>12} {fmt_number(p.tokens_per_s, 0):>8} "
          f"{p.bound:>7}  {note}")
# --8<-- [end:throughput_chart_data]

# --8<-- [start:static_vs_continuous]
from servecalc.batching import continuous_batching, static_batching
from servecalc.units import fmt_duration, fmt_number

# A mix of short and long answers: (prompt tokens, output tokens), all queued at time zero.
work = [(512, 32), (1_024, 512), (256, 128), (2_048, 64)] * 16

print(f"{'scheme':>10} {'batch':>5} {'output tok/s':>13} {'mean TTFT':>10} {'mean E2E':>9}")
for batch in [8, 16, 32]:
    for run in (static_batching, continuous_batching):
        r = run("llama-3.1-8b", "h100-sxm", requests=work, batch=batch)
        print(f"{r.scheme:>10} {batch:>5} {fmt_number(r.output_tokens_per_s, 0):>13} "
              f"{fmt_duration(r.mean_ttft_s, 's', 2):>10} {fmt_duration(r.mean_e2e_s, 's', 2):>9}")
# --8<-- [end:static_vs_continuous]

# --8<-- [start:interference]
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_number

sm = StepModel("llama-3.1-8b", "h100-sxm")
decodes, context = 32, 2_000          # sequences decoding, tokens each attends to

alone = sm.decode_time_s(decodes, decodes * context)
print("decode step alone:", fmt_duration(alone, "ms"))
for prompt in [512, 2_048, 8_192, 32_768]:
    mixed = sm.mixed_time_s(decodes, decodes * context, [(prompt, 0)])
    print(f"with a {prompt:>6,}-token prefill in the same step: {fmt_duration(mixed, 'ms'):>10}"
          f"  ({fmt_number(mixed / alone, 0)}x)")
# --8<-- [end:interference]

# --8<-- [start:chunked_prefill]
import math

from servecalc.batching import chunked_prefill_steps
from servecalc.units import fmt_duration

decodes, context = 32, 2_000          # the running batch
prompt = 8_192                        # a new request arrives with this prompt

print(f"{'chunk':>6} {'steps':>6} {'longest step':>13} {'prompt done after':>18}")
for chunk in [256, 512, 1_024, 2_048, 8_192]:
    # each step: one chunk of the new prompt plus one token for every running sequence
    times = chunked_prefill_steps("llama-3.1-8b", "h100-sxm", prompt=prompt, chunk=chunk,
                                  decode_batch=decodes, decode_context=context)
    print(f"{chunk:>6,} {len(times):>6} {fmt_duration(max(times), 'ms'):>13} "
          f"{fmt_duration(math.fsum(times), 'ms'):>18}")
# --8<-- [end:chunked_prefill]

# --8<-- [start:speculative_batch]
from servecalc.deployment import Deployment
from servecalc.speculation import speculation, speculation_sweep, stops_paying_batch
from servecalc.units import fmt_number

d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
context, batches = 2048, [1, 16, 64, 128, 256]
methods = ["draft:llama-3.1-8b", "eagle3", "mtp", "ngram"]   # each with its default K, A
print(f"{'method':>19} {'K':>2} {'tok/step':>8} " + " ".join(f"{'b=' + str(b):>6}" for b in batches)
      + "  stops paying")
for m in methods:
    s = speculation(m)
    pts = speculation_sweep(d, s, context=context, batches=batches)
    stop = stops_paying_batch(d, s, context=context)
    print(f"{m:>19} {s.spec_tokens:>2} {fmt_number(s.expected_tokens_per_step, 2):>8} "
          + " ".join(f"{fmt_number(p.speedup, 2) + 'x':>6}" for p in pts)
          + f"  {'not by 1,024' if stop is None else 'batch ' + str(stop)}")
# --8<-- [end:speculative_batch]

# --8<-- [start:structured_output]
from servecalc.step import StepModel
from servecalc.structured import bitmask_bytes, constrained_step_s
from servecalc.units import fmt_bytes, fmt_duration

sm = StepModel("llama-3.1-8b", "h100-sxm")
mask_s = 0.5e-3          # CPU time for one sequence's mask: measure your grammar engine
threads = 8              # CPU threads computing masks
for batch in [16, 64, 256]:
    gpu = sm.decode_time_s(batch, batch * 1024)
    overlapped = constrained_step_s(gpu, batch, mask_s, threads, overlap=True)
    serial = constrained_step_s(gpu, batch, mask_s, threads, overlap=False)
    print(f"batch {batch:>3}: GPU step {fmt_duration(gpu, 'ms'):>8}, overlapped "
          f"{fmt_duration(overlapped, 'ms'):>8}, serial {fmt_duration(serial, 'ms'):>8}, "
          f"bitmask {fmt_bytes(bitmask_bytes(batch, sm.model.vocab_size), 'MB')}")
# --8<-- [end:structured_output]

# --8<-- [start:multi_lora]
from servecalc.lora import adapters_step_bytes, lora_bytes
from servecalc.step import StepModel
from servecalc.units import fmt_bytes, fmt_percent

model_id, rank, batch, context = "llama-3.1-8b", 16, 32, 2048
sm = StepModel(model_id, "h100-sxm")
print("one adapter, all projections, rank", rank, ":", fmt_bytes(lora_bytes(model_id, rank), "MB"))
plain = sm.decode_time_s(batch, batch * context)
for adapters in [1, 8, 32]:
    extra = adapters_step_bytes(model_id, rank, adapters) / (sm.mbu * sm.gpu.hbm_bandwidth_bytes_per_s)
    print(f"{adapters:>2} distinct adapters in a batch of {batch}: step +{fmt_percent(extra / plain)}")
# --8<-- [end:multi_lora]
