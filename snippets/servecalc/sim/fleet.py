"""A fleet: ``replicas`` identical replicas behind a router, each simulated by the engine.

The router sees each request as it arrives and picks a replica; each replica then runs
the requests it was sent through :func:`~servecalc.sim.simulate` (its own KV pool and
prefix cache). Routers (:data:`ROUTERS`):

``round-robin``
    request ``i`` to replica ``i mod R``.
``least-loaded``
    the replica with the fewest requests in flight (ties: the next in turn), as the
    router counts them. The replicas are simulated after routing, so the router keeps
    its own model of each: prefills served one after another (each as long as the
    step model's prefill of the tokens the router expects uncached), then the decode
    steps of the request alone; a request is in flight until that model says it is
    done. It sees prefill queues build up, not decode batches slowing down.
``prefix-aware``
    the replica whose prefix index holds the longest leading run of the request's
    prefix hashes (the router remembers every hash it sent to each replica, as
    llm-d's approximate prefix-cache scorer and SGLang's cache-aware router do; it
    does not see evictions), with SGLang's cache-aware rules and defaults: if the
    loads are imbalanced (busiest - idlest > 64 requests and busiest > 1.5 x idlest)
    the least-loaded replica; otherwise the best match if it covers at least 30 % of
    the prompt, else the least-loaded replica. Ties go to the less loaded replica.

Sources: SGLang Model Gateway (sgl-router), ``cache_aware`` policy, defaults
``--cache-threshold 0.3 --balance-abs-threshold 64 --balance-rel-threshold 1.5``
(https://github.com/lightseekorg/smg, docs/getting-started/load-balancing.md, read
2026-12-07); llm-d inference scheduler, prefix-cache scorer
(https://github.com/llm-d/llm-d-inference-scheduler, read 2026-12-07); NVIDIA Dynamo
KV-aware router (https://docs.nvidia.com/dynamo/, read 2026-12-07).

>>> from .engine import Engine
>>> from .sessions import chat_workload
>>> engine = Engine("llama-3.1-8b", "h100-sxm")
>>> work = chat_workload(8.0, 240, turns=6, prompt=300, output=100, think_s=3.0)
>>> rr = simulate_fleet(engine, work, replicas=4, router="round-robin")
>>> pa = simulate_fleet(engine, work, replicas=4, router="prefix-aware")
>>> rr.requests_per_replica, pa.prefix_hit_rate > rr.prefix_hit_rate
((60, 60, 60, 60), True)
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from ..slo import Slo, get_slo
from ..validate import choice, positive_int
from .api import DEFAULT_SLO, simulate
from .engine import Engine
from .result import SimResult
from .stats import Percentiles, summarize, within_slo
from .workload import Workload

ROUTERS = ("round-robin", "least-loaded", "prefix-aware")
#: SGLang router's cache-aware defaults: cache threshold, absolute and relative imbalance.
CACHE_THRESHOLD = 0.3
BALANCE_ABS = 64
BALANCE_REL = 1.5
#: The most replicas one fleet simulation takes.
MAX_REPLICAS = 1024


@dataclass(frozen=True, kw_only=True)
class FleetResult:
    """What a fleet run measured, over all its requests (latencies in seconds).

    ``prefix_hit_rate``: prompt tokens served from the replicas' prefix caches over all
    prompt tokens (None when no cache ran); ``replica_results``: each replica's own
    :class:`~servecalc.sim.SimResult` (None for a replica that got no request).
    """

    router: str
    replicas: int
    requests: int
    requests_per_replica: tuple[int, ...]
    duration_s: float
    ttft_s: Percentiles
    tpot_s: Percentiles
    e2e_s: Percentiles
    throughput_tokens_per_s: float
    goodput_requests_per_s: float
    slo: Slo
    slo_attainment: float
    preemptions: int
    prefix_hit_rate: float | None
    replica_results: tuple[SimResult | None, ...]

    def to_dict(self) -> dict:
        """Plain JSON types (the CLI's ``simulate --replicas --json``)."""
        return {
            "router": self.router, "replicas": self.replicas, "requests": self.requests,
            "requests_per_replica": list(self.requests_per_replica),
            "duration_s": self.duration_s, "ttft_s": self.ttft_s.as_dict(),
            "tpot_s": self.tpot_s.as_dict(), "e2e_s": self.e2e_s.as_dict(),
            "throughput_tokens_per_s": self.throughput_tokens_per_s,
            "goodput_requests_per_s": self.goodput_requests_per_s,
            "slo": self.slo.to_dict(), "slo_attainment": self.slo_attainment,
            "preemptions": self.preemptions, "prefix_hit_rate": self.prefix_hit_rate,
        }


def _leading(hashes: tuple[int, ...], index: set[int]) -> int:
    k = 0
    for h in hashes:
        if h not in index:
            break
        k += 1
    return k


def route(engine: Engine, work: Workload, *, replicas: int, router: str) -> tuple[int, ...]:
    """The replica each request of ``work`` is sent to (see the module docstring).

    >>> from .workload import make_workload
    >>> e = Engine("llama-3.1-8b", "h100-sxm")
    >>> route(e, make_workload([0.0, 0.1, 0.2], [100] * 3, [10] * 3), replicas=2,
    ...       router="round-robin")
    (0, 1, 0)
    >>> route(e, make_workload([0.0], [100], [10]), replicas=2, router="random")
    Traceback (most recent call last):
        ...
    ValueError: router must be one of 'round-robin', 'least-loaded', 'prefix-aware', got 'random'
    """
    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be a servecalc.sim.Engine, got {engine!r}")
    if not isinstance(work, Workload):
        raise ValueError(f"work must be a servecalc.sim.Workload, got {work!r}")
    r_count = positive_int("replicas", replicas)
    if r_count > MAX_REPLICAS:
        raise ValueError(f"replicas must be at most {MAX_REPLICAS:,}, got {replicas!r}")
    how = choice("router", router, ROUTERS)
    if work.concurrency is not None:
        raise ValueError("a fleet takes an open arrival stream (rate or trace), not a closed "
                         "loop of concurrent clients")
    n = len(work)
    if how == "round-robin":
        return tuple(i % r_count for i in range(n))
    if how == "prefix-aware" and work.prefix_hashes is None:
        raise ValueError("router 'prefix-aware' needs a workload with prefix hashes (a "
                         "shared prefix, multi-turn chats or the mooncake-conv-2025 trace)")
    sm = engine.step_model
    flights: list[list[float]] = [[] for _ in range(r_count)]
    index: list[set[int]] = [set() for _ in range(r_count)]
    prefill_free = [0.0] * r_count           # the router's model: when each replica's
    chosen = []                              # prefills queued so far are done
    hb = work.hash_block_tokens
    for i in range(n):
        now, prompt, output = work.arrivals[i], work.prompts[i], work.outputs[i]
        for heap in flights:
            while heap and heap[0] <= now:
                heapq.heappop(heap)
        loads = [len(h) for h in flights]
        pick = min(range(r_count), key=lambda r: (loads[r], (r - i) % r_count))
        cached = 0
        if how == "prefix-aware":
            hashes = work.prefix_hashes[i]  # type: ignore[index]
            busiest, idlest = max(loads), loads[pick]
            matches = [_leading(hashes[:prompt // hb], s) for s in index]
            if not (busiest - idlest > BALANCE_ABS and busiest > BALANCE_REL * idlest):
                best = max(matches)
                if best and best * hb >= CACHE_THRESHOLD * prompt:
                    pick = min((r for r in range(r_count) if matches[r] == best),
                               key=lambda r: (loads[r], (r - i) % r_count))
            cached = min(matches[pick] * hb, prompt - 1)
            index[pick].update(hashes)
        begin = max(now, prefill_free[pick])
        prefill_free[pick] = begin + sm.prefill_time_s(prompt - cached, cached)
        done = prefill_free[pick] + (output - 1) * sm.decode_time_s(1, prompt + output)
        heapq.heappush(flights[pick], done)
        chosen.append(pick)
    return tuple(chosen)


def simulate_fleet(engine: Engine, work: Workload, *, replicas: int, router: str = "round-robin",
                   policy: str | None = None, slo: str | Slo = DEFAULT_SLO) -> FleetResult:
    """Route ``work`` over ``replicas`` copies of ``engine`` and simulate each replica.

    >>> from .workload import poisson_workload
    >>> e = Engine("llama-3.1-8b", "h100-sxm")
    >>> r = simulate_fleet(e, poisson_workload(4.0, 40, prompt=200, output=20, seed=2),
    ...                    replicas=2, router="least-loaded")
    >>> r.requests, sum(r.requests_per_replica), r.prefix_hit_rate
    (40, 40, None)
    """
    target = get_slo(slo)
    picks = route(engine, work, replicas=replicas, router=router)
    r_count = replicas
    members: list[list[int]] = [[] for _ in range(r_count)]
    for i, r in enumerate(picks):
        members[r].append(i)
    n = len(work)
    first, finish = [0.0] * n, [0.0] * n
    results: list[SimResult | None] = []
    hits, cached = 0, False
    for ids in members:
        if not ids:
            results.append(None)
            continue
        hashes = (None if work.prefix_hashes is None
                  else tuple(work.prefix_hashes[i] for i in ids))
        sub = Workload(tuple(work.arrivals[i] for i in ids), tuple(work.prompts[i] for i in ids),
                       tuple(work.outputs[i] for i in ids), work.description,
                       prefix_hashes=hashes, hash_block_tokens=work.hash_block_tokens)
        res = simulate(engine, sub, policy=policy, slo=target, chart_points=1)
        for j, i in enumerate(ids):
            first[i], finish[i] = res.first_token_s[j], res.finish_s[j]
        if res.prefix_hit_rate is not None:
            cached = True
            hits += round(res.prefix_hit_rate * res.input_tokens)   # whole tokens
        results.append(res)
    outs, arrivals = work.outputs, work.arrivals
    ttft = [first[i] - arrivals[i] for i in range(n)]
    tpot_all = [(finish[i] - first[i]) / (outs[i] - 1) if outs[i] > 1 else 0.0 for i in range(n)]
    duration = max(finish) - arrivals[0]
    met = within_slo(ttft, tpot_all, target)
    return FleetResult(
        router=router, replicas=r_count, requests=n,
        requests_per_replica=tuple(len(m) for m in members), duration_s=duration,
        ttft_s=summarize(ttft),
        tpot_s=summarize([tpot_all[i] for i in range(n) if outs[i] > 1]),
        e2e_s=summarize([finish[i] - arrivals[i] for i in range(n)]),
        throughput_tokens_per_s=sum(outs) / duration, goodput_requests_per_s=met / duration,
        slo=target, slo_attainment=met / n,
        preemptions=sum(r.preemptions for r in results if r is not None),
        prefix_hit_rate=hits / sum(work.prompts) if cached else None,
        replica_results=tuple(results))
