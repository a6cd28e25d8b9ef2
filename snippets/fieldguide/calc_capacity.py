"""Calculators: capacity under an SLO (with the knee of latency against load) and the
cheapest fleet for a load (``plan``), both by simulation, with progress and Stop.

>>> html = capacity_calc(**{f.name: f.default for f in CAPACITY.fields} | {"requests": 300})
>>> html.count("<svg"), "requests/s" in html
(2, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from servecalc.load_curve import load_curve
from servecalc.plan import plan
from servecalc.sim import Engine
from servecalc.slo import PRESETS
from servecalc.slo_capacity import DEFAULT_REQUESTS, MAX_REQUESTS, max_rate_under_slo
from servecalc.units import fmt_duration, fmt_number, fmt_usd

from . import charts
from .fields import (Calculator, deployment_fields, deployment_of, engine_field, expert_fields, model_field,
                     policy_field, policy_of, simulated_tokens)
from .forms import Field
from .html import key_values, table

_SLOS = [(key, key) for key in PRESETS]


def _scaled(progress, start: float, span: float):
    """A progress callback for one stage of a longer computation."""
    if progress is None:
        return None
    return lambda fraction: progress(start + span * fraction)


def capacity_calc(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    engine = Engine(deployment_of(v))
    r = max_rate_under_slo(engine, slo=v["slo"], policy=policy_of(v), prompt=v["prompt"],
                           output=v["output"], requests=v["requests"],
                           progress=_scaled(progress, 0.0, 0.7))
    if not r.feasible:
        return key_values([("No rate meets the SLO", r.reason)])
    low, high = r.rate_interval_requests_per_s
    rows = [
        ("Capacity", f"{fmt_number(r.max_rate_requests_per_s, 2)} requests/s "
                     f"(95 % interval {fmt_number(low, 2)}-{fmt_number(high, 2)})"),
        ("Output tokens", f"{fmt_number(r.output_tokens_per_s, 0)} per second"),
        ("p99 TTFT / TPOT there", f"{fmt_duration(r.ttft_s.p99, 'ms')} / "
                                  f"{fmt_duration(r.tpot_s.p99, 'ms')}"),
        ("Mean batch", fmt_number(r.mean_batch, 1)),
        ("Saturation (always busy)", f"{fmt_number(r.saturation_requests_per_s, 2)} requests/s"),
        ("Requests simulated", f"{r.requests_simulated:,}"),
        ("At that rate", r.reason),
    ]
    points = load_curve(engine, prompt=v["prompt"], output=v["output"], policy=policy_of(v),
                        loads=(0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95), requests=v["requests"])
    if progress is not None:
        progress(1.0)
    ms = 1000
    ttft = charts.line_chart(
        title="p99 time to first token against load", x_title="arrival rate (requests/s)",
        y_title="ms",
        series={"simulated p99": [(p.rate_requests_per_s, p.ttft_p99_s * ms) for p in points],
                "Kingman p99 (single server, exponential tail assumed)": [(p.rate_requests_per_s, p.kingman_ttft_p99_s * ms)
                                                for p in points],
                "SLO limit": [(points[0].rate_requests_per_s, r.slo.ttft_s * ms),
                              (points[-1].rate_requests_per_s, r.slo.ttft_s * ms)]})
    tpot = charts.line_chart(
        title="p99 time per output token against load", x_title="arrival rate (requests/s)",
        y_title="ms",
        series={"simulated p99": [(p.rate_requests_per_s, p.tpot_p99_s * ms) for p in points],
                "SLO limit": [(points[0].rate_requests_per_s, r.slo.tpot_s * ms),
                              (points[-1].rate_requests_per_s, r.slo.tpot_s * ms)]})
    return key_values(rows) + ttft + tpot


CAPACITY = Calculator(
    id="capacity",
    title="Capacity under an SLO (simulated)",
    fields=[
        *deployment_fields("llama-3.1-8b", "h100-sxm", 1),
        policy_field(),
        Field(name="slo", label="SLO", kind="select", default="mlperf-llama3.1-8b-interactive",
              options=_SLOS),
        Field(name="prompt", label="Prompt", kind="int", default=1000, min=1, max=131_072,
              unit="tokens"),
        Field(name="output", label="Output", kind="int", default=250, min=2, max=32_768,
              unit="tokens"),
        Field(name="requests", label="Requests per rate tried", kind="int",
              default=DEFAULT_REQUESTS, min=200, max=MAX_REQUESTS),
    ],
    compute=capacity_calc,
    long_running=True,
    work=simulated_tokens,
)


def plan_calc(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    result = plan(v["model"], rate=v["rate"], prompt=v["prompt"], output=v["output"],
                  slo=v["slo"], gpu_counts=[int(n) for n in v["gpu_counts"].split(",")],
                  weight_dtypes=(None if v["weight_dtypes"] == "native"
                                 else v["weight_dtypes"].split(",")), headroom=v["headroom"],
                  requests=v["requests"], progress=progress, engine=v["engine"],
                  ep=v.get("ep", 1), dp_attention=v.get("attention") == "dp")
    rows = [(o.gpu, str(o.gpus), o.weight_dtype, fmt_number(o.max_rate_per_replica, 2),
             str(o.replicas), fmt_usd(o.usd_per_hour), fmt_usd(o.usd_per_million_output_tokens),
             o.price_source.split(":")[0])
            for o in result.options]
    if not rows:
        return key_values([("No fleet meets the SLO", "; ".join(r for _, r in result.skipped))])
    left_out = "; ".join(f"{c} ({r.split(':')[0]})" for c, r in result.skipped)
    bands = {o.gpu: o.price_band for o in result.options}
    cheapest = min(range(len(result.options)), key=lambda i: result.options[i].usd_per_hour)
    return (table(["GPU", "GPUs", "weights", "req/s per replica", "replicas", "$/hour",
                   "$/M output tokens", "price"], rows, best=cheapest)
            + key_values([(f"{gpu} price band", band) for gpu, band in bands.items()]
                         + [("Left out", left_out)]))


PLAN = Calculator(
    id="plan",
    title="Cheapest fleet for a load (simulated)",
    fields=[
        model_field("llama-3.1-8b", custom=False),
        engine_field(),
        Field(name="rate", label="Load", kind="float", default=20.0, min=0.01, max=100_000,
              step=0.1, unit="requests/s", slider=False),
        Field(name="prompt", label="Prompt", kind="int", default=1000, min=1, max=131_072,
              unit="tokens"),
        Field(name="output", label="Output", kind="int", default=250, min=2, max=32_768,
              unit="tokens"),
        Field(name="slo", label="SLO", kind="select", default="mlperf-llama3.1-8b-interactive",
              options=_SLOS),
        Field(name="gpu_counts", label="GPUs per replica to try", kind="select", default="1,2",
              options=[("1", "1"), ("1,2", "1, 2"), ("1,2,4", "1, 2, 4"),
                       ("1,2,4,8", "1, 2, 4, 8")]),
        *expert_fields(),
        Field(name="weight_dtypes", label="Weight precisions to try", kind="select",
              default="native", options=[("native", "each GPU's native ones"), ("bf16", "bf16"),
                                         ("bf16,fp8", "bf16 and fp8")]),
        Field(name="headroom", label="Headroom", kind="float", default=0.0, min=0.0, max=0.9,
              step=0.05, help="load each replica to at most 1 - headroom of its capacity"),
        Field(name="requests", label="Requests per rate tried", kind="int",
              default=DEFAULT_REQUESTS, min=200, max=MAX_REQUESTS),
    ],
    compute=plan_calc,
    long_running=True,
    work=lambda v: simulated_tokens(v, fleets=len(str(v["gpu_counts"]).split(","))
                                    * len(str(v["weight_dtypes"]).split(","))),
)
