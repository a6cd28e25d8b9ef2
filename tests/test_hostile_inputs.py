"""Every public function of servecalc, fed hostile values (issue 15).

The functions and validating classes are enumerated from the package, so a new
one is covered the day it is added (and fails here until GOOD knows a valid
value for a new required argument). Each argument in turn gets each hostile
value -- huge and tiny numbers, NaN, infinities, negatives, None, bool, text,
lists of bad numbers -- while the others keep valid values. The call must
either raise ValueError or return finite, non-negative numbers. A hypothesis
test then draws more values (derandomized, so CI sees the same ones).

A hang or a runaway allocation fails the test instead of the machine: each
call runs under an address-space limit and an alarm (a safety net, not a speed
assertion).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import math
import pkgutil
import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servecalc
import servecalc.layouts
import servecalc.plan
import servecalc.slo
from servecalc import batching, cost, kv, units
from servecalc.sim import api as simulate
from servecalc.sim import stats as sim_stats
from servecalc.sim import workload
from servecalc.calibration import read_measurements
from servecalc.vllm_result import read_vllm_result
from servecalc.deployment import Deployment
from servecalc.models import get_model
from servecalc.prices import PriceSpec
from servecalc.speculation import speculation
from servecalc.step import step
from servecalc.validate import describe
from tests.guards import guarded

#: The command line has its own fuzz test (test_cli_fuzz.py).
SKIP_PACKAGES = ("servecalc.cli", "servecalc.__main__",
                 # the simulator's inner loops, called by servecalc.sim.api with checked input
                 "servecalc.sim.policies", "servecalc.sim.running", "servecalc.sim.single",
                 "servecalc.sim.result", "servecalc.sim.speculative")
#: Single entry points of those loops (same reason), by qualified name.
SKIP_CALLABLES = {"servecalc.sim.engine.Recorder", "servecalc.sim.engine.check_fits",
                  "servecalc.sim.api.run_policy",
                   # the capacity search's parts, called by servecalc.slo_capacity (fuzzed
                   # through max_rate_under_slo) with checked input and simulated latencies
                   "servecalc.rate_search.search_rate", "servecalc.rate_search.slo_ratio",
                  # the step model's expert-parallel term function, built by StepModel from
                  # a checked Deployment (as the simulator's inner loops above)
                  "servecalc.step.expert_terms.ExpertTerms",
                  # building blocks of the parameter count, called by servecalc.params (and
                  # the attention-kind table) with a checked ModelSpec (as above)
                  "servecalc.weight_group.group", "servecalc.weight_group.norm_size",
                  "servecalc.attention_weights.head_weights",
                  "servecalc.attention_weights.latent_weights",
                  "servecalc.attention_weights.gated_deltanet_weights"}
#: Results that are not sizes and may be negative: a normal draw.
MAY_BE_NEGATIVE = {"servecalc.sim.lengths.normal",
                   # relative errors of the calibration's points, signed
                   "servecalc.calibration.calibrate",
                   # relative errors of a ledger row's predictions, signed
                   "servecalc.benchmarks.errors"}
#: Checks that hand back what they were given: their result is the caller's input.
PASS_THROUGH = {"servecalc.validate.items", "servecalc.validate.lookup",
                "servecalc.files.read_text"}  # a file's text, as it is

HOSTILE = [
    None, True, "x", "", b"1", [], {}, 0, -1, 2**31, 10**30, 10**400, -(10**400),
    0.0, -0.0, 5e-324, 1e-320, 1e308, -1e308, math.nan, math.inf, -math.inf, 0.5, 1.5,
    [-1.0], [math.nan], [None], [10**400], ["x"],
]


def _good() -> dict[str, object]:
    from servecalc.batching import RequestTiming
    from servecalc.step import StepModel
    from servecalc.sim import Engine, poisson_workload

    return {
        "model": "llama-3.1-8b", "gpu": "h100-sxm", "target": "llama-3.1-70b",
        "draft": "llama-3.1-8b", "gpus": 1, "batch": 4, "context": 1024, "prompt": 128,
        "output": 16, "requests": 20, "count": 4, "rate": 2.0, "phase": "decode",
        "batches": [1, 2], "chunk": 256, "chunk_tokens": 256, "past_tokens": 0,
        "decode_batch": 4, "decode_context": 512, "arrival_rate_per_s": 2.0,
        "latency_s": 0.5, "concurrency": 4.0, "bytes_per_step": 1e9, "step_s": 0.01,
        "peak_bytes_per_s": 3e12, "flops_per_step": 1e12, "peak_flops_per_s": 1e15,
        "price_usd_per_hour": 2.0, "api_usd_per_million_input": 0.5,
        "api_usd_per_million_output": 1.5, "budget_bytes": 10**9, "layer": 0,
        "dtype": "bf16", "elements": 100, "tokens": 100, "window": 64, "max_context": 2048,
        "hit_rate": 0.5, "alpha": 0.7, "gamma": 4, "cost_ratio": 0.1, "p": 50,
        "values": [0.1, 0.2, 0.3], "ttfts": [0.1, 0.2], "tpots": [0.01, 0.02],
        "starts": [0.0, 1.0], "durations": [1.0, 1.0], "kv_blocks_used": [1, 2],
        "waiting": [0, 1], "kv_blocks": 10, "end_s": 2.0,
        "timings": [RequestTiming(prompt=10, output=5, ttft_s=0.1, e2e_s=0.5)],
        "duration_s": 10.0, "slo": "mlperf-llama2-70b-server", "name": "prompt",
        "ttft_s": 0.5, "tpot_s": 0.05, "seconds": 0.5, "ratio": 0.25, "amount": 1.5,
        "value": 4, "unit": "GiB", "mean_tokens": 100.0, "sigma": 0.5, "low": 1, "high": 10,
        "arrivals": [0.0, 1.0], "prompts": [10, 20], "outputs": [5, 6],
        "rng": random.Random(0), "sm": StepModel(Deployment(model="llama-3.1-8b", gpu="h100-sxm")),
        "deployment": "llama-3.1-8b", "d": Deployment(model="llama-3.1-8b", gpu="h100-sxm"),
        "engine": Engine("llama-3.1-8b", "h100-sxm", max_batch=8),
        "workload": poisson_workload(2.0, 10, prompt=128, output=16),
        "config": {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 256,
                   "num_attention_heads": 4, "intermediate_size": 512, "vocab_size": 1000},
        "weight_dtype": "bf16", "where": "llama-3.1-8b", "past": 0, "number": 3.0,
        "kind": "model", "required": ["id"], "optional": ["source"],
        "key": "a", "table": {"a": 1}, "allowed": ["a", "b"], "blame": "rate",
        # the 2026 modules (MoE, offload, routing, cost, quality, serving features)
        "ttft_slo_s": 2.0, "prefill_s": 0.2, "requests_per_s": 5.0,
        "prefill_tokens_per_s": 10_000.0, "answer": 100, "input_usd_per_m": 1.0,
        "output_usd_per_m": 8.0, "cp": 2, "amax": 10.0,
        "calibrated_amax": 10.0, "live_amax": 12.0, "scale": 0.5, "total_gpus": 8,
        "tps": [1, 2], "rank": 8, "distinct_adapters": 2, "tokens_per_gpu": 16, "ep": 2,
        "baseline": [1, 2, 3], "candidate": [1, 2, 4], "baseline_accuracy": 0.8,
        "candidate_accuracy": 0.7, "flip_rate_value": 0.01, "replicas": 4, "kv_aware": True,
        "prefixes": 10, "server_usd": 100_000.0, "gpus_per_server": 8, "years": 4.0,
        "power_kw": 10.0, "pue": 1.3, "usd_per_kwh": 0.1, "owned_usd_per_gpu_hour": 1.0,
        "rented_usd_per_gpu_hour": 3.0, "replica_gpus": 2, "gpu_step_s": 0.01,
        "mask_s_per_sequence": 1e-4, "vocab_size": 32_000, "quantile": 0.99, "stages": 2,
        "probabilities": [0.01, 0.02], "tier": "cpu-pcie5",
        "mbu": 0.6, "mfu": 0.45, "overhead_s": 0.0003, "message_bytes": 1e6,
        "total_bytes": 1e9, "link_bytes_per_s": 450e9,
        "layer_type": "full_attention", "in_features": 64, "out_features": 32,
        "peaks": {"bf16": 1e15, "fp8": 2e15}, "quantize": ["attention", "mlp"],
        # disaggregated pools and reasoning (issue 20)
        "prefill": Engine("llama-3.1-8b", "h100-sxm", max_batch=8),
        "decode": Engine("llama-3.1-8b", "h100-sxm", max_batch=8), "prefill_replicas": 1,
        "decode_replicas": 1, "prefill_gpus": 1, "decode_gpus": 1, "link": "ib-400g",
        "thinking": 8, "sends": [0.0, 1.0], "first": [0.1, 1.1], "finish": [0.5, 1.5],
        "mean_prompt": 100.0, "options": [],
        # speculative decoding (issue 20)
        "method": "eagle3", "acceptance": [0.8, 0.7], "spec": speculation("eagle3"),
        "spec_tokens": 2, "draft_model": None,
    }


#: A `vllm bench serve --save-result --save-detailed` file, cut to the keys read.
VLLM_RESULT = ('{"request_rate": 2.0, "burstiness": 1.0, "max_concurrency": null, '
               '"completed": 3, "input_lens": [64, 128, 96], "output_lens": [8, 4, 6], '
               '"errors": ["", "", ""], "mean_ttft_ms": 20.0, "mean_tpot_ms": 8.0}')
MEASUREMENT = ('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", '
               '"batch": 1, "context": 512, "seconds": 0.007}')

#: One published fixed-concurrency row of the accuracy ledger (one client, two H100s, FP8).
LEDGER_ROW = next(
    row for row in json.loads((Path(__file__).parents[1] / "snippets" / "fieldguide" / "validation"
                               / "serving_benchmarks.json").read_text())
    if row["id"] == "nim-1.8.0-llama-3.1-70b-h100-sxm-tp2-fp8-5000-500-c1")

#: A file for servecalc.files.read_text to read.
MEASUREMENT_FILE = Path(tempfile.mkdtemp(prefix="hostile-")) / "steps.jsonl"
MEASUREMENT_FILE.write_text(MEASUREMENT)

#: A mixture of experts with expert parallelism and data-parallel attention.
EP_DEPLOYMENT = Deployment(model="mixtral-8x7b", gpu="h100-sxm", gpus=2, ep=2, dp_attention=True)
#: Where one function needs another valid value than GOOD's.
OVERRIDES: dict[str, dict[str, object]] = {
    "servecalc.memo.Memo": {"name": "hostile", "encode": str, "decode": str, "disk": False},
    "servecalc.practice.check_kind": {"kind": "weights"},
    "servecalc.attention_kinds.layer_kind": {"name": "sliding_attention"},
    "servecalc.practice.question": {"kind": "weights"},
    "servecalc.practice.grade": {"kind": "weights", "seed": 1},
    "servecalc.practice.check_seed": {"seed": 1},
    "servecalc.practice.practice_set": {"variants": 1},
    # 'engine' names a preset ID here, not a simulated replica
    "servecalc.sim.engine.Engine": {"engine": "vllm"},
    "servecalc.deployment.Deployment": {"engine": "vllm", "ep": 1},
    "servecalc.plan.plan": {"engine": "vllm", "ep": 1, "requests": 200, "gpu_ids": ["h100-sxm"],
                            "gpu_counts": [1], "prompt": 32, "output": 4},
    "servecalc.compare.compare_vllm": {"engine": "vllm"},
    "servecalc.batching.static_batching": {"requests": [(128, 16)] * 4},
    "servecalc.batching.continuous_batching": {"requests": [(128, 16)] * 4},
    "servecalc.units.fmt_duration": {"unit": "ms"},
    "servecalc.validate.choice": {"value": "a"},
    "servecalc.validate.finite_result": {"name": "cost", "value": 1.0},
    "servecalc.slo.make_slo": {"name": "mine"},
    "servecalc.slo.Slo": {"name": "mine"},
    "servecalc.validate.fraction": {"name": "share", "value": 0.5},
    "servecalc.validate.unit_interval": {"name": "share", "value": 0.5},
    "servecalc.sim.lengths.Choice": {"values": [128, 512]},
    # capacity searches and plans: the smallest sizes that still search
    "servecalc.slo_capacity.max_rate_under_slo": {"requests": 200, "prompt": 32, "output": 4},
    "servecalc.load_curve.load_curve": {"loads": [0.5], "requests": 50},
    "servecalc.load_curve.kingman_wait_s": {"rho": 0.5, "service_s": 0.1},
    "servecalc.load_curve.exponential_tail_s": {"mean_wait_s": 0.1, "rho": 0.5,
                                               "percentile": 99},
    "servecalc.sim.traces.trace_workload": {"name": "azure-code-2023", "requests": 20},
    "servecalc.sim.traces.trace_info": {"name": "azure-code-2023"},
    "servecalc.sim.workload.gamma_workload": {"cv": 2.0},
    "servecalc.sim.lengths.gamma": {"shape": 0.5},
    "servecalc.sim.traffic.Traffic": {"prompt": 128, "output": 16, "trace": None, "cv": 1.0,
                                      "seed": 0},
    "servecalc.plan.usd_per_million_tokens_at_rate": {"usd_per_hour": 10.0,
                                                      "tokens_per_request": 100},
    "servecalc.validate.text": {"value": "x"},
    "servecalc.validate.json_value": {"value": "[1, 2]"},
    "servecalc.validate.json_depth": {"value": "[1, 2]"},
    "servecalc.validate.instance": {"value": "x", "kind": str},
    "servecalc.catalog.entries": {"name": "prices"},
    "servecalc.capacity.fit_deployment": {
        "deployment": Deployment(model="llama-3.1-8b", gpu="h100-sxm")},
    "servecalc.catalog.build": {"name": "prices", "spec": PriceSpec},
    "servecalc.validate.text_fields": {"spec": get_model("llama-3.1-8b")},
    **{f"servecalc.moe.{name}": {"model": "mixtral-8x7b"} for name in
       ("moe_layers", "all_to_all", "routed_expert_bytes", "ep_weight_bytes_per_gpu")},
    "servecalc.moe.a2a_bytes": {"model": "mixtral-8x7b"},
    "servecalc.expert_parallel.expert_options": {"model": "mixtral-8x7b", "dp_attention": True},
    **{f"servecalc.expert_parallel.{name}": {"d": EP_DEPLOYMENT} for name in
       ("check_expert_parallel", "a2a_seconds", "busiest_share")},
    "servecalc.expert_parallel.busiest_share": {"d": EP_DEPLOYMENT, "sequences": 4},
    "servecalc.expert_parallel.routed_expert_flops_per_token": {"spec": "mixtral-8x7b"},
    "servecalc.expert_parallel.fit_expert_parallel": {
        "d": EP_DEPLOYMENT, "context": 1024, "memory_utilization": 0.9, "reserve_bytes": None,
        "block_size": 16},
    "servecalc.moe.attention_layouts": {
        "deployment": Deployment(model="mixtral-8x7b", gpu="h100-sxm", gpus=2), "gpu": None},
    "servecalc.quality.kl_divergence": {"p": [0.5, 0.5], "q": [0.4, 0.6]},
    "servecalc.layouts.best_layout": {"rows": [
        servecalc.layouts.LayoutRow(tp=2, replicas=4, batch=8, step_s=0.01, comm_s=0.001,
                                    fleet_tokens_per_s=3200.0)]},
    "servecalc.calibration.Calibration": {"gpus": ("h100-sxm",)},
    "servecalc.calibration.load_calibration": {
        "text": '{"parameters": {"mbu": 0.6, "mfu": 0.45, "overhead_s": 0.0003}}'},
    "servecalc.calibration.read_measurements": {"text": MEASUREMENT},
    "servecalc.calibration.calibrate": {"points": read_measurements(MEASUREMENT)},
    "servecalc.vllm_result.read_vllm_result": {"text": VLLM_RESULT},
    "servecalc.compare.compare_vllm": {"result": read_vllm_result(VLLM_RESULT), "gpu": None,
                                       "deployment": Deployment(model="llama-3.1-8b",
                                                                gpu="h100-sxm")},
    "servecalc.files.read_text": {"path": str(MEASUREMENT_FILE), "what": "--file"},
    "servecalc.sim.engine.check_work": {"work": workload.poisson_workload(2.0, 10, prompt=128,
                                                                           output=16)},
    # issue 19: 'engine' is a preset ID and 'row' a published ledger row here
    **{f"servecalc.benchmarks.{name}": {"engine": "trtllm", "row": LEDGER_ROW} for name in
       ("engine_id", "leave_one_out", "predict", "replica", "scaled_overrides")},
    "servecalc.benchmarks.check_row": {"row": LEDGER_ROW, "needs": ["model", "gpu"]},
    "servecalc.benchmarks.errors": {"row": LEDGER_ROW, "predicted": {
        "output_tokens_per_s_per_gpu": 100.0, "tpot_s": 0.01, "ttft_s": 0.1}},
    "servecalc.engines.get_engine": {"engine": "sglang"},
    "servecalc.engines.capture_sizes": {"max_num_seqs": 64},
    "servecalc.engines.Efficiency": {
        "generation": "hopper", "precision": "fp8", "step_s": 0.0003, "layer_s": 1e-5,
        "moe_layer_s": 2e-5, "allreduce_s": 1e-5, "source": "a test", "source_date": "2026"},
    "servecalc.frontier.frontier": {"engine": "vllm", "ep": 1, "gpu_counts": [1], "weight_dtypes": ["bf16"],
                                    "concurrencies": [1, 2], "prompt": 32, "output": 4},
    "servecalc.sim.workload.closed_workload": {"concurrency": 2, "requests": 10},
    "servecalc.sim.reasoning.answer_times": {"thinking": [2, 3]},
    "servecalc.sim.reasoning.with_thinking": {"work": workload.poisson_workload(2.0, 10, prompt=128,
                                                                          output=16)},
    "servecalc.plan_disagg.disagg_options": {"engine": "vllm", "requests": 40,
                                             "gpu_ids": ["h100-sxm"], "gpu_counts": [1],
                                             "weight_dtypes": ["bf16"], "prompt": 32,
                                             "output": 4},
    "servecalc.plan_disagg.verdict": {"aggregated": servecalc.plan.Plan(
        model="m", rate_requests_per_s=1.0, slo=servecalc.slo.get_slo("mlperf-llama2-70b-server"), headroom=0.0,
        options=(), skipped=())},
    "servecalc.speculation.parse_acceptance": {"text": "0.9,0.8"},
    "servecalc.speculation.draft_memory": {"spec": speculation("draft:llama-3.1-8b"),
                                           "deployment": Deployment(model="llama-3.1-8b",
                                                                    gpu="h100-sxm")},
    # prefix caching, synthetic sessions and the routed fleet (issue 20)
    "servecalc.sim.prefix.PrefixCache": {"hash_block_tokens": 32, "block_size": 16,
                                         "requests": 4},
    "servecalc.sim.prefix.ideal_hit_rate": {"prompts": [64, 80],
                                            "hashes": [[1, 2, 3, 4], [1, 2, 3, 4, 5]],
                                            "hash_block_tokens": 16},
    "servecalc.sim.sessions.with_shared_prefix": {
        "work": workload.poisson_workload(2.0, 10, prompt=128, output=16),
        "shared_prefix": 64, "block_tokens": 16},
    "servecalc.sim.sessions.chat_workload": {"turns": 3, "think_s": 1.0, "shared_prefix": 32,
                                             "block_tokens": 16},
    "servecalc.sim.fleet.simulate_fleet": {"work": workload.poisson_workload(2.0, 10, prompt=128,
                                                                             output=16),
                                           "router": "round-robin", "replicas": 2,
                                           "policy": None},
    "servecalc.calibration.fit_efficiencies": {
        "predict": [p.predict_s for p in read_measurements(MEASUREMENT)], "measured": [0.007]},
}


def _is_record(cls: type) -> bool:
    """A plain result dataclass (no checks of its own): not an entry point."""
    return dataclasses.is_dataclass(cls) and "__post_init__" not in vars(cls)


def public_callables() -> dict[str, object]:
    found = {}
    for info in pkgutil.walk_packages(servecalc.__path__, "servecalc."):
        if info.name.startswith(SKIP_PACKAGES):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if f"{info.name}.{name}" in SKIP_CALLABLES:
                continue
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or (inspect.isclass(obj) and not _is_record(obj)
                                           and not issubclass(obj, BaseException)):
                found[f"{module.__name__}.{name}"] = obj
    return found


CALLABLES = public_callables()


def _spec_values(qualname: str) -> dict[str, object]:
    """Valid field values for the catalog's spec classes: a real entry's."""
    if qualname == "servecalc.models.ModelSpec":
        from servecalc.models import get_model
        return dataclasses.asdict(get_model("llama-3.1-8b"))
    if qualname == "servecalc.gpus.GpuSpec":
        from servecalc.gpus import get_gpu
        return dataclasses.asdict(get_gpu("h100-sxm"))
    if qualname == "servecalc.prices.PriceSpec":
        from servecalc.prices import get_price
        return dataclasses.asdict(get_price("h100-sxm"))
    return {}


def good_arguments(qualname: str) -> dict[str, object]:
    """Valid keyword arguments for every required parameter of ``qualname``."""
    good = {**_good(), **_spec_values(qualname), **OVERRIDES.get(qualname, {})}
    params = inspect.signature(CALLABLES[qualname]).parameters.values()
    kwargs = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in good:
            kwargs[p.name] = good[p.name]
        elif p.default is p.empty:
            pytest.fail(f"{qualname}: add a valid value for {p.name!r} to GOOD in {__file__}")
    return kwargs


def check_result(result: object, qualname: str, path: str = "result", depth: int = 0) -> None:
    """Every number in ``result`` is finite (and >= 0 unless MAY_BE_NEGATIVE)."""
    if depth > 6:
        return
    if isinstance(result, bool) or result is None:
        return
    if isinstance(result, int):
        assert result < 10**40, f"{qualname} returned {path} = an integer of {len(str(result))} digits"
    if isinstance(result, (int, float)):
        assert isinstance(result, int) or math.isfinite(result), \
            f"{qualname} returned {path} = {result!r}"
        if qualname not in MAY_BE_NEGATIVE:
            assert result >= 0, f"{qualname} returned {path} = {result!r}"
        return
    if isinstance(result, str):
        assert not re.search(r"(?<![a-z])(nan|inf)(?![a-z])", result.lower()) or \
            qualname.startswith("servecalc.validate."), f"{qualname} printed {result!r}"
        return
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for field in dataclasses.fields(result):
            check_result(getattr(result, field.name), qualname, f"{path}.{field.name}",
                         depth + 1)
    elif isinstance(result, dict):
        for key, value in list(result.items())[:50]:
            check_result(value, qualname, f"{path}[{key!r}]", depth + 1)
    elif isinstance(result, (list, tuple)):
        for index, value in enumerate(result[:50]):
            check_result(value, qualname, f"{path}[{index}]", depth + 1)


def call(qualname: str, kwargs: dict[str, object]) -> str | None:
    """Call; return None if it raised ValueError or gave a clean result, else a complaint."""
    func = CALLABLES[qualname]
    try:
        with guarded():
            result = func(**kwargs)
    except ValueError:
        return None
    except Exception as exc:  # noqa: BLE001 - any other exception is the finding
        shown = {k: v for k, v in kwargs.items() if not isinstance(v, (list, dict))}
        return f"{qualname}({shown}) raised {type(exc).__name__}: {str(exc)[:200]}"
    try:
        if qualname not in PASS_THROUGH:
            check_result(result, qualname)
    except AssertionError as exc:
        return f"{exc} (arguments {kwargs})"[:400]
    return None


def test_every_public_function_is_found():
    assert {"servecalc.sim.api.simulate_poisson", "servecalc.units.fmt_duration",
            "servecalc.sim.stats.summarize", "servecalc.batching.uniform_workload",
            "servecalc.hf_config.from_hf_config", "servecalc.step.model.StepModel",
            "servecalc.deployment.Deployment"} \
        <= set(CALLABLES)


@pytest.mark.parametrize("qualname", sorted(CALLABLES))
def test_hostile_values_raise_value_error_or_give_finite_results(qualname):
    kwargs = good_arguments(qualname)
    func = CALLABLES[qualname]
    with guarded():
        check_result(func(**kwargs), qualname)  # the valid call works
    problems = []
    for name in kwargs:
        for value in HOSTILE:
            problem = call(qualname, {**kwargs, name: value})
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems[:20])


hostile_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=0, max_value=64).map(lambda e: 10**e),
    st.none(), st.booleans(), st.text(max_size=8),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_drawn_hostile_values(data):
    qualname = data.draw(st.sampled_from(sorted(CALLABLES)), label="function")
    kwargs = good_arguments(qualname)
    if not kwargs:
        return
    name = data.draw(st.sampled_from(sorted(kwargs)), label="argument")
    value = data.draw(hostile_values, label="value")
    problem = call(qualname, {**kwargs, name: value})
    assert problem is None, problem


# ---- issue 15, item 5: each reported failure, by name -------------------------------------

def _nested_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    return path


@pytest.mark.parametrize("call_, match", [
    (lambda: Deployment(model="llama-2-7b", gpu="h100-sxm", mbu=10**400),
     "mbu must be a number in"),
    (lambda: step(Deployment(model="llama-2-7b", gpu="h100-sxm", mbu=5e-324),
                  phase="decode", batch=1, context=100),
     "mbu must be at least 0.001"),
    (lambda: cost.cost_per_million_tokens(
        "llama-2-7b", "h100-sxm", price_usd_per_hour=2.0, batch=8, prompt=100, output=100,
        utilization=5e-324), "utilization must be at least 0.001"),
    (lambda: batching.littles_law_concurrency(1e308, 2.0),
     "arrival_rate_per_s must be at most 1,000,000"),
    (lambda: workload.poisson_workload(5e-324, 3),
     "rate must be at least 1e-06"),
    (lambda: simulate.simulate_poisson(
        "llama-2-7b", "h100-sxm", rate=1.0, requests=None), "requests must be an integer"),
    (lambda: batching.uniform_workload(512, 128, 2**31),
     "count must be at most 1,000,000"),
    (lambda: kv.kv_bytes_per_batch("llama-2-7b", 10**52, 1),
     "context must be at most 16,777,216"),
    (lambda: units.fmt_duration(math.nan),
     "seconds must be a finite number >= 0, got nan"),
    (lambda: units.fmt_bytes(10**52),
     "value must be a finite number >= 0, got an integer of 53 digits"),
    (lambda: sim_stats.summarize([-1]),
     r"values\[0\] must be a finite number >= 0, got -1"),
])
def test_reported_failures_raise_value_error(call_, match):
    with guarded(), pytest.raises(ValueError, match=match):
        call_()


def test_deeply_nested_config_is_a_value_error(tmp_path):
    from servecalc.hf_config import from_hf_config

    with guarded(), pytest.raises(ValueError, match="levels deep; at most 64 are read"):
        from_hf_config(_nested_config(tmp_path))


LLAMA_CONFIG = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096,
                "num_attention_heads": 32, "num_key_value_heads": 8,
                "intermediate_size": 14336, "vocab_size": 128256,
                "max_position_embeddings": 131072}


@pytest.mark.parametrize("field", sorted(LLAMA_CONFIG))
def test_hostile_config_fields_give_value_error_or_finite_sizes(field):
    from servecalc.hf_config import from_hf_config
    from servecalc.kv import kv_bytes_per_token
    from servecalc.params import param_count, weight_bytes

    problems = []
    for value in [*HOSTILE, 2**24, 2**40]:
        try:
            with guarded():
                spec = from_hf_config({**LLAMA_CONFIG, field: value}, id="x")
                sizes = (param_count(spec), weight_bytes(spec), kv_bytes_per_token(spec))
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001 - the finding
            problems.append(f"{field}={describe(value)}: {type(exc).__name__}: {exc}"[:300])
            continue
        if not all(0 <= size < 10**30 for size in sizes):
            problems.append(f"{field}={describe(value)} gives sizes {sizes}")
    assert not problems, "\n".join(problems)
