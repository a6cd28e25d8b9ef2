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
