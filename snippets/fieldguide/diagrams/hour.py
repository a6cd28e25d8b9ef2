"""Where a paid GPU-hour goes (prefill, decode, idle) and what a million tokens cost.

>>> from servecalc.deployment import Deployment
>>> html = gpu_hour(Deployment(model="llama-3.1-8b", gpu="h100-sxm"), price_usd_per_hour=3.0,
...                 batch=32, prompt=1024, output=256, utilization=0.6, slug="h")
>>> "idle" in html and "per million output tokens" in html
True
"""

from __future__ import annotations

from servecalc.cost import cost_per_million_tokens
from servecalc.deployment import Deployment
from servecalc.units import fmt_percent, fmt_usd

from .svg import SMALL, WIDTH, Drawing, figure

LEFT, RIGHT = 4, WIDTH - 4


def gpu_hour(d: Deployment, *, price_usd_per_hour: float, batch: int, prompt: int, output: int,
             utilization: float, slug: str) -> str:
    """One hour of the cluster split into prefill, decode and idle time, with the prices it gives."""
    r = cost_per_million_tokens(d, price_usd_per_hour=price_usd_per_hour, batch=batch, prompt=prompt,
                                output=output, utilization=utilization)
    busy = r.prefill_s + r.decode_s
    shares = [("prefill", utilization * r.prefill_s / busy, "prefill"),
              ("decode", utilization * r.decode_s / busy, "decode"),
              ("idle", 1 - utilization, None)]
    name = d.gpu.name.replace("NVIDIA ", "")
    drawing = Drawing(WIDTH, 150, slug=slug, title=f"Where an hour of {d.gpus} × {name} goes",
                      desc=(f"{d.model.name} on {d.gpus} x {name} at {fmt_usd(r.cluster_usd_per_hour)} "
                            f"per hour, batch {batch}, {prompt:,} tokens in and {output:,} out, "
                            f"utilization {fmt_percent(utilization, 0)}: "
                            + ", ".join(f"{label} {fmt_percent(share, 0)}" for label, share, _ in shares)
                            + f" of the hour; {fmt_usd(r.usd_per_million_input_tokens)} per million input "
                            f"tokens and {fmt_usd(r.usd_per_million_output_tokens)} per million output tokens."))
    drawing.text(LEFT, 16, f"One hour of {d.gpus} × {name}: {fmt_usd(r.cluster_usd_per_hour)}", bold=True)
    x = LEFT
    for label, share, fill in shares:
        width = share * (RIGHT - LEFT)
        drawing.rect(x, 26, width, 30, fill=fill)
        if width > 64:
            drawing.text(x + 5, 46, f"{label} {fmt_percent(share, 0)}", colour="white" if fill else None,
                         size=SMALL)
        x += width
    small = [f"{label} {fmt_percent(share, 0)}" for label, share, _ in shares if share * (RIGHT - LEFT) <= 64]
    if small:
        drawing.text(LEFT, 74, "also " + ", ".join(small), size=SMALL)
    drawing.text(LEFT, 102, f"{fmt_usd(r.usd_per_million_input_tokens)} per million input tokens "
                 "(prefill time)", size=SMALL)
    drawing.text(LEFT, 122, f"{fmt_usd(r.usd_per_million_output_tokens)} per million output tokens "
                 "(decode time)", size=SMALL)
    drawing.text(LEFT, 142, "idle time is paid for: it raises both", size=SMALL)
    return figure(drawing, caption=(
        f"{d.model.name}, batch {batch}, {prompt:,} tokens in and {output:,} out, "
        f"{fmt_percent(utilization, 0)} utilization: each token type pays for the time its phase "
        "holds the GPUs, and for its share of the idle time."))
