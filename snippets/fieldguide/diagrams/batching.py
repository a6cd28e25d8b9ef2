"""Requests joining and leaving a batch over time, from one run of the simulator.

A row per request, in arrival order: grey while it waits, orange while its
prompt is prefilled, indigo while it decodes. Under continuous batching a
request starts as soon as there is room; under static batching it waits for
the whole batch before it to finish.

>>> from servecalc.deployment import Deployment
>>> html = batching_timeline(Deployment(model="llama-3.1-8b", gpu="h100-sxm"), policy="continuous",
...                          rate=8.0, requests=6, prompt=512, output=64, seed=1, slug="bt")
>>> html.count("requests") >= 1, "policy continuous" in html
(True, True)
"""

from __future__ import annotations

from servecalc.deployment import Deployment
from servecalc.engines import get_engine
from servecalc.sim import Engine, poisson_workload, simulate
from servecalc.units import fmt_duration, fmt_int, fmt_number

from .svg import SMALL, WIDTH, Drawing, figure

LEFT, RIGHT, ROW, TOP = 28, WIDTH - 6, 15, 26


def batching_timeline(d: Deployment, *, policy: str, rate: float, requests: int, prompt: int,
                      output: int | str, seed: int, slug: str, max_batch: int | None = None) -> str:
    """``requests`` Poisson arrivals at ``rate`` per second through ``d`` under ``policy``
    (``output`` a token count or a length distribution such as ``"uniform:16-1024"``)."""
    engine = Engine(d, max_batch=max_batch) if max_batch else Engine(d)
    r = simulate(engine, poisson_workload(rate=rate, requests=requests, prompt=prompt, output=output,
                                          seed=seed), policy=policy)
    end = max(r.finish_s)
    scale = (RIGHT - LEFT) / end
    height = TOP + requests * ROW + 30
    preset = get_engine(d.engine).name
    drawing = Drawing(WIDTH, height, slug=slug,
                      title=f"{requests} requests through one {d.model.name} replica, policy {policy}",
                      desc=(f"Simulated with engine preset {preset}: {requests} requests arriving at "
                            f"{fmt_number(rate, 1)} per second, {fmt_int(prompt)} tokens in and "
                            f"{fmt_int(output) if isinstance(output, int) else output} out, policy {policy}. Median wait "
                            f"{fmt_duration(r.queue_s.p50, 'ms', 0)}, median time to first token "
                            f"{fmt_duration(r.ttft_s.p50, 'ms', 0)}, mean batch {fmt_number(r.mean_batch, 1)}; "
                            f"the last request finishes at {fmt_duration(end, 's', 2)}."))
    drawing.text(LEFT, 14, f"policy {policy}: mean batch {fmt_number(r.mean_batch, 1)}, "
                 f"median wait {fmt_duration(r.queue_s.p50, 'ms', 0)}", bold=True, size=SMALL)
    for i in range(requests):
        y = TOP + i * ROW
        drawing.text(LEFT - 4, y + 10, str(i + 1), anchor="end", size=SMALL)
        spans = ((r.arrivals[i], r.start_s[i], "wait"), (r.start_s[i], r.first_token_s[i], "prefill"),
                 (r.first_token_s[i], r.finish_s[i], "decode"))
        for start, stop, fill in spans:
            if stop > start:
                drawing.rect(LEFT + start * scale, y, max((stop - start) * scale, 1), ROW - 3, fill=fill)
    axis = TOP + requests * ROW + 2
    drawing.line(LEFT, axis, RIGHT, axis)
    for tick in _ticks(end):
        x = LEFT + tick * scale
        drawing.line(x, axis, x, axis + 4)
        drawing.text(x, axis + 17, f"{tick:g} s", anchor="middle", size=SMALL)
    return figure(drawing, caption=(
        f"{requests} simulated requests, one row each: grey waiting, orange prefill, indigo decode "
        f"({d.model.name} on {d.gpus} × {d.gpu.name.replace('NVIDIA ', '')}, {preset} preset, "
        f"policy {policy})."))


def _ticks(end: float) -> list[float]:
    """Three or four round tick values from 0 to ``end``.

    >>> _ticks(8.6), _ticks(0.37)
    ([0.0, 2.0, 4.0, 6.0, 8.0], [0.0, 0.1, 0.2, 0.3])
    """
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500):
        if end / step <= 5:
            return [round(k * float(step), 6) for k in range(int(end / step + 1e-9) + 1)]
    return [0.0, end]
