"""Speculative decoding in the step model, the simulator and the CLI (issue 20, item 2).

Expected values are derived here, not read off the code: the accepted length of
a step is a truncated geometric variable (``P(1 + j) = a^j (1 - a)`` for
``j < K``, ``P(K + 1) = a^K``), whose mean is ``1 + a + ... + a^K``; a request
whose every drafted token is accepted needs ``ceil((O - 1) / (K + 1))``
verification steps.
"""

from __future__ import annotations

import json
import math

import pytest

from servecalc.cli import main
from servecalc.sim import Engine, make_workload, poisson_workload, simulate
from servecalc.speculation import (
    SpecTimer,
    expected_tokens_per_step,
    speculation,
    speculation_sweep,
    stops_paying_batch,
)
from servecalc.step import StepModel
from servecalc.deployment import Deployment

MODEL, GPU = "llama-3.1-8b", "h100-sxm"


def _distribution(acceptance: list[float]) -> list[float]:
    """P(count = 1 + j), j = 0 ... K, written out from the stopping rule."""
    probs, reach = [], 1.0
    for a in acceptance:
        probs.append(reach * (1 - a))
        reach *= a
    probs.append(reach)
    return probs


@pytest.mark.parametrize("a, k", [(0.7, 4), (0.85, 1), (0.5, 5), (0.0, 3), (1.0, 2)])
def test_expected_tokens_is_the_geometric_sum(a: float, k: int) -> None:
    closed = k + 1.0 if a == 1 else (1 - a ** (k + 1)) / (1 - a)
    assert math.isclose(expected_tokens_per_step([a] * k), closed, rel_tol=1e-12)
    assert math.isclose(speculation("eagle3", spec_tokens=k, acceptance=a)
                        .expected_tokens_per_step if k else 1.0, closed, rel_tol=1e-12)


@pytest.mark.parametrize("acceptance", [[0.7] * 4, [0.9, 0.5, 0.2]])
def test_simulated_mean_accepted_matches_the_expectation(acceptance: list[float]) -> None:
    spec = speculation("eagle3", acceptance=acceptance, seed=7)
    engine = Engine(MODEL, GPU, speculative=spec)
    work = poisson_workload(rate=2.0, requests=40, prompt=256, output=1500, seed=3)
    r = simulate(engine, work, policy="continuous")
    probs = _distribution(acceptance)
    mean = sum((j + 1) * p for j, p in enumerate(probs))
    var = sum((j + 1 - mean) ** 2 * p for j, p in enumerate(probs))
    steps = r.output_tokens / r.mean_accepted_tokens_per_step
    # four standard errors, plus each request's last step cut short by its length
    tolerance = 4 * math.sqrt(var / steps) + len(acceptance) * r.requests / steps
    assert abs(r.mean_accepted_tokens_per_step - mean) < tolerance
    assert abs(mean - expected_tokens_per_step(acceptance)) < 1e-12


def test_lone_request_advances_by_the_accepted_count() -> None:
    """Every drafted token accepted (a = 1), K = 3, output 9: the first token from the
    prefill, then two verification steps of 4 tokens; the second attends to 4 more."""
    spec = speculation("eagle3", spec_tokens=3, acceptance=1.0)
    engine = Engine(MODEL, GPU, speculative=spec)
    r = simulate(engine, make_workload([0.0], [100], [9]), policy="continuous")
    timer = SpecTimer(engine.step_model, spec)
    prefill = engine.step_model.mixed_time_s(0, 0, [(100, 0)]) + timer.prefill_extra_s(
        [(100, 0)])
    first = engine.request_overhead_s + prefill
    steps = [timer.step_time_s(1, 101), timer.step_time_s(1, 105)]
    assert math.isclose(r.first_token_s[0], first, rel_tol=1e-12)
    assert math.isclose(r.finish_s[0], first + steps[0] + steps[1], rel_tol=1e-12)
    assert r.mean_accepted_tokens_per_step == 4.0


@pytest.mark.parametrize("output, k", [(9, 3), (10, 3), (2, 4), (100, 1)])
def test_steps_with_every_draft_accepted(output: int, k: int) -> None:
    from servecalc.sim.api import run_policy

    engine = Engine(MODEL, GPU, speculative=speculation("mtp", spec_tokens=k, acceptance=1.0))
    rec = run_policy(engine, make_workload([0.0], [64], [output]), "chunked")
    assert rec.spec_steps == math.ceil((output - 1) / (k + 1))
    assert rec.spec_tokens == output - 1


def test_verification_step_is_a_k_plus_one_token_step() -> None:
    sm = StepModel(MODEL, GPU)
    pasts = [1000, 1337, 20]
    k = 3
    v = sm.verify_terms(len(pasts), sum(p + 1 for p in pasts), k)
    t = sm.terms(0, 0, [(k + 1, p) for p in pasts])
    for name in ("linear_s", "attention_s", "kv_write_s", "comm_s", "kv_bytes_read",
                 "kv_bytes_written", "weight_bytes_read"):
        assert math.isclose(getattr(v, name), getattr(t, name), rel_tol=1e-12), name
    # logits for all K + 1 positions of each sequence, not for its last one only
    lm_head = 2 * 4096 * 128256
    assert math.isclose(v.flops - t.flops, len(pasts) * k * lm_head, rel_tol=1e-9)


def test_off_reproduces_plain_runs_exactly(capsys) -> None:
    assert speculation("eagle3", spec_tokens=0) is None
    work = poisson_workload(rate=6.0, requests=60, prompt=512, output=64, seed=2)
    plain = simulate(Engine(MODEL, GPU), work).to_dict()
    off = simulate(Engine(MODEL, GPU, speculative=speculation("ngram", spec_tokens=0)),
                   work).to_dict()
    assert plain == off
    base = ["simulate", "--model", MODEL, "--gpu", GPU, "--rate", "6", "--requests", "60",
            "--json"]
    assert main(base) == 0
    a = capsys.readouterr().out
    assert main(base + ["--speculative", "eagle3", "--spec-tokens", "0"]) == 0
    assert capsys.readouterr().out == a
    step = ["step", "--model", MODEL, "--gpu", GPU, "--phase", "decode", "--batch", "8",
            "--context", "2048", "--json"]
    assert main(step) == 0
    a = capsys.readouterr().out
    assert main(step + ["--speculative", "mtp", "--spec-tokens", "0"]) == 0
    assert capsys.readouterr().out == a


def test_seeded_and_random() -> None:
    work = poisson_workload(rate=4.0, requests=40, prompt=256, output=128, seed=1)

    def run(seed: int) -> tuple[float, ...]:
        e = Engine(MODEL, GPU, speculative=speculation("eagle3", acceptance=0.6, seed=seed))
        return simulate(e, work).finish_s

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_tpot_tail_comes_from_the_draws() -> None:
    """One request at a time: without speculation every request's TPOT is within a
    hair of the next; with acceptance 0.5 some requests draw short runs."""
    work = make_workload([10.0 * i for i in range(30)], [256] * 30, [64] * 30)
    plain = simulate(Engine(MODEL, GPU), work)
    spec = simulate(Engine(MODEL, GPU, speculative=speculation("ngram", acceptance=0.5)), work)
    assert plain.tpot_s.p99 / plain.tpot_s.p50 < 1.01
    assert spec.tpot_s.p99 / spec.tpot_s.p50 > 1.1
    assert spec.tpot_s.p50 < plain.tpot_s.p50


def test_draft_model_takes_memory() -> None:
    d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    plain = Engine(d)
    with_draft = Engine(d, speculative=speculation("draft:llama-3.1-8b"))
    with_head = Engine(d, speculative=speculation("eagle3"))
    assert with_draft.kv_blocks < plain.kv_blocks == with_head.kv_blocks


def test_static_policy_refused() -> None:
    e = Engine(MODEL, GPU, speculative=speculation("mtp"))
    with pytest.raises(ValueError, match="policy must be 'continuous' or 'chunked'"):
        simulate(e, make_workload([0.0], [10], [5]), policy="static")


def test_speculation_stops_paying_as_the_batch_grows() -> None:
    d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    for spec in (speculation("ngram"), speculation("draft:llama-3.1-8b")):
        pts = speculation_sweep(d, spec, context=1024, batches=[1, 512])
        assert pts[0].speedup > 1 > pts[1].speedup
        b = stops_paying_batch(d, spec, context=1024)
        assert b is not None and 1 < b <= 512


@pytest.mark.parametrize("extra, option", [
    (["--speculative", "medusa"], "--speculative"),
    (["--speculative", "draft:"], "--speculative"),
    (["--speculative", "draft:nope"], "--speculative"),
    (["--speculative", "eagle3", "--spec-tokens", "99"], "--spec-tokens"),
    (["--speculative", "eagle3", "--spec-tokens", "-1"], "--spec-tokens"),
    (["--speculative", "eagle3", "--acceptance", "1.5"], "--acceptance"),
    (["--speculative", "eagle3", "--acceptance", "nan"], "--acceptance"),
    (["--speculative", "eagle3", "--acceptance", "0.9,x"], "--acceptance"),
    (["--speculative", "eagle3", "--spec-tokens", "2", "--acceptance", "0.9,0.8,0.7"],
     "--acceptance"),
    (["--acceptance", "0.5"], "--acceptance"),
    (["--spec-tokens", "2"], "--spec-tokens"),
])
@pytest.mark.parametrize("command", ["step", "latency", "simulate", "capacity"])
def test_bad_values_exit_2_naming_the_option(capsys, command: str, extra: list[str],
                                             option: str) -> None:
    args = {"step": ["--phase", "decode", "--batch", "1", "--context", "64"],
            "latency": ["--prompt", "64", "--output", "8"],
            "simulate": ["--rate", "1", "--requests", "4"],
            "capacity": ["--slo", "mlperf-llama2-70b-server", "--requests", "50"]}[command]
    code = main([command, "--model", MODEL, "--gpu", GPU, *args, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert option in err


def test_prefill_phase_and_static_policy_exit_2(capsys) -> None:
    assert main(["step", "--model", MODEL, "--gpu", GPU, "--phase", "prefill", "--batch", "1",
                 "--context", "64", "--speculative", "mtp"]) == 2
    assert "--speculative" in capsys.readouterr().err
    assert main(["simulate", "--model", MODEL, "--gpu", GPU, "--rate", "1", "--requests", "4",
                 "--speculative", "mtp", "--policy", "static"]) == 2
    assert "--policy" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["step", "--phase", "decode", "--batch", "4", "--context", "512"],
    ["latency", "--prompt", "256", "--output", "64"],
    ["simulate", "--rate", "2", "--requests", "20", "--output", "64"],
])
def test_json_has_mean_accepted_tokens(capsys, argv: list[str]) -> None:
    code = main([argv[0], "--model", MODEL, "--gpu", GPU, *argv[1:], "--speculative", "eagle3",
                 "--acceptance", "0.6", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    mean = data["mean_accepted_tokens_per_step"]
    assert 1 < mean <= 4
    if argv[0] != "simulate":   # steady state: the expectation itself
        assert math.isclose(mean, 1 + 0.6 + 0.36 + 0.216, rel_tol=1e-12)


def test_a_request_that_fills_the_pool_alone_still_finishes() -> None:
    """prompt + output - 1 tokens exactly fill the pool: the lookahead of K + 1 entries
    must shrink near the end instead of evicting the request forever."""
    engine = Engine(MODEL, GPU, kv_blocks=4, speculative=speculation("ngram", acceptance=0.3))
    r = simulate(engine, make_workload([0.0, 0.0], [40, 40], [25, 25]), policy="continuous")
    assert r.requests == 2 and all(f > 0 for f in r.finish_s)


def test_frontier_cli_takes_speculation(capsys) -> None:
    argv = ["frontier", "--model", MODEL, "--gpu", GPU, "--gpus", "1", "--weight-dtype", "bf16",
            "--concurrency", "1", "--prompt", "128", "--output", "64", "--json"]
    assert main(argv) == 0
    plain = json.loads(capsys.readouterr().out)["points"][0]["tokens_per_s_per_user"]
    assert main(argv + ["--speculative", "mtp", "--acceptance", "1.0"]) == 0
    spec = json.loads(capsys.readouterr().out)["points"][0]["tokens_per_s_per_user"]
    assert 1.2 * plain < spec < 2 * plain     # two tokens per step, each step a bit dearer


def test_capacity_search_does_not_bound_speculation_by_plain_decoding() -> None:
    """An SLO whose TPOT limit plain decoding misses even alone, but speculation meets:
    the capacity search must find a rate, not stop at the plain lone-request bound."""
    from servecalc.slo import make_slo
    from servecalc.slo_capacity import max_rate_under_slo

    plain_tpot = StepModel(Deployment(model=MODEL, gpu=GPU, engine="vllm")).decode_time_s(1, 300)
    slo = make_slo("tight", ttft_s=1.0, tpot_s=0.8 * plain_tpot)
    plain = max_rate_under_slo(Engine(MODEL, GPU), slo=slo, prompt=256, output=64,
                               requests=200)
    spec = max_rate_under_slo(Engine(MODEL, GPU, speculative=speculation("eagle3")), slo=slo,
                              prompt=256, output=64, requests=200)
    assert not plain.feasible
    assert spec.feasible and spec.max_rate_requests_per_s > 0
