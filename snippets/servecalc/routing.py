"""Prefix-aware routing and prefix-cache warm-up across replicas.

A prefix cache only helps if the request lands on the replica that holds its
prefix. With ``replicas`` replicas and routing that ignores the cache
(round-robin, least-loaded), a prefix cached on one replica is found with
probability ``1 / replicas``; a KV-aware router (llm-d's prefix-cache scorer,
NVIDIA Dynamo's KV router, SGLang's cache-aware router) sends it back to that
replica, up to what load balancing allows.

After a restart or a rollback every replica's cache is empty. Each distinct
shared prefix (a system prompt, a tool schema) then misses once per replica
that receives it before it is cached: once in all with a KV-aware router,
once per replica with a cache-blind one.

>>> effective_hit_rate(0.9, replicas=8, kv_aware=False)
0.1125
>>> warmup_misses(prefixes=50, replicas=8, kv_aware=False), warmup_misses(50, 8, kv_aware=True)
(400, 50)
"""

from __future__ import annotations

from .validate import fraction, non_negative_int, positive_int

__all__ = ["effective_hit_rate", "warmup_misses"]


def effective_hit_rate(hit_rate: float, replicas: int, kv_aware: bool,
                       affinity: float = 1.0) -> float:
    """Share of prompt tokens found in the cache of the replica a request lands on.

    ``hit_rate``: the share a single replica would find (all traffic on it).
    ``affinity``: with a KV-aware router, the share of requests it can send to
    the replica holding their prefix (the rest are balanced blindly).

    >>> effective_hit_rate(0.9, replicas=4, kv_aware=True, affinity=0.8)
    0.765
    """
    h = fraction("hit_rate", hit_rate) if hit_rate else 0.0
    n = positive_int("replicas", replicas)
    a = fraction("affinity", affinity)
    blind = h / n
    if not kv_aware:
        return round(blind, 12)
    return round(a * h + (1 - a) * blind, 12)


def warmup_misses(prefixes: int, replicas: int, kv_aware: bool) -> int:
    """Cold prefills of shared prefixes after every replica restarted with an empty cache.

    Cache-blind routing eventually sends each prefix to every replica, and each
    one computes it once; a KV-aware router computes it once in the fleet (and
    then keeps sending it there).

    >>> warmup_misses(0, 4, kv_aware=False)
    0
    """
    p = non_negative_int("prefixes", prefixes)
    n = positive_int("replicas", replicas)
    return p if kv_aware else p * n
