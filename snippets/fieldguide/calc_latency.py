"""Calculator: latency of a request (TTFT, TPOT, end to end) and throughput against batch.

>>> "TTFT" in latency(**{f.name: f.default for f in LATENCY.fields})
True
"""

from __future__ import annotations

from typing import Any

from servecalc.capacity import fit_deployment
from servecalc.latency import request_latency
from servecalc.units import fmt_duration, fmt_number

from . import charts
from .fields import (BATCHES, Calculator, calibration_note, deployment_fields, deployment_of,
                     efficiency_fields)
from .forms import Field
from .html import key_values, note


def latency(**v: Any) -> str:
    d = deployment_of(v)
    r = request_latency(d, prompt=v["prompt"], output=v["output"], batch=v["batch"])
    rows = [
        ("Time to first token (TTFT)", f"{fmt_duration(r.ttft_s, 'ms')} ({r.prefill_bound}-bound)"),
        ("Time per output token (TPOT)", f"{fmt_duration(r.tpot_s, 'ms', 2)} ({r.decode_bound}-bound)"),
        ("End-to-end latency", fmt_duration(r.e2e_s, "s", 2)),
        ("Decode throughput, whole batch", f"{fmt_number(r.tokens_per_s, 0)} tokens/s"),
        ("Per request", f"{fmt_number(1 / r.tpot_s, 1)} tokens/s"),
    ]
    if d.ep > 1 or d.dp_attention:   # expert parallelism: the step's all-to-all terms
        from servecalc.step import StepModel

        t = StepModel(d).decode(v["batch"], v["prompt"] + v["output"] // 2)
        rows.append(("All-to-all per decode step",
                     f"{fmt_duration(t.a2a_dispatch_s, 'ms', 2)} dispatch + "
                     f"{fmt_duration(t.a2a_combine_s, 'ms', 2)} combine (EP {d.ep}); routed "
                     f"experts {fmt_duration(t.expert_s, 'ms', 2)} on the busiest GPU"))
    capacity = fit_deployment(d, context=v["prompt"] + v["output"]).max_batch
    warn = "" if capacity >= v["batch"] else note(
        f"Only {capacity} such requests fit in memory: a batch of {v['batch']} would not run.",
        "warning")
    batches = sorted({*BATCHES, v["batch"]})  # the reader's batch is on the charts, marked
    chosen = batches.index(v["batch"])
    curve = [request_latency(d, prompt=v["prompt"], output=v["output"], batch=b)
             if b <= capacity else None for b in batches]
    labels = [str(b) for b in batches]
    throughput = charts.category_chart(
        title="Decode throughput against batch size",
        x_title="batch (concurrent sequences)", y_title="output tokens/s (whole batch)",
        labels=labels, series={"tokens/s": [c.tokens_per_s if c else None for c in curve]},
        mark=chosen,
    )
    tpot = charts.category_chart(
        title="Time per output token against batch size",
        x_title="batch (concurrent sequences)", y_title="TPOT (ms)",
        labels=labels, series={"TPOT": [c.tpot_s * 1e3 if c else None for c in curve]},
        mark=chosen,
    )
    lead = [("TPOT", fmt_duration(r.tpot_s, "ms", 2)), ("TTFT", fmt_duration(r.ttft_s, "ms")),
            ("Whole batch", f"{fmt_number(r.tokens_per_s, 0)} tokens/s")]
    return key_values(rows, lead) + calibration_note(d) + warn + throughput + tpot


LATENCY = Calculator(
    id="latency",
    title="Request latency and throughput",
    fields=[
        *deployment_fields(),
        Field(name="prompt", label="Prompt", kind="int", default=1024, min=1, max=1_048_576,
              unit="tokens"),
        Field(name="output", label="Output", kind="int", default=256, min=1, max=1_048_576,
              unit="tokens"),
        Field(name="batch", label="Batch", kind="int", default=16, min=1, max=4096,
              unit="sequences", slider=True),
        *efficiency_fields(calibration=True),
    ],
    compute=latency,
)
