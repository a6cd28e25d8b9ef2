"""The public accuracy ledger: every published serving measurement against the prediction.

Each row of :mod:`~fieldguide.validation.serving` gives one entry per metric it
measured: the published value, the library's prediction for the same setting
(model, GPU, layout, precisions, lengths, concurrency, engine), and the signed
relative error ``(predicted - measured) / measured``. A row the library
cannot express keeps its entries, with the reason and no prediction.

A *predictor* is any function ``predict(row) -> {metric: value}`` (the
metrics of :data:`~fieldguide.validation.serving.METRICS`, in their units);
it raises ``ValueError`` for a setting it cannot run. Where the presets were
fitted to these measurements, a *leave-one-out* predictor
``loo(rows) -> {row id: {metric: value}}`` predicts each row from a fit that
never saw it; the ledger shows both.

:data:`TARGETS` are the accuracy the guide aims for, stated before the fit:
median absolute error at most 10 % for max-throughput output tokens/s per
GPU; at most 20 % for fixed-concurrency output tokens/s per GPU and mean
TPOT; at most 30 % for fixed-concurrency mean TTFT.

>>> entries = build(interim_predict)
>>> len({e.row["id"] for e in entries}) == len(load())
True
>>> [t.metric for t in TARGETS]
['output_tokens_per_s_per_gpu', 'output_tokens_per_s_per_gpu', 'tpot_ms_mean', 'ttft_ms_mean']
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from servecalc.capacity import fit_deployment
from servecalc.deployment import Deployment
from servecalc.slo import operating_point

from .serving import load

Row = Mapping[str, Any]
Prediction = dict[str, float]
Predictor = Callable[[Row], Prediction]
LeaveOneOut = Callable[[tuple[Row, ...]], Mapping[str, Prediction]]

#: Interim predictor: most sequences in flight (a scheduler cap, as vLLM's
#: ``max_num_seqs`` on large GPUs), until the engine presets say.
INTERIM_MAX_BATCH = 1024


@dataclass(frozen=True, kw_only=True)
class Target:
    """A stated accuracy target: median absolute error of one metric of one kind of run."""

    kind: str
    metric: str
    bound: float
    label: str


TARGETS = (
    Target(kind="max_throughput", metric="output_tokens_per_s_per_gpu", bound=0.10,
           label="max-throughput runs, output tokens/s per GPU"),
    Target(kind="fixed_concurrency", metric="output_tokens_per_s_per_gpu", bound=0.20,
           label="fixed-concurrency runs, output tokens/s per GPU"),
    Target(kind="fixed_concurrency", metric="tpot_ms_mean", bound=0.20,
           label="fixed-concurrency runs, mean TPOT"),
    Target(kind="fixed_concurrency", metric="ttft_ms_mean", bound=0.30,
           label="fixed-concurrency runs, mean TTFT"),
)


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One metric of one published row: measured, predicted (``None`` with a ``reason``
    where the row cannot be expressed or predicted), errors with and without the row
    in the fit (``loo_*``: ``None`` where no fitted preset is involved)."""

    row: Row
    metric: str
    measured: float
    predicted: float | None
    error: float | None
    loo_predicted: float | None
    loo_error: float | None
    reason: str


def _mean_length(row: Row, key: str) -> int:
    """Requests drawn uniformly between ``r x N`` and ``N`` average ``(1 + r) / 2 x N``."""
    ratio = row.get("random_range_ratio", 1.0)
    return max(1, round((1 + ratio) / 2 * row[key]))


def interim_predict(row: Row) -> Prediction:
    """Today's library, one set of efficiencies for every engine: continuous batching in
    steady state (:func:`servecalc.slo.operating_point`) at the most sequences that fit
    in memory (at most :data:`INTERIM_MAX_BATCH`) for a max-throughput run, or at the
    concurrency for a fixed-concurrency run (clients beyond what fits wait in a queue:
    Little's law gives their time to first token).

    >>> p = interim_predict({"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1, "tp": 1,
    ...     "weight_precision": "fp8", "kv_precision": None, "input_tokens": 1000,
    ...     "output_tokens": 1000, "kind": "fixed_concurrency", "concurrency": 1})
    >>> round(p["tpot_ms_mean"], 2) < 10 < p["interactivity_tokens_per_s_per_user"]
    True
    """
    deployment = Deployment(model=row["model"], gpu=row["gpu"], gpus=row["tp"],
                            weight_dtype=row["weight_precision"],
                            kv_dtype=row["kv_precision"] or "bf16")
    prompt, output = _mean_length(row, "input_tokens"), _mean_length(row, "output_tokens")
    fits = fit_deployment(deployment, context=prompt + output).max_batch
    if fits < 1:
        raise ValueError(f"one sequence of {prompt + output} tokens does not fit")
    slots = min(fits, INTERIM_MAX_BATCH)
    clients = row["concurrency"] or slots
    point = operating_point(deployment, batch=min(clients, slots), prompt=prompt, output=output)
    requests_per_s = point.requests_per_s if clients > slots else clients / point.e2e_s
    in_system_s = clients / requests_per_s  # Little's law over the closed loop
    ttft = max(point.ttft_s, in_system_s - (output - 1) * point.tpot_s)
    return {
        "output_tokens_per_s_per_gpu": requests_per_s * output / row["gpus"],
        "tpot_ms_mean": point.tpot_s * 1000,
        "ttft_ms_mean": ttft * 1000,
        "interactivity_tokens_per_s_per_user": 1 / point.tpot_s,
    }


def _error(predicted: float | None, measured: float) -> float | None:
    return None if predicted is None else (predicted - measured) / measured


def _entries(row: Row, predicted: Prediction | None, loo: Prediction | None,
             reason: str) -> list[Entry]:
    out = []
    for metric, measured in row["measured"].items():
        value = None if predicted is None else predicted.get(metric)
        after = None if loo is None else loo.get(metric)
        out.append(Entry(row=row, metric=metric, measured=float(measured), predicted=value,
                         error=_error(value, measured), loo_predicted=after,
                         loo_error=_error(after, measured),
                         reason=reason or ("" if value is not None else "not predicted")))
    return out


def build(predict: Predictor = interim_predict, loo: LeaveOneOut | None = None,
          rows: Iterable[Row] | None = None) -> tuple[Entry, ...]:
    """Every metric of every row (default: all of :func:`~.serving.load`), predicted by
    ``predict`` and, if given, by ``loo``'s leave-one-out fits."""
    rows = tuple(load() if rows is None else rows)
    held_out = dict(loo(tuple(r for r in rows if r["expressible"]))) if loo else {}
    entries: list[Entry] = []
    for row in rows:
        if not row["expressible"]:
            entries += _entries(row, None, None, row["reason"])
            continue
        try:
            predicted, reason = predict(row), ""
        except ValueError as error:
            predicted, reason = None, f"cannot be predicted: {error}"
        for metric, value in (predicted or {}).items():
            if not math.isfinite(value):
                raise ValueError(f"row {row['id']!r}: predicted {metric} is not finite: {value!r}")
        entries += _entries(row, predicted, held_out.get(row["id"]), reason)
    return tuple(entries)


def median(values: Iterable[float]) -> float | None:
    """The median (``None`` for no values).

    >>> median([3.0, 1.0, 2.0]), median([1.0, 4.0]), median([])
    (2.0, 2.5, None)
    """
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else math.fsum(ordered[mid - 1:mid + 1]) / 2


def median_abs_error(entries: Iterable[Entry], *, loo: bool = False) -> float | None:
    """Median of ``|error|`` (or ``|loo_error|``) over the entries that have one."""
    values = [e.loo_error if loo else e.error for e in entries]
    return median(abs(v) for v in values if v is not None)


@dataclass(frozen=True, kw_only=True)
class TargetStatus:
    """A target against the ledger: how many entries, their median error, met or not."""

    target: Target
    predicted: int
    median: float | None
    loo_median: float | None
    met: bool


def targets(entries: Iterable[Entry]) -> tuple[TargetStatus, ...]:
    """Each of :data:`TARGETS` with the median error of its entries (met: the
    leave-one-out median where there is one, else the plain one, within the bound)."""
    entries = tuple(entries)
    out = []
    for t in TARGETS:
        mine = [e for e in entries if e.row["kind"] == t.kind and e.metric == t.metric]
        plain, held = median_abs_error(mine), median_abs_error(mine, loo=True)
        judged = held if held is not None else plain
        out.append(TargetStatus(target=t, predicted=sum(e.error is not None for e in mine),
                                median=plain, loo_median=held,
                                met=judged is not None and judged <= t.bound))
    return tuple(out)


def by_source(entries: Iterable[Entry]) -> list[tuple[str, str, str, int, float | None]]:
    """(source title, kind, metric, entries predicted, median |error|) per source and metric,
    in the order the sources first appear."""
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for e in entries:
        if e.error is not None:
            key = (e.row["source"]["title"], e.row["kind"], e.metric)
            groups.setdefault(key, []).append(e)
    return [(title, kind, metric, len(group), median_abs_error(group))
            for (title, kind, metric), group in groups.items()]


CACHE_FILE = "ledger_predictions.json"
_INPUTS = (("serving_benchmarks.json", "fieldguide.validation"), ("engines.json", "servecalc.catalog"),
           ("engine_fit.json", "servecalc.catalog"), ("benchmarks.py", "servecalc"))


def fingerprint() -> dict[str, str | None]:
    """A short hash of each input the cached predictions depend on (``None``: absent).

    >>> sorted(fingerprint())
    ['benchmarks.py', 'engine_fit.json', 'engines.json', 'serving_benchmarks.json']
    """
    out: dict[str, str | None] = {}
    for name, package in _INPUTS:
        try:
            path = resources.files(package).joinpath(name)
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else None
        except ModuleNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=1)
def _cache() -> dict | None:
    path = resources.files(__package__).joinpath(CACHE_FILE)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def cache_is_fresh() -> bool:
    """Whether the cached predictions were computed from today's inputs (see
    ``tools/ledger_predictions.py``); False when there is no cache."""
    document = _cache()
    return document is not None and document["inputs"] == fingerprint()


def _cached_predict(row: Row) -> Prediction:
    found = _cache()["predictions"].get(row["id"])
    if found is None:
        raise ValueError("not in the cached predictions (rerun tools/ledger_predictions.py)")
    if found["error"]:
        raise ValueError(found["error"])
    return dict(found["predicted"])


def _cached_loo(rows: tuple[Row, ...]) -> dict[str, Prediction]:
    table = _cache()["predictions"]
    return {r["id"]: dict(table[r["id"]]["loo"]) for r in rows
            if table.get(r["id"], {}).get("loo")}


def predictor() -> tuple[Predictor, LeaveOneOut | None, str]:
    """The predictor the site's ledger uses, its leave-one-out form (``None``: nothing
    was fitted to these rows) and a phrase saying what it is: the engine presets'
    simulations (:func:`servecalc.benchmarks.predict`) as ``tools/ledger_predictions.py``
    cached them, else the interim steady-state model.

    >>> predict, loo, label = predictor()
    >>> callable(predict), isinstance(label, str)
    (True, True)
    """
    document = _cache()
    if document is None:
        return (interim_predict, None,
                "today's library with one set of efficiencies for every engine and GPU "
                "(continuous batching in steady state; no engine presets yet)")
    has_loo = any(p.get("loo") for p in document["predictions"].values())
    label = ("the engine presets: each row simulated under the preset of the engine that "
             "ran it, with its own lengths, layout, precisions and concurrency")
    if not cache_is_fresh():
        label += (" (computed for an earlier version of the presets or of the ledger: "
                  "rerun tools/ledger_predictions.py)")
    return _cached_predict, (_cached_loo if has_loo else None), label
