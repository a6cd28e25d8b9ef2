"""The roofline of one GPU on log-log axes, with decode steps on it and the chosen one marked.

>>> from servecalc.deployment import Deployment
>>> html = roofline(Deployment(model="llama-3.1-8b", gpu="h100-sxm"), context=1024,
...                 batches=[1, 16, 256], chosen=16, slug="rf")
>>> html.count("<circle"), "ridge" in html
(3, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from servecalc.deployment import Deployment
from servecalc.step import StepModel
from servecalc.units import fmt_number

from .svg import SMALL, WIDTH, Drawing, figure

LEFT, RIGHT, TOP, BOTTOM = 44, WIDTH - 24, 14, 214


def roofline(d: Deployment, *, context: int, batches: Sequence[int], chosen: int, slug: str) -> str:
    """Decode steps at ``batches`` (``chosen`` marked) under the roof of one GPU of ``d``."""
    if chosen not in batches:
        raise ValueError(f"chosen must be one of batches {list(batches)}, got {chosen!r}")
    sm = StepModel(d)
    steps = [sm.decode(b, context) for b in batches]
    peak = d.gpu.peak_flops_per_s(steps[0].compute_dtype) / 1e12
    bandwidth = d.gpu.hbm_bandwidth_bytes_per_s / 1e12
    ridge = peak / bandwidth
    points = [(s.batch, s.arithmetic_intensity, s.flops / s.seconds / d.gpus / 1e12) for s in steps]
    x_lo = 10 ** math.floor(math.log10(min(p[1] for p in points)))
    x_hi = 10 ** math.ceil(math.log10(max(ridge * 3, max(p[1] for p in points))))
    y_lo = 10 ** math.floor(math.log10(min(p[2] for p in points)))
    y_hi = 10 ** math.ceil(math.log10(peak * 1.01))

    def at(x: float, y: float) -> tuple[float, float]:
        fx = (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo))
        fy = (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo))
        return LEFT + fx * (RIGHT - LEFT), BOTTOM - fy * (BOTTOM - TOP)

    best = next(p for p in points if p[0] == chosen)
    name = d.gpu.name.replace("NVIDIA ", "")
    drawing = Drawing(WIDTH, BOTTOM + 42, slug=slug, title=f"Roofline of one {name} with decode steps",
                      desc=(f"Log-log roofline of one {name}: {fmt_number(bandwidth, 2)} TB/s up to the "
                            f"ridge at {fmt_number(ridge, 0)} FLOPs per byte, then flat at "
                            f"{fmt_number(peak, 0)} TFLOP/s. {d.model.name} decode steps at context "
                            f"{context:,}: " + "; ".join(
                                f"batch {b}: {fmt_number(x, 1)} FLOPs/byte, {fmt_number(y, 1)} TFLOP/s"
                                for b, x, y in points) + f". Marked: batch {chosen}."))
    drawing.line(LEFT, BOTTOM, RIGHT, BOTTOM)
    drawing.line(LEFT, TOP, LEFT, BOTTOM)
    for e in range(round(math.log10(x_lo)), round(math.log10(x_hi)) + 1):
        x, _ = at(10 ** e, y_lo)
        drawing.text(x, BOTTOM + 15, fmt_number(10 ** e, 0) if e >= 0 else f"{10 ** e:g}", anchor="middle",
                     size=SMALL)
    for e in range(round(math.log10(y_lo)), round(math.log10(y_hi)) + 1):
        _, y = at(x_lo, 10 ** e)
        drawing.text(LEFT - 4, y + 4, fmt_number(10 ** e, 0) if e >= 0 else f"{10 ** e:g}", anchor="end",
                     size=SMALL)
    drawing.text((LEFT + RIGHT) / 2, BOTTOM + 34, "FLOPs per byte moved (log)", anchor="middle", size=SMALL)
    drawing.text(LEFT + 4, TOP + 2, "TFLOP/s per GPU (log)", size=SMALL)
    start = max(x_lo, y_lo / bandwidth)
    drawing.polyline([at(start, start * bandwidth), at(ridge, peak), at(x_hi, peak)])
    rx, ry = at(ridge, peak)
    drawing.line(rx, ry, rx, BOTTOM, dashed=True)
    drawing.text(rx - 4, BOTTOM - 8, f"ridge {fmt_number(ridge, 0)} FLOPs/B", anchor="end", size=SMALL)
    for b, x, y in points:
        px, py = at(x, y)
        drawing.circle(px, py, 6 if b == chosen else 3.5, fill="accent" if b == chosen else "weights")
        if b in (batches[0], batches[-1], chosen):
            drawing.text(px + 8, py + 4, f"batch {b}", size=SMALL, bold=b == chosen)
    return figure(drawing, caption=(
        f"Each dot is a {d.model.name} decode step at context {context:,} on {d.gpus} × {name}; the "
        f"marked one is batch {chosen} ({fmt_number(best[1], 1)} FLOPs per byte, "
        f"{fmt_number(best[2], 1)} TFLOP/s per GPU). Left of the ridge a step waits on memory."))
