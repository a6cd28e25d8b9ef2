"""Price bands (servecalc.prices) and plan's defaults over them (servecalc.plan)."""

from __future__ import annotations

import re

import pytest

from servecalc.plan import PRUNE_FACTOR, native_weight_dtypes, plan
from servecalc.prices import PRICES, RESERVED_DISCOUNT, TIERS, get_price, price_band

#: The accelerators the issue asks a band for that the catalog has a price for.
RENTED = ("h100-sxm", "h100-pcie", "h200", "b200", "b300", "gb200", "mi300x", "mi325x",
          "l40s", "l4", "a100-80gb", "a100-40gb", "a10g", "rtx-pro-6000")


def test_every_price_names_its_tier_source_and_date():
    for p in PRICES:
        assert p.tier in TIERS
        assert p.source.startswith("https://"), p
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", p.date), p
        assert p.status, p


@pytest.mark.parametrize("gpu", RENTED)
def test_each_rented_gpu_has_a_band_with_every_tier_it_can_source(gpu):
    band = price_band(gpu)
    assert band.low <= band.point.price_usd_per_hour <= band.high
    assert band.tier("reserved_1y") is not None      # quoted, or estimated from the discount
    assert band.describe().startswith("$")
    assert f"point ${band.point.price_usd_per_hour:,.2f}" in band.describe()


def test_the_point_is_the_median_gpu_cloud_quote():
    # H100 SXM GPU-cloud quotes: RunPod $3.49, Lambda $3.78, Modal $3.9492 -> Lambda
    assert (get_price("h100-sxm").provider, get_price("h100-sxm").price_usd_per_hour) == ("Lambda", 3.78)
    # MI300X: TensorWave $1.50 and Vultr $1.85, an even count -> the lower middle one
    assert get_price("mi300x").provider == "TensorWave"
    # a range's ends are not a quote: the H200's point is one provider's price
    assert get_price("h200").range_end == ""


def test_reserved_estimate_applies_the_stated_discount_to_the_point():
    band = price_band("mi325x")                       # no one-year quote in the catalog
    reserved = band.tier("reserved_1y")
    assert reserved.estimated and reserved.prices == ()
    point = band.point.price_usd_per_hour             # TensorWave $1.95
    assert reserved.low == pytest.approx(point * (1 - RESERVED_DISCOUNT[1]))
    assert reserved.high == pytest.approx(point * (1 - RESERVED_DISCOUNT[0]))
    quoted = price_band("h100-sxm").tier("reserved_1y")
    assert not quoted.estimated and quoted.low == 2.35  # SemiAnalysis, March 2026


def test_band_refuses_an_unpriced_gpu_by_name():
    with pytest.raises(ValueError, match="gpu 'tpu-v5e' has no example price"):
        price_band("tpu-v5e")


@pytest.mark.parametrize(("gpu", "expected"), [
    ("a100-80gb", ("bf16",)), ("a10g", ("bf16",)), ("l4", ("bf16", "fp8")),
    ("h200", ("bf16", "fp8")), ("mi300x", ("bf16", "fp8")),
    ("b300", ("bf16", "fp8", "nvfp4")), ("gb200", ("bf16", "fp8", "nvfp4")),
    ("mi355x", ("bf16", "fp8", "mxfp4")),
])
def test_native_weight_precisions(gpu, expected):
    assert native_weight_dtypes(gpu) == expected


def test_plan_names_the_band_and_leaves_out_fleets_that_cannot_compete():
    p = plan("llama-3.1-8b", rate=5.0, prompt=500, output=100, slo="mlperf-llama3.1-8b-interactive",
             gpu_ids=["h100-sxm", "b200"], gpu_counts=[1, 8], weight_dtypes=["bf16"])
    cheapest = p.options[0]
    assert cheapest.price_band == price_band(cheapest.gpu).describe()
    pruned = [(c, r) for c, r in p.skipped if r.startswith("not simulated")]
    assert pruned, p.skipped
    for config, reason in pruned:
        floor = float(re.search(r"at least \$([\d,.]+)/h", reason).group(1).replace(",", ""))
        assert floor > PRUNE_FACTOR * cheapest.usd_per_hour - 0.01, config


def test_cli_plan_prints_the_band_and_refuses_native_mixed_in(capsys):
    from servecalc.cli import main

    code = main(["plan", "--model", "llama-3.1-8b", "--rate", "5", "--prompt", "500",
                 "--output", "100", "--slo", "mlperf-llama3.1-8b-interactive", "--gpu", "h100-sxm",
                 "--gpus", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "h100-sxm: $2.35-$5.00 per GPU-hour" in out and "fp8" in out
    code = main(["plan", "--model", "llama-3.1-8b", "--rate", "5", "--prompt", "500",
                 "--output", "100", "--slo", "mlperf-llama3.1-8b-interactive",
                 "--weight-dtype", "native,fp8"])
    assert code == 2
    assert "weight_dtype 'native' cannot be combined" in capsys.readouterr().err
