"""Predicted against measured on log-log axes: the diagonal (exact), a tolerance band, a dot per entry.

>>> html = predicted_vs_measured({"TPOT": [(10.0, 11.0), (20.0, 18.0)]}, unit="ms", band=0.2,
...                              title="t", desc="d 1", caption="c", slug="pm")
>>> html.count("<circle") >= 2, "±20 %" in html
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from servecalc.units import fmt_number, fmt_percent

from .svg import SMALL, WIDTH, Drawing, figure

LEFT, RIGHT, TOP = 58, WIDTH - 26, 12
#: A fill per series, in order (each dark enough to see on light and dark pages).
SERIES_FILLS = ("weights", "prefill", "kv", "accent")


def _tick(value: float) -> str:
    return fmt_number(value, 0) if value >= 1 else f"{value:g}"


def predicted_vs_measured(series: Mapping[str, Sequence[tuple[float, float]]], *, unit: str, band: float,
                          title: str, desc: str, caption: str, slug: str) -> str:
    """A dot per (measured, predicted) pair of each series; on the diagonal the prediction is exact."""
    values = [v for points in series.values() for pair in points for v in pair if v > 0]
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    size = RIGHT - LEFT
    bottom = TOP + size

    def at(x: float, y: float) -> tuple[float, float]:
        fx = (math.log10(x) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        fy = (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return LEFT + fx * size, bottom - fy * size

    legend_top = bottom + 40
    drawing = Drawing(WIDTH, legend_top + 20 * (len(series) + 1), slug=slug, title=title, desc=desc)
    drawing.rect(LEFT, TOP, size, size)
    for e in range(round(math.log10(lo)), round(math.log10(hi)) + 1):
        x, y = at(10 ** e, 10 ** e)
        drawing.text(x, bottom + 15, _tick(10 ** e), anchor="middle", size=SMALL)
        drawing.text(LEFT - 4, y + 4, _tick(10 ** e), anchor="end", size=SMALL)
    drawing.text((LEFT + RIGHT) / 2, bottom + 31, f"measured ({unit}, log)", anchor="middle", size=SMALL)
    drawing.polyline([at(lo, lo), at(hi, hi)], width=1.2)
    for factor in (1 + band, 1 - band):
        drawing.polyline([at(lo / factor, lo), at(hi, hi * factor)] if factor < 1
                         else [at(lo, lo * factor), at(hi / factor, hi)], width=1, dashed=True)
    for (name, points), fill in zip(series.items(), SERIES_FILLS):
        for measured, predicted in points:
            x, y = at(measured, min(max(predicted, lo), hi))
            drawing.circle(x, y, 2.4, fill=fill, outline=False)
    drawing.text(LEFT + 6, TOP + 16, f"predicted ({unit}, log)", size=SMALL)
    for i, ((name, points), fill) in enumerate(zip(series.items(), SERIES_FILLS)):
        y = legend_top + 20 * i
        drawing.circle(LEFT + 4, y - 4, 5, fill=fill)
        drawing.text(LEFT + 14, y, f"{name} ({len(points)})", size=SMALL)
    y = legend_top + 20 * len(series)
    drawing.line(LEFT - 2, y - 4, LEFT + 10, y - 4, dashed=True)
    drawing.text(LEFT + 14, y, f"±{fmt_percent(band, 0)} of measured; solid: exact", size=SMALL)
    return figure(drawing, caption=caption)
