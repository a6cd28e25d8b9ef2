"""Simulated capacity under an SLO, as the prose asks for it: one replica of a catalog
deployment, by name, an error when no rate meets the SLO.

Prose placeholders, calculators' defaults and several chapters ask for the same
configurations; :func:`servecalc.slo_capacity.max_rate_under_slo` takes a second
or more each, so it keeps every answer (:data:`servecalc.slo_capacity.MEMO`, the
one memo: for the life of the process, and across the build's processes and the
tests when ``SERVECALC_MEMO_DIR`` is set). Nothing is cached here.

>>> r = capacity("llama-3.1-8b", "h100-sxm", 1, 1000, 250, "mlperf-llama3.1-8b-interactive")
>>> r is capacity("llama-3.1-8b", "h100-sxm", 1, 1000, 250, "mlperf-llama3.1-8b-interactive")
True
"""

from __future__ import annotations

from servecalc.deployment import Deployment
from servecalc.slo import best_under_slo
from servecalc.slo_capacity import CapacityResult, max_rate_under_slo


def capacity(model: str, gpu: str, gpus: int, prompt: int | str, output: int | str, slo: str,
             policy: str | None = None, trace: str | None = None,
             weight_dtype: str = "bf16") -> CapacityResult:
    """One replica's simulated capacity (seed 0, default search sizes, the engine preset's
    policy unless ``policy`` says); ``ValueError``
    if no rate meets ``slo``."""
    r = max_rate_under_slo(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                           slo=slo, policy=policy, prompt=prompt, output=output, trace=trace)
    if not r.feasible:
        raise ValueError(f"no rate meets {slo} for {model} on {gpus} x {gpu}: {r.reason}")
    return r


def steady_state_bound(model: str, gpu: str, gpus: int, prompt: int, output: int, slo: str,
                       weight_dtype: str = "bf16") -> float:
    """Requests/s of :func:`servecalc.slo.best_under_slo`: every slot full, no queue,
    mean latencies against the limits. An upper bound, shown next to the simulation."""
    r = best_under_slo(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                       prompt=prompt, output=output, slo=slo)
    if r.best is None:
        raise ValueError(f"no batch meets {slo}: {r.reason}")
    return r.best.requests_per_s
