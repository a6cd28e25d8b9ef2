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
when ``dp_attention`` is true (:mod:`servecalc.expert_parallel`). :func:`errors` reads
``measured`` and :func:`leave_one_out` the row's ``id``.

Each function checks the row before it builds anything (:func:`check_row`): a row
that is not a mapping, lacks a key the function needs, or holds a value of the wrong
type or beyond the library's limits (``servecalc limits``) is a ValueError naming the
key, the value and what is allowed.

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
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .deployment import Deployment
from .engines import architecture_of, get_engine
from .precision import KV_DTYPES, WEIGHT_DTYPES
from .sim import Engine, saturation_rate, simulate
from .sim.lengths import range_ratio
from .sim.workload import closed_workload
from .validate import (
    GPUS, REQUESTS, SEQUENCE_TOKENS, Limit, choice, describe, finite_result, items,
    non_negative_number, positive_int, positive_number, show_number, text, unit_interval,
)

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


# -- the row: its keys, each checked before anything is built ------------------------------

def _bounded(limit: Limit) -> Callable[[str, object], int]:
    """A check of a count: an integer >= 1 and at most ``limit``'s bound."""
    def check(name: str, value: object) -> int:
        count = positive_int(name, value)
        if count > limit.high:
            raise ValueError(f"{name} must be at most {show_number(limit.high)} ({limit.what}; "
                             f"see `servecalc limits`), got {describe(count)}")
        return count
    return check


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {describe(value)}")
    return value


def _measured(name: str, value: object) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must map metrics ({', '.join(METRICS)}) to numbers, "
                         f"got {describe(value)}")
    return {choice(f"{name} metric", metric, METRICS): positive_number(f"{name} {metric}", number)
            for metric, number in items(name, value.items(), empty=True)}


#: Each key of the ledger's format and its check (a value of None counts as absent).
ROW_CHECKS: dict[str, Callable[[str, object], Any]] = {
    "kind": lambda name, value: choice(name, value, KINDS),
    "model": text, "gpu": text, "engine": text, "id": text,
    "gpus": positive_int, "tp": _bounded(GPUS), "ep": _bounded(GPUS),
    "weight_precision": lambda name, value: choice(name, value, WEIGHT_DTYPES),
    "kv_precision": lambda name, value: choice(name, value, KV_DTYPES),
    "input_tokens": _bounded(SEQUENCE_TOKENS), "output_tokens": _bounded(SEQUENCE_TOKENS),
    "concurrency": positive_int, "random_range_ratio": unit_interval,
    "num_requests": _bounded(REQUESTS),
    "expert_parallel": _flag, "dp_attention": _flag, "measured": _measured,
}
#: The keys :func:`replica` needs; :func:`predict` needs these and the lengths and kind.
REPLICA_KEYS = ("model", "gpu", "gpus", "weight_precision")
PREDICT_KEYS = ("kind", *REPLICA_KEYS, "input_tokens", "output_tokens")


def check_row(row: object, needs: Iterable[str] = ()) -> dict[str, Any]:
    """``row``'s value for each key of :data:`ROW_CHECKS` (None where absent), checked:
    a ValueError names the key, the value and what it may be. The keys in ``needs`` must be
    given (not None); keys the format does not know are ignored.

    >>> check_row({"gpus": 8, "tp": 2, "notes": "any"}, needs=["gpus"])["tp"]
    2
    >>> check_row({"gpus": 8, "tp": True})
    Traceback (most recent call last):
        ...
    ValueError: tp must be an integer >= 1, got True
    >>> check_row({"gpus": 8}, needs=["model", "gpu", "gpus"])
    Traceback (most recent call last):
        ...
    ValueError: row lacks model, gpu (absent or None); it needs model, gpu, gpus
    >>> check_row(["llama-3.1-8b", "h100-sxm"])
    Traceback (most recent call last):
        ...
    ValueError: row must be a mapping of a benchmark's settings (kind, model, gpu, gpus ...), got ['llama-3.1-8b', 'h100-sxm']
    """
    wanted = [choice("needs", key, ROW_CHECKS) for key in items("needs", needs, empty=True)]
    if not isinstance(row, Mapping):
        raise ValueError("row must be a mapping of a benchmark's settings (kind, model, gpu, "
                         f"gpus ...), got {describe(row)}")
    missing = [key for key in wanted if row.get(key) is None]
    if missing:
        raise ValueError(f"row lacks {', '.join(missing)} (absent or None); "
                         f"it needs {', '.join(wanted)}")
    values = {key: row.get(key) for key in ROW_CHECKS}
    return {key: None if value is None else ROW_CHECKS[key](key, value)
            for key, value in values.items()}


# -- predictions ---------------------------------------------------------------------------

def engine_id(row: Mapping[str, Any], engine: str | None = None) -> str:
    """The preset a row is predicted under: ``engine`` if given, else the row's own.

    >>> engine_id({"engine": "TensorRT-LLM"}), engine_id({"engine": "sglang"}, "vllm")
    ('trtllm', 'vllm')
    """
    return _engine_id(check_row(row, () if engine is not None else ("engine",)), engine)


def _engine_id(r: dict[str, Any], engine: object) -> str:
    if engine is None and r["engine"] is None:
        raise ValueError("row lacks engine (absent or None) and no engine argument names a "
                         "preset")
    name = r["engine"].lower() if engine is None else text("engine", engine)
    return get_engine(ALIASES.get(name, name)).id


def replica(row: Mapping[str, Any], *, engine: str | None = None,
            **overrides: Any) -> tuple[Engine, int]:
    """The simulated replica of a row, and how many replicas its GPUs hold.

    ``overrides`` go to :class:`~servecalc.deployment.Deployment` (``mbu``, ``mfu``,
    ``overhead_s``) or to :class:`~servecalc.sim.Engine` (``request_overhead_s``,
    ``max_batch``, ``memory_utilization``): what a fit varies.
    """
    return _replica(check_row(row, REPLICA_KEYS), engine, overrides)


def _replica(r: dict[str, Any], engine: object, overrides: dict[str, Any]) -> tuple[Engine, int]:
    """:func:`replica` of a checked row."""
    gpus = r["gpus"]
    tp = r["tp"] or gpus
    # expert parallelism, with attention tensor- or data-parallel ("DEP"): a unit of
    # ep GPUs (of tp with tensor-parallel attention)
    expert: dict[str, Any] = {}
    if r["expert_parallel"]:
        ep = r["ep"] or gpus
        dp = bool(r["dp_attention"])
        tp = ep if dp else tp
        expert = {"ep": ep, "dp_attention": dp}
    if gpus % tp:
        raise ValueError(f"gpus must be a multiple of tp ({tp}), got {gpus}")
    step_keys = {k: overrides.pop(k) for k in ("mbu", "mfu", "overhead_s") if k in overrides}
    preset = get_engine(_engine_id(r, engine))
    kv = r["kv_precision"] or preset.kv_dtype_for(r["weight_precision"])
    d = Deployment(model=r["model"], gpu=r["gpu"], gpus=tp,
                   weight_dtype=r["weight_precision"], kv_dtype=kv, engine=preset.id,
                   **expert, **step_keys)
    return Engine(d, **overrides), gpus // tp


def _lengths(r: dict[str, Any]) -> tuple[Any, Any]:
    ratio = r["random_range_ratio"]
    ratio = 1.0 if ratio is None else ratio
    return (range_ratio("prompt", r["input_tokens"], ratio),
            range_ratio("output", r["output_tokens"], ratio))


def _requests(r: dict[str, Any], replicas: int) -> tuple[int, int]:
    """(clients, requests) of one replica of a fixed-concurrency row, within the limit."""
    clients = r["concurrency"]
    per_replica = max(1, math.ceil(clients / replicas))
    requests = r["num_requests"] or REQUESTS_PER_CLIENT * clients
    requests = max(per_replica, math.ceil(requests / replicas))
    if requests > REQUESTS.high:
        given = (f"concurrency {clients:,} with num_requests {r['num_requests']:,}"
                 if r["num_requests"] else
                 f"concurrency {clients:,} ({REQUESTS_PER_CLIENT} requests per client without "
                 "num_requests)")
        raise ValueError(f"{given} gives {requests:,} requests per replica; one simulation "
                         f"takes at most {REQUESTS.high:,} ({REQUESTS.what}; see `servecalc "
                         "limits`): lower concurrency or num_requests")
    return per_replica, requests


def predict(row: Mapping[str, Any], *, engine: str | None = None,
            **overrides: Any) -> dict[str, float]:
    """Predicted metrics of one benchmark row (see the module docstring), keyed as the
    row's ``measured``: max-throughput rows give ``output_tokens_per_s_per_gpu``;
    fixed-concurrency rows give all of :data:`METRICS`. ``overrides``: see :func:`replica`.

    >>> predict({"kind": "fixed_concurrency", "model": "llama-3.1-8b", "gpu": "h100-sxm",
    ...          "gpus": 1, "weight_precision": "fp8", "input_tokens": 1000,
    ...          "output_tokens": 200, "concurrency": 10**6, "engine": "ideal"})
    Traceback (most recent call last):
        ...
    ValueError: concurrency 1,000,000 (10 requests per client without num_requests) gives 10,000,000 requests per replica; one simulation takes at most 1,000,000 (requests in one simulation or workload; see `servecalc limits`): lower concurrency or num_requests
    """
    r = check_row(row, PREDICT_KEYS)
    if r["kind"] == "fixed_concurrency" and r["concurrency"] is None:
        raise ValueError("row lacks concurrency (absent or None); a fixed_concurrency row "
                         "needs it")
    sim, replicas = _replica(r, engine, overrides)
    prompt, output = _lengths(r)
    gpus_per_replica = sim.step_model.gpus
    if r["kind"] == "max_throughput":
        # a few batches of the sequences that can run at once (slots, or KV memory)
        held = max(1, min(sim.max_batch, sim.kv_tokens // (prompt.maximum + output.maximum)))
        count = max(256, SATURATION_BATCHES * held)
        rate = saturation_rate(sim, prompt=prompt, output=output, requests=count)
        return {"output_tokens_per_s_per_gpu": rate * output.mean / gpus_per_replica}
    per_replica, requests = _requests(r, replicas)
    work = closed_workload(per_replica, requests, prompt=prompt, output=output)
    result = simulate(sim, work, chart_points=1)
    return {
        "output_tokens_per_s_per_gpu": result.output_throughput_tokens_per_s / gpus_per_replica,
        "tpot_ms_mean": 1000 * result.tpot_s.mean,
        "ttft_ms_mean": 1000 * result.ttft_s.mean,
        "interactivity_tokens_per_s_per_user": result.interactivity_tokens_per_s_per_user,
    }


def errors(row: Mapping[str, Any], predicted: Mapping[str, float]) -> dict[str, float]:
    """Relative error (predicted / measured - 1) of each metric the row measured.

    >>> errors({"measured": {"tpot_ms_mean": 10.0}}, {"tpot_ms_mean": 12.0, "ttft_ms_mean": 1.0})
    {'tpot_ms_mean': 0.19999999999999996}
    """
    measured = check_row(row, ("measured",))["measured"]
    if not isinstance(predicted, Mapping):
        raise ValueError(f"predicted must map metrics ({', '.join(METRICS)}) to numbers, "
                         f"got {describe(predicted)}")
    out = {}
    for metric, value in measured.items():
        if metric in predicted:
            guess = non_negative_number(f"predicted {metric}", predicted[metric])
            out[metric] = finite_result("ratio", guess / value, f"measured {metric}") - 1
    return out


# -- fitted presets: the parameters a fit varies, and leave-one-out -----------------------

#: Where the fit (tools/fit_engines.py) keeps each row's leave-one-out parameters.
FIT_FILE = "engine_fit.json"


def scaled_overrides(row: Mapping[str, Any], *, engine: str | None = None, speed: float = 1.0,
                     fixed: float = 1.0, request_s: float | None = None,
                     per_outstanding_s: float | None = None) -> dict[str, float]:
    """The step and request overrides of a preset scaled as a fit scales it: kernel
    efficiencies (``mbu``, ``mfu``) times ``speed`` (at most 1), per-layer and per-MoE-layer
    costs times ``fixed``, and the request overhead's parts set to ``request_s`` and
    ``per_outstanding_s`` (``None``: the preset's for the row).

    >>> row = {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1, "tp": 1,
    ...        "weight_precision": "bf16", "engine": "ideal"}
    >>> scaled_overrides(row, speed=1.5)
    {'mbu': 0.9299999999999999, 'mfu': 0.675, 'overhead_s': 0.0003, 'request_overhead_s': 0.0, 'request_overhead_per_outstanding_s': 0.0}
    """
    speed = positive_number("speed", speed)
    fixed = non_negative_number("fixed", fixed)
    if request_s is not None:
        request_s = non_negative_number("request_s", request_s)
    if per_outstanding_s is not None:
        per_outstanding_s = non_negative_number("per_outstanding_s", per_outstanding_s)
    sim, _ = _replica(check_row(row, REPLICA_KEYS), engine, {})
    d = sim.step_model.deployment
    preset = get_engine(d.engine)
    base = preset.efficiency(d.gpu, d.compute_dtype, architecture_of(d.model))
    own = preset.request_overheads(d.gpu, d.compute_dtype, architecture_of(d.model))
    spec = d.model
    moe_layers = spec.num_layers - spec.first_dense_layers if spec.num_experts else 0
    overhead = base.step_s + fixed * (base.layer_s * spec.num_layers + base.moe_layer_s * moe_layers)
    return {"mbu": min(1.0, base.mbu * speed), "mfu": min(1.0, base.mfu * speed),
            "overhead_s": overhead,
            "request_overhead_s": own[0] if request_s is None else request_s,
            "request_overhead_per_outstanding_s":
                own[1] if per_outstanding_s is None else per_outstanding_s}


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
    found = _fit_document()["leave_one_out"].get(check_row(row, ("id",))["id"])
    return None if found is None else dict(found)
