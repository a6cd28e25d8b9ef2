"""Calculator: KV cache and fit (memory of weights and cache, sequences that fit)."""

from __future__ import annotations

from typing import Any

from servecalc.capacity import fit
from servecalc.kv import kv_bytes_per_batch, kv_bytes_per_token, linear_state_bytes
from servecalc.units import fmt_bytes, fmt_int

from . import charts
from .fields import (Calculator, batch_field, context_field, hardware_fields, precision_fields,
                     resolve_model)
from .forms import Field
from .html import key_values, note

CONTEXTS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]


def kv_fit(**v: Any) -> str:
    model = resolve_model(v)
    common = dict(gpus=v["gpus"], weight_dtype=v["weight_dtype"],
                  memory_utilization=v["memory_utilization"])
    result = fit(model, v["gpu"], context=v["context"], kv_dtype=v["kv_dtype"], **common)
    per_token = kv_bytes_per_token(model, v["kv_dtype"])
    batch_bytes = kv_bytes_per_batch(model, v["context"], v["batch"], v["kv_dtype"])
    rows = [
        ("Weights", f"{fmt_bytes(result.weight_bytes, 'GiB')} "
                    f"({fmt_bytes(result.weight_bytes // v['gpus'], 'GiB')} per GPU)"),
        ("KV cache per token", f"{fmt_int(per_token)} B ({fmt_bytes(per_token, 'KiB', 0)})"),
        ("KV for the batch", f"{fmt_bytes(batch_bytes, 'GiB')} ({fmt_int(v['batch'])} × "
                             f"{fmt_int(v['context'])} tokens)"),
        ("KV budget", fmt_bytes(result.kv_budget_bytes, "GiB")),
        ("KV token capacity", f"{fmt_int(result.kv_token_capacity)} tokens"),
        ("Sequences that fit", fmt_int(result.max_batch)),
    ]
    state = linear_state_bytes(model)
    if state:  # hybrid models: linear-attention layers keep a fixed state, not tokens
        rows.insert(3, ("Linear-attention state", f"{fmt_bytes(state, 'MiB')} per sequence "
                                                  f"({fmt_bytes(state * v['batch'], 'GiB')} "
                                                  "for the batch)"))
    fits = result.max_batch >= v["batch"]
    verdict = (
        note(f"The batch of {fmt_int(v['batch'])} fits: {result.reason}.")
        if fits
        else note(f"The batch of {fmt_int(v['batch'])} does not fit: {result.reason}.", "warning")
    )
    series = {}
    contexts = sorted({*CONTEXTS, v["context"]})  # the reader's context is on the chart, marked
    for kv_dtype in dict.fromkeys([v["kv_dtype"], "bf16", "fp8"]):
        batches = [fit(model, v["gpu"], context=c, kv_dtype=kv_dtype, **common).max_batch
                   for c in contexts]
        if any(batches):
            series[f"KV cache in {kv_dtype}"] = [b or None for b in batches]
    chart = charts.category_chart(
        title="Concurrent sequences that fit, by context length",
        x_title="context (tokens per sequence)",
        y_title="sequences (log scale)",
        labels=[f"{c // 1024}K" if c % 1024 == 0 else f"{c:,}" for c in contexts],
        series=series,
        logarithmic=True,
        mark=contexts.index(v["context"]),
    ) if series else note("Nothing fits at any context: add GPUs or quantize.", "warning")
    lead = [("Sequences that fit", fmt_int(result.max_batch)),
            ("KV cache per token", fmt_bytes(per_token, "KiB", 0))]
    return key_values(rows, lead) + verdict + chart


KV_FIT = Calculator(
    id="kv_fit",
    title="KV cache and fit",
    fields=[
        *hardware_fields(gpus=4),
        context_field(32768, slider=True),
        batch_field(8, slider=True),
        *precision_fields(),
        Field(name="memory_utilization", label="Memory utilization", kind="float",
              default=0.9, min=0.1, max=1.0, step=0.01,
              help="Fraction of GPU memory the server may use (vLLM's gpu_memory_utilization)"),
    ],
    compute=kv_fit,
)
