"""Measured against predicted: replay a ``vllm bench serve`` run through the simulator.

:func:`compare_vllm` takes a :class:`~servecalc.vllm_result.VllmResult` and a
:class:`~servecalc.deployment.Deployment` (with a calibration, if you have
one), sends the same requests -- the same prompt and output lengths, in the
same order -- at the same rate and burstiness (gamma-distributed gaps of
shape ``burstiness``, as vLLM draws them; a fresh draw, so only the
statistics match, not the exact times) through the simulator, and pairs each
metric vLLM measured with the simulator's value.

What is matched how:

* TTFT and TPOT: the simulator's per-request values (TPOT excludes the first
  token, as vLLM's does), mean, median and p99.
* ITL: vLLM's inter-token latencies are the gaps between streamed tokens; in
  a step-synchronous simulator each gap is one engine step, so the mean ITL
  is compared with the mean TPOT (equal when every request decodes in the
  same steps) and the median and p99 ITL with those of TPOT, which smooths
  the longest single gaps (a prefill interrupting decodes): expect the
  simulator's p99 ITL to come out low.
* Throughput: requests and output tokens per second over the run.

With ``max_concurrency`` set, vLLM holds requests back in the client, which
its TTFT does not count; the replay caps the engine's batch instead, where
the wait does count. Compare TTFT from such runs with care.

>>> from servecalc.vllm_result import VllmResult
>>> run = VllmResult(request_rate=2.0, burstiness=1.0, max_concurrency=None,
...                  prompts=(512,) * 40, outputs=(64,) * 40, detailed=True,
...                  metrics={"mean_tpot_ms": 8.0, "request_throughput": 2.0})
>>> rows = compare_vllm(run, "llama-3.1-8b", "h100-sxm").rows
>>> [(r.metric, round(r.measured, 1), round(r.predicted, 1)) for r in rows]
[('mean_tpot_ms', 8.0, 7.7), ('request_throughput', 2.0, 1.7)]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .deployment import DeploymentLike, GpuLike, as_deployment
from .engines import get_engine
from .sim import Engine, make_workload, simulate
from .validate import choice, instance, non_negative_int, positive_int
from .vllm_result import VllmResult


@dataclass(frozen=True, kw_only=True)
class MetricRow:
    """One metric: what vLLM measured, what the simulator predicts."""

    metric: str
    measured: float
    predicted: float

    @property
    def rel_error(self) -> float:
        """(predicted - measured) / measured."""
        return (self.predicted - self.measured) / self.measured


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Every metric of one run, with the replay's settings."""

    rows: tuple[MetricRow, ...]
    requests: int
    request_rate: float
    burstiness: float
    policy: str
    seed: int
    detailed: bool


def _arrivals(rate: float, burstiness: float, n: int, seed: int) -> list[float]:
    """``n`` arrival times: gamma gaps of shape ``burstiness`` and mean ``1 / rate``
    (vLLM's ``--burstiness``); all at 0 for an infinite rate."""
    if math.isinf(rate):
        return [0.0] * n
    rng = random.Random(seed)
    scale = 1.0 / (burstiness * rate)
    t, out = 0.0, []
    for _ in range(n):
        t += rng.gammavariate(burstiness, scale)
        out.append(t)
    return out


def _predicted(sim: object, metric: str) -> float:
    if metric == "request_throughput":
        return sim.requests_per_s  # type: ignore[attr-defined]
    if metric == "output_throughput":
        return sim.throughput_tokens_per_s  # type: ignore[attr-defined]
    stat, name, _ = metric.split("_")
    sample = sim.ttft_s if name == "ttft" else sim.tpot_s  # type: ignore[attr-defined]
    value = {"mean": sample.mean, "median": sample.p50, "p99": sample.p99}[stat]
    return 1000 * value


def compare_vllm(result: VllmResult, deployment: DeploymentLike,
                 gpu: GpuLike = None, *, policy: str | None = None,
                 seed: int = 0, max_batch: int | None = None,
                 progress: Callable[[float], object] | None = None) -> Comparison:
    """Replay ``result``'s requests through the simulator on ``deployment`` and pair
    each measured metric with its prediction (see the module docstring);
    ``progress`` gets the replay's fraction done, as :func:`~servecalc.sim.simulate`'s.
    ``policy`` and ``max_batch`` left at ``None`` are the deployment's engine preset's."""
    instance("result", result, VllmResult)
    d = as_deployment(deployment, gpu)
    policy = get_engine(d.engine).policy if policy is None else choice(
        "policy", policy, ("static", "continuous", "chunked"))
    seed = non_negative_int("seed", seed)
    cap = (get_engine(d.engine).max_num_seqs(d.gpu) if max_batch is None
           else positive_int("max_batch", max_batch))
    if result.max_concurrency is not None:
        cap = min(cap, result.max_concurrency)
    n = len(result.prompts)
    work = make_workload(_arrivals(result.request_rate, result.burstiness, n, seed),
                         result.prompts, result.outputs, description="vllm bench serve replay")
    sim = simulate(Engine(d, max_batch=cap), work, policy=policy, progress=progress)
    rows = tuple(MetricRow(metric=k, measured=v, predicted=_predicted(sim, k))
                 for k, v in result.metrics.items())
    return Comparison(rows=rows, requests=n, request_rate=result.request_rate,
                      burstiness=result.burstiness, policy=policy, seed=seed,
                      detailed=result.detailed)
