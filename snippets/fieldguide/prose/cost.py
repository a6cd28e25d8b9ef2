"""Placeholders for the cost-modelling chapter: dollars per million tokens, break-even.

``price`` is dollars per GPU-hour; when it is left out, the point of the
GPU's price band is used (:func:`servecalc.prices.get_price`: the median
GPU-cloud on-demand quote), and the page names it with
:func:`cost_example_price_source` and shows the band with
:func:`cost_price_band`.

>>> cost_example_price("h100-sxm")
'$3.78'
>>> cost_per_m("llama-3.1-8b", "h100-sxm", "output")  # doctest: +ELLIPSIS
'$...'
>>> cost_per_m("llama-3.1-8b", "h100-sxm", "output", utilization=0.3)  # doctest: +ELLIPSIS
'$...'
"""

from __future__ import annotations

import math

from servecalc.api_pricing import request_usd
from servecalc.cost import break_even_vs_api, cost_per_million_tokens
from servecalc.latency import request_latency
from servecalc.ownership import node_packing, owned_usd_per_gpu_hour, owning_break_even_utilization
from servecalc.prices import get_price, price_band
from servecalc.plan import usd_per_million_tokens_at_rate
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_percent, fmt_usd
from servecalc.validate import choice
from servecalc.deployment import Deployment

from ..capacity_cache import capacity


#: Hours in an average month (8,760 / 12), for monthly bills.
HOURS_PER_MONTH = 730


def _price(gpu: str, price: float | None) -> float:
    return get_price(gpu).price_usd_per_hour if price is None else price


def cost_example_price(gpu: str) -> str:
    """The catalog's example on-demand price for one GPU-hour.

    >>> cost_example_price("l4")
    '$0.80'
    """
    return fmt_usd(get_price(gpu).price_usd_per_hour)


def cost_example_price_source(gpu: str) -> str:
    """Who quoted the example price, for what, and when.

    >>> cost_example_price_source("h100-sxm")
    'Lambda, 1x H100 SXM (on-demand), 2026-05-07'
    """
    p = get_price(gpu)
    return f"{p.provider}, {p.instance}, {p.date}"


def cost_price_band(gpu: str) -> str:
    """The GPU's price band: every tier's range and the point a single number uses.

    >>> cost_price_band("h100-sxm").split(":")[0]
    '$2.35-$5.00 per GPU-hour'
    """
    return price_band(gpu).describe()


def _cost(model, gpu, gpus, batch, prompt, output, utilization, price, weight_dtype):
    return cost_per_million_tokens(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                                   price_usd_per_hour=_price(gpu, price), batch=batch,
                                   prompt=prompt, output=output, utilization=utilization)


def cost_per_m(model: str, gpu: str, field: str, gpus: int = 1, batch: int = 64,
               prompt: int = 1000, output: int = 250, utilization: float = 1.0,
               price: float | None = None, weight_dtype: str = "bf16", digits: int = 2) -> str:
    """Dollars per million tokens: ``field`` is 'input', 'output' or 'blended'.

    >>> cost_per_m("llama-3.1-70b", "h100-sxm", "blended", gpus=4, batch=256)  # doctest: +ELLIPSIS
    '$...'
    """
    choice("field", field, ["input", "output", "blended"])
    c = _cost(model, gpu, gpus, batch, prompt, output, utilization, price, weight_dtype)
    value = {
        "input": c.usd_per_million_input_tokens,
        "output": c.usd_per_million_output_tokens,
        "blended": c.usd_per_million_tokens,
    }[field]
    return fmt_usd(value, digits)


def cost_output_over_input(model: str, gpu: str, gpus: int = 1, batch: int = 64,
                           prompt: int = 1000, output: int = 250,
                           weight_dtype: str = "bf16") -> str:
    """How many times more an output token costs than an input token.

    >>> cost_output_over_input("llama-3.1-8b", "h100-sxm")  # doctest: +ELLIPSIS
    '...×'
    """
    c = _cost(model, gpu, gpus, batch, prompt, output, 1.0, None, weight_dtype)
    return f"{fmt_number(c.usd_per_million_output_tokens / c.usd_per_million_input_tokens, 1)}×"


def cost_api_per_m(api_input: float, api_output: float, prompt: int = 1000,
                   output: int = 250) -> str:
    """An API's blended price per million tokens for a request shape.

    >>> cost_api_per_m(0.6, 0.6)
    '$0.60'
    """
    blended = (prompt * api_input + output * api_output) / (prompt + output)
    return fmt_usd(blended)


def cost_break_even(model: str, gpu: str, api_input: float, api_output: float, field: str,
                    gpus: int = 1, batch: int = 64, prompt: int = 1000, output: int = 250,
                    price: float | None = None, weight_dtype: str = "bf16") -> str:
    """Self-hosting against an API priced ``api_input`` / ``api_output`` dollars per
    million tokens. ``field``:

    * 'utilization': busy fraction at which both cost the same,
    * 'requests_per_hour': traffic at which both bills are equal,
    * 'capacity': requests per hour the cluster serves when fully busy,
    * 'requests_per_day': the break-even traffic per day,
    * 'api_per_request' / 'self_per_request': dollars per request.

    >>> cost_break_even("llama-3.1-70b", "h100-sxm", 0.6, 0.6,
    ...                 "utilization", gpus=4, batch=256)  # doctest: +ELLIPSIS
    '... %'
    >>> cost_break_even("llama-3.1-70b", "h100-sxm", 0.6, 0.6, "requests_per_day", gpus=4)
    '483,840'
    """
    choice("field", field, ["utilization", "requests_per_hour", "capacity", "requests_per_day",
                            "api_per_request", "self_per_request"])
    b = break_even_vs_api(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                          price_usd_per_hour=_price(gpu, price),
                          api_usd_per_million_input=api_input,
                          api_usd_per_million_output=api_output, batch=batch, prompt=prompt,
                          output=output)
    if field == "utilization":
        return fmt_percent(b.break_even_utilization)
    if field == "requests_per_hour":
        return fmt_int(math.ceil(b.break_even_requests_per_hour))
    if field == "requests_per_day":
        return fmt_int(math.ceil(b.break_even_requests_per_hour * 24))
    if field == "capacity":
        return fmt_int(round(b.capacity_requests_per_hour))
    if field == "api_per_request":
        return fmt_usd(b.api_usd_per_request, 5)
    return fmt_usd(b.self_hosted_usd_per_request_at_full_load, 5)


def cost_under_slo(model: str, gpu: str, slo: str, field: str, gpus: int = 1,
                   prompt: int = 1000, output: int = 250, price: float | None = None,
                   weight_dtype: str = "bf16") -> str:
    """What a latency SLO does to the price of a token, from simulated capacity.

    ``field``: 'rate' (requests/s one replica serves within ``slo``, simulated),
    'batch' (its mean batch there), 'busy_rate' (requests/s when always busy,
    a batch job with no latency target), 'usd_per_m' (dollars per million
    tokens, input and output, at the SLO-bound rate), 'busy_usd_per_m' (at
    the always-busy rate), 'premium' (how much more the SLO's token costs).

    >>> cost_under_slo("llama-3.1-70b", "h100-sxm", "mlperf-llama2-70b-interactive", "rate",
    ...                gpus=4)  # doctest: +ELLIPSIS
    '... requests/s'
    >>> cost_under_slo("llama-3.1-70b", "h100-sxm", "mlperf-llama2-70b-interactive", "premium",
    ...                gpus=4)  # doctest: +ELLIPSIS
    '... %'
    """
    choice("field", field, ["rate", "batch", "busy_rate", "usd_per_m", "busy_usd_per_m",
                            "premium"])
    r = capacity(model, gpu, gpus, prompt, output, slo, weight_dtype=weight_dtype)
    if field == "rate":
        return f"{fmt_number(r.max_rate_requests_per_s, 2)} requests/s"
    if field == "batch":
        return fmt_number(r.mean_batch, 0)
    if field == "busy_rate":
        return f"{fmt_number(r.saturation_requests_per_s, 2)} requests/s"
    hourly = _price(gpu, price) * gpus
    at_slo = usd_per_million_tokens_at_rate(hourly, r.max_rate_requests_per_s, prompt + output)
    busy = usd_per_million_tokens_at_rate(hourly, r.saturation_requests_per_s, prompt + output)
    if field == "usd_per_m":
        return fmt_usd(at_slo)
    if field == "busy_usd_per_m":
        return fmt_usd(busy)
    return fmt_percent(at_slo / busy - 1)


# --------------------------------------------------------------------------- reasoning, owning, nodes (2026)

#: The cost chapter's owned-server example (assumptions, see the page cell for sources).
OWNED_EXAMPLE = dict(server_usd=250_000, gpus_per_server=8, years=4, power_kw=10.2, pue=1.3,
                     usd_per_kwh=0.08, other_usd_per_year=20_000)


def reasoning_usd(answer: int, reasoning: int, cached_share: float = 0.0, prompt: int = 2000,
                  input_usd_per_m: float = 1.0, cached_input_usd_per_m: float = 0.1,
                  output_usd_per_m: float = 8.0) -> str:
    """Dollars per request at an illustrative per-token quote, with reasoning and caching.

    >>> reasoning_usd(500, 0), reasoning_usd(500, 4000)
    ('$0.0060', '$0.0380')
    """
    return fmt_usd(request_usd(prompt=prompt, answer=answer, reasoning=reasoning,
                               cached_share=cached_share, input_usd_per_m=input_usd_per_m,
                               cached_input_usd_per_m=cached_input_usd_per_m,
                               output_usd_per_m=output_usd_per_m), 4)


def answer_time(model: str, gpu: str, answer: int, reasoning: int, gpus: int = 1,
                prompt: int = 2000) -> str:
    """When the visible answer is complete: prefill, reasoning tokens, then the answer.

    >>> answer_time("llama-3.1-70b", "h100-sxm", 500, 0, gpus=4)  # doctest: +ELLIPSIS
    '... s'
    """
    r = request_latency(Deployment(model=model, gpu=gpu, gpus=gpus), prompt=prompt,
                        output=answer + reasoning)
    return fmt_duration(r.e2e_s, "s")


def owned_gpu_hour() -> str:
    """The owned-server example's cost per GPU-hour, busy or not.

    >>> owned_gpu_hour()
    '$1.31'
    """
    return fmt_usd(owned_usd_per_gpu_hour(**OWNED_EXAMPLE))


def owning_break_even(gpu: str = "h100-sxm") -> str:
    """Busy share above which the owned example beats renting ``gpu`` at its catalog price.

    >>> owning_break_even()
    '34.7 %'
    """
    own = owned_usd_per_gpu_hour(**OWNED_EXAMPLE)
    return fmt_percent(owning_break_even_utilization(own, get_price(gpu).price_usd_per_hour))


def node_paid_over_used(replica_gpus: int, replicas: int, gpus_per_node: int = 8) -> str:
    """GPUs paid for over GPUs used when replicas of ``replica_gpus`` GPUs fill whole nodes.

    >>> node_paid_over_used(3, 4)
    '1.33×'
    """
    p = node_packing(replica_gpus=replica_gpus, replicas=replicas, gpus_per_node=gpus_per_node)
    return f"{fmt_number(p.paid_over_used, 2)}×"


def usd(amount: float, digits: int = 2) -> str:
    """A dollar amount given as a number (for quotes named in sentences).

    >>> usd(8), usd(0.125, 3)
    ('$8.00', '$0.125')
    """
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
        raise ValueError(f"amount must be a number >= 0, got {amount!r}")
    return fmt_usd(amount, digits)

