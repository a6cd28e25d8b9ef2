"""Request latency: time to first token, time per output token, end to end.

A request with a ``prompt`` of P tokens and ``output`` of O tokens runs one
prefill step (which also yields the first output token) and then O - 1 decode
steps. Decode step j (j = 1 ... O - 1) attends to P + j tokens.

* ``ttft_s``: the prefill step of ``batch`` prompts run together (no queueing).
* ``tpot_s``: one decode step at the *average* context over the generation,
  P + O / 2 tokens. Step time grows linearly with context inside one regime
  (memory- or compute-bound), so this equals the mean step time exactly unless
  the step changes regime part-way; then it is close.
* ``e2e_s = ttft_s + (O - 1) x tpot_s`` (summed with ``math.fsum``).
* ``tokens_per_s``: decode tokens per second of the whole batch,
  ``batch / tpot_s``.

Every function takes a :class:`~servecalc.deployment.Deployment` (or a model
and a GPU, for a deployment with the step model's defaults).

>>> from servecalc.units import fmt_duration, fmt_number
>>> d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", mbu=0.62, mfu=0.45, overhead_s=0.0003)
>>> r = request_latency(d, prompt=1000, output=200)
>>> fmt_duration(r.ttft_s, "ms"), fmt_duration(r.tpot_s, "ms", digits=2)
('32.8 ms', '7.60 ms')
>>> fmt_duration(r.e2e_s, "s", digits=2), fmt_number(r.tokens_per_s, 0)
('1.54 s', '132')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .deployment import Deployment, DeploymentLike, GpuLike
from .step import StepModel
from .validate import describe, items, positive_int


@dataclass(frozen=True, kw_only=True)
class LatencyResult:
    """Latency of one request in a static batch of ``batch`` identical requests."""

    prompt: int
    output: int
    batch: int
    ttft_s: float
    tpot_s: float
    e2e_s: float
    tokens_per_s: float
    average_context: float
    prefill_bound: str
    decode_bound: str


def _average_context(prompt: int, output: int) -> float:
    """Mean context of decode steps j = 1 ... output - 1: prompt + output / 2."""
    return prompt + output / 2


def latency_from_step_model(
    sm: StepModel, *, prompt: int, output: int, batch: int = 1
) -> LatencyResult:
    """:func:`request_latency` on a prepared :class:`~servecalc.step.StepModel`.

    >>> sm = StepModel("llama-3.1-8b", "h100-sxm")
    >>> latency_from_step_model(sm, prompt=1000, output=1).e2e_s == sm.prefill_time_s(1000)
    True
    """
    if not isinstance(sm, StepModel):
        raise ValueError(f"sm must be a StepModel, got {describe(sm)}")
    positive_int("prompt", prompt)
    positive_int("output", output)
    positive_int("batch", batch)
    prefill = sm.prefill(prompt, 0, batch)
    average = _average_context(prompt, output)
    decode = sm.decode_total(batch, round(batch * average))
    tpot = decode.seconds
    e2e = math.fsum([prefill.seconds, (output - 1) * tpot])
    return LatencyResult(
        prompt=prompt,
        output=output,
        batch=batch,
        ttft_s=prefill.seconds,
        tpot_s=tpot,
        e2e_s=e2e,
        tokens_per_s=batch / tpot,
        average_context=average,
        prefill_bound=prefill.bound,
        decode_bound=decode.bound,
    )


def request_latency(deployment: DeploymentLike, gpu: GpuLike = None, *, prompt: int, output: int,
                    batch: int = 1) -> LatencyResult:
    """TTFT, TPOT and end-to-end latency of a request (see the module docstring).

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> r = request_latency(d, prompt=512, output=128)
    >>> r.prefill_bound, r.decode_bound
    ('compute', 'memory')
    >>> request_latency("llama-3.1-8b", "h100-sxm", prompt=0, output=8)
    Traceback (most recent call last):
        ...
    ValueError: prompt must be an integer >= 1, got 0
    """
    positive_int("prompt", prompt)
    positive_int("output", output)
    positive_int("batch", batch)
    sm = StepModel(deployment, gpu)
    return latency_from_step_model(sm, prompt=prompt, output=output, batch=batch)


@dataclass(frozen=True, kw_only=True)
class ThroughputPoint:
    """One point of a decode throughput curve."""

    batch: int
    step_s: float
    tpot_s: float
    tokens_per_s: float
    bound: str


def decode_throughput_curve(deployment: DeploymentLike, gpu: GpuLike = None, *,
                            batches: Iterable[int], context: int) -> list[ThroughputPoint]:
    """Decode tokens/s against batch size, every sequence at ``context`` tokens.

    Throughput rises almost linearly while decode is memory-bound (the weights
    are read once for the whole batch) and flattens once it turns
    compute-bound or the KV reads dominate.

    >>> pts = decode_throughput_curve("llama-3.1-8b", "h100-sxm", batches=[1, 8, 64], context=1024)
    >>> [p.bound for p in pts]
    ['memory', 'memory', 'memory']
    >>> pts[0].tokens_per_s < pts[1].tokens_per_s < pts[2].tokens_per_s
    True
    """
    positive_int("context", context)
    sm = StepModel(deployment, gpu)
    points = []
    for batch in items("batches", batches, empty=True):
        result = sm.decode(positive_int("batches[i]", batch), context)
        points.append(
            ThroughputPoint(
                batch=batch,
                step_s=result.seconds,
                tpot_s=result.seconds,
                tokens_per_s=batch / result.seconds,
                bound=result.bound,
            )
        )
    if not points:
        raise ValueError("batches must hold at least one batch size, got none")
    return points
