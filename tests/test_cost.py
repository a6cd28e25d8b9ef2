"""Cost per million tokens, break-even against an API, cost against batch size.

Expected values are derived here from the split stated in servecalc.cost:
input tokens pay for the prefill time, output tokens for the decode time, at
``gpus x price`` dollars per hour divided by utilisation.
"""

from __future__ import annotations

import pytest

from servecalc.cost import break_even_vs_api, cost_per_million_tokens, cost_vs_batch
from servecalc.deployment import Deployment
from servecalc.latency import request_latency

MODEL, GPU = "llama-3.1-70b", "h100-sxm"
TP4 = Deployment(model=MODEL, gpu=GPU, gpus=4)
KW = dict(batch=16, prompt=2000, output=500)


def test_split_follows_prefill_and_decode_time():
    c = cost_per_million_tokens(TP4, price_usd_per_hour=2.5, **KW)
    lat = request_latency(TP4, prompt=2000, output=500, batch=16)
    assert c.cluster_usd_per_hour == 10.0                  # 4 GPUs x $2.50
    # Money is conserved: an hour of requests pays exactly the cluster's hour ...
    assert c.usd_per_request * c.requests_per_hour == pytest.approx(10.0, rel=1e-12)
    # ... and a request's tokens pay exactly its share.
    input_usd = c.usd_per_million_input_tokens * 2000 / 1e6
    output_usd = c.usd_per_million_output_tokens * 500 / 1e6
    assert input_usd + output_usd == pytest.approx(c.usd_per_request, rel=1e-12)
    assert c.usd_per_million_tokens * 2500 / 1e6 == pytest.approx(c.usd_per_request, rel=1e-12)
    # The split between them is the split of the batch's time: one prefill
    # (TTFT) against 499 decode steps (the first output token comes with prefill).
    assert input_usd / output_usd == pytest.approx(lat.ttft_s / (499 * lat.tpot_s), rel=1e-12)
    # 16 requests per batch, one batch every TTFT + 499 TPOT seconds.
    assert c.requests_per_hour * (lat.ttft_s + 499 * lat.tpot_s) == pytest.approx(16 * 3600)
    assert c.output_tokens_per_s == pytest.approx(c.requests_per_hour * 500 / 3600)
    # Decode is memory-bound and prefill compute-bound: output tokens cost more.
    assert c.usd_per_million_output_tokens > c.usd_per_million_input_tokens


def test_utilization_divides_every_cost():
    full = cost_per_million_tokens(TP4, price_usd_per_hour=2.0, **KW)
    quarter = cost_per_million_tokens(TP4, price_usd_per_hour=2.0, utilization=0.25, **KW)
    for field in ("usd_per_million_input_tokens", "usd_per_million_output_tokens",
                  "usd_per_request"):
        assert getattr(quarter, field) == pytest.approx(4 * getattr(full, field))
    assert quarter.requests_per_hour == pytest.approx(full.requests_per_hour / 4)


def test_price_scales_linearly():
    a = cost_per_million_tokens(TP4, price_usd_per_hour=1.0, **KW)
    b = cost_per_million_tokens(TP4, price_usd_per_hour=3.0, **KW)
    assert b.usd_per_million_output_tokens == pytest.approx(3 * a.usd_per_million_output_tokens)


def test_one_output_token_costs_nothing_extra():
    c = cost_per_million_tokens(TP4,
                                price_usd_per_hour=2.0, batch=1, prompt=100, output=1)
    assert c.usd_per_million_output_tokens == 0 and c.decode_s == 0


def test_bigger_batches_cost_less_per_token():
    rows = cost_vs_batch(TP4,
                         price_usd_per_hour=2.0, batches=[1, 4, 16, 64], prompt=1000, output=200)
    out = [r.usd_per_million_output_tokens for r in rows]
    assert out == sorted(out, reverse=True)
    assert out[0] / out[-1] > 10     # weights read once for 64 sequences instead of one


def test_break_even_against_an_api():
    pin, pout = 0.60, 0.80    # $ per million tokens, illustrative
    b = break_even_vs_api(TP4, price_usd_per_hour=2.0, api_usd_per_million_input=pin,
                          api_usd_per_million_output=pout, **KW)
    api = (2000 * pin + 500 * pout) / 1e6
    full = cost_per_million_tokens(TP4, price_usd_per_hour=2.0, **KW)
    assert b.api_usd_per_request == pytest.approx(api)
    assert b.break_even_utilization == pytest.approx(full.usd_per_request / api)
    assert b.break_even_requests_per_hour == pytest.approx(8.0 / api)
    assert b.capacity_requests_per_hour == pytest.approx(full.requests_per_hour)
    # At break-even traffic the cluster is busy exactly the break-even fraction.
    assert b.break_even_requests_per_hour / b.capacity_requests_per_hour == pytest.approx(
        b.break_even_utilization)
    assert b.self_hosting_can_win == (b.break_even_utilization <= 1)


def test_a_very_cheap_api_wins():
    b = break_even_vs_api(TP4,
                          price_usd_per_hour=2.0, api_usd_per_million_input=1e-6,
                          api_usd_per_million_output=1e-6, batch=1, prompt=100, output=100)
    assert not b.self_hosting_can_win and b.break_even_utilization > 1


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(price_usd_per_hour=-1.0), "price_usd_per_hour must be a finite number > 0"),
        (dict(price_usd_per_hour=1.0, utilization=0), "utilization must be a number in (0, 1]"),
        (dict(price_usd_per_hour=1.0, utilization=1.2), "utilization must be a number in (0, 1]"),
        (dict(price_usd_per_hour=float("nan")), "price_usd_per_hour"),
    ],
)
def test_cost_rejects_bad_input(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        cost_per_million_tokens(TP4, **KW, **kwargs)
    assert fragment in str(info.value)


def test_break_even_rejects_a_free_api():
    with pytest.raises(ValueError, match="must not both be 0"):
        break_even_vs_api(TP4, price_usd_per_hour=2.0, api_usd_per_million_input=0,
                          api_usd_per_million_output=0, **KW)
