# Cells of docs/reference/models.md and docs/reference/gpus.md. Each named
# section is one self-contained cell: it runs in a fresh namespace at build
# time and in the browser.

# --8<-- [start:model_lookup]
from servecalc.kv import kv_bytes_per_token
from servecalc.models import get_model
from servecalc.params import param_count, weight_bytes
from servecalc.units import fmt_bytes, fmt_int

model = get_model("qwen2.5-72b")   # any catalog ID; case does not matter
print(model.name, "-", model.attention.upper())
print("parameters:      ", fmt_int(param_count(model)))
print("weights, bf16:   ", fmt_bytes(weight_bytes(model, "bf16"), "GB"),
      "=", fmt_bytes(weight_bytes(model, "bf16"), "GiB"))
print("weights, int4:   ", fmt_bytes(weight_bytes(model, "int4"), "GB"))
print("KV per token:    ", fmt_bytes(kv_bytes_per_token(model), "KiB", digits=0))
print("source:          ", model.source)
# --8<-- [end:model_lookup]

# --8<-- [start:own_config]
from servecalc.hf_config import from_hf_config
from servecalc.kv import kv_bytes_per_token
from servecalc.params import param_count
from servecalc.units import fmt_bytes, fmt_int

# Paste the fields of any config.json; this one is Llama-3.1-8B's shape.
config = {
    "model_type": "llama",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
}
spec = from_hf_config(config, id="my-model")
print("attention:   ", spec.attention.upper(), "head_dim", spec.head_dim)
print("parameters:  ", fmt_int(param_count(spec)))
print("KV per token:", fmt_bytes(kv_bytes_per_token(spec), "KiB", digits=0))
# --8<-- [end:own_config]

# --8<-- [start:gpu_lookup]
from servecalc.gpus import get_gpu
from servecalc.units import fmt_bytes, fmt_number

gpu = get_gpu("h200")   # any catalog ID
print(gpu.name)
print("memory (runtime):", fmt_bytes(gpu.memory_bytes, "GiB"), "=",
      fmt_bytes(gpu.memory_bytes, "GB"), "| datasheet:", gpu.datasheet_memory)
print("bandwidth:       ", fmt_number(gpu.hbm_bandwidth_bytes_per_s / 1e12), "TB/s")
for dtype in ["bf16", "fp8"]:
    if dtype == "fp8" and gpu.fp8_flops_per_s == 0:
        continue
    print(f"{dtype} dense peak:  ", fmt_number(gpu.peak_flops_per_s(dtype) / 1e12, 1),
          "TFLOP/s, ridge point", fmt_number(gpu.ridge_point(dtype), 0), "FLOP/byte")
print("status:          ", gpu.status)
# --8<-- [end:gpu_lookup]

# --8<-- [start:ridge_points]
from servecalc.gpus import GPUS
from servecalc.units import fmt_number

# A bf16 decode step at batch b does 2 FLOPs per weight per sequence and reads
# each 2-byte weight once: about b FLOPs per byte. Its linear layers turn
# compute-bound once b passes the ridge point (times MFU / MBU in practice);
# attention never does: every sequence reads its own KV cache.
print(f"{'GPU':28} {'ridge (FLOP/byte)':>18}")
for gpu in sorted(GPUS.values(), key=lambda g: g.ridge_point("bf16")):
    print(f"{gpu.name:28} {fmt_number(gpu.ridge_point('bf16'), 0):>18}")
# --8<-- [end:ridge_points]

# --8<-- [start:validation]
from servecalc.units import fmt_percent
from fieldguide.validation import evaluate

# Every validation case, worst first. Filter by kind ("exact" or "measured").
# calibrated=True adds each measured case's error after a leave-one-out fit (slow).
rows = sorted(evaluate(calibrated=False), key=lambda r: -abs(r.rel_error))
for r in rows[:10]:
    print(f"{r.kind:8} {fmt_percent(r.rel_error):>8} (bound {fmt_percent(r.rel_error_bound, 0):>5})  "
          f"{r.description}")
print(sum(r.within_bound for r in rows), "of", len(rows), "cases within their bound")
# --8<-- [end:validation]

# --8<-- [start:calibrate_case]
from servecalc.calibration import calibrate, measurement
from servecalc.units import fmt_duration, fmt_percent

# kipply's FasterTransformer measurements of a 13B model (the OPT-13B shape) on
# A100-40GB, fp16: decode after a 512-token context, and a 512-token prefill.
# Calibrate on three of them, then predict the fourth.
ft = dict(model="opt-13b", gpu="a100-40gb", weight_dtype="fp16", kv_dtype="fp16")
fit_on = [measurement(**ft, gpus=1, phase="decode", batch=1, context=517, seconds=0.022),
          measurement(**ft, gpus=2, phase="decode", batch=1, context=517, seconds=0.0135),
          measurement(**ft, gpus=2, phase="prefill", batch=1, context=512, seconds=0.04545)]
cal = calibrate(fit_on)
print(f"fitted: MBU {fmt_percent(cal.mbu)}, MFU {fmt_percent(cal.mfu)}, "
      f"overhead {fmt_duration(cal.overhead_s, 'ms', 2)} per step")
for p in cal.points:
    print(f"  {p.phase:7} measured {fmt_duration(p.measured_s, 'ms'):>8}  "
          f"defaults {fmt_percent(p.default_rel_error):>8}  calibrated {fmt_percent(p.rel_error):>8}")
held_out = measurement(**ft, gpus=1, phase="prefill", batch=1, context=512, seconds=0.06317)
print(f"held out: prefill on 1 GPU, measured {fmt_duration(held_out.seconds, 'ms')}, "
      f"predicted {fmt_duration(held_out.predict_s(cal), 'ms')} "
      f"(defaults {fmt_duration(held_out.predict_s(), 'ms')})")
# --8<-- [end:calibrate_case]
