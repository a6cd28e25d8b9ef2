"""Latency targets (SLOs): presets, the best throughput that meets one, goodput.

An SLO here is a pair of limits on time to first token (TTFT) and time per
output token (TPOT), checked at a percentile of requests.

Presets are MLPerf Inference's server-scenario limits, copied from the
benchmark's own configuration file, ``loadgen/mlperf.conf`` in
https://github.com/mlcommons/inference (keys ``<model>.Server.ttft_latency``
and ``<model>.Server.tpot_latency``, in milliseconds; the server scenario
checks the 99th percentile, ``*.Server.target_latency_percentile = 99``).
The Llama-2-70B "interactive" scenario was added in MLPerf Inference v5.0:
MLCommons, "MLPerf Inference v5.0 Advances Language Model Capabilities for
GenAI", https://mlcommons.org/2025/04/llm-inference-v5/ (2025-04).

>>> s = PRESETS["mlperf-llama2-70b-server"]
>>> s.ttft_s, s.tpot_s, s.percentile
(2.0, 0.2, 99.0)
>>> i = PRESETS["mlperf-llama2-70b-interactive"]
>>> i.ttft_s, i.tpot_s
(0.45, 0.04)

The operating-point model (continuous batching in steady state, ``batch``
slots always full, every request ``prompt`` in and ``output`` out):

* a decode step runs all ``batch`` sequences at the average context
  ``prompt + output / 2``;
* to keep the slots full, ``batch / (output - 1)`` requests join per decode
  step, and each join costs a prefill step of ``prompt`` tokens that every
  running sequence waits for (prefill-first scheduling, no chunking). So a
  running sequence sees ``tpot = decode_step + batch / (output - 1) x
  prefill``;
* a new request waits for the step in flight, then for its own prefill:
  ``ttft = decode_step + prefill`` (no queueing: the arrival rate is what the
  point can serve);
* throughput: ``batch x output / ((output - 1) x tpot)`` output tokens per
  second, i.e. ``batch / ((output - 1) x tpot)`` requests per second, which is
  Little's law with ``batch`` requests in flight for ``(output - 1) x tpot``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .capacity import DEFAULT_MEMORY_UTILIZATION, fit_deployment
from .deployment import Deployment, DeploymentLike, GpuLike
from .step import StepModel
from .validate import items, lookup, non_negative_number, positive_int, positive_number

_MLPERF_CONF = (
    "MLCommons MLPerf Inference, loadgen/mlperf.conf "
    "(https://github.com/mlcommons/inference/blob/master/loadgen/mlperf.conf)"
)
_MLPERF_V5 = (
    "MLCommons, MLPerf Inference v5.0 Advances Language Model Capabilities for GenAI "
    "(https://mlcommons.org/2025/04/llm-inference-v5/)"
)


@dataclass(frozen=True, kw_only=True)
class Slo:
    """Limits on TTFT and TPOT, met when the ``percentile``-th request is within both."""

    name: str
    ttft_s: float
    tpot_s: float
    percentile: float = 99.0
    source: str = ""

    def to_dict(self) -> dict:
        """Name, limits and percentile: what JSON outputs report of the SLO.

        >>> make_slo("chat", 1.0, 0.05).to_dict()
        {'name': 'chat', 'ttft_s': 1.0, 'tpot_s': 0.05, 'percentile': 99.0}
        """
        return {"name": self.name, "ttft_s": self.ttft_s, "tpot_s": self.tpot_s,
                "percentile": self.percentile}


def make_slo(name: str, ttft_s: float, tpot_s: float, percentile: float = 99.0) -> Slo:
    """A custom SLO, checked.

    >>> make_slo("chat", 1.0, 0.05).tpot_s
    0.05
    >>> make_slo("chat", 1.0, -1)
    Traceback (most recent call last):
        ...
    ValueError: tpot_s must be a finite number > 0, got -1
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    level = positive_number("percentile", percentile)
    if level > 100:
        raise ValueError(f"percentile must be a number in (0, 100], got {percentile!r}")
    return Slo(name=name, ttft_s=positive_number("ttft_s", ttft_s),
               tpot_s=positive_number("tpot_s", tpot_s), percentile=level)


def _preset(key: str, ttft_ms: int, tpot_ms: int, source: str) -> Slo:
    return Slo(name=f"MLPerf Inference {key} (server, p99)", ttft_s=ttft_ms / 1000,
               tpot_s=tpot_ms / 1000, percentile=99.0, source=source)


PRESETS: dict[str, Slo] = {
    "mlperf-llama2-70b-server": _preset("llama2-70b", 2000, 200, _MLPERF_CONF + "; v4.0"),
    "mlperf-llama2-70b-interactive": _preset(
        "llama2-70b-interactive", 450, 40, _MLPERF_CONF + "; " + _MLPERF_V5),
    "mlperf-mixtral-8x7b-server": _preset("mixtral-8x7b", 2000, 200, _MLPERF_CONF),
    "mlperf-llama3.1-405b-server": _preset("llama3_1-405b", 6000, 175, _MLPERF_CONF),
    "mlperf-llama3.1-405b-interactive": _preset(
        "llama3_1-405b-interactive", 4500, 80, _MLPERF_CONF),
    "mlperf-llama3.1-8b-server": _preset("llama3_1-8b", 2000, 100, _MLPERF_CONF),
    "mlperf-llama3.1-8b-interactive": _preset("llama3_1-8b-interactive", 500, 30, _MLPERF_CONF),
    "mlperf-deepseek-r1-server": _preset("deepseek-r1", 2000, 80, _MLPERF_CONF),
    "mlperf-deepseek-r1-interactive": _preset("deepseek-r1-interactive", 1500, 15, _MLPERF_CONF),
}

MLPERF_LLAMA2_70B_SERVER = PRESETS["mlperf-llama2-70b-server"]
MLPERF_LLAMA2_70B_INTERACTIVE = PRESETS["mlperf-llama2-70b-interactive"]


#: The model each MLPerf server preset benchmarks, by its parameter count (the
#: catalog's models: Llama-3.1-8B, Mixtral-8x7B, Llama-2-70B, Llama-3.1-405B,
#: DeepSeek-R1). :func:`slo_for_model` picks the nearest one.
_BENCHMARKED = (("mlperf-llama3.1-8b-server", "llama-3.1-8b"),
                ("mlperf-mixtral-8x7b-server", "mixtral-8x7b"),
                ("mlperf-llama2-70b-server", "llama-2-70b"),
                ("mlperf-llama3.1-405b-server", "llama-3.1-405b"),
                ("mlperf-deepseek-r1-server", "deepseek-r1"))


def slo_for_model(model: object) -> Slo:
    """The MLPerf server SLO of the benchmarked model nearest in size to ``model``
    (a catalog ID or a ModelSpec; nearest on a log scale of total parameters), so
    an 8B model is judged by the 8B benchmark's limits, not the 70B one's.

    >>> slo_for_model("llama-3.1-8b").name, slo_for_model("llama-3.1-8b").tpot_s
    ('MLPerf Inference llama3_1-8b (server, p99)', 0.1)
    >>> slo_for_model("llama-3.1-70b").name
    'MLPerf Inference llama2-70b (server, p99)'
    >>> slo_for_model("kimi-k2").name
    'MLPerf Inference deepseek-r1 (server, p99)'
    """
    from .params import param_count

    size = param_count(model)  # type: ignore[arg-type]
    key = min(_BENCHMARKED, key=lambda pair: abs(math.log(size / param_count(pair[1]))))[0]
    return PRESETS[key]


def get_slo(slo: str | Slo) -> Slo:
    """A preset by name, or ``slo`` itself.

    >>> get_slo("mlperf-llama2-70b-interactive").tpot_s
    0.04
    """
    if isinstance(slo, Slo):
        return slo
    return lookup("slo", slo, PRESETS)  # type: ignore[return-value]


def meets_slo(ttft_s: float, tpot_s: float, slo: str | Slo) -> bool:
    """Whether one request's TTFT and TPOT are both within ``slo``.

    >>> meets_slo(1.5, 0.15, "mlperf-llama2-70b-server")
    True
    >>> meets_slo(1.5, 0.15, "mlperf-llama2-70b-interactive")
    False
    """
    target = get_slo(slo)
    return (non_negative_number("ttft_s", ttft_s) <= target.ttft_s
            and non_negative_number("tpot_s", tpot_s) <= target.tpot_s)


@dataclass(frozen=True, kw_only=True)
class OperatingPoint:
    """Continuous batching in steady state at ``batch`` sequences in flight."""

    batch: int
    prompt: int
    output: int
    decode_step_s: float
    prefill_s: float
    ttft_s: float
    tpot_s: float
    e2e_s: float
    output_tokens_per_s: float
    requests_per_s: float


def operating_point(deployment: DeploymentLike, gpu: GpuLike = None, *, batch: int, prompt: int,
                    output: int) -> OperatingPoint:
    """TTFT, TPOT and throughput at ``batch`` (model in the module docstring).

    >>> p = operating_point("llama-3.1-8b", "h100-sxm", batch=32, prompt=1000, output=200)
    >>> p.tpot_s > p.decode_step_s and p.ttft_s > p.prefill_s
    True
    >>> math.isclose(p.requests_per_s * (p.output - 1) * p.tpot_s, 32)   # Little's law
    True
    """
    sm = StepModel(deployment, gpu)
    return _point(sm, batch, prompt, output)


def _point(sm: StepModel, batch: int, prompt: int, output: int) -> OperatingPoint:
    positive_int("batch", batch)
    positive_int("prompt", prompt)
    positive_int("output", output)
    prefill = sm.prefill_time_s(prompt)
    if output == 1:
        return OperatingPoint(
            batch=batch, prompt=prompt, output=output, decode_step_s=0.0, prefill_s=prefill,
            ttft_s=prefill, tpot_s=0.0, e2e_s=prefill, output_tokens_per_s=1 / prefill,
            requests_per_s=1 / prefill,
        )
    decode = sm.decode_time_s(batch, round(batch * (prompt + output / 2)))
    tpot = decode + batch / (output - 1) * prefill
    ttft = decode + prefill
    requests = batch / ((output - 1) * tpot)
    return OperatingPoint(
        batch=batch,
        prompt=prompt,
        output=output,
        decode_step_s=decode,
        prefill_s=prefill,
        ttft_s=ttft,
        tpot_s=tpot,
        e2e_s=math.fsum([ttft, (output - 1) * tpot]),
        output_tokens_per_s=requests * output,
        requests_per_s=requests,
    )


@dataclass(frozen=True, kw_only=True)
class SloResult:
    """The best operating point that meets ``slo``, if any."""

    slo: Slo
    best: OperatingPoint | None
    max_batch_fit: int
    reason: str

    @property
    def feasible(self) -> bool:
        return self.best is not None


def best_under_slo(deployment: DeploymentLike, gpu: GpuLike = None, *, prompt: int, output: int,
                   slo: str | Slo, memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
                   max_batch: int | None = None) -> SloResult:
    """Highest-throughput batch whose TTFT and TPOT meet ``slo``.

    Batches from 1 up to what fits (sequences of ``prompt + output`` tokens,
    :func:`servecalc.capacity.fit`), or up to ``max_batch``, are tried.

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> r = best_under_slo(d, prompt=1024, output=256, slo="mlperf-llama2-70b-interactive")
    >>> r.feasible, r.best.tpot_s <= 0.04, r.best.ttft_s <= 0.45
    (True, True, True)
    >>> loose = best_under_slo(d, prompt=1024, output=256, slo="mlperf-llama2-70b-server")
    >>> loose.best.output_tokens_per_s > r.best.output_tokens_per_s
    True
    """
    target = get_slo(slo)
    positive_int("prompt", prompt)
    positive_int("output", output)
    sm = StepModel(deployment, gpu)
    fitted = fit_deployment(sm.deployment, context=prompt + output,
                            memory_utilization=memory_utilization)
    cap = fitted.max_batch
    if max_batch is not None:
        cap = min(cap, positive_int("max_batch", max_batch))
    if cap == 0:
        return SloResult(slo=target, best=None, max_batch_fit=fitted.max_batch,
                         reason=f"nothing fits: {fitted.reason}")
    best = None
    for batch in range(1, cap + 1):
        point = _point(sm, batch, prompt, output)
        if point.ttft_s <= target.ttft_s and point.tpot_s <= target.tpot_s and (
            best is None or point.output_tokens_per_s > best.output_tokens_per_s
        ):
            best = point
    if best is None:
        first = _point(sm, 1, prompt, output)
        reason = (f"even batch 1 misses the SLO: TTFT {first.ttft_s:.3f} s "
                  f"(limit {target.ttft_s} s), TPOT {first.tpot_s:.4f} s (limit {target.tpot_s} s)")
    else:
        reason = f"batch {best.batch} of {cap} that fit"
    return SloResult(slo=target, best=best, max_batch_fit=fitted.max_batch, reason=reason)


def _pairs(timings: Iterable[object]) -> list[tuple[float, float]]:
    pairs = []
    for index, item in enumerate(items("timings", timings, empty=True)):
        if isinstance(item, (tuple, list)) and len(item) == 2:
            ttft, tpot = item
        elif hasattr(item, "ttft_s") and hasattr(item, "tpot_s"):
            ttft, tpot = item.ttft_s, item.tpot_s  # type: ignore[attr-defined]
        else:
            raise ValueError(
                f"timings[{index}] must be a (ttft_s, tpot_s) pair or have ttft_s and tpot_s, "
                f"got {item!r}"
            )
        pairs.append((non_negative_number(f"timings[{index}] ttft_s", ttft),
                      non_negative_number(f"timings[{index}] tpot_s", tpot)))
    return pairs


def goodput_requests_per_s(timings: Iterable[object], *, duration_s: float, slo: str | Slo
                           ) -> float:
    """Requests per second that met ``slo`` (goodput), over ``duration_s``.

    ``timings`` holds ``(ttft_s, tpot_s)`` pairs or objects with those
    attributes, such as :class:`servecalc.batching.RequestTiming`.

    >>> goodput_requests_per_s([(0.3, 0.03), (0.5, 0.03), (0.2, 0.05)], duration_s=1.5,
    ...                        slo="mlperf-llama2-70b-interactive")
    0.6666666666666666
    """
    target = get_slo(slo)
    seconds = positive_number("duration_s", duration_s)
    pairs = _pairs(timings)
    met = sum(1 for ttft, tpot in pairs if ttft <= target.ttft_s and tpot <= target.tpot_s)
    return met / seconds


def _nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]


def meets_percentile(timings: Iterable[object], slo: str | Slo) -> bool:
    """MLPerf-style check: the ``slo.percentile``-th TTFT and TPOT (nearest rank)
    are both within the limits.

    >>> runs = [(0.1, 0.02)] * 99 + [(3.0, 0.02)]
    >>> meets_percentile(runs, "mlperf-llama2-70b-server")
    True
    >>> meets_percentile(runs + [(3.0, 0.02)], "mlperf-llama2-70b-server")
    False
    """
    target = get_slo(slo)
    pairs = _pairs(timings)
    if not pairs:
        raise ValueError("timings must hold at least one request, got none")
    return (_nearest_rank([p[0] for p in pairs], target.percentile) <= target.ttft_s
            and _nearest_rank([p[1] for p in pairs], target.percentile) <= target.tpot_s)
