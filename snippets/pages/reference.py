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
# each 2-byte weight once: about b FLOPs per byte. It turns compute-bound only
# once b passes the GPU's ridge point (KV reads push that point further out).
print(f"{'GPU':28} {'ridge (FLOP/byte)':>18}")
for gpu in sorted(GPUS.values(), key=lambda g: g.ridge_point("bf16")):
    print(f"{gpu.name:28} {fmt_number(gpu.ridge_point('bf16'), 0):>18}")
# --8<-- [end:ridge_points]

# --8<-- [start:validation]
from servecalc.units import fmt_percent
from fieldguide.validation import evaluate

# Every validation case, worst first. Filter by kind ("exact" or "measured").
rows = sorted(evaluate(), key=lambda r: -abs(r.rel_error))
for r in rows[:10]:
    print(f"{r.kind:8} {fmt_percent(r.rel_error):>8} (bound {fmt_percent(r.rel_error_bound, 0):>5})  "
          f"{r.description}")
print(sum(r.within_bound for r in rows), "of", len(rows), "cases within their bound")
# --8<-- [end:validation]

# --8<-- [start:calibrate_case]
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_percent
from servecalc.deployment import Deployment

# kipply's 13B decode on one A100 (40GB): 22.0 ms measured. The library's
# default MBU predicts slower; what MBU does the measurement imply?
measured_s = 0.022
default = StepModel(Deployment(model="opt-13b", gpu="a100-40gb", weight_dtype="fp16", kv_dtype="fp16"))
step = default.decode(1, 512)
implied_mbu = default.mbu * step.seconds / measured_s
print("default MBU", fmt_percent(default.mbu, 0), "->", fmt_duration(step.seconds, "ms"))
calibrated = StepModel(Deployment(model="opt-13b", gpu="a100-40gb", weight_dtype="fp16", kv_dtype="fp16", mbu=implied_mbu))
print("implied MBU", fmt_percent(implied_mbu), "->", fmt_duration(calibrated.decode(1, 512).seconds, "ms"))
# --8<-- [end:calibrate_case]
