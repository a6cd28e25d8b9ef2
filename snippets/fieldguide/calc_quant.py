"""Calculator: precisions side by side (memory, capacity, speed).

>>> "Weights" in quantization(**{f.name: f.default for f in QUANTIZATION.fields})
True
"""

from __future__ import annotations

from typing import Any

from servecalc.quantization import compare_precisions
from servecalc.units import fmt_bytes, fmt_duration, fmt_int, fmt_number

from . import charts
from .fields import (Calculator, batch_field, context_field, deployment_of, efficiency_fields,
                     engine_field, hardware_fields)
from .forms import Field
from .html import headline, table


#: Which decoder layers a quantized checkpoint stores in the low precision; embeddings,
#: output head, norms and routers always stay in bf16 (servecalc.params).
QUANTIZE_CHOICES = [
    ("attention+experts+mlp", "attention, MLP and experts"),
    ("experts+mlp", "MLP and experts (attention in bf16)"),
    ("experts", "routed experts only (as gpt-oss's MXFP4 checkpoint)"),
]


def quantization(**v: Any) -> str:
    rows = compare_precisions(deployment_of(v), context=v["context"], batch=v["batch"])
    labels = [f"W {r.weight_dtype} / KV {r.kv_dtype} / compute {r.compute_dtype}" for r in rows]
    body = [
        (
            label,
            fmt_bytes(r.weight_bytes, "GiB"),
            fmt_bytes(r.kv_bytes_per_token, "KiB", 0),
            fmt_int(r.max_batch) if r.fits else "does not fit",
            fmt_duration(r.tpot_s, "ms", 2) if r.fits else "–",
            fmt_number(r.max_batch_tokens_per_s, 0) if r.fits else "–",
        )
        for label, r in zip(labels, rows)
    ]
    fitting = [i for i, r in enumerate(rows) if r.fits]
    best = max(fitting, key=lambda i: rows[i].max_batch_tokens_per_s) if fitting else None
    out = table(
        ["Precision", "Weights", "KV per token", "Sequences that fit",
         f"TPOT at batch {v['batch']}", "Tokens/s at max batch"],
        body, best=best,
    )
    if best is not None:  # the comparison's answer first, in large type
        out = headline([("Most tokens/s", f"{body[best][5]} tokens/s"),
                        ("Precision", f"{rows[best].weight_dtype}/{rows[best].kv_dtype} weights/KV")]) + out
    chart = charts.bar_chart(
        title="Decode throughput with as many sequences as fit",
        y_title="output tokens/s",
        labels=[f"{r.weight_dtype}/{r.kv_dtype}" for r in rows],
        series={"tokens/s at max batch": [r.max_batch_tokens_per_s for r in rows]},
    )
    return out + chart


QUANTIZATION = Calculator(
    id="quantization",
    title="Quantization side by side",
    fields=[
        *hardware_fields(gpus=2),
        engine_field(),
        context_field(8192, slider=True),
        batch_field(16),
        Field(name="quantize", label="Quantized layers (the rest stay bf16)", kind="select",
              default="attention+experts+mlp", options=QUANTIZE_CHOICES),
        *efficiency_fields(),
    ],
    compute=quantization,
)
