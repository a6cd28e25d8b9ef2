"""A request's way through a serving stack, each stop with what it does and what it costs.

>>> from servecalc.deployment import Deployment
>>> html = request_path(Deployment(model="llama-3.1-8b", gpu="h100-sxm"), prompt=512, output=128,
...                     batch=8, slug="rp")
>>> html.count("<rect"), "Engine scheduler" in html, "<desc" in html
(5, True, True)
"""

from __future__ import annotations

from servecalc.deployment import Deployment
from servecalc.engines import get_engine
from servecalc.latency import request_latency
from servecalc.units import fmt_int

from .svg import SMALL, WIDTH, Drawing, figure, ms

BOX_H, GAP, TOP = 46, 22, 8


def request_path(d: Deployment, *, prompt: int, output: int, batch: int, slug: str) -> str:
    """Client, gateway, scheduler, GPUs and the token stream back, with TTFT (its prefill
    alone, as a continuous-batching engine runs it) and TPOT (a decode step of ``batch``)."""
    alone = request_latency(d, prompt=prompt, output=output, batch=1)
    r = request_latency(d, prompt=prompt, output=output, batch=batch)
    model, gpu = d.model.name, d.gpu.name.replace("NVIDIA ", "")
    ttft, tpot = ms(alone.ttft_s), ms(r.tpot_s)
    engine = get_engine(d.engine).name
    stops = [
        ("Client", f"sends {fmt_int(prompt)} prompt tokens, asks for {fmt_int(output)}", None),
        ("Gateway and router", "authenticates, rate-limits, picks a replica", None),
        ("Engine scheduler", f"queues it, joins a batch of {fmt_int(batch)}, gives it KV blocks", None),
        (f"{d.gpus} × {gpu}", f"prefill {ttft}, then one decode step per token", "weights"),
        ("Token stream back", f"first token after {ttft}, then one every {tpot}", None),
    ]
    height = TOP + len(stops) * (BOX_H + GAP) - GAP + 8
    drawing = Drawing(WIDTH, height, slug=slug, title=f"The path of one request to {model}",
                      desc=(f"{model} on {d.gpus} x {gpu}, engine preset {engine}. "
                            + "; ".join(f"{name}: {what}" for name, what, _ in stops) + "."))
    for i, (name, what, fill) in enumerate(stops):
        y = TOP + i * (BOX_H + GAP)
        drawing.rect(1, y, WIDTH - 2, BOX_H, fill=fill)
        colour = "white" if fill else None
        drawing.text(12, y + 19, name, bold=True, colour=colour)
        drawing.text(12, y + 37, what, size=SMALL, colour=colour)
        if i:
            drawing.arrow(WIDTH / 2, y - GAP, WIDTH / 2, y - 1)
    return figure(drawing, caption=(
        f"One request to {model} on {d.gpus} × {gpu} in a batch of {fmt_int(batch)} "
        f"({engine} preset): its prefill alone takes {ttft} to the first token (no queue), then each "
        f"decode step of the batch {tpot}."))
