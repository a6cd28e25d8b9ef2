"""Published serving measurements with their exact settings (the accuracy ledger's data).

``serving_benchmarks.json`` (next to this module) is a list of rows, one
published number each: where it comes from (``source``: title, url, date), how
it was run (``kind``: ``max_throughput`` for an offline, everything-queued
benchmark such as ``trtllm-bench throughput``; ``fixed_concurrency`` for C
clients each sending its next request when the last one completes, as
``vllm bench serve --max-concurrency``, AIPerf and InferenceMAX drive a
server), the engine, the catalog model and GPU, the parallel layout (``gpus``,
``tp``, ``ep``, ``pp``), the precisions, the prompt and output lengths and
the concurrency, and what was measured (:data:`METRICS`). A row the library
cannot express (a model or GPU the catalog lacks, pipeline or expert
parallelism) keeps ``expressible: false`` and its ``reason``.

The numbers are transcribed from the sources' tables, never read off a chart;
where a source prints a total for several GPUs the row divides it by ``gpus``
and its ``notes`` say so.

Sources and their terms: the TensorRT-LLM performance-overview tables are
from NVIDIA's TensorRT-LLM repository (Apache License 2.0; the rows cite the
file at the commit read); the NIM rows are from NVIDIA's NIM benchmarking
documentation (no licence stated; facts quoted with attribution); the
InferenceX rows (SemiAnalysis's benchmark, formerly InferenceMAX: its harness
is Apache-2.0, its web app GPL-3.0) are the single-node DeepSeek-R1 runs of
the snapshot of its results API that the app keeps as a test fixture, each
with the GitHub Actions run that produced it in ``notes``. Disaggregated
multi-node runs are left out (the snapshot does not state how their per-GPU
figures are normalised), and so is one run whose throughput, TTFT and TPOT
disagree with each other by more than 10 %. Each row's
``source`` gives the page, and ``date_note`` how its date was established
where the page carries none.

>>> rows = load()
>>> len(rows) >= 100, all(r["source"]["url"].startswith("https://") for r in rows)
(True, True)
>>> row = by_id("trtllm-v1.0-llama-3.1-8b-h100-sxm-tp1-fp8-128-128")
>>> row["measured"]["output_tokens_per_s_per_gpu"], row["engine"], row["expressible"]
(28312.0, 'trtllm', True)
>>> check_row({"id": "x"})
Traceback (most recent call last):
    ...
ValueError: serving benchmark 'x' lacks source, kind, engine, model, gpu, gpus, tp, ep, weight_precision, kv_precision, input_tokens, output_tokens, concurrency, measured, expressible
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from servecalc.catalog import entries
from servecalc.precision import KV_DTYPES, WEIGHT_DTYPES

KINDS = ("max_throughput", "fixed_concurrency")
#: What a row may report, and in which unit (mean over requests, as the sources print it).
METRICS = {
    "output_tokens_per_s_per_gpu": "output tokens/s per GPU",
    "tpot_ms_mean": "ms, mean time per output token",
    "ttft_ms_mean": "ms, mean time to first token",
    "interactivity_tokens_per_s_per_user": "output tokens/s of one request",
}
REQUIRED = ("id", "source", "kind", "engine", "model", "gpu", "gpus", "tp", "ep",
            "weight_precision", "kv_precision", "input_tokens", "output_tokens",
            "concurrency", "measured", "expressible")
FILE = "serving_benchmarks.json"


def _positive_int(row: dict[str, Any], key: str) -> None:
    value = row[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"serving benchmark {row['id']!r}: {key} must be a positive integer, "
                         f"got {value!r}")


def _check_source(row: dict[str, Any]) -> None:
    source = row["source"]
    if not isinstance(source, dict) or not all(
            isinstance(source.get(k), str) and source[k] for k in ("title", "url", "date")):
        raise ValueError(f"serving benchmark {row['id']!r}: source must give title, url and "
                         f"date, got {source!r}")


def _check_measured(row: dict[str, Any]) -> None:
    measured = row["measured"]
    if not isinstance(measured, dict) or not measured:
        raise ValueError(f"serving benchmark {row['id']!r}: measured must name at least one "
                         f"metric, got {measured!r}")
    for key, value in measured.items():
        if key not in METRICS:
            raise ValueError(f"serving benchmark {row['id']!r}: measured metric must be one of "
                             f"{', '.join(METRICS)}, got {key!r}")
        if not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"serving benchmark {row['id']!r}: measured {key} must be a "
                             f"positive number, got {value!r}")


def _check_catalog(row: dict[str, Any]) -> None:
    models = {e["id"] for e in entries("models")}
    gpus = {e["id"] for e in entries("gpus")}
    if row["model"] not in models or row["gpu"] not in gpus:
        raise ValueError(f"serving benchmark {row['id']!r} is expressible but names a model or "
                         f"GPU outside the catalog: {row['model']!r} on {row['gpu']!r}")
    if row["weight_precision"] not in WEIGHT_DTYPES:
        raise ValueError(f"serving benchmark {row['id']!r}: weight_precision must be one of "
                         f"{', '.join(WEIGHT_DTYPES)}, got {row['weight_precision']!r}")
    if row["kv_precision"] is not None and row["kv_precision"] not in KV_DTYPES:
        raise ValueError(f"serving benchmark {row['id']!r}: kv_precision must be one of "
                         f"{', '.join(KV_DTYPES)} or null, got {row['kv_precision']!r}")


def check_row(row: dict[str, Any]) -> dict[str, Any]:
    """Raise ``ValueError`` naming the row and the field where ``row`` is malformed;
    return it unchanged otherwise (see the module docstring for the fields)."""
    missing = [k for k in REQUIRED if k not in row]
    if missing:
        raise ValueError(f"serving benchmark {row.get('id')!r} lacks {', '.join(missing)}")
    _check_source(row)
    if row["kind"] not in KINDS:
        raise ValueError(f"serving benchmark {row['id']!r}: kind must be one of "
                         f"{', '.join(KINDS)}, got {row['kind']!r}")
    for key in ("gpus", "tp", "input_tokens", "output_tokens"):
        _positive_int(row, key)
    if row["kind"] == "fixed_concurrency":
        _positive_int(row, "concurrency")
    elif row["concurrency"] is not None:
        raise ValueError(f"serving benchmark {row['id']!r}: a max_throughput row has "
                         f"concurrency null, got {row['concurrency']!r}")
    _check_measured(row)
    if row["expressible"]:
        _check_catalog(row)
    elif not row.get("reason"):
        raise ValueError(f"serving benchmark {row['id']!r} is not expressible and gives no reason")
    return row


@lru_cache(maxsize=1)
def load() -> tuple[dict[str, Any], ...]:
    """Every row of ``serving_benchmarks.json``, each checked by :func:`check_row`
    (ids unique). The rows are the file's dictionaries: treat them as read-only."""
    text = resources.files(__package__).joinpath(FILE).read_text(encoding="utf-8")
    rows = tuple(check_row(row) for row in json.loads(text))
    ids = [row["id"] for row in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"serving benchmark ids must be unique, repeated: {', '.join(duplicates)}")
    return rows


def by_id(row_id: str) -> dict[str, Any]:
    """The row with id ``row_id``.

    >>> by_id("no-such-row")
    Traceback (most recent call last):
        ...
    ValueError: row_id must name a serving benchmark, got 'no-such-row'
    """
    for row in load():
        if row["id"] == row_id:
            return row
    raise ValueError(f"row_id must name a serving benchmark, got {row_id!r}")
