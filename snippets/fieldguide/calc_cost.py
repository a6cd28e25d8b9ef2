"""Calculator: dollars per million tokens, and how utilization moves them.

>>> "per million output tokens" in cost(**{f.name: f.default for f in COST.fields})
True
"""

from __future__ import annotations

from typing import Any

from servecalc.cost import cost_per_million_tokens
from servecalc.prices import get_price
from servecalc.units import fmt_usd

from . import charts
from .fields import Calculator, batch_field, deployment_fields, deployment_of, efficiency_fields
from .forms import Field
from .html import key_values, note

UTILIZATIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def cost(**v: Any) -> str:
    d = deployment_of(v)
    common = dict(price_usd_per_hour=v["price_usd_per_hour"], batch=v["batch"],
                  prompt=v["prompt"], output=v["output"])
    r = cost_per_million_tokens(d, utilization=v["utilization"], **common)
    rows = [
        ("Cluster price", f"{fmt_usd(r.cluster_usd_per_hour)} per hour"),
        ("Cost per million output tokens", fmt_usd(r.usd_per_million_output_tokens)),
        ("Cost per million input tokens", fmt_usd(r.usd_per_million_input_tokens)),
        ("Cost per request", fmt_usd(r.usd_per_request, 4)),
        ("Requests per hour at this utilization", f"{r.requests_per_hour:,.0f}"),
    ]
    curve = [cost_per_million_tokens(d, utilization=u, **common) for u in UTILIZATIONS]
    chart = charts.category_chart(
        title="Cost per million tokens against utilization",
        x_title="utilization (share of the hour the GPUs do useful work)",
        y_title="US$ per million tokens",
        labels=[f"{round(u * 100)} %" for u in UTILIZATIONS],
        series={
            "output tokens": [c.usd_per_million_output_tokens for c in curve],
            "input tokens": [c.usd_per_million_input_tokens for c in curve],
        },
        mark=min(range(len(UTILIZATIONS)), key=lambda i: abs(UTILIZATIONS[i] - v["utilization"])),
    )
    lead = [("Per million output tokens", fmt_usd(r.usd_per_million_output_tokens)),
            ("Per request", fmt_usd(r.usd_per_request, 4))]
    return key_values(rows, lead) + note(
        "Idle time is paid for: halving utilization doubles the cost of every token.") + chart


def _default_price() -> float:
    return get_price("h100-sxm").price_usd_per_hour


COST = Calculator(
    id="cost",
    title="Cost per token",
    fields=[
        *deployment_fields(),
        Field(name="price_usd_per_hour", label="Price per GPU-hour", kind="float",
              default=_default_price(), min=0.01, max=1000, step=0.01, unit="US$"),
        Field(name="utilization", label="Utilization", kind="float", default=0.6, min=0.01,
              max=1.0, step=0.01, slider=True),
        batch_field(32),
        Field(name="prompt", label="Prompt", kind="int", default=1024, min=1, max=1_048_576,
              unit="tokens"),
        Field(name="output", label="Output", kind="int", default=256, min=1, max=1_048_576,
              unit="tokens"),
        *efficiency_fields(),
    ],
    compute=cost,
)
