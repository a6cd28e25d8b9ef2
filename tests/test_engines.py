"""Engine presets, fixed-concurrency runs and the benchmark predictions (issue 19)."""

from __future__ import annotations

import json
import math
import re

import pytest

from servecalc.benchmarks import engine_id, errors, leave_one_out, predict, replica, scaled_overrides
from servecalc.cli import main
from servecalc.deployment import Deployment
from servecalc.engines import ENGINES, capture_sizes, generation_of, get_engine, list_engines
from servecalc.gpus import GPUS
from servecalc.sim import Engine, poisson_workload, simulate
from servecalc.sim.lengths import Uniform
from servecalc.sim.workload import closed_workload
from servecalc.step import StepModel
from tests.guards import guarded

DATE = re.compile(r"^\d{4}-\d{2}")


def test_every_preset_value_has_a_source() -> None:
    assert set(ENGINES) >= {"ideal", "vllm", "sglang", "trtllm"}
    for e in list_engines():
        assert e.scheduler["source"] and DATE.match(e.scheduler["source_date"]), e.id
        assert e.memory_source and e.request_source, e.id
        assert e.capture["source"] and DATE.match(e.capture["source_date"]), e.id
        for row in e.efficiency_rows:
            assert row.source and DATE.match(row.source_date), (e.id, row)
            if row.source.startswith("fitted"):
                # a fitted row names the measurements and their date
                assert "fitted to" in row.source and re.search(r"\d{4}", row.source)


def test_vllm_capture_sizes_follow_its_rule() -> None:
    # vLLM: 1, 2, 4, steps of 8 below 256, then steps of 16 up to min(2 x max_num_seqs, 512)
    sizes = capture_sizes(1024)
    assert sizes[:4] == (1, 2, 4, 8)
    assert all(b - a == 8 for a, b in zip(sizes[3:], sizes[4:]) if b <= 256)
    assert all(b - a == 16 for a, b in zip(sizes, sizes[1:]) if a >= 256)
    assert sizes[-1] == 512
    assert capture_sizes(100)[-1] == 200


def test_vllm_defaults_depend_on_gpu_memory() -> None:
    v = get_engine("vllm")
    # vLLM get_batch_defaults: >= 70 GiB and not A100 -> 8192 tokens, 1024 sequences
    assert (v.max_num_seqs("h100-sxm"), v.max_num_batched_tokens("h100-sxm")) == (1024, 8192)
    assert (v.max_num_seqs("a100-80gb"), v.max_num_batched_tokens("a100-80gb")) == (256, 2048)
    e = Engine("llama-3.1-8b", "h100-sxm", engine="vllm")
    assert (e.policy, e.max_batch, e.max_batched_tokens) == ("chunked", 1024, 8192)


def test_concurrency_one_by_hand() -> None:
    """One client: TTFT = request overhead + one prefill step; TPOT = the decode steps."""
    prompt, output = 1000, 50
    engine = Engine("llama-3.1-70b", "h100-sxm", gpus=4, engine="vllm")
    sm = StepModel(engine.step_model.deployment)
    r = simulate(engine, closed_workload(1, 5, prompt=prompt, output=output))
    ttft = engine.request_overhead_s + sm.prefill_time_s(prompt)
    decode = math.fsum(sm.decode_time_s(1, prompt + j) for j in range(1, output))
    assert engine.request_overhead_s > 0
    assert r.ttft_s.mean == pytest.approx(ttft, rel=1e-9)
    assert r.tpot_s.mean == pytest.approx(decode / (output - 1), rel=1e-9)
    # the client sends again when it is answered: five requests back to back
    assert r.duration_s == pytest.approx(5 * (ttft + decode), rel=1e-9)
    assert r.interactivity_tokens_per_s_per_user == pytest.approx((output - 1) / decode)


@pytest.mark.parametrize("engine_id", ["ideal", "vllm"])
@pytest.mark.parametrize("clients", [4, 32])
def test_littles_law_in_a_closed_loop(engine_id: str, clients: int) -> None:
    engine = Engine("llama-3.1-8b", "h100-sxm", engine=engine_id)
    work = closed_workload(clients, 30 * clients, prompt=Uniform(200, 1000),
                           output=Uniform(50, 300), seed=3)
    r = simulate(engine, work, chart_points=1)
    # concurrency = throughput x mean time in the system (the drain at the end is ~1/30)
    assert r.requests_per_s * r.e2e_s.mean == pytest.approx(clients, rel=0.05)
    assert r.concurrency == clients
    assert r.peak_batch <= clients


def test_request_overhead_delays_first_tokens_only() -> None:
    work = poisson_workload(0.5, 20, prompt=200, output=20, seed=1)
    base = simulate(Engine("llama-3.1-8b", "h100-sxm", engine="vllm", request_overhead_s=0.0),
                    work)
    late = simulate(Engine("llama-3.1-8b", "h100-sxm", engine="vllm", request_overhead_s=0.05),
                    work)
    assert late.ttft_s.p50 == pytest.approx(base.ttft_s.p50 + 0.05, rel=1e-6)
    assert late.tpot_s.p50 == pytest.approx(base.tpot_s.p50, rel=1e-9)


def test_each_send_waits_behind_the_requests_outstanding() -> None:
    """Two clients, 10 s per outstanding request: every request runs alone, so its TTFT
    is the fixed overhead, 10 s per request outstanding when it was sent, and its
    prefill. The first send finds none outstanding; every later one finds the other
    client's request (sent, not answered)."""
    prompt, output, n, per = 1000, 20, 6, 10.0
    engine = Engine("llama-3.1-70b", "h100-sxm", gpus=4, engine="vllm",
                    request_overhead_per_outstanding_s=per)
    prefill = StepModel(engine.step_model.deployment).prefill_time_s(prompt)
    r = simulate(engine, closed_workload(2, n, prompt=prompt, output=output))
    alone = engine.request_overhead_s + prefill
    assert r.ttft_s.p50 == pytest.approx(alone + per, rel=1e-9)
    assert r.ttft_s.mean == pytest.approx(alone + per * (n - 1) / n, rel=1e-9)
    # one client never finds another outstanding; an open loop does not count them
    one = simulate(engine, closed_workload(1, 3, prompt=prompt, output=output))
    assert one.ttft_s.mean == pytest.approx(alone, rel=1e-9)
    work = poisson_workload(0.5, 20, prompt=200, output=20, seed=1)
    plain = Engine("llama-3.1-8b", "h100-sxm", engine="vllm")
    loaded = Engine("llama-3.1-8b", "h100-sxm", engine="vllm",
                    request_overhead_per_outstanding_s=per)
    assert simulate(loaded, work).ttft_s.mean == simulate(plain, work).ttft_s.mean


def test_a_fitted_group_carries_its_own_request_overhead() -> None:
    """Where an efficiency row has its own request overhead, an engine on that GPU and
    precision takes it; elsewhere the preset's."""
    for preset in list_engines():
        for row in preset.efficiency_rows:
            if row.request_overhead_s is None or row.generation == "*":
                continue
            gpu = next(g for g in GPUS if generation_of(g) == row.generation)
            got = preset.request_overheads(gpu, row.precision, row.architecture)
            assert got == (row.request_overhead_s, row.request_overhead_per_outstanding_s)
    ideal = get_engine("ideal")
    assert ideal.request_overheads("h100-sxm", "bf16") == (ideal.request_overhead_s,
                                                           ideal.request_overhead_per_outstanding_s)


def test_presets_change_the_step_time() -> None:
    ideal = StepModel(Deployment(model="deepseek-r1", gpu="b200", gpus=8, weight_dtype="fp8",
                                 engine="ideal"))
    vllm = StepModel(Deployment(model="deepseek-r1", gpu="b200", gpus=8, weight_dtype="fp8",
                                engine="vllm"))
    # per-layer and per-MoE-layer launch costs: a one-sequence decode step costs more
    assert vllm.overhead_s > 10 * ideal.overhead_s
    assert vllm.decode_time_s(1, 1000) > ideal.decode_time_s(1, 1000)


def test_predict_fixed_concurrency_and_max_throughput() -> None:
    row = {"kind": "fixed_concurrency", "model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 2,
           "tp": 1, "weight_precision": "fp8", "kv_precision": None, "input_tokens": 500,
           "output_tokens": 100, "concurrency": 8, "engine": "vllm"}
    one = predict({**row, "gpus": 1, "concurrency": 4})
    two = predict(row)             # two replicas of one GPU, four clients each
    assert two["output_tokens_per_s_per_gpu"] == pytest.approx(
        one["output_tokens_per_s_per_gpu"], rel=1e-9)
    top = predict({**row, "kind": "max_throughput", "concurrency": None})
    assert set(top) == {"output_tokens_per_s_per_gpu"}
    assert top["output_tokens_per_s_per_gpu"] > two["output_tokens_per_s_per_gpu"]


# -- a hostile ledger row: ValueError naming the key, before anything is built ---------------

ROW = {"kind": "fixed_concurrency", "model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1,
       "tp": 1, "weight_precision": "fp8", "kv_precision": None, "input_tokens": 500,
       "output_tokens": 100, "concurrency": 4, "engine": "ideal", "id": "a-test-row",
       "measured": {"tpot_ms_mean": 5.0}}
#: Every public function of servecalc.benchmarks that takes a row, called with one.
ROW_FUNCTIONS = {
    "predict": predict, "replica": replica, "scaled_overrides": scaled_overrides,
    "engine_id": engine_id, "leave_one_out": leave_one_out,
    "errors": lambda row: errors(row, {"tpot_ms_mean": 6.0}),
}


@pytest.mark.parametrize("name", sorted(ROW_FUNCTIONS))
@pytest.mark.parametrize("row", ["llama-3.1-8b", None, ["llama-3.1-8b", "h100-sxm"], 8])
def test_a_row_that_is_not_a_mapping_is_refused(name, row) -> None:
    with pytest.raises(ValueError, match="^row must be a mapping of a benchmark's settings"):
        ROW_FUNCTIONS[name](row)


@pytest.mark.parametrize(("name", "key"), [
    ("predict", "model"), ("predict", "input_tokens"), ("predict", "kind"),
    ("predict", "concurrency"), ("replica", "gpus"), ("scaled_overrides", "weight_precision"),
    ("engine_id", "engine"), ("leave_one_out", "id"), ("errors", "measured")])
def test_a_missing_key_is_named(name, key) -> None:
    row = {k: v for k, v in ROW.items() if k != key}
    with pytest.raises(ValueError, match=f"^row lacks {key} "):
        ROW_FUNCTIONS[name](row)
    with pytest.raises(ValueError, match=f"^row lacks {key} "):
        ROW_FUNCTIONS[name]({**ROW, key: None})    # None counts as absent


@pytest.mark.parametrize("key", ["gpus", "tp", "input_tokens", "output_tokens", "concurrency",
                                 "num_requests", "ep"])
def test_bool_is_not_a_count(key) -> None:
    with pytest.raises(ValueError, match=f"^{key} must be an integer >= 1, got True$"):
        predict({**ROW, key: True})


def test_a_flag_must_be_a_bool() -> None:
    with pytest.raises(ValueError, match="^expert_parallel must be true or false, got 1$"):
        predict({**ROW, "expert_parallel": 1})


@pytest.mark.parametrize("ratio", [math.nan, math.inf, -math.inf, -0.5, 1.5])
def test_a_range_ratio_outside_0_1_is_refused(ratio) -> None:
    with pytest.raises(ValueError, match=r"^random_range_ratio must be a number in \[0, 1\]"):
        predict({**ROW, "random_range_ratio": ratio})


@pytest.mark.parametrize(("change", "message"), [
    # the library's documented limits (servecalc limits): a workload's requests, a batch's
    # sequences, one sequence's tokens, a group's GPUs
    ({"num_requests": 10**12}, "num_requests must be at most 1,000,000 "),
    ({"num_requests": 10**400}, "num_requests must be at most "),
    ({"concurrency": 10**12}, "concurrency must be at most 1,048,576 "),
    ({"concurrency": 10**6}, "concurrency 1,000,000 (10 requests per client without "
                             "num_requests) gives 10,000,000 requests per replica"),
    ({"concurrency": 2**20, "num_requests": 10}, "concurrency 1,048,576 with num_requests 10 "
                                                 "gives 1,048,576 requests per replica"),
    ({"input_tokens": 2**40}, "input_tokens must be at most 16,777,216 "),
    ({"tp": 10**12}, "tp must be at most 65,536 "),
])
def test_huge_counts_are_refused_before_anything_is_built(change, message) -> None:
    """Refused in well under a second and a few MiB: no list of requests is built."""
    with guarded(seconds=5, extra_bytes=2**28), pytest.raises(ValueError) as info:
        predict({**ROW, **change})
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("key", ["model", "gpu", "engine", "weight_precision", "kv_precision",
                                 "kind", "gpus"])
def test_a_megabyte_value_gives_a_short_message(key) -> None:
    with guarded(seconds=5), pytest.raises(ValueError) as info:
        predict({**ROW, key: "x" * 2**20})
    message = str(info.value)
    assert key in message and "(1048576 characters)" in message and len(message) < 300


def test_a_nested_value_is_refused_with_its_key() -> None:
    with pytest.raises(ValueError, match="^gpu must be text, got {'id': 'h100-sxm'}$"):
        predict({**ROW, "gpu": {"id": "h100-sxm"}})
    with pytest.raises(ValueError, match="^measured tpot_ms_mean must be a finite number > 0"):
        errors({**ROW, "measured": {"tpot_ms_mean": math.nan}}, {"tpot_ms_mean": 6.0})


def test_extra_keys_are_ignored() -> None:
    assert predict({**ROW, "notes": {"any": ["thing"]}, "source": None}) == predict(ROW)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_engines_command(capsys) -> None:
    code, out, _ = run(capsys, "engines", "--json")
    assert code == 0
    data = json.loads(out)
    assert [e["id"] for e in data] == list(ENGINES)
    assert sum(e["default"] for e in data) == 1
    code, out, _ = run(capsys, "engines")
    assert code == 0 and "vllm" in out and "per MoE layer" in out


def test_simulate_concurrency_json(capsys) -> None:
    code, out, err = run(capsys, "simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                         "--concurrency", "4", "--requests", "40", "--prompt", "500",
                         "--output", "100", "--random-range-ratio", "0.8", "--engine", "vllm",
                         "--memory-utilization", "0.8", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["concurrency"] == 4
    for key in ("input_throughput_tokens_per_s", "output_throughput_tokens_per_s",
                "interactivity_tokens_per_s_per_user"):
        assert data[key] > 0
    assert data["policy"] == "chunked"


@pytest.mark.parametrize("argv, option", [
    (["--engine", "tgi"], "--engine"),
    (["--memory-utilization", "1.2"], "--memory-utilization"),
    (["--random-range-ratio", "-1"], "--random-range-ratio"),
    (["--concurrency", "0"], "--concurrency"),
])
def test_bad_engine_options_exit_2(capsys, argv: list[str], option: str) -> None:
    code, _, err = run(capsys, "simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                       "--requests", "10", "--rate", "1", *argv)
    assert code == 2
    assert option in err


def test_concurrency_and_rate_exclude_each_other(capsys) -> None:
    code, _, err = run(capsys, "simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                       "--requests", "10", "--rate", "1", "--concurrency", "2")
    assert code == 2 and "--concurrency" in err


@pytest.mark.parametrize("command", ["step", "latency", "cost", "capacity", "plan", "simulate"])
def test_every_timing_command_takes_engine(capsys, command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and "--engine" in out


def test_frontier_marks_exactly_the_undominated_points() -> None:
    from servecalc.frontier import frontier

    f = frontier("llama-3.1-8b", "h100-sxm", prompt=400, output=60, gpu_counts=[1, 2],
                 weight_dtypes=["bf16", "fp8"], concurrencies=[1, 16])
    assert len(f.points) == 8
    for p in f.points:
        dominated = any(q.tokens_per_s_per_gpu >= p.tokens_per_s_per_gpu
                        and q.tokens_per_s_per_user >= p.tokens_per_s_per_user and q != p
                        and (q.tokens_per_s_per_gpu > p.tokens_per_s_per_gpu
                             or q.tokens_per_s_per_user > p.tokens_per_s_per_user)
                        for q in f.points)
        assert p.pareto is not dominated
        # $/M output tokens at the example price, from tokens/s per GPU
        assert p.usd_per_million_output_tokens == pytest.approx(
            f.price_usd_per_gpu_hour / (p.tokens_per_s_per_gpu * 3600) * 1e6)


def test_frontier_command(capsys) -> None:
    code, out, err = run(capsys, "frontier", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                         "--gpus", "1", "--concurrency", "1,4", "--prompt", "300", "--output",
                         "40", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {p["weight_dtype"] for p in data["points"]} == {"bf16", "fp8"}   # H100: native
    code, _, err = run(capsys, "frontier", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                       "--engine", "tgi")
    assert code == 2 and "--engine" in err
