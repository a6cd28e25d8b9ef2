"""Disaggregated prefill and decode: a prefill pool, a decode pool and the KV
transfer between them.

Each request

1. goes to a prefill replica picked at random, which runs the
   same engine as one aggregated replica (:class:`~servecalc.sim.Engine`, the
   engine preset's scheduler) but with one output token: the prompt's prefill;
2. sends its KV cache over the named link (:mod:`servecalc.kv_links`); the
   prefill replica's links carry one transfer at a time, first finished first;
3. joins a decode replica picked at random, whose
   block pool must hold the prompt's KV and the output's: the decode replica
   runs iteration-level batching in which admitting a request costs nothing
   (its cache is already there, so the step model charges no prefill), and
   its first token reaches the client when it joins the batch.

Random dispatch splits a Poisson stream into independent Poisson streams, one
per replica: the assumption under which ``plan`` sizes aggregated fleets (one
replica's capacity times the replicas), so the two kinds of fleet compare on
equal terms. (A round-robin or least-loaded router smooths each replica's
arrivals and would flatter whichever fleet alone was simulated with it.)

So a request's TTFT is its prefill queue and prefill, the transfer, and the
wait for a decode slot; its TPOT is the decode pool's alone, free of prefill
interference. The engines' preset request overhead counts once, at the
prefill pool. The prefill replica frees its blocks as soon as the prefill ends
(the cache is assumed copied out before the next step needs them).

>>> from .engine import Engine
>>> from .workload import poisson_workload
>>> p = Engine("llama-3.1-8b", "h100-sxm", engine="ideal")
>>> d = Engine("llama-3.1-8b", "h100-sxm", engine="ideal")
>>> r = simulate_disagg(p, d, poisson_workload(rate=8.0, requests=200, prompt=2000, output=200,
...                     seed=1), prefill_replicas=1, decode_replicas=1)
>>> r.requests, r.prefill_replicas, r.decode_replicas, r.link
(200, 1, 1, 'ib-400g')
>>> 0.0 < r.transfer_s.p50 < r.ttft_s.p50
True
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from typing import Any

from ..kv_links import DEFAULT_LINK, kv_transfer_s, link_bytes_per_s
from ..slo import Slo, get_slo
from ..validate import choice, describe, instance, positive_int
from .api import DEFAULT_SLO, run_policy
from .engine import POLICIES, Engine
from .stats import Percentiles, summarize, within_slo
from .workload import Workload

#: Seed of the random dispatch to prefill replicas (plus one: decode replicas), the same
#: for every run (common random numbers).
DISPATCH_SEED = 20


class _KvArrivedStep:
    """A decode replica's step model: a request's prompt is already cached when it
    joins, so prefill chunks cost nothing; decode steps cost what they always do."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def mixed_time_s(self, decode_batch: int, decode_context_tokens: int,
                     prefill_chunks: Any = ()) -> float:
        if decode_batch:
            return self.inner.decode_time_s(decode_batch, decode_context_tokens)
        return 0.0

    def prefill_time_s(self, tokens: int, past_tokens: int = 0, sequences: int = 1) -> float:
        return 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _decode_side(engine: Engine) -> Engine:
    """A copy of ``engine`` as a decode replica: cached prompts join for free, the
    request overhead is already paid at the prefill pool, and the scheduler is
    iteration-level (``continuous``)."""
    twin = copy.copy(engine)
    twin.step_model = _KvArrivedStep(engine.step_model)   # type: ignore[assignment]
    twin.request_overhead_s = twin.request_overhead_per_outstanding_s = 0.0
    twin.policy = "continuous"
    twin.lone_services = {}
    return twin


@dataclass(frozen=True, kw_only=True)
class DisaggResult:
    """What a disaggregated run measured. Latencies in seconds, from the client's send;
    ``transfer_s``: from the end of a request's prefill to its cache on the decode
    replica (the link's queue included)."""

    requests: int
    prefill_replicas: int
    decode_replicas: int
    prefill_gpus: int
    decode_gpus: int
    link: str
    link_bytes_per_s: float
    duration_s: float
    ttft_s: Percentiles
    tpot_s: Percentiles
    e2e_s: Percentiles
    transfer_s: Percentiles
    output_tokens: int
    throughput_tokens_per_s: float
    requests_per_s: float
    goodput_requests_per_s: float
    slo: Slo
    slo_attainment: float
    preemptions: int
    #: The largest share of one decode replica's KV blocks in use at once.
    decode_peak_kv_utilization: float
    arrivals: tuple[float, ...] = field(repr=False)
    first_token_s: tuple[float, ...] = field(repr=False)
    finish_s: tuple[float, ...] = field(repr=False)
    #: When each request's KV cache reached its decode replica.
    kv_ready_s: tuple[float, ...] = field(repr=False, default=())

    @property
    def gpus(self) -> int:
        """GPUs of both pools."""
        return self.prefill_replicas * self.prefill_gpus + self.decode_replicas * self.decode_gpus

    def to_dict(self) -> dict:
        """Plain JSON types: ``simulate --json`` with disaggregation."""
        return {
            "mode": "disaggregated", "requests": self.requests,
            "prefill_replicas": self.prefill_replicas, "decode_replicas": self.decode_replicas,
            "prefill_gpus": self.prefill_gpus, "decode_gpus": self.decode_gpus,
            "gpus": self.gpus, "kv_link": self.link, "kv_link_bytes_per_s": self.link_bytes_per_s,
            "duration_s": self.duration_s, "ttft_s": self.ttft_s.as_dict(),
            "tpot_s": self.tpot_s.as_dict(), "e2e_s": self.e2e_s.as_dict(),
            "transfer_s": self.transfer_s.as_dict(), "output_tokens": self.output_tokens,
            "throughput_tokens_per_s": self.throughput_tokens_per_s,
            "requests_per_s": self.requests_per_s,
            "goodput_requests_per_s": self.goodput_requests_per_s, "slo": self.slo.to_dict(),
            "slo_attainment": self.slo_attainment, "preemptions": self.preemptions,
            "decode_peak_kv_utilization": self.decode_peak_kv_utilization,
        }


def _pool_runs(engine: Engine, work: Workload, replicas: int, order: list[int],
               arrivals: list[float], outputs: tuple[int, ...] | list[int], policy: str | None,
               seed: int) -> tuple[list[float], list[float], list[int], tuple[int, float]]:
    """Requests ``order`` dealt at random over ``replicas`` copies of ``engine``
    (arriving at ``arrivals[i]``; the draws seeded ``seed``); each request's first-token and finish times, its
    replica, and (preemptions, the largest share of a replica's KV blocks held)."""
    n = len(work)
    first, finish, where = [0.0] * n, [0.0] * n, [0] * n
    preemptions, peak = 0, 0.0
    rng = random.Random(seed)
    dealt: dict[int, list[int]] = {}
    for i in order:
        pick = min(replicas - 1, int(rng.random() * replicas))  # random(): same on any Python
        dealt.setdefault(pick, []).append(i)
    for r, mine in sorted(dealt.items()):
        sub = Workload(tuple(arrivals[i] for i in mine), tuple(work.prompts[i] for i in mine),
                       tuple(outputs[i] for i in mine))
        rec = run_policy(engine, sub, policy)
        preemptions += rec.preemptions
        held = max(max(rec.step_blocks, default=0), rec.peak_blocks)
        peak = max(peak, held / engine.kv_blocks)
        for k, i in enumerate(mine):
            first[i], finish[i], where[i] = rec.first[k], rec.finish[k], r
    return first, finish, where, (preemptions, peak)


def simulate_disagg(prefill: Engine, decode: Engine, workload: Workload, *,
                    prefill_replicas: int, decode_replicas: int, link: str = DEFAULT_LINK,
                    policy: str | None = None, slo: str | Slo = DEFAULT_SLO) -> DisaggResult:
    """Run ``workload`` through ``prefill_replicas`` copies of ``prefill`` and
    ``decode_replicas`` copies of ``decode`` (see the module docstring). ``policy``
    is the prefill replicas' scheduler (default: their engine preset's).

    >>> from .workload import make_workload
    >>> e = Engine("llama-3.1-8b", "h100-sxm")
    >>> simulate_disagg(e, e, make_workload([0.0], [10], [5]), prefill_replicas=0,
    ...                 decode_replicas=1)
    Traceback (most recent call last):
        ...
    ValueError: prefill_replicas must be an integer >= 1, got 0
    """
    instance("prefill", prefill, Engine)
    instance("decode", decode, Engine)
    instance("workload", workload, Workload)
    x = positive_int("prefill_replicas", prefill_replicas)
    y = positive_int("decode_replicas", decode_replicas)
    if policy is not None:
        choice("policy", policy, POLICIES)
    if workload.concurrency is not None:
        raise ValueError("workload must be an open arrival stream for disaggregated pools "
                         f"(a rate or a trace), got a closed loop of {workload.concurrency} "
                         "clients")
    target = get_slo(slo)
    psm, dsm = prefill.step_model, decode.step_model
    if psm.model.id != dsm.model.id:
        raise ValueError(f"decode must serve the prefill's model ({psm.model.id}), got "
                         f"{describe(dsm.model.id)}")
    rate = link_bytes_per_s(link, psm.gpu)
    n = len(workload)
    sends = list(workload.arrivals)
    p_first, _, p_where, p_pre = _pool_runs(prefill, workload, x, list(range(n)), sends,
                                            (1,) * n, policy, DISPATCH_SEED)
    move: dict[int, float] = {}
    ready: list[float] = [0.0] * n
    link_free: dict[int, float] = {}
    for i in sorted(range(n), key=lambda i: (p_first[i], i)):
        p = workload.prompts[i]
        if p not in move:
            move[p] = kv_transfer_s(psm.model, psm.gpu, prompt=p, link=link,
                                    prefill_gpus=psm.gpus, decode_gpus=dsm.gpus,
                                    kv_dtype=psm.deployment.kv_dtype)
        begin = max(p_first[i], link_free.get(p_where[i], 0.0))
        ready[i] = link_free[p_where[i]] = begin + move[p]
    order = sorted(range(n), key=lambda i: (ready[i], i))
    first, finish, _, d_pre = _pool_runs(_decode_side(decode), workload, y, order, ready,
                                         workload.outputs, "continuous", DISPATCH_SEED + 1)
    return _result(workload, x, y, psm.gpus, dsm.gpus, link, rate, target, sends, first,
                   finish, ready, [ready[i] - p_first[i] for i in range(n)], p_pre[0] + d_pre[0],
                   d_pre[1])


def _result(work: Workload, x: int, y: int, tp_p: int, tp_d: int, link: str, rate: float,
            target: Slo, sends: list[float], first: list[float], finish: list[float],
            ready: list[float], transfer: list[float], preemptions: int,
            decode_peak: float) -> DisaggResult:
    n, outputs = len(work), work.outputs
    ttft = [first[i] - sends[i] for i in range(n)]
    tpot_all = [(finish[i] - first[i]) / (outputs[i] - 1) if outputs[i] > 1 else 0.0
                for i in range(n)]
    duration = max(finish) - sends[0]
    met = within_slo(ttft, tpot_all, target)
    return DisaggResult(
        requests=n, prefill_replicas=x, decode_replicas=y, prefill_gpus=tp_p, decode_gpus=tp_d,
        link=link, link_bytes_per_s=rate, duration_s=duration, ttft_s=summarize(ttft),
        tpot_s=summarize([tpot_all[i] for i in range(n) if outputs[i] > 1]),
        e2e_s=summarize([finish[i] - sends[i] for i in range(n)]),
        transfer_s=summarize(transfer), output_tokens=work.output_tokens,
        throughput_tokens_per_s=work.output_tokens / duration if duration > 0 else math.inf,
        requests_per_s=n / duration if duration > 0 else math.inf,
        goodput_requests_per_s=met / duration if duration > 0 else math.inf, slo=target,
        slo_attainment=met / n, preemptions=preemptions,
        decode_peak_kv_utilization=decode_peak, arrivals=tuple(sends),
        first_token_s=tuple(first), finish_s=tuple(finish), kv_ready_s=tuple(ready))
