"""Calculator: the roofline of a GPU, with decode steps at growing batch sizes on it.

>>> "Ridge point" in roofline(**{f.name: f.default for f in ROOFLINE.fields})
True
"""

from __future__ import annotations

from typing import Any

from servecalc.gpus import get_gpu
from servecalc.step import StepModel
from servecalc.units import fmt_number

from . import charts
from .fields import (BATCHES, Calculator, calibration_note, deployment_fields, deployment_of,
                     efficiency_fields)
from .forms import Field
from .html import key_values, table


def roofline(**v: Any) -> str:
    d = deployment_of(v)
    sm = StepModel(d)
    device = get_gpu(v["gpu"])
    steps = [sm.decode(b, v["context"]) for b in BATCHES]
    peak = device.peak_flops_per_s(steps[0].compute_dtype)
    bandwidth = device.hbm_bandwidth_bytes_per_s
    ridge = peak / bandwidth
    lo = min(0.5, min(s.arithmetic_intensity for s in steps) / 2)
    hi = max(ridge * 4, max(s.arithmetic_intensity for s in steps) * 2)
    # Straight lines on log axes: the bandwidth slope up to the ridge, then flat.
    roof = [(lo, bandwidth * lo / 1e12), (ridge, peak / 1e12), (hi, peak / 1e12)]
    achieved = [(s.arithmetic_intensity, s.flops / s.seconds / v["gpus"] / 1e12) for s in steps]
    chart = charts.line_chart(
        title=f"Roofline of one {device.name}",
        x_title="arithmetic intensity (FLOPs per byte moved, log scale)",
        y_title="TFLOP/s per GPU (log scale)",
        series={"roofline (peak)": roof, "decode steps (model)": achieved},
        logarithmic=True,
    )
    rows = [
        ("Peak dense compute", f"{fmt_number(peak / 1e12, 0)} TFLOP/s ({steps[0].compute_dtype})"),
        ("HBM bandwidth", f"{fmt_number(bandwidth / 1e12, 2)} TB/s"),
        ("Ridge point", f"{fmt_number(ridge, 0)} FLOPs per byte"),
    ]
    body = [
        (s.batch, fmt_number(s.arithmetic_intensity, 1),
         fmt_number(s.flops / s.seconds / v["gpus"] / 1e12, 1), s.bound)
        for s in steps
    ]
    return key_values(rows) + calibration_note(d) + chart + table(
        ["batch", "FLOPs per byte", "achieved TFLOP/s per GPU", "bound"], body)


ROOFLINE = Calculator(
    id="roofline",
    title="Roofline: where decode sits",
    fields=[
        *deployment_fields(model="llama-3.1-8b", gpus=1),
        Field(name="context", label="Context", kind="int", default=1024, min=1,
              max=1_048_576, unit="tokens", slider=True),
        *efficiency_fields(calibration=True),
    ],
    compute=roofline,
)
