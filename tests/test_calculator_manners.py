"""The calculators' shared machinery (issue 22, item 4), without a browser."""

from __future__ import annotations

import json
import math

import pytest

from fieldguide.calculators import CALCULATORS, render, render_json
from fieldguide.forms import LOG_STEPS, SHARED_FIELDS, render_form, slider_position, slider_value


def test_wide_ranges_get_a_log_slider_and_narrow_ones_a_linear_one():
    html = render_form("kv_fit", "t", CALCULATORS["kv_fit"].fields)
    context = html[html.index('data-slider-for="context"'):].split(">")[0]
    assert "data-log" in context and 'max="1000"' in context
    # The default 32,768 = 2^15 of 2^20 sits three quarters of the way along.
    assert 'value="750"' in context
    cost = render_form("cost", "t", CALCULATORS["cost"].fields)
    utilization = cost[cost.index('data-slider-for="utilization"'):].split(">")[0]
    assert "data-log" not in utilization


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.7, 1.0])
def test_slider_mapping_is_geometric(fraction):
    field = next(f for f in CALCULATORS["kv_fit"].fields if f.name == "context")
    # Independently: equal steps of the track multiply the value by equal ratios.
    expected = math.exp(math.log(1) + fraction * (math.log(1_048_576) - math.log(1)))
    assert slider_value(field, fraction * LOG_STEPS) == round(expected)
    assert slider_position(field, round(expected)) == round(fraction * LOG_STEPS)


def test_every_deployment_field_is_marked_shared():
    for calc in CALCULATORS.values():
        html = render_form(calc.id, calc.title, calc.fields)
        for f in calc.fields:
            if f.name in SHARED_FIELDS:
                assert f'data-shared="deploy"><label for="{calc.id}-{f.name}"' in html, (calc.id, f.name)


def test_an_error_names_its_field_in_plain_words():
    reply = json.loads(render_json("cost", json.dumps({"price_usd_per_hour": "-1"})))
    assert reply["field"] == "price_usd_per_hour"
    assert not reply["message"].startswith(("ValueError", "price_usd_per_hour"))
    assert reply["message"].endswith("you entered '-1'.")
    # The library's own message is still there for the command line and the tests.
    assert reply["error"].startswith("ValueError: price_usd_per_hour must be")


def test_the_simulator_defaults_to_the_slo_of_the_models_size():
    html = render("simulator", {"requests": "50"})
    # MLPerf Inference's Llama-3.1-8B server scenario (loadgen/mlperf.conf), for the 8B default.
    assert "MLPerf Inference llama3_1-8b (server, p99)" in html
    seventy = render("simulator", {"requests": "50", "model": "llama-3.1-70b", "gpus": "4"})
    assert "MLPerf Inference llama2-70b (server, p99)" in seventy
    forced = render("simulator", {"requests": "50", "slo": "mlperf-llama2-70b-interactive"})
    assert "llama2-70b-interactive" in forced


def test_results_lead_with_large_numbers_and_charts_mark_the_choice():
    html = render("kv_fit", {"context": "20000"})
    assert html.index('class="calc-headline"') < html.index("<table")
    assert "your choice (20,000)" in html
    latency = render("latency", {"batch": "48"})
    assert latency.count("your choice (48)") == 2


@pytest.mark.parametrize("chapter", ["batching.md", "kv-cache.md", "latency.md", "quantization.md",
                                     "cost.md", "simulator.md"])
def test_each_chapters_calculator_has_a_slider(chapter):
    """Its key calculator answers a slider (cells.js recomputes on input, debounced)."""
    import re

    from tests.conftest import ROOT

    text = (ROOT / "docs" / chapter).read_text(encoding="utf-8")
    ids = re.findall(r"^```calculator\n(\w+)\n```", text, re.M)
    assert ids, chapter
    assert any(f.slider for name in ids for f in CALCULATORS[name].fields), (chapter, ids)
