"""Predict a published serving benchmark: max-throughput tables and fixed-concurrency runs.

Published serving numbers come in two shapes:

* **max throughput** (the TensorRT-LLM performance overview, MLPerf Offline):
  the engine is kept saturated -- as many sequences as its batch limit and
  memory allow -- and output tokens per second per GPU are reported;
* **fixed concurrency** (``vllm bench serve --max-concurrency``, genai-perf,
  AIPerf, InferenceMAX): ``C`` clients each send their next request when the
  previous one completes; reported are tokens/s per GPU, mean TPOT, mean TTFT
  and tokens/s per user.

:func:`predict` takes a row in the accuracy ledger's format (the keys below;
extra keys are ignored) and runs the matching simulation under an engine
preset (:mod:`servecalc.engines`). Data-parallel replicas (``gpus`` larger
than the tensor-parallel size) share the clients evenly.

Keys used: ``kind`` (``"max_throughput"`` or ``"fixed_concurrency"``),
``model``, ``gpu`` (catalog IDs), ``gpus``, ``tp``, ``weight_precision``,
``kv_precision`` (or None: the preset's default for the weights,
:meth:`~servecalc.engines.EnginePreset.kv_dtype_for`), ``input_tokens``, ``output_tokens``,
``concurrency`` (fixed concurrency), optional ``random_range_ratio`` and
``num_requests`` (default ten per client), and ``engine`` (a preset ID;
the ``engine`` argument overrides it). A row with ``expert_parallel`` true runs
a unit of ``ep`` GPUs with expert parallelism, attention data-parallel over them
when ``dp_attention`` is true (:mod:`servecalc.expert_parallel`).

>>> row = {"kind": "fixed_concurrency", "model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1,
...        "tp": 1, "weight_precision": "fp8", "kv_precision": None, "input_tokens": 1000,
...        "output_tokens": 200, "concurrency": 1, "engine": "ideal"}
>>> p = predict(row)
>>> sorted(p)
['interactivity_tokens_per_s_per_user', 'output_tokens_per_s_per_gpu', 'tpot_ms_mean', 'ttft_ms_mean']
>>> round(p["tpot_ms_mean"], 2), round(1000 / p["tpot_ms_mean"], 1) == round(p["interactivity_tokens_per_s_per_user"], 1)
(4.24, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .deployment import Deployment
from .engines import architecture_of, get_engine
from .sim import Engine, saturation_rate, simulate
from .sim.lengths import range_ratio
from .sim.workload import closed_workload
from .validate import choice, positive_int

KINDS = ("max_throughput", "fixed_concurrency")
#: The metrics a prediction returns, keyed as the ledger's ``measured``.
METRICS = ("output_tokens_per_s_per_gpu", "tpot_ms_mean", "ttft_ms_mean",
           "interactivity_tokens_per_s_per_user")
#: Engines whose published names differ from the preset IDs.
ALIASES = {"tensorrt-llm": "trtllm", "trt-llm": "trtllm", "nim": "trtllm"}
#: Requests per client in a fixed-concurrency run unless the row says (InferenceMAX's ten).
REQUESTS_PER_CLIENT = 10
#: Requests in a max-throughput run: this many times the sequences that fit at once
#: (the batch limit, or fewer when KV memory binds), at least 256.
SATURATION_BATCHES = 3


def engine_id(row: Mapping[str, Any], engine: str | None = None) -> str:
    """The preset a row is predicted under: ``engine`` if given, else the row's own.

    >>> engine_id({"engine": "TensorRT-LLM"}), engine_id({"engine": "sglang"}, "vllm")
    ('trtllm', 'vllm')
    """
    name = engine if engine is not None else str(row.get("engine", "")).lower()
    return get_engine(ALIASES.get(name, name)).id


def replica(row: Mapping[str, Any], *, engine: str | None = None,
            **overrides: Any) -> tuple[Engine, int]:
    """The simulated replica of a row, and how many replicas its GPUs hold.

    ``overrides`` go to :class:`~servecalc.deployment.Deployment` (``mbu``, ``mfu``,
    ``overhead_s``) or to :class:`~servecalc.sim.Engine` (``request_overhead_s``,
    ``max_batch``, ``memory_utilization``): what a fit varies.
    """
    tp = positive_int("tp", row.get("tp") or row["gpus"])
    gpus = positive_int("gpus", row["gpus"])
    # expert parallelism, with attention tensor- or data-parallel ("DEP"): a unit of
    # ep GPUs (of tp with tensor-parallel attention)
    expert: dict[str, Any] = {}
    if row.get("expert_parallel"):
        ep = positive_int("ep", row.get("ep") or gpus)
        dp = bool(row.get("dp_attention"))
        tp = ep if dp else tp
        expert = {"ep": ep, "dp_attention": dp}
    if gpus % tp:
        raise ValueError(f"gpus must be a multiple of tp ({tp}), got {gpus}")
    step_keys = {k: overrides.pop(k) for k in ("mbu", "mfu", "overhead_s") if k in overrides}
    preset = get_engine(engine_id(row, engine))
    kv = row.get("kv_precision") or preset.kv_dtype_for(row["weight_precision"])
    d = Deployment(model=row["model"], gpu=row["gpu"], gpus=tp,
                   weight_dtype=row["weight_precision"], kv_dtype=kv, engine=preset.id,
                   **expert, **step_keys)
    return Engine(d, **overrides), gpus // tp


def _lengths(row: Mapping[str, Any]) -> tuple[Any, Any]:
    ratio = row.get("random_range_ratio")
    ratio = 1.0 if ratio is None else ratio
    return (range_ratio("prompt", positive_int("input_tokens", row["input_tokens"]), ratio),
            range_ratio("output", positive_int("output_tokens", row["output_tokens"]), ratio))


def predict(row: Mapping[str, Any], *, engine: str | None = None,
            **overrides: Any) -> dict[str, float]:
    """Predicted metrics of one benchmark row (see the module docstring), keyed as the
    row's ``measured``: max-throughput rows give ``output_tokens_per_s_per_gpu``;
    fixed-concurrency rows give all of :data:`METRICS`. ``overrides``: see :func:`replica`.
    """
    kind = choice("kind", row.get("kind"), KINDS)
    sim, replicas = replica(row, engine=engine, **overrides)
    prompt, output = _lengths(row)
    gpus_per_replica = sim.step_model.gpus
    if kind == "max_throughput":
        # a few batches of the sequences that can run at once (slots, or KV memory)
        held = max(1, min(sim.max_batch, sim.kv_tokens // (prompt.maximum + output.maximum)))
        count = max(256, SATURATION_BATCHES * held)
        rate = saturation_rate(sim, prompt=prompt, output=output, requests=count)
        return {"output_tokens_per_s_per_gpu": rate * output.mean / gpus_per_replica}
    clients = positive_int("concurrency", row["concurrency"])
    per_replica = max(1, math.ceil(clients / replicas))
    requests = row.get("num_requests") or REQUESTS_PER_CLIENT * clients
    requests = max(per_replica, math.ceil(requests / replicas))
    work = closed_workload(per_replica, requests, prompt=prompt, output=output)
    r = simulate(sim, work, chart_points=1)
    return {
        "output_tokens_per_s_per_gpu": r.output_throughput_tokens_per_s / gpus_per_replica,
        "tpot_ms_mean": 1000 * r.tpot_s.mean,
        "ttft_ms_mean": 1000 * r.ttft_s.mean,
        "interactivity_tokens_per_s_per_user": r.interactivity_tokens_per_s_per_user,
    }


def errors(row: Mapping[str, Any], predicted: Mapping[str, float]) -> dict[str, float]:
    """Relative error (predicted / measured - 1) of each metric the row measured.

    >>> errors({"measured": {"tpot_ms_mean": 10.0}}, {"tpot_ms_mean": 12.0, "ttft_ms_mean": 1.0})
    {'tpot_ms_mean': 0.19999999999999996}
    """
    return {k: predicted[k] / v - 1 for k, v in row["measured"].items()
            if k in predicted and v}


# -- fitted presets: the parameters a fit varies, and leave-one-out -----------------------

#: Where the fit (tools/fit_engines.py) keeps each row's leave-one-out parameters.
FIT_FILE = "engine_fit.json"


def scaled_overrides(row: Mapping[str, Any], *, engine: str | None = None, speed: float = 1.0,
                     fixed: float = 1.0, request_s: float | None = None) -> dict[str, float]:
    """The step and request overrides of a preset scaled as a fit scales it: kernel
    efficiencies (``mbu``, ``mfu``) times ``speed`` (at most 1), per-layer and per-MoE-layer
    costs times ``fixed``, and the request overhead set to ``request_s``.

    >>> row = {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1, "tp": 1,
    ...        "weight_precision": "bf16", "engine": "ideal"}
    >>> scaled_overrides(row, speed=1.5)
    {'mbu': 0.9299999999999999, 'mfu': 0.675, 'overhead_s': 0.0003, 'request_overhead_s': 0.0}
    """
    sim, _ = replica(row, engine=engine)
    d = sim.step_model.deployment
    preset = get_engine(d.engine)
    base = preset.efficiency(d.gpu, d.compute_dtype, architecture_of(d.model))
    spec = d.model
    moe_layers = spec.num_layers - spec.first_dense_layers if spec.num_experts else 0
    overhead = base.step_s + fixed * (base.layer_s * spec.num_layers + base.moe_layer_s * moe_layers)
    return {"mbu": min(1.0, base.mbu * speed), "mfu": min(1.0, base.mfu * speed),
            "overhead_s": overhead,
            "request_overhead_s": preset.request_overhead_s if request_s is None else request_s}


def _fit_document() -> dict:
    import json
    from importlib import resources

    return json.loads(resources.files("servecalc.catalog").joinpath(FIT_FILE).read_text(
        encoding="utf-8"))


def leave_one_out(row: Mapping[str, Any]) -> dict[str, float] | None:
    """The overrides that predict ``row`` with its group's parameters refitted without it
    (and without reruns of its setting; see tools/fit_engines.py), or None when the fit
    did not use the row. ``predict(row, **leave_one_out(row))``
    is the row's leave-one-out prediction: a point never predicts itself."""
    found = _fit_document()["leave_one_out"].get(row["id"])
    return None if found is None else dict(found)
