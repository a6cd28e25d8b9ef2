"""Disaggregated prefill and decode, and reasoning (thinking) workloads.

Expected values are computed here by hand from the step model's own step
times and the model's published shape, not read from the simulator's output.
"""

from __future__ import annotations

import math

import pytest

from servecalc.cli import main
from servecalc.deployment import Deployment
from servecalc.plan_disagg import disagg_options
from servecalc.sim import Engine, simulate
from servecalc.sim.disagg import simulate_disagg
from servecalc.sim.reasoning import answer_times, with_thinking
from servecalc.sim.workload import make_workload, poisson_workload
from servecalc.slo import get_slo
from servecalc.step import StepModel

# Llama-3.1-8B (meta-llama/Llama-3.1-8B config.json): 32 layers, 8 KV heads of 128
# dimensions; K and V, 2 bytes each in bf16.
LLAMA_8B_KV_BYTES_PER_TOKEN = 32 * 8 * 128 * 2 * 2
IB_400G = 400e9 / 8          # one 400 Gb/s port per GPU, bytes per second


def _deployment(engine: str) -> Deployment:
    return Deployment(model="llama-3.1-8b", gpu="h100-sxm", engine=engine)


@pytest.mark.parametrize("engine", ["ideal", "vllm"])
def test_one_request_is_prefill_plus_transfer_plus_decode(engine):
    prompt, output = 1500, 40
    d = _deployment(engine)
    pool = Engine(d)
    r = simulate_disagg(pool, Engine(d), make_workload([0.0], [prompt], [output]),
                        prefill_replicas=1, decode_replicas=1, link="ib-400g")
    sm = StepModel(d)
    prefill = sm.prefill_time_s(prompt)            # one step: the prompt fits the chunk budget
    transfer = prompt * LLAMA_8B_KV_BYTES_PER_TOKEN / IB_400G
    decode = math.fsum(sm.decode_time_s(1, prompt + j) for j in range(1, output))
    ttft = pool.request_overhead_s + prefill + transfer
    assert r.ttft_s.p50 == pytest.approx(ttft, rel=1e-12)
    assert r.transfer_s.p50 == pytest.approx(transfer, rel=1e-12)
    assert r.e2e_s.p50 == pytest.approx(ttft + decode, rel=1e-12)
    assert r.tpot_s.p50 == pytest.approx(decode / (output - 1), rel=1e-12)


def test_transfer_splits_over_the_narrower_pools_links():
    prompt = 4096
    p = Engine(Deployment(model="llama-3.1-8b", gpu="h100-sxm", gpus=2, engine="ideal"))
    d = Engine(Deployment(model="llama-3.1-8b", gpu="h100-sxm", gpus=4, engine="ideal"))
    r = simulate_disagg(p, d, make_workload([0.0], [prompt], [8]), prefill_replicas=1,
                        decode_replicas=1, link="eth-100g")
    assert r.transfer_s.p50 == pytest.approx(
        prompt * LLAMA_8B_KV_BYTES_PER_TOKEN / 2 / 12.5e9, rel=1e-12)


def test_a_prefill_replicas_link_carries_one_cache_at_a_time():
    # Two prompts prefilled together by one replica: the second waits for the first's
    # transfer, so its cache arrives one transfer later.
    prompt = 3000
    e = Engine(_deployment("ideal"))
    r = simulate_disagg(e, e, make_workload([0.0, 0.0], [prompt, prompt], [5, 5]),
                        prefill_replicas=1, decode_replicas=2, link="eth-100g")
    one = prompt * LLAMA_8B_KV_BYTES_PER_TOKEN / 12.5e9
    assert max(r.kv_ready_s) - min(r.kv_ready_s) == pytest.approx(one, rel=1e-9)


def test_decode_pool_memory_bounds_the_batch():
    # A decode pool of 8 blocks of 16 tokens holds one 100-token request at a time:
    # the second waits for the first to finish before its first token.
    d = _deployment("ideal")
    tiny = Engine(d, kv_blocks=8)
    r = simulate_disagg(Engine(d), tiny, make_workload([0.0, 0.0], [100, 100], [10, 10]),
                        prefill_replicas=2, decode_replicas=1)
    first, finish = sorted(r.first_token_s), sorted(r.finish_s)
    assert first[1] >= finish[0]
    # 100 prompt + 10 output - 1 = 109 tokens: 7 of the 8 blocks of 16 at the peak.
    assert r.decode_peak_kv_utilization == pytest.approx(7 / 8)


def test_thinking_shifts_ttfat_by_thinking_times_tpot():
    thinking, answer, prompt = 300, 50, 800
    work, drawn = with_thinking(make_workload([0.0], [prompt], [answer]), thinking)
    assert work.outputs == (thinking + answer,) and drawn == (thinking,)
    e = Engine(_deployment("ideal"))
    r = simulate(e, work)
    ttfat = answer_times(r.arrivals, r.first_token_s, r.finish_s, work.outputs, drawn)[0]
    assert ttfat - r.ttft_s.p50 == pytest.approx(thinking * r.tpot_s.p50, rel=1e-12)
    # Against the true time of token thinking + 1 (the sum of its decode steps): the
    # mean TPOT places it within a small fraction, as steps grow slowly with context.
    sm = e.step_model
    true = r.ttft_s.p50 + math.fsum(sm.decode_time_s(1, prompt + j)
                                    for j in range(1, thinking + 1))
    assert ttfat == pytest.approx(true, rel=0.01)
    assert ttfat > true           # later tokens are slower, so the mean overstates


def test_thinking_leaves_arrivals_and_prompts_alone():
    base = poisson_workload(2.0, 50, prompt="uniform:100-900", output=64, seed=3)
    work, drawn = with_thinking(base, "lognormal:1000,1.0", seed=3)
    assert work.arrivals == base.arrivals and work.prompts == base.prompts
    assert [o - t for o, t in zip(work.outputs, drawn)] == list(base.outputs)
    assert max(drawn) > 2 * 1000     # a long-output tail


def test_plan_disagg_returns_a_fleet_meeting_the_slo():
    slo = get_slo("mlperf-llama3.1-8b-interactive")
    options, _ = disagg_options("llama-3.1-8b", rate=6.0, prompt=6000, output=150, slo=slo,
                                gpu_ids=["h100-sxm"], gpu_counts=[1], weight_dtypes=["fp8"],
                                engine="vllm", requests=600)
    assert options
    best = options[0]
    # The fleet it names, simulated afresh from another seed, meets the SLO.
    d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="fp8", engine="vllm")
    r = simulate_disagg(Engine(d), Engine(d),
                        poisson_workload(6.0, 600, prompt=6000, output=150, seed=5),
                        prefill_replicas=best.prefill_replicas,
                        decode_replicas=best.decode_replicas, slo=slo)
    assert r.tpot_s.p99 <= slo.tpot_s
    assert r.ttft_s.p99 <= slo.ttft_s
    # One replica fewer in the prefill pool misses (the search took one back while it held).
    if best.prefill_replicas > 1:
        fewer = simulate_disagg(Engine(d), Engine(d),
                                poisson_workload(6.0, 600, prompt=6000, output=150, seed=0),
                                prefill_replicas=best.prefill_replicas - 1,
                                decode_replicas=best.decode_replicas, slo=slo)
        assert fewer.ttft_s.p99 > slo.ttft_s or fewer.tpot_s.p99 > slo.tpot_s
    assert best.usd_per_hour == pytest.approx(best.gpus * best.price_usd_per_gpu_hour)


BASE = ["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--rate", "2",
        "--requests", "20"]


@pytest.mark.parametrize("extra, option", [
    (["--prefill-replicas", "0", "--decode-replicas", "1"], "--prefill-replicas"),
    (["--prefill-replicas", "1"], "--decode-replicas"),
    (["--prefill-replicas", "1", "--decode-replicas", "x"], "--decode-replicas"),
    (["--prefill-replicas", "1", "--decode-replicas", "1", "--kv-link", "pigeon"], "--kv-link"),
    (["--prefill-replicas", "1", "--decode-replicas", "1", "--decode-gpus", "0"],
     "--decode-gpus"),
    (["--thinking", "-4"], "--thinking"),
    (["--thinking", "lognormal:abc"], "--thinking"),
])
def test_cli_bad_values_exit_2_naming_the_option(capsys, extra, option):
    assert main(BASE + extra) == 2
    assert option in capsys.readouterr().err


def test_cli_disagg_concurrency_refused(capsys):
    argv = ["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--concurrency", "4",
            "--requests", "8", "--prefill-replicas", "1", "--decode-replicas", "1"]
    assert main(argv) == 2
    assert "--concurrency" in capsys.readouterr().err


def test_cli_plan_disagg_bad_link_exits_2(capsys):
    argv = ["plan", "--model", "llama-3.1-8b", "--rate", "1", "--gpu", "h100-sxm", "--gpus", "1",
            "--slo", "mlperf-llama3.1-8b-interactive", "--disagg", "--kv-link", "nowhere"]
    assert main(argv) == 2
    assert "--kv-link" in capsys.readouterr().err


def test_cli_json_reports_transfer_and_ttfat(capsys):
    import json

    assert main(BASE + ["--prefill-replicas", "1", "--decode-replicas", "1", "--thinking", "64",
                        "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "disaggregated"
    assert data["transfer_s"]["p99"] > 0
    assert data["ttfat_s"]["p50"] > data["ttft_s"]["p50"]


def test_plan_says_when_disaggregation_does_not_pay():
    from servecalc.plan import plan
    from servecalc.plan_disagg import verdict

    common = dict(rate=2.0, prompt=300, output=200, slo="mlperf-llama3.1-8b-server",
                  gpu_ids=["h100-sxm"], gpu_counts=[1], weight_dtypes=["fp8"], engine="vllm")
    aggregated = plan("llama-3.1-8b", **common)
    options, _ = disagg_options("llama-3.1-8b", requests=500, **common)
    # Short prompts at a loose TTFT: one aggregated GPU serves 2 requests/s, and two pools
    # need at least two.
    assert aggregated.options[0].replicas * aggregated.options[0].gpus == 1
    assert min(o.gpus for o in options) >= 2
    assert verdict(aggregated, options, 300).startswith("disaggregation does not pay")
