"""Diagrams for chapters: ``{{ calc.diagram_...(...) }}`` placeholders that return a figure.

Each function draws one of :mod:`fieldguide.diagrams` for literal arguments and
returns an HTML ``<figure>`` on several lines (so the numbers hook inserts it
as a block, not as an inline number). Its ID comes from its arguments, so two
diagrams on a page never share one.

>>> html = diagram_memory("llama-3.1-8b", "h100-sxm", context=8192, vary="kv_dtype", values=["bf16", "fp8"])
>>> html.count("<figure"), html.count("\\n") > 1, 'role="img"' in html
(1, True, True)
>>> diagram_memory("llama-3.1-8b", "h100-sxm", vary="colour", values=["red"])
Traceback (most recent call last):
    ...
ValueError: vary must be one of gpus, context, weight_dtype, kv_dtype, got 'colour'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from servecalc.deployment import Deployment
from servecalc.prices import get_price
from servecalc.units import fmt_int

from fieldguide.diagrams.batching import batching_timeline
from fieldguide.diagrams.hour import gpu_hour
from fieldguide.diagrams.memory import memory_bars
from fieldguide.diagrams.request_path import request_path
from fieldguide.diagrams.roofline import roofline
from fieldguide.diagrams.timeline import prefill_decode_timeline

_VARY = ("gpus", "context", "weight_dtype", "kv_dtype")


def _slug(kind: str, *args: object) -> str:
    return f"{kind}-{hashlib.sha256(repr(args).encode()).hexdigest()[:8]}"


def diagram_request_path(model: str, gpu: str, gpus: int = 1, *, prompt: int, output: int,
                         batch: int, weight_dtype: str = "bf16") -> str:
    """The path of one request through the stack, with its TTFT and TPOT."""
    d = Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype)
    return request_path(d, prompt=prompt, output=output, batch=batch,
                        slug=_slug("path", model, gpu, gpus, prompt, output, batch, weight_dtype))


def diagram_timeline(model: str, gpu: str, gpus: int = 1, *, prompt: int, output: int,
                     batch: int) -> str:
    """Prefill and decode of one request, whole and zoomed."""
    d = Deployment(model=model, gpu=gpu, gpus=gpus)
    return prefill_decode_timeline(d, prompt=prompt, output=output, batch=batch,
                                   slug=_slug("timeline", model, gpu, gpus, prompt, output, batch))


def _label(vary: str | None, value: object) -> str:
    return {None: "this deployment", "gpus": f"{value} GPU{'s' if value != 1 else ''} (TP {value})",
            "context": f"{fmt_int(value)}-token context" if isinstance(value, int) else str(value),
            "weight_dtype": f"{value} weights", "kv_dtype": f"{value} KV cache"}[vary]


def diagram_memory(model: str, gpu: str, gpus: int = 1, *, context: int = 4096,
                   weight_dtype: str = "bf16", kv_dtype: str = "bf16", vary: str | None = None,
                   values: Sequence[object] = ()) -> str:
    """One GPU's memory (weights, KV cache, the rest); with ``vary``, a bar per value of that argument."""
    if vary is not None and vary not in _VARY:
        raise ValueError(f"vary must be one of {', '.join(_VARY)}, got {vary!r}")
    base = dict(gpus=gpus, context=context, weight_dtype=weight_dtype, kv_dtype=kv_dtype)
    rows = []
    for value in (values if vary else [None]):
        v = base | ({vary: value} if vary else {})
        rows.append((_label(vary, value), model, gpu, v["gpus"], v["weight_dtype"], v["kv_dtype"],
                     v["context"]))
    return memory_bars(rows, slug=_slug("memory", model, gpu, base, vary, tuple(values)))


def diagram_batching(model: str, gpu: str, gpus: int = 1, *, policy: str, rate: float, requests: int,
                     prompt: int, output: int | str, seed: int = 1, max_batch: int | None = None) -> str:
    """Simulated requests joining and leaving the batch under ``policy``."""
    d = Deployment(model=model, gpu=gpu, gpus=gpus)
    return batching_timeline(d, policy=policy, rate=rate, requests=requests, prompt=prompt,
                             output=output, seed=seed, max_batch=max_batch,
                             slug=_slug("batching", model, gpu, gpus, policy, rate, requests, prompt,
                                        output, seed, max_batch))


def diagram_roofline(model: str, gpu: str, gpus: int = 1, *, context: int, batches: Sequence[int],
                     chosen: int, weight_dtype: str = "bf16") -> str:
    """The roofline with decode steps at ``batches``, ``chosen`` marked."""
    d = Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype)
    return roofline(d, context=context, batches=list(batches), chosen=chosen,
                    slug=_slug("roofline", model, gpu, gpus, context, tuple(batches), chosen, weight_dtype))


def diagram_gpu_hour(model: str, gpu: str, gpus: int = 1, *, batch: int, prompt: int, output: int,
                     utilization: float, price_usd_per_hour: float | None = None) -> str:
    """Where an hour of the cluster goes; the price per GPU-hour is the catalog's unless given."""
    d = Deployment(model=model, gpu=gpu, gpus=gpus)
    price = price_usd_per_hour if price_usd_per_hour is not None else get_price(gpu).price_usd_per_hour
    return gpu_hour(d, price_usd_per_hour=price, batch=batch, prompt=prompt, output=output,
                    utilization=utilization,
                    slug=_slug("hour", model, gpu, gpus, batch, prompt, output, utilization, price))
