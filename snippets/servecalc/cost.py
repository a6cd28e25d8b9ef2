"""What a token costs when you rent the GPUs, and when an API is cheaper.

The cluster costs ``gpus x price_usd_per_hour`` (the price is per GPU-hour,
as in :mod:`servecalc.prices`) whether it is busy or not. It serves requests
in batches of ``batch``, each ``prompt`` tokens in and ``output`` tokens out
(:func:`servecalc.latency.request_latency`): one prefill step, then
``output - 1`` decode steps.

How the bill is split between input and output tokens
    Input tokens pay for the prefill time; output tokens pay for the decode
    time. The first output token comes out of the prefill step, so its cost
    sits with the input tokens: with ``output = 1`` output tokens cost nothing.
    This follows the hardware: prefill is compute-bound and priced by FLOPs,
    decode is memory-bound and priced by bandwidth, which is why APIs charge
    less for input than for output.
Utilisation
    ``utilization`` is the busy fraction of the hours you pay for. Every cost
    is divided by it: at 50 % a token costs twice as much.

>>> from servecalc.units import fmt_usd
>>> from servecalc.deployment import Deployment
>>> d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", mbu=0.62, mfu=0.45, overhead_s=0.0003)
>>> c = cost_per_million_tokens(d, price_usd_per_hour=3.0, batch=64, prompt=1000, output=250)
>>> fmt_usd(c.usd_per_million_input_tokens), fmt_usd(c.usd_per_million_output_tokens)
('$0.03', '$0.16')
>>> half = cost_per_million_tokens(d, price_usd_per_hour=3.0, batch=64, prompt=1000, output=250,
...                                utilization=0.5)
>>> math.isclose(half.usd_per_million_output_tokens, 2 * c.usd_per_million_output_tokens)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .deployment import DeploymentLike, GpuLike
from .latency import latency_from_step_model
from .step import StepModel
from .validate import fraction, items, non_negative_number, positive_int, positive_number

SECONDS_PER_HOUR = 3600
MILLION = 1_000_000


@dataclass(frozen=True, kw_only=True)
class CostResult:
    """Cost of serving one workload shape on one cluster."""

    gpus: int
    batch: int
    prompt: int
    output: int
    utilization: float
    cluster_usd_per_hour: float
    prefill_s: float
    decode_s: float
    output_tokens_per_s: float
    requests_per_hour: float
    usd_per_request: float
    usd_per_million_input_tokens: float
    usd_per_million_output_tokens: float
    usd_per_million_tokens: float


def _cost(sm: StepModel, price_usd_per_hour: float, batch: int, prompt: int, output: int,
          utilization: float) -> CostResult:
    price = positive_number("price_usd_per_hour", price_usd_per_hour)
    util = fraction("utilization", utilization)
    lat = latency_from_step_model(sm, prompt=prompt, output=output, batch=batch)
    prefill_s = lat.ttft_s
    decode_s = (output - 1) * lat.tpot_s
    busy_s = math.fsum([prefill_s, decode_s])
    cluster = price * sm.gpus
    usd_per_s = cluster / SECONDS_PER_HOUR / util
    input_usd = prefill_s * usd_per_s
    output_usd = decode_s * usd_per_s
    return CostResult(
        gpus=sm.gpus,
        batch=batch,
        prompt=prompt,
        output=output,
        utilization=util,
        cluster_usd_per_hour=cluster,
        prefill_s=prefill_s,
        decode_s=decode_s,
        output_tokens_per_s=batch * output / busy_s * util,
        requests_per_hour=batch * SECONDS_PER_HOUR / busy_s * util,
        usd_per_request=(input_usd + output_usd) / batch,
        usd_per_million_input_tokens=input_usd / (batch * prompt) * MILLION,
        usd_per_million_output_tokens=output_usd / (batch * output) * MILLION,
        usd_per_million_tokens=(input_usd + output_usd) / (batch * (prompt + output)) * MILLION,
    )


def cost_per_million_tokens(deployment: DeploymentLike, gpu: GpuLike = None, *,
                            price_usd_per_hour: float, batch: int, prompt: int, output: int,
                            utilization: float = 1.0) -> CostResult:
    """Dollars per million input and output tokens (split in the module docstring).

    >>> cost_per_million_tokens("llama-3.1-8b", "h100-sxm", price_usd_per_hour=0, batch=1,
    ...                         prompt=10, output=10)
    Traceback (most recent call last):
        ...
    ValueError: price_usd_per_hour must be a finite number > 0, got 0
    """
    positive_int("batch", batch)
    positive_int("prompt", prompt)
    positive_int("output", output)
    sm = StepModel(deployment, gpu)
    return _cost(sm, price_usd_per_hour, batch, prompt, output, utilization)


def cost_vs_batch(deployment: DeploymentLike, gpu: GpuLike = None, *, price_usd_per_hour: float,
                  batches: Iterable[int], prompt: int, output: int,
                  utilization: float = 1.0) -> list[CostResult]:
    """:func:`cost_per_million_tokens` for each batch size (for charts).

    >>> rows = cost_vs_batch("llama-3.1-8b", "h100-sxm", price_usd_per_hour=3.0,
    ...                      batches=[1, 8, 64], prompt=1000, output=250)
    >>> [r.usd_per_million_output_tokens > s.usd_per_million_output_tokens
    ...  for r, s in zip(rows, rows[1:])]
    [True, True]
    """
    positive_int("prompt", prompt)
    positive_int("output", output)
    sm = StepModel(deployment, gpu)
    rows = [
        _cost(sm, price_usd_per_hour, positive_int("batches[i]", b), prompt, output, utilization)
        for b in items("batches", batches, empty=True)
    ]
    if not rows:
        raise ValueError("batches must hold at least one batch size, got none")
    return rows


@dataclass(frozen=True, kw_only=True)
class BreakEven:
    """Self-hosting against a per-token API for one request shape.

    ``break_even_utilization`` is the busy fraction at which the rented
    cluster costs as much per request as the API; above it self-hosting is
    cheaper. A value above 1 means the API is cheaper even with the cluster
    fully busy at this batch size.
    """

    api_usd_per_request: float
    self_hosted_usd_per_request_at_full_load: float
    break_even_utilization: float
    break_even_requests_per_hour: float
    capacity_requests_per_hour: float
    self_hosting_can_win: bool


def break_even_vs_api(deployment: DeploymentLike, gpu: GpuLike = None, *,
                      price_usd_per_hour: float, api_usd_per_million_input: float,
                      api_usd_per_million_output: float, batch: int, prompt: int,
                      output: int) -> BreakEven:
    """Traffic at which renting GPUs costs the same as paying an API per token.

    ``break_even_requests_per_hour`` is the cluster's hourly price over the
    API price of one request: below that traffic the API bill is smaller.

    >>> b = break_even_vs_api("llama-3.1-8b", "h100-sxm", price_usd_per_hour=3.0,
    ...                       api_usd_per_million_input=0.10, api_usd_per_million_output=0.40,
    ...                       batch=64, prompt=1000, output=250)
    >>> b.self_hosting_can_win, round(b.break_even_requests_per_hour)
    (True, 15000)
    """
    pin = non_negative_number("api_usd_per_million_input", api_usd_per_million_input)
    pout = non_negative_number("api_usd_per_million_output", api_usd_per_million_output)
    positive_int("batch", batch)
    positive_int("prompt", prompt)
    positive_int("output", output)
    api = (prompt * pin + output * pout) / MILLION
    if api <= 0:
        raise ValueError(
            "api_usd_per_million_input and api_usd_per_million_output must not both be 0 "
            f"(a free API always wins), got {pin!r} and {pout!r}"
        )
    sm = StepModel(deployment, gpu)
    full = _cost(sm, price_usd_per_hour, batch, prompt, output, 1.0)
    ratio = full.usd_per_request / api
    return BreakEven(
        api_usd_per_request=api,
        self_hosted_usd_per_request_at_full_load=full.usd_per_request,
        break_even_utilization=ratio,
        break_even_requests_per_hour=full.cluster_usd_per_hour / api,
        capacity_requests_per_hour=full.requests_per_hour,
        self_hosting_can_win=ratio <= 1,
    )
