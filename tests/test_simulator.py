"""The serving simulator: against the step model, a naive reference engine, and itself."""

from __future__ import annotations

import json
import math
from collections import deque

import pytest

from servecalc.latency import request_latency
from servecalc.step import StepModel
from servecalc.sim import (
    Choice,
    Engine,
    LogNormal,
    Uniform,
    burst_workload,
    gamma_workload,
    make_workload,
    poisson_workload,
    saturation_rate,
    simulate,
    simulate_poisson,
)
from servecalc.sim.api import _simulate, run_policy

MODEL, GPU = "llama-3.1-8b", "h100-sxm"


@pytest.fixture(scope="module")
def engine():
    return Engine(MODEL, GPU)


# --------------------------------------------------------------------------- low load


@pytest.mark.parametrize("policy", ["static", "continuous", "chunked"])
@pytest.mark.parametrize("prompt,output", [(512, 256), (1000, 200), (3000, 64)])
def test_low_load_matches_single_request_latency(engine, policy, prompt, output):
    """Requests far apart never meet: each sees the analytic single-request latency."""
    work = poisson_workload(1e-4, 20, prompt=prompt, output=output, seed=2)
    r = simulate(engine, work, policy=policy)
    analytic = request_latency(MODEL, GPU, prompt=prompt, output=output)
    sm = StepModel(MODEL, GPU)
    ttft = [f - a for f, a in zip(r.first_token_s, r.arrivals)]
    tpot = [(e - f) / (output - 1) for e, f in zip(r.finish_s, r.first_token_s)]
    if policy == "chunked" and prompt > engine.chunk_tokens():
        # Chunks cost one extra weight pass each: slower than one big prefill.
        assert min(ttft) > analytic.ttft_s
    else:
        for value in ttft:
            assert math.isclose(value, analytic.ttft_s, rel_tol=1e-9)
            assert math.isclose(value, sm.prefill_time_s(prompt), rel_tol=1e-9)
    for value in tpot:
        # latency.py evaluates one decode step at the mean context P + O/2; the
        # simulator sums O - 1 steps. Step time is linear in context while the
        # step stays memory-bound, so the two agree.
        assert math.isclose(value, analytic.tpot_s, rel_tol=1e-6)
    assert r.queue_s.max == 0.0
    assert r.preemptions == 0


# --------------------------------------------------------------------------- reference engine


def _reference(engine: Engine, work, *, chunked: bool) -> tuple[list[float], list[float], int]:
    """A slow, literal engine: every sequence's tokens and blocks tracked one by one."""
    sm = engine.step_model
    bs, total, max_batch = engine.block_size, engine.kv_blocks, engine.max_batch
    budget = engine.chunk_tokens() if chunked else (engine.max_batched_tokens or 0)
    n = len(work)
    first, finish = [-1.0] * n, [-1.0] * n
    gen = [0] * n
    kv = {}             # running id -> KV tokens held (decoders)
    pre = {}            # prefilling id -> [length, done]
    waiting: deque[int] = deque()
    now, a, done, preemptions = 0.0, 0, 0, 0

    def blocks_used():
        return sum(-(-t // bs) for t in kv.values()) + sum(-(-p[0] // bs) for p in pre.values())

    def emit(i, length):
        nonlocal done
        if first[i] < 0:
            first[i] = now
        gen[i] += 1
        if gen[i] >= work.outputs[i]:
            finish[i] = now
            done += 1
        else:
            kv[i] = length

    def make_room():
        nonlocal preemptions
        while kv and sum(1 for t in kv.values() if t % bs == 0) > total - blocks_used():
            victim = max(list(kv) + list(pre))
            kv.pop(victim, None)
            pre.pop(victim, None)
            waiting.appendleft(victim)
            preemptions += 1

    while done < n:
        while a < n and work.arrivals[a] <= now:
            waiting.append(a)
            a += 1
        if not chunked:
            admitted, tokens = [], 0
            while waiting and len(kv) + len(admitted) < max_batch:
                i = waiting[0]
                length = work.prompts[i] + gen[i]
                if blocks_used() + sum(-(-(work.prompts[j] + gen[j]) // bs) for j in admitted) \
                        + -(-length // bs) > total:
                    break
                if admitted and budget and tokens + length > budget:
                    break
                waiting.popleft()
                tokens += length
                admitted.append(i)
            if admitted:
                lengths = [work.prompts[i] + gen[i] for i in admitted]
                now += sm.mixed_time_s(0, 0, [(length, 0) for length in lengths])
                for i, length in zip(admitted, lengths):
                    emit(i, length)
                continue
            if not kv:
                now = max(now, work.arrivals[a])
                continue
            make_room()
            if not kv:
                continue
            now += sm.decode_time_s(len(kv), sum(t + 1 for t in kv.values()))
        else:
            make_room()
            left = budget - len(kv)
            chunks, owners = [], []
            for i, (length, progress) in pre.items():
                if left <= 0:
                    break
                size = min(length - progress, left)
                chunks.append((size, progress))
                owners.append(i)
                left -= size
            while left > 0 and waiting and len(kv) + len(pre) < max_batch:
                i = waiting[0]
                length = work.prompts[i] + gen[i]
                growing = sum(1 for t in kv.values() if t % bs == 0)   # this step's new blocks
                if blocks_used() + growing + -(-length // bs) > total:
                    break
                waiting.popleft()
                pre[i] = [length, 0]
                size = min(length, left)
                chunks.append((size, 0))
                owners.append(i)
                left -= size
            if not kv and not chunks:
                now = max(now, work.arrivals[a])
                continue
            now += sm.mixed_time_s(len(kv), sum(t + 1 for t in kv.values()), chunks)
            for i, (size, _) in zip(owners, chunks):
                pre[i][1] += size
        # One token for every decoder of this step (prefills that complete join after).
        decoders = list(kv)
        for i in decoders:
            kv[i] += 1
            gen[i] += 1
            if gen[i] >= work.outputs[i]:
                del kv[i]
                finish[i] = now
                done += 1
        if chunked:
            for i in [i for i, (length, progress) in pre.items() if progress == length]:
                length = pre.pop(i)[0]
                emit(i, length)
    return first, finish, preemptions


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("kv_blocks", [None, 150, 400])
@pytest.mark.parametrize("seed", [0, 1])
def test_engine_matches_naive_reference(chunked, kv_blocks, seed):
    """The fast bookkeeping (phases, end buckets, victim heap) equals a literal engine,
    float for float, with and without preemption; the short paths (lone requests,
    stretches of decoding summed at once) equal it to rounding."""
    engine = Engine(MODEL, GPU, max_batch=24, kv_blocks=kv_blocks,
                    max_batched_tokens=300 if chunked else None)
    work = poisson_workload(30.0, 160, prompt=Uniform(20, 700), output=LogNormal(120, 0.8, high=900),
                            seed=seed)
    policy = "chunked" if chunked else "continuous"
    r = _simulate(engine, work, policy=policy, slo="mlperf-llama2-70b-server", chart_points=50,
                  progress=None, fast=False)
    first, finish, preemptions = _reference(engine, work, chunked=chunked)
    assert list(r.first_token_s) == first
    assert list(r.finish_s) == finish
    assert r.preemptions == preemptions
    _assert_same_run(simulate(engine, work, policy=policy), r)
    if kv_blocks == 150:
        assert preemptions > 0          # the small pool does force preemption
    assert r.peak_kv_utilization <= 1.0


def test_static_matches_a_literal_group_by_group_run():
    """All requests waiting at time zero, memory ample: the static policy takes
    groups of ``max_batch`` in order, pads each to its longest prompt and runs
    it to its longest output (written out here step by step)."""
    engine = Engine(MODEL, GPU, max_batch=8)
    work = burst_workload(40, prompt=Choice((128, 512, 900)), output=Uniform(8, 300), seed=5)
    r = simulate(engine, work, policy="static")
    sm = StepModel(MODEL, GPU)
    now, first, finish = 0.0, [], []
    for g in range(0, 40, 8):
        p = max(work.prompts[g:g + 8])
        o = max(work.outputs[g:g + 8])
        now += sm.prefill_time_s(p, 0, 8)
        first += [now] * 8
        now += math.fsum(sm.decode_time_s(8, 8 * (p + j)) for j in range(1, o))
        finish += [now] * 8
    for got, want in zip(r.finish_s, finish):
        assert math.isclose(got, want, rel_tol=1e-12)
    for got, want in zip(r.first_token_s, first):
        assert math.isclose(got, want, rel_tol=1e-12)


@pytest.mark.parametrize("policy", ["static", "continuous", "chunked"])
def test_batch_one_short_path_equals_step_by_step(policy):
    engine = Engine(MODEL, GPU, max_batch=1, max_batched_tokens=256)
    work = poisson_workload(4.0, 120, prompt=Uniform(100, 600), output=Uniform(1, 40), seed=3)
    _assert_same_run(*_fast_and_slow(engine, work, policy))


def _fast_and_slow(engine, work, policy):
    """The run with the short paths and the one step by step."""
    return [_simulate(engine, work, policy=policy, slo="mlperf-llama2-70b-server",
                      chart_points=50, progress=None, fast=f) for f in (True, False)]


def _assert_same_run(fast, slow) -> None:
    """The short paths' run equals the step-by-step one: every request's start, first
    token and finish to rounding; steps, preemptions and the KV peak exactly."""
    for a, b in zip(fast.start_s + fast.first_token_s + fast.finish_s,
                    slow.start_s + slow.first_token_s + slow.finish_s):
        assert math.isclose(a, b, rel_tol=1e-12)
    assert (fast.steps, fast.preemptions, fast.peak_kv_utilization) == (
        slow.steps, slow.preemptions, slow.peak_kv_utilization)


def test_a_request_preempted_mid_prefill_keeps_its_first_start():
    """Found by fuzzing (chunked, a small pool): request 14 is preempted while its prompt
    is prefilling and later finds the engine empty; it is not a fresh lone request."""
    engine = Engine(MODEL, GPU, max_batch=4, kv_blocks=40, max_batched_tokens=256)
    work = gamma_workload(0.2, 150, cv=3.0, prompt=Uniform(20, 500),
                          output=LogNormal(60, 0.8, high=80), seed=6266)
    runs = _fast_and_slow(engine, work, "chunked")
    assert runs[1].preemptions > 0
    _assert_same_run(*runs)


@pytest.mark.parametrize("policy", ["continuous", "chunked"])
def test_lone_requests_timed_at_once_equal_step_by_step(policy):
    """At a low rate most requests find the engine empty and finish before the next
    arrives; timing them at once gives the same times and step count as stepping."""
    engine = Engine(MODEL, GPU, max_batched_tokens=256)
    work = poisson_workload(0.5, 200, prompt=Uniform(100, 600), output=Uniform(1, 80), seed=5)
    _assert_same_run(*_fast_and_slow(engine, work, policy))
    # The short path ran: a lone request's steps are one record.
    records = [len(run_policy(engine, work, policy, fast=f).step_len) for f in (True, False)]
    assert records[0] < records[1] / 2


# --------------------------------------------------------------------------- behaviour


def test_preemption_recomputes_and_everyone_finishes():
    engine = Engine(MODEL, GPU, max_batch=64, kv_blocks=200)
    work = poisson_workload(50.0, 300, prompt=300, output=Uniform(50, 600), seed=9)
    r = simulate(engine, work, policy="continuous")
    assert r.preemptions > 0
    assert r.requests == 300 and min(r.finish_s) > 0
    for arrival, start, first, end in zip(r.arrivals, r.start_s, r.first_token_s, r.finish_s):
        assert arrival <= start < first <= end


@pytest.mark.parametrize("output,factor", [
    (Uniform(16, 1024), 1.5),
    (LogNormal(256, 1.0, high=4096), 8.0),
])
def test_continuous_beats_static_on_throughput_and_tail(engine, output, factor):
    """Variable outputs: static batches wait for (and reserve memory for) their longest
    member. The published factors (Orca 36.9x at equal latency, Anyscale 23x) compare
    whole systems; here only the scheduling differs, see docs/simulator.md."""
    cap_static = saturation_rate(engine, policy="static", prompt=512, output=output, seed=1)
    cap_cont = saturation_rate(engine, policy="continuous", prompt=512, output=output, seed=1)
    assert cap_cont > factor * cap_static
    work = poisson_workload(0.8 * cap_static, 1500, prompt=512, output=output, seed=1)
    s = simulate(engine, work, policy="static")
    c = simulate(engine, work, policy="continuous")
    assert c.e2e_s.p99 < s.e2e_s.p99 / 2
    assert c.e2e_s.p50 < s.e2e_s.p50 / 2
    assert c.ttft_s.p99 < s.ttft_s.p99 / 10
    assert c.throughput_tokens_per_s >= 0.99 * s.throughput_tokens_per_s


def test_fixed_lengths_give_static_and_continuous_the_same_capacity(engine):
    """With identical requests a static batch wastes nothing: only latency differs."""
    cap_static = saturation_rate(engine, policy="static", prompt=512, output=256)
    cap_cont = saturation_rate(engine, policy="continuous", prompt=512, output=256)
    assert math.isclose(cap_static, cap_cont, rel_tol=0.01)


def test_chunked_prefill_lowers_tpot_tail(engine):
    cap = saturation_rate(engine, policy="continuous", prompt=2048, output=256)
    work = poisson_workload(0.7 * cap, 1500, prompt=2048, output=256, seed=2)
    c = simulate(engine, work, policy="continuous")
    k = simulate(engine, work, policy="chunked")
    assert k.tpot_s.p99 < c.tpot_s.p99


def test_step_times_follow_hardware_and_parallelism():
    work = poisson_workload(2.0, 100, prompt=512, output=128, seed=0)
    h100 = simulate(Engine(MODEL, "h100-sxm"), work)
    tp2 = simulate(Engine(MODEL, "h100-sxm", gpus=2), work)
    fp8 = simulate(Engine(MODEL, "h100-sxm", weight_dtype="fp8"), work)
    assert tp2.tpot_s.p50 < h100.tpot_s.p50
    assert fp8.tpot_s.p50 < h100.tpot_s.p50


def test_same_seed_same_result(engine):
    a = simulate_poisson(MODEL, GPU, rate=20.0, requests=400, output="lognormal:200,1.0", seed=7)
    b = simulate_poisson(MODEL, GPU, rate=20.0, requests=400, output="lognormal:200,1.0", seed=7)
    c = simulate_poisson(MODEL, GPU, rate=20.0, requests=400, output="lognormal:200,1.0", seed=8)
    assert json.dumps(a.to_dict(timeline=True)) == json.dumps(b.to_dict(timeline=True))
    assert a.to_dict() != c.to_dict()


def test_progress_is_called_at_most_about_a_hundred_times(engine):
    calls = []
    work = poisson_workload(10.0, 5000, prompt=256, output=64, seed=0)
    simulate(engine, work, progress=calls.append)
    assert 50 <= len(calls) <= 101
    assert calls == sorted(calls) and calls[-1] == 1.0
    assert all(0 <= x <= 1 for x in calls)


def test_timeline_is_downsampled(engine):
    work = poisson_workload(20.0, 2000, prompt=512, output=256, seed=0)
    r = simulate(engine, work, chart_points=250)
    assert len(r.timeline) == 250
    assert r.steps > 10 * len(r.timeline)
    width = r.timeline[1].t_s                 # bins of equal width from t = 0
    area = math.fsum(p.batch for p in r.timeline) * width
    assert math.isclose(area, r.mean_batch * r.busy_s, rel_tol=1e-9)
    assert all(0 <= p.kv_utilization <= 1 for p in r.timeline)


def test_goodput_counts_requests_within_the_slo(engine):
    work = poisson_workload(25.0, 1000, prompt=512, output=256, seed=0)
    loose = simulate(engine, work, slo="mlperf-llama2-70b-server")
    tight = simulate(engine, work, slo="mlperf-llama3.1-8b-interactive")
    assert loose.goodput_requests_per_s <= loose.requests_per_s
    assert tight.goodput_requests_per_s < loose.goodput_requests_per_s
    assert math.isclose(loose.goodput_requests_per_s,
                        loose.slo_attainment * loose.requests_per_s, rel_tol=1e-12)


# --------------------------------------------------------------------------- validation


def test_inputs_are_checked(engine):
    work = poisson_workload(1.0, 5, seed=0)
    with pytest.raises(ValueError, match="policy must be one of"):
        simulate(engine, work, policy="greedy")
    with pytest.raises(ValueError, match="engine must be"):
        simulate("llama-3.1-8b", work)
    with pytest.raises(ValueError, match="workload must be"):
        simulate(engine, [(1, 2)])
    with pytest.raises(ValueError, match="progress must be"):
        simulate(engine, work, progress=3)
    with pytest.raises(ValueError, match="slo 'fast' is not in the catalog"):
        simulate(engine, work, slo="fast")
    with pytest.raises(ValueError, match="max_batch must be an integer >= 1, got 0"):
        Engine(MODEL, GPU, max_batch=0)
    with pytest.raises(ValueError, match=r"prompt \+ output of request 0 need 2047 tokens"):
        simulate(Engine(MODEL, GPU, kv_blocks=10), make_workload([0.0], [1024], [1024]))
    with pytest.raises(ValueError, match="max_batched_tokens must be >= max_batch"):
        simulate(Engine(MODEL, GPU, max_batch=64, max_batched_tokens=32), work, policy="chunked")
    with pytest.raises(ValueError, match="rate must be a finite number > 0"):
        simulate_poisson(MODEL, GPU, rate=-1, requests=5)
    with pytest.raises(ValueError, match="engine option 'batch' is not one of gpus"):
        simulate_poisson(MODEL, GPU, rate=1, requests=5, batch=4)


# --------------------------------------------------------------------------- CLI


def test_cli_simulate_json_matches_the_library(capsys):
    from servecalc.cli import main

    argv = ["simulate", "--model", MODEL, "--gpu", GPU, "--rate", "12", "--requests", "300",
            "--policy", "chunked", "--output", "uniform:16-512", "--seed", "3"]
    assert main(argv + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("ttft_s", "tpot_s", "e2e_s"):
        assert set(data[key]) >= {"p50", "p90", "p99"}
    assert data["throughput_tokens_per_s"] > 0 and data["goodput_requests_per_s"] > 0
    direct = simulate_poisson(MODEL, GPU, rate=12.0, requests=300, policy="chunked",
                              output=Uniform(16, 512), seed=3)
    assert data == json.loads(json.dumps(direct.to_dict()))
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "time to first token" in text and "goodput" in text


def test_cli_simulate_rejects_bad_lengths(capsys):
    from servecalc.cli import main

    code = main(["simulate", "--model", MODEL, "--gpu", GPU, "--rate", "1", "--requests", "5",
                 "--prompt", "lots"])
    assert code == 2
    assert "prompt must be a token count" in capsys.readouterr().err
