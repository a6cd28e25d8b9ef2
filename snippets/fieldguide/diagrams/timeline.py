"""One request in time: its prefill, then one decode step per output token, to scale.

The top row is the whole request; the bottom row zooms into its start (the
prefill and the first few decode steps), where the two phases can be told apart.

>>> from servecalc.deployment import Deployment
>>> html = prefill_decode_timeline(Deployment(model="llama-3.1-8b", gpu="h100-sxm"), prompt=512,
...                                output=128, batch=8, slug="tl")
>>> "time to first token" in html, html.count("<rect") >= 2 + 1 + STEPS_SHOWN
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from servecalc.deployment import Deployment
from servecalc.engines import get_engine
from servecalc.latency import request_latency
from servecalc.units import fmt_duration, fmt_int

from .svg import SMALL, WIDTH, Drawing, figure, ms


@dataclass(frozen=True)
class _Times:
    ttft_s: float
    tpot_s: float
    e2e_s: float


#: Decode steps drawn one by one in the zoomed row.
STEPS_SHOWN = 5
LEFT, RIGHT = 6, WIDTH - 6


def prefill_decode_timeline(d: Deployment, *, prompt: int, output: int, batch: int, slug: str) -> str:
    """Prefill of one request alone, then its decode steps in a batch of ``batch``, whole and zoomed."""
    alone = request_latency(d, prompt=prompt, output=output, batch=1)
    steps = request_latency(d, prompt=prompt, output=output, batch=batch)
    decode_s = (output - 1) * steps.tpot_s
    r = _Times(ttft_s=alone.ttft_s, tpot_s=steps.tpot_s, e2e_s=alone.ttft_s + decode_s)
    model, engine = d.model.name, get_engine(d.engine).name
    ttft, tpot, e2e = ms(r.ttft_s), ms(r.tpot_s), fmt_duration(r.e2e_s, "s", 2)
    drawing = Drawing(WIDTH, 196, slug=slug, title=f"Prefill and decode of one {model} request",
                      desc=(f"{model} on {d.gpus} x {d.gpu.name.replace('NVIDIA ', '')}, batch {batch}, engine preset {engine}: "
                            f"prefill of {fmt_int(prompt)} tokens takes {ttft} (the time to first token), "
                            f"then {fmt_int(output - 1)} decode steps of {tpot} each; "
                            f"the request ends after {e2e}."))
    span = RIGHT - LEFT
    drawing.text(LEFT, 16, f"The whole request: {e2e}", bold=True)
    pre_w = max(span * r.ttft_s / r.e2e_s, 3)
    drawing.rect(LEFT, 24, pre_w, 26, fill="prefill")
    drawing.rect(LEFT + pre_w, 24, span - pre_w, 26, fill="decode")
    drawing.text(LEFT + pre_w + 8, 42, f"decode: {fmt_int(output - 1)} steps, {fmt_duration(decode_s, 's', 2)}",
                 colour="white", size=SMALL)
    drawing.text(LEFT, 68, f"prefill {ttft} (the thin orange sliver)" if pre_w < 40 else f"prefill {ttft}",
                 size=SMALL)
    # Zoomed: prefill plus the first steps.
    drawing.text(LEFT, 100, f"Zoomed in: prefill, then {STEPS_SHOWN} of the steps", bold=True)
    window = r.ttft_s + STEPS_SHOWN * r.tpot_s
    scale = span / window
    drawing.rect(LEFT, 108, r.ttft_s * scale, 26, fill="prefill")
    if r.ttft_s * scale > 60:
        drawing.text(LEFT + 6, 126, "prefill", colour="white", size=SMALL)
    for i in range(STEPS_SHOWN):
        x = LEFT + (r.ttft_s + i * r.tpot_s) * scale
        drawing.rect(x + 1, 108, r.tpot_s * scale - 2, 26, fill="decode")
    first = LEFT + r.ttft_s * scale
    drawing.line(first, 104, first, 150, dashed=True)
    drawing.text(min(first, RIGHT - 150), 164, f"first token at {ttft}", size=SMALL)
    step_x = first + r.tpot_s * scale / 2
    drawing.text(min(step_x, RIGHT - 120), 184, f"each step {tpot} (TPOT)", size=SMALL)
    return figure(drawing, caption=(
        f"Prefill reads the {fmt_int(prompt)}-token prompt in one pass and yields the first token "
        f"(time to first token {ttft}); each later token costs one decode step of {tpot} "
        f"({model}, {d.gpus} × {d.gpu.name.replace('NVIDIA ', '')}, batch {batch}, {engine} preset)."))
