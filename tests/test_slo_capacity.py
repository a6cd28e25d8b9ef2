"""Capacity under an SLO by simulation, the fleet plan, traces and bursty arrivals.

The capacity is checked the way a reader would use it: simulate at 0.97 x the
reported rate with another seed and the SLO holds at its percentile; at
1.2 x it does not. The check runs as many requests as the search's answer
rests on (its checks pool 32,000 requests; one run of 16,000 here).
"""

from __future__ import annotations

import json

import pytest

from servecalc.cli import main
from servecalc.plan import plan
from servecalc.sim import Engine, gamma_workload, simulate
from servecalc.sim.stats import percentile
from servecalc.sim.traces import trace_info, trace_workload
from servecalc.slo import get_slo, make_slo
from servecalc.slo_capacity import MEMO, max_rate_under_slo


@pytest.fixture(autouse=True, scope="module")
def _search_afresh():
    """These tests check the search itself: no answer kept from before this module
    (servecalc.memo), none kept on disk."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SERVECALC_MEMO_DIR", raising=False)
        MEMO.clear()
        yield
        MEMO.clear()


CHECK_REQUESTS = 16000
OTHER_SEED = 17

CASES = [
    # (model, gpu, gpus, policy, slo, prompt, output, arrival_cv)
    ("llama-3.1-8b", "h100-sxm", 1, "continuous", "mlperf-llama3.1-8b-interactive", 1000, 250, 1.0),
    ("llama-3.1-8b", "h100-sxm", 1, "chunked", "mlperf-llama3.1-8b-interactive", 1000, 250, 1.0),
    ("llama-3.1-70b", "h100-sxm", 4, "continuous", "mlperf-llama2-70b-interactive", 1000, 250, 1.0),
    ("llama-3.1-8b", "a100-80gb", 1, "static", "mlperf-llama2-70b-server", 512, 128, 1.0),
    ("llama-3.1-8b", "h100-sxm", 1, "continuous", "mlperf-llama2-70b-server", 512,
     "lognormal:256,1.0", 2.0),
]


def _meets(engine: Engine, rate: float, case: tuple, slo) -> bool:
    *_, policy, _, prompt, output, cv = case
    work = gamma_workload(rate, CHECK_REQUESTS, cv=cv, prompt=prompt, output=output,
                          seed=OTHER_SEED)
    r = simulate(engine, work, policy=policy, slo=slo, chart_points=1)
    ttft = [f - a for f, a in zip(r.first_token_s, work.arrivals)]
    tpot = [(e - f) / (o - 1) for e, f, o in zip(r.finish_s, r.first_token_s, work.outputs)
            if o > 1]
    return (percentile(ttft, slo.percentile) <= slo.ttft_s
            and percentile(tpot, slo.percentile) <= slo.tpot_s)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}x{c[2]}-{c[3]}-{c[4]}")
def test_capacity_holds_below_and_fails_above(case):
    model, gpu, gpus, policy, slo_name, prompt, output, cv = case
    slo = get_slo(slo_name)
    engine = Engine(model, gpu, gpus=gpus)
    r = max_rate_under_slo(engine, slo=slo, policy=policy, prompt=prompt, output=output,
                           arrival_cv=cv)
    assert r.feasible, r.reason
    rate = r.max_rate_requests_per_s
    assert 0 < rate < r.saturation_requests_per_s * 1.2
    assert _meets(engine, 0.97 * rate, case, slo)
    assert not _meets(engine, 1.2 * rate, case, slo)


def test_the_guides_headline_case_is_about_a_third_below_the_steady_state_formula():
    """Issue 12's example: Llama-3.1-70B on 4 x H100, 1,000 in / 250 out, MLPerf
    interactive. The steady-state formula said 4.77 requests/s; the simulator,
    at that rate, misses the SLO (about half the requests within it)."""
    from servecalc.deployment import Deployment
    from servecalc.slo import best_under_slo

    d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    bound = best_under_slo(d, prompt=1000, output=250,
                           slo="mlperf-llama2-70b-interactive").best.requests_per_s
    r = max_rate_under_slo(d, prompt=1000, output=250, slo="mlperf-llama2-70b-interactive")
    assert r.max_rate_requests_per_s < 0.85 * bound


def test_same_seed_same_answer_and_the_interval_brackets_it():
    kw = dict(slo="mlperf-llama3.1-8b-interactive", prompt=1000, output=250, requests=1000)
    a = max_rate_under_slo("llama-3.1-8b", "h100-sxm", **kw)
    b = max_rate_under_slo("llama-3.1-8b", "h100-sxm", **kw)
    assert a == b
    low, high = a.rate_interval_requests_per_s
    assert low < a.max_rate_requests_per_s < high
    assert a.requests_simulated > a.requests_per_rate * a.rates_tried   # the checks run longer


def test_an_slo_no_load_can_meet_is_infeasible_without_a_search():
    r = max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo=make_slo("tight", 0.001, 0.001))
    assert not r.feasible and r.max_rate_requests_per_s == 0.0 and r.rates_tried == 0
    assert "alone in the engine" in r.reason


def test_progress_is_reported_and_ends_at_one():
    seen = []
    max_rate_under_slo("llama-3.1-8b", "h100-sxm", slo="mlperf-llama3.1-8b-interactive",
                       requests=500, progress=seen.append)
    assert seen[-1] == 1.0 and all(0 < f <= 1 for f in seen) and len(seen) > 5


@pytest.mark.parametrize("kwargs, message", [
    (dict(requests=100), "requests must be an integer from 200"),
    (dict(policy="dynamic"), "policy must be one of"),
    (dict(trace="azure-chat"), "trace 'azure-chat' is not one of 'azure-conv-2023'"),
    (dict(arrival_cv=0), "arrival_cv must be a finite number > 0, got 0"),
    (dict(slo="fast"), "slo 'fast' is not in the catalog"),
])
def test_bad_input_is_refused_by_name(kwargs, message):
    args = dict(slo="mlperf-llama3.1-8b-interactive") | kwargs
    with pytest.raises(ValueError, match=message):
        max_rate_under_slo("llama-3.1-8b", "h100-sxm", **args)


@pytest.mark.slow
def test_capacity_with_a_trace_holds_on_the_whole_trace_below_and_fails_above():
    """The answer is checked on other stretches of the code trace; the whole trace
    (8,819 requests), replayed at 0.97 x the answer, meets the SLO, and at 1.2 x it
    does not. (Its long prompts interrupt decoding: under prefill-first
    scheduling no rate meets the interactive TPOT limit, so the server SLO.)"""
    engine = Engine("llama-3.1-8b", "h100-sxm")
    slo = get_slo("mlperf-llama3.1-8b-server")
    r = max_rate_under_slo(engine, slo=slo, trace="azure-code-2023", requests=2000)
    assert r.feasible and "code" in r.workload
    mean_rate = trace_info("azure-code-2023").mean_rate_per_s

    def meets(factor: float) -> bool:
        work = trace_workload("azure-code-2023",
                              rate_scale=factor * r.max_rate_requests_per_s / mean_rate)
        s = simulate(engine, work, slo=slo, chart_points=1)
        ttft = [f - a for f, a in zip(s.first_token_s, work.arrivals)]
        tpot = [(e - f) / (o - 1) for e, f, o in zip(s.finish_s, s.first_token_s, work.outputs)
                if o > 1]
        return percentile(ttft, 99) <= slo.ttft_s and percentile(tpot, 99) <= slo.tpot_s

    assert meets(0.97) and not meets(1.2)


# --------------------------------------------------------------------------- traces, arrivals


def test_traces_hold_what_the_published_files_hold():
    # Counts and means of the published CSV files (AzureLLMInferenceTrace_*.csv, 2023-11-16):
    # 19,366 conversation and 8,819 code requests, mean prompt 1,155 and 2,048 tokens.
    conv, code = trace_info("azure-conv-2023"), trace_info("azure-code-2023")
    assert (conv.requests, code.requests) == (19366, 8819)
    assert round(conv.mean_prompt) == 1155 and round(code.mean_prompt) == 2048
    assert round(conv.mean_output) == 211 and round(code.mean_output) == 28
    assert 3400 < conv.duration_s < 3600 and 3400 < code.duration_s < 3600


def test_bursty_arrivals_raise_the_tail_at_the_same_mean_rate():
    engine = Engine("llama-3.1-8b", "h100-sxm")
    smooth = simulate(engine, gamma_workload(8.0, 3000, cv=1.0, prompt=512, output=256, seed=3))
    bursty = simulate(engine, gamma_workload(8.0, 3000, cv=3.0, prompt=512, output=256, seed=3))
    assert bursty.ttft_s.p99 > 2 * smooth.ttft_s.p99


# --------------------------------------------------------------------------- plan


def test_plan_lists_cheapest_first_with_price_sources():
    p = plan("llama-3.1-8b", rate=20.0, prompt=1000, output=250,
             slo="mlperf-llama3.1-8b-interactive", gpu_ids=["h100-sxm", "a100-80gb", "l4"],
             gpu_counts=[1, 2], weight_dtypes=["bf16"], requests=1000)
    costs = [o.usd_per_hour for o in p.options]
    assert costs == sorted(costs) and len(costs) >= 2
    for o in p.options:
        assert o.replicas * o.max_rate_per_replica >= 20.0
        assert (o.replicas - 1) * o.max_rate_per_replica < 20.0
        assert o.usd_per_hour == pytest.approx(o.replicas * o.gpus * o.price_usd_per_gpu_hour)
        assert "http" in o.price_source
    assert any(c.startswith("l4") for c, _ in p.skipped)


def test_plan_headroom_adds_replicas():
    kw = dict(rate=60.0, prompt=512, output=128, slo="mlperf-llama2-70b-server",
              gpu_ids=["h100-sxm"], gpu_counts=[1], weight_dtypes=["bf16"], requests=1000)
    lean = plan("llama-3.1-8b", **kw).options[0]
    spare = plan("llama-3.1-8b", headroom=0.5, **kw).options[0]
    assert spare.replicas >= 2 * lean.replicas - 1 and spare.replicas > lean.replicas
    with pytest.raises(ValueError, match=r"headroom must be a number in \[0, 1\), got 1"):
        plan("llama-3.1-8b", headroom=1, **kw)


# --------------------------------------------------------------------------- CLI


def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_capacity_json_keys(capsys):
    code, out, _ = _cli(capsys, "capacity", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                        "--prompt", "1000", "--output", "250", "--ttft-p99", "0.5",
                        "--tpot-p99", "0.03", "--requests", "500", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("max_rate_requests_per_s", "output_tokens_per_s", "mean_batch",
                "requests_simulated", "max_rate_stderr_requests_per_s",
                "max_rate_interval_95_requests_per_s"):
        assert key in data
    assert set(data["ttft_s"]) == set(data["tpot_s"]) == {"p50", "p90", "p99"}
    assert data["ttft_s"]["p99"] <= 0.5


@pytest.mark.parametrize("argv, message", [
    (["capacity", "--model", "llama-3.1-8b", "--gpu", "h100-sxm"], "an SLO is required"),
    (["capacity", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--slo",
      "mlperf-llama2-70b-server", "--ttft-p99", "1"], "not both"),
    (["capacity", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--slo",
      "mlperf-llama2-70b-server", "--trace", "nope"], "'azure-conv-2023', 'azure-code-2023'"),
    (["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--trace", "azure"],
     "trace 'azure' is not one of 'azure-conv-2023', 'azure-code-2023'"),
    (["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--rate", "2"],
     "--rate and --requests (or --concurrency and --requests) are required without --trace"),
    (["plan", "--model", "llama-3.1-8b", "--rate", "5", "--slo", "mlperf-llama2-70b-server",
      "--gpu", "mi355x"], "gpu 'mi355x' has no example price"),
    (["plan", "--model", "llama-3.1-8b", "--rate", "5", "--slo", "mlperf-llama2-70b-server",
      "--weight-dtype", "bf16,fp7"], "weight_dtype must be one of"),
])
def test_cli_refuses_bad_input_with_status_2(capsys, argv, message):
    code, _, err = _cli(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_cli_simulate_replays_a_trace(capsys):
    code, out, _ = _cli(capsys, "simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                        "--trace", "azure-conv-2023", "--rate-scale", "0.5", "--requests", "300",
                        "--json")
    assert code == 0
    data = json.loads(out)
    assert data["requests"] == 300
