"""A fleet: ``replicas`` identical replicas behind a router, simulated together.

Every replica is the single-replica engine (:mod:`servecalc.sim.policies`, its own
KV pool and prefix cache); the fleet advances them side by side, and when a
request arrives the router sees each replica as it is at that moment (requests in
flight: sent to it and not finished) and picks one. Routers (:data:`ROUTERS`):

``round-robin``
    request ``i`` to replica ``i mod R``.
``least-loaded``
    the replica with the fewest requests in flight (ties: the next in turn).
``prefix-aware``
    the replica whose prefix index holds the longest leading run of the request's
    prefix hashes (the router remembers every hash it sent to each replica, as
    llm-d's approximate prefix-cache scorer and SGLang's cache-aware router do; it
    does not see evictions), with SGLang's cache-aware rules and defaults: if the
    loads are imbalanced (busiest - idlest > 64 requests and busiest > 1.5 x idlest)
    the least-loaded replica; otherwise the best match if it covers at least 30 % of
    the prompt, else the least-loaded replica. Ties go to the less loaded replica.

The replicas run the ``continuous`` or ``chunked`` policy step by step (the
single replica's short paths, which look ahead to the next arrival, are off: a
replica's next arrival is not known until the router sends it).

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

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..slo import Slo, get_slo
from ..validate import choice, positive_int
from .api import DEFAULT_SLO
from .engine import Engine, Recorder, check_fits
from .policies import STEPPERS
from .result import SimResult, build_result
from .stats import Percentiles, summarize, within_slo
from .workload import Workload

ROUTERS = ("round-robin", "least-loaded", "prefix-aware")
#: SGLang router's cache-aware defaults: cache threshold, absolute and relative imbalance.
CACHE_THRESHOLD = 0.3
BALANCE_ABS = 64
BALANCE_REL = 1.5
#: The most replicas one fleet simulation takes.
MAX_REPLICAS = 256
#: The most request slots over all replicas (each replica keeps one per request).
MAX_SLOTS = 20_000_000


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


@dataclass
class _Replica:
    """One replica as the fleet drives it: its request lists, filled as the router sends
    requests, its recorder and its policy loop, paused between passes."""

    work: Workload
    rec: Recorder
    loop: Iterator[float]
    now: float = 0.0
    members: list[int] = field(default_factory=list)   # global index of each local request

    def advance(self, until: float) -> None:
        """Run while it has unfinished requests and its clock is before ``until``."""
        rec, members = self.rec, self.members
        while self.now < until and rec.done < len(members):
            self.now = next(self.loop, math.inf)   # ends once every request is done


def _check(engine: Engine, work: Workload, replicas: int, router: str,
           policy: str | None) -> tuple[int, str, str]:
    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be a servecalc.sim.Engine, got {engine!r}")
    if not isinstance(work, Workload):
        raise ValueError(f"work must be a servecalc.sim.Workload, got {work!r}")
    r_count = positive_int("replicas", replicas)
    if r_count > MAX_REPLICAS:
        raise ValueError(f"replicas must be at most {MAX_REPLICAS:,}, got {replicas!r}")
    if r_count * len(work) > MAX_SLOTS:
        raise ValueError(f"replicas x requests must be at most {MAX_SLOTS:,}, got "
                         f"{r_count:,} x {len(work):,}: lower requests or replicas")
    how = choice("router", router, ROUTERS)
    chosen = engine.policy if policy is None else choice("policy", policy, tuple(STEPPERS))
    if chosen not in STEPPERS:
        raise ValueError(f"a fleet runs the continuous or chunked policy, not {chosen!r}")
    if work.concurrency is not None:
        raise ValueError("a fleet takes an open arrival stream (rate or trace), not a closed "
                         "loop of concurrent clients")
    if how == "prefix-aware" and work.prefix_hashes is None:
        raise ValueError("router 'prefix-aware' needs a workload with prefix hashes (a "
                         "shared prefix, multi-turn chats or the mooncake-conv-2025 trace)")
    check_fits(engine, work)
    return r_count, how, chosen


def _pick(how: str, i: int, loads: list[int], work: Workload, index: list[set[int]]) -> int:
    """The router's choice for request ``i`` given the replicas' requests in flight."""
    count = len(loads)
    pick = min(range(count), key=lambda r: (loads[r], (r - i) % count))
    if how == "round-robin":
        return i % count
    if how == "prefix-aware":
        hb, prompt = work.hash_block_tokens, work.prompts[i]
        hashes = work.prefix_hashes[i]  # type: ignore[index]
        busiest, idlest = max(loads), loads[pick]
        if not (busiest - idlest > BALANCE_ABS and busiest > BALANCE_REL * idlest):
            matches = [_leading(hashes[:prompt // hb], s) for s in index]
            best = max(matches)
            if best and best * hb >= CACHE_THRESHOLD * prompt:
                pick = min((r for r in range(count) if matches[r] == best),
                           key=lambda r: (loads[r], (r - i) % count))
        index[pick].update(hashes)
    return pick


def _run_fleet(engine: Engine, work: Workload, count: int, how: str, policy: str,
               progress: Callable[[float], object] | None = None) -> list[_Replica]:
    """Advance the replicas together; route each request when it arrives."""
    n = len(work)
    hashed = work.prefix_hashes is not None
    overhead = engine.request_overhead_s
    fleet = []
    for _ in range(count):
        sub = Workload([math.inf] * n, [1] * n, [1] * n,  # type: ignore[arg-type]
                       prefix_hashes=[()] * n if hashed else None,  # type: ignore[arg-type]
                       hash_block_tokens=work.hash_block_tokens)
        rec = Recorder(n, None)
        loop = STEPPERS[policy](engine, sub, rec, lone=False)
        fleet.append(_Replica(sub, rec, loop, next(loop)))
    index: list[set[int]] = [set() for _ in range(count)]
    for i in range(n):
        at = work.arrivals[i] + overhead        # when the engines see it
        for rep in fleet:
            rep.advance(at)
        loads = [len(rep.members) - rep.rec.done for rep in fleet]
        rep = fleet[_pick(how, i, loads, work, index)]
        j = len(rep.members)
        sub = rep.work
        sub.prompts[j], sub.outputs[j] = work.prompts[i], work.outputs[i]  # type: ignore[index]
        if hashed:
            sub.prefix_hashes[j] = work.prefix_hashes[i]  # type: ignore[index]
        sub.arrivals[j] = at  # type: ignore[index]
        rep.members.append(i)
        if progress is not None and (i + 1) % max(1, n // 100) == 0:
            progress(0.9 * (i + 1) / n)         # routed; the drain is the last tenth
    for rep in fleet:
        rep.advance(math.inf)
    if progress is not None:
        progress(1.0)
    return fleet


def simulate_fleet(engine: Engine, work: Workload, *, replicas: int, router: str = "round-robin",
                   policy: str | None = None, slo: str | Slo = DEFAULT_SLO,
                   progress: Callable[[float], object] | None = None) -> FleetResult:
    """Route ``work`` over ``replicas`` copies of ``engine``, simulated together.
    ``progress``, if given, is called with the fraction done (about a hundred times).

    >>> from .workload import poisson_workload
    >>> e = Engine("llama-3.1-8b", "h100-sxm")
    >>> r = simulate_fleet(e, poisson_workload(4.0, 40, prompt=200, output=20, seed=2),
    ...                    replicas=2, router="least-loaded")
    >>> r.requests, sum(r.requests_per_replica), r.prefix_hit_rate
    (40, 40, None)
    >>> simulate_fleet(e, poisson_workload(4.0, 4), replicas=2, router="random")
    Traceback (most recent call last):
        ...
    ValueError: router must be one of 'round-robin', 'least-loaded', 'prefix-aware', got 'random'
    """
    target = get_slo(slo)
    count, how, chosen = _check(engine, work, replicas, router, policy)
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable taking a fraction, or None, got "
                         f"{progress!r}")
    fleet = _run_fleet(engine, work, count, how, chosen, progress)
    n = len(work)
    first, finish = [0.0] * n, [0.0] * n
    results: list[SimResult | None] = []
    hits, cached = 0, False
    for rep in fleet:
        m = len(rep.members)
        if not m:
            results.append(None)
            continue
        rec, ids = rep.rec, rep.members
        rec.first, rec.finish, rec.start = rec.first[:m], rec.finish[:m], rec.start[:m]
        for j, i in enumerate(ids):
            first[i], finish[i] = rec.first[j], rec.finish[j]
        mine = Workload(tuple(work.arrivals[i] for i in ids), tuple(rep.work.prompts[:m]),
                        tuple(rep.work.outputs[:m]), work.description)
        if rec.prefix_hit_tokens is not None:
            cached = True
            hits += sum(max(0, h) for h in rec.prefix_hit_tokens[:m])
        results.append(build_result(engine, mine, rec, chosen, target, 1))
    outs, arrivals = work.outputs, work.arrivals
    ttft = [first[i] - arrivals[i] for i in range(n)]
    tpot_all = [(finish[i] - first[i]) / (outs[i] - 1) if outs[i] > 1 else 0.0 for i in range(n)]
    duration = max(finish) - arrivals[0]
    met = within_slo(ttft, tpot_all, target)
    return FleetResult(
        router=how, replicas=count, requests=n,
        requests_per_replica=tuple(len(rep.members) for rep in fleet), duration_s=duration,
        ttft_s=summarize(ttft),
        tpot_s=summarize([tpot_all[i] for i in range(n) if outs[i] > 1]),
        e2e_s=summarize([finish[i] - arrivals[i] for i in range(n)]),
        throughput_tokens_per_s=sum(outs) / duration, goodput_requests_per_s=met / duration,
        slo=target, slo_attainment=met / n,
        preemptions=sum(r.preemptions for r in results if r is not None),
        prefix_hit_rate=hits / sum(work.prompts) if cached else None,
        replica_results=tuple(results))
