# Cells of docs/index.md.

# --8<-- [start:quick]
from servecalc.kv import kv_bytes_per_token
from servecalc.units import fmt_bytes

print(fmt_bytes(kv_bytes_per_token("llama-3.1-70b"), "KiB", digits=0), "of KV cache per token")
# --8<-- [end:quick]
