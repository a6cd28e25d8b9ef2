"""Static and continuous batching, the largest batch, Little's law, SLOs and goodput.

Expected values are derived in the tests from the schemes' definitions (module
docstrings of servecalc.batching and servecalc.slo); the SLO limits are those
of MLPerf Inference's loadgen/mlperf.conf (llama2-70b.Server.ttft_latency =
2000, tpot_latency = 200; llama2-70b-interactive: 450 and 40; milliseconds,
99th percentile).
"""

from __future__ import annotations

import math

import pytest

from servecalc.batching import (
    chunked_prefill_steps,
    continuous_batching,
    littles_law_concurrency,
    littles_law_throughput,
    max_batch,
    static_batching,
    uniform_workload,
)
from servecalc.capacity import fit
from servecalc.deployment import Deployment
from servecalc.step import StepModel
from servecalc.slo import (
    MLPERF_LLAMA2_70B_INTERACTIVE,
    MLPERF_LLAMA2_70B_SERVER,
    PRESETS,
    best_under_slo,
    get_slo,
    goodput_requests_per_s,
    make_slo,
    meets_percentile,
    meets_slo,
    operating_point,
)

MODEL, GPU = "llama-3.1-8b", "h100-sxm"


def test_static_group_runs_until_its_longest_request():
    work = [(100, 10), (200, 40), (150, 25)]
    r = static_batching(MODEL, GPU, requests=work, batch=3)
    sm = StepModel(MODEL, GPU)
    prefill = sm.prefill_time_s(200, 0, 3)               # padded to the longest prompt
    decode = math.fsum(sm.decode_time_s(3, 3 * (200 + j)) for j in range(1, 40))
    assert r.total_s == pytest.approx(prefill + decode, rel=1e-12)
    assert all(t.e2e_s == pytest.approx(prefill + decode) for t in r.timings)
    assert all(t.ttft_s == pytest.approx(prefill) for t in r.timings)
    assert r.output_tokens == 75
    assert r.output_tokens_per_s == pytest.approx(75 / r.total_s)


def test_static_groups_run_one_after_another():
    work = uniform_workload(64, 8, 5)
    r = static_batching(MODEL, GPU, requests=work, batch=2)
    sm = StepModel(MODEL, GPU)

    def group(n):
        return sm.prefill_time_s(64, 0, n) + math.fsum(
            sm.decode_time_s(n, n * (64 + j)) for j in range(1, 8))

    assert r.total_s == pytest.approx(2 * group(2) + group(1), rel=1e-12)
    assert [t.e2e_s for t in r.timings][-1] == pytest.approx(r.total_s)


def test_continuous_equals_static_for_one_uniform_group():
    work = uniform_workload(256, 32, 8)
    s = static_batching(MODEL, GPU, requests=work, batch=8)
    c = continuous_batching(MODEL, GPU, requests=work, batch=8)
    assert c.total_s == pytest.approx(s.total_s, rel=1e-9)


def test_continuous_frees_slots_as_requests_finish():
    work = [(100, 10), (100, 200)]
    c = continuous_batching(MODEL, GPU, requests=work, batch=1)
    sm = StepModel(MODEL, GPU)
    first = sm.prefill_time_s(100) + math.fsum(sm.decode_time_s(1, 100 + j) for j in range(1, 10))
    second = sm.prefill_time_s(100) + math.fsum(
        sm.decode_time_s(1, 100 + j) for j in range(1, 200))
    assert c.timings[0].e2e_s == pytest.approx(first, rel=1e-12)
    assert c.timings[1].ttft_s == pytest.approx(first + sm.prefill_time_s(100), rel=1e-12)
    assert c.total_s == pytest.approx(first + second, rel=1e-12)


def test_continuous_beats_static_on_mixed_output_lengths():
    work = [(512, 16), (512, 512)] * 16
    s = static_batching(MODEL, GPU, requests=work, batch=16)
    c = continuous_batching(MODEL, GPU, requests=work, batch=16)
    assert c.output_tokens == s.output_tokens
    assert c.output_tokens_per_s > 1.3 * s.output_tokens_per_s
    # Short requests no longer wait for long ones.
    short_static = [t.e2e_s for t in s.timings if t.output == 16]
    short_continuous = [t.e2e_s for t in c.timings if t.output == 16]
    assert max(short_continuous) < min(short_static)


def test_timings_are_consistent():
    c = continuous_batching(MODEL, GPU, requests=[(300, 1), (300, 50), (100, 80)], batch=2)
    for t in c.timings:
        assert 0 < t.ttft_s <= t.e2e_s
        if t.output == 1:
            assert t.tpot_s == 0.0 and t.e2e_s == t.ttft_s
        else:
            assert t.tpot_s == pytest.approx((t.e2e_s - t.ttft_s) / (t.output - 1))
    assert c.mean_e2e_s == pytest.approx(sum(t.e2e_s for t in c.timings) / 3)


def test_bad_workloads_are_rejected():
    with pytest.raises(ValueError, match="requests must hold"):
        static_batching(MODEL, GPU, requests=[], batch=1)
    with pytest.raises(ValueError, match=r"requests\[1\]"):
        continuous_batching(MODEL, GPU, requests=[(1, 1), (5,)], batch=1)
    with pytest.raises(ValueError, match=r"requests\[0\] output must be an integer >= 1, got 0"):
        continuous_batching(MODEL, GPU, requests=[(1, 0)], batch=1)
    with pytest.raises(ValueError, match="batch must be an integer >= 1"):
        static_batching(MODEL, GPU, requests=[(1, 1)], batch=0)


def test_max_batch_is_capacity_fit():
    for context in (1024, 8192, 32768):
        assert max_batch(MODEL, GPU, context=context) == fit(MODEL, GPU, context=context).max_batch


def test_littles_law():
    assert littles_law_concurrency(12, 0.5) == 6
    assert littles_law_throughput(6, 0.5) == 12
    with pytest.raises(ValueError, match="latency_s must be a finite number > 0, got 0"):
        littles_law_throughput(6, 0)
    with pytest.raises(ValueError, match="arrival_rate_per_s"):
        littles_law_concurrency(-1, 1)


# ---- SLOs --------------------------------------------------------------------------------

def test_mlperf_presets_match_mlperf_conf():
    assert (MLPERF_LLAMA2_70B_SERVER.ttft_s, MLPERF_LLAMA2_70B_SERVER.tpot_s) == (2.0, 0.2)
    assert (MLPERF_LLAMA2_70B_INTERACTIVE.ttft_s, MLPERF_LLAMA2_70B_INTERACTIVE.tpot_s) == (
        0.45, 0.04)
    assert (PRESETS["mlperf-llama3.1-405b-server"].ttft_s,
            PRESETS["mlperf-llama3.1-405b-server"].tpot_s) == (6.0, 0.175)
    assert all(p.percentile == 99.0 and "mlperf.conf" in p.source for p in PRESETS.values())
    with pytest.raises(ValueError, match="not in the catalog"):
        get_slo("mlperf-llama2-70b")


def test_operating_point_follows_the_steady_state_model():
    batch, prompt, output = 32, 1000, 201
    p = operating_point(MODEL, GPU, batch=batch, prompt=prompt, output=output)
    sm = StepModel(MODEL, GPU)
    decode = sm.decode_time_s(batch, batch * (prompt + output // 2) + batch // 2)
    prefill = sm.prefill_time_s(prompt)
    tpot = decode + batch / (output - 1) * prefill
    assert p.decode_step_s == pytest.approx(decode, rel=1e-12)
    assert p.tpot_s == pytest.approx(tpot, rel=1e-12)
    assert p.ttft_s == pytest.approx(decode + prefill, rel=1e-12)
    rps = batch / ((output - 1) * tpot)
    assert p.requests_per_s == pytest.approx(rps)
    assert p.output_tokens_per_s == pytest.approx(rps * output)
    # Little's law: batch requests in flight, each for (output - 1) TPOTs.
    in_flight = littles_law_concurrency(p.requests_per_s, (output - 1) * p.tpot_s)
    assert in_flight == pytest.approx(batch)


def test_best_under_slo_meets_the_limits_and_is_best():
    tp4 = Deployment(model="llama-3.1-70b", gpu=GPU, gpus=4)
    kw = dict(prompt=1024, output=256)
    r = best_under_slo(tp4, slo="mlperf-llama2-70b-interactive", **kw)
    assert r.feasible
    assert r.best.ttft_s <= 0.45 and r.best.tpot_s <= 0.04
    # The next batch up breaks the TPOT limit (TPOT grows with batch here).
    nxt = operating_point(tp4, batch=r.best.batch + 1, **kw)
    assert nxt.tpot_s > 0.04
    loose = best_under_slo(tp4, slo="mlperf-llama2-70b-server", **kw)
    assert loose.best.output_tokens_per_s >= r.best.output_tokens_per_s
    assert loose.best.batch <= loose.max_batch_fit


def test_best_under_slo_reports_infeasible():
    tight = make_slo("impossible", ttft_s=1e-6, tpot_s=1e-6)
    r = best_under_slo(MODEL, GPU, prompt=1000, output=100, slo=tight)
    assert not r.feasible and "batch 1 misses" in r.reason
    r = best_under_slo("llama-3.1-70b", GPU, prompt=1000, output=100,
                       slo="mlperf-llama2-70b-server")
    assert not r.feasible and r.max_batch_fit == 0 and "nothing fits" in r.reason


def test_goodput_and_percentiles():
    slo = make_slo("chat", ttft_s=1.0, tpot_s=0.05, percentile=90)
    timings = [(0.5, 0.02)] * 8 + [(2.0, 0.02), (0.5, 0.1)]
    assert goodput_requests_per_s(timings, duration_s=4.0, slo=slo) == 2.0
    # MLPerf checks each metric's percentile on its own: the 9th of 10 sorted
    # TTFTs is 0.5 s and the 9th of 10 TPOTs 0.02 s, so the run passes at p90 ...
    assert meets_percentile(timings, slo)
    # ... until a second slow first token makes the 9th TTFT 2.0 s.
    assert not meets_percentile(timings + [(2.0, 0.02)], slo)
    assert meets_slo(0.5, 0.05, slo) and not meets_slo(0.5, 0.051, slo)
    with pytest.raises(ValueError, match="duration_s"):
        goodput_requests_per_s(timings, duration_s=0, slo=slo)
    with pytest.raises(ValueError, match=r"timings\[0\]"):
        goodput_requests_per_s(["fast"], duration_s=1, slo=slo)
    with pytest.raises(ValueError, match="percentile"):
        make_slo("x", 1, 1, percentile=120)


def test_goodput_accepts_batching_timings():
    c = continuous_batching(MODEL, GPU, requests=uniform_workload(512, 64, 16), batch=8)
    loose = make_slo("loose", ttft_s=60, tpot_s=1)
    assert goodput_requests_per_s(c.timings, duration_s=c.total_s, slo=loose) == pytest.approx(
        c.requests_per_s)


def test_chunk_steps_cover_the_whole_prompt():
    times = chunked_prefill_steps("llama-3.1-8b", "h100-sxm", prompt=1000, chunk=300,
                                     decode_batch=8, decode_context=500)
    assert len(times) == 4                      # 300 + 300 + 300 + 100
    assert times[-1] < times[0] < times[1]      # short last chunk; later chunks attend to more
    with pytest.raises(ValueError, match="chunk must be an integer >= 1"):
        chunked_prefill_steps("llama-3.1-8b", "h100-sxm", prompt=10, chunk=0,
                                 decode_batch=1, decode_context=1)


def test_smaller_chunks_stall_less_and_finish_later():
    stalls = [chunked_prefill_steps("llama-3.1-8b", "h100-sxm", prompt=8192, chunk=c,
                                            decode_batch=32, decode_context=2000) for c in (512, 2048, 8192)]
    assert max(stalls[0]) < max(stalls[1]) < max(stalls[2])
    assert sum(stalls[0]) > sum(stalls[2])
