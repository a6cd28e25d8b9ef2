"""Automatic prefix caching in the simulator: freed prompt blocks kept, by hash, in an LRU.

A request may carry **prefix block hashes** (:attr:`~servecalc.sim.workload.Workload.prefix_hashes`):
one ID per block of ``hash_block_tokens`` prompt tokens, equal IDs meaning equal
tokens *and* an equal prefix before them (a hash chained over the blocks, as vLLM's
automatic prefix caching computes it, or the remapped IDs of the Mooncake trace).
The engine's KV pool then works as vLLM's does with prefix caching on:

* when a request's prefill is done, each *full* hash block of its prompt becomes a
  cache entry of ``hash_block_tokens / block_size`` pool blocks (a block another
  sequence already registered is shared, not kept twice);
* on admission the longest run of leading IDs found in the cache is reused: those
  blocks gain a reference, and the prefill computes only the rest (at least one
  token: the last prompt token is always recomputed, as vLLM does, to yield logits);
* when a sequence finishes or is preempted its entries lose a reference; an entry
  no sequence holds stays cached, idle, counted in the pool, until the space is
  needed: then idle entries are evicted least recently released first.

The unit is the hash block: a trace that hashes 512-token blocks (Mooncake) is
cached in 512-token units, 32 blocks of 16; a prompt's partial last hash block is
computed and never cached. Blocks written while decoding are not cached either
(vLLM caches them too), so the hit rates here are a lower bound for the same traffic.

Source of the mechanism: vLLM, "Automatic Prefix Caching" (design doc,
https://docs.vllm.ai/en/latest/design/prefix_caching.html, read 2026-12-07).

>>> cache = PrefixCache(hash_block_tokens=32, block_size=16)
>>> pool = Pool(total=10)
>>> cache.admit(pool, 0, (11, 12), prompt=70)      # cold: nothing cached, 5 blocks taken
0
>>> pool.used, cache.idle_blocks
(5, 0)
>>> cache.register(pool, 0, (11, 12), prompt=70)   # its two full 32-token blocks, cached
>>> cache.release(pool, 0, held=70)                # done: 1 private block freed, 4 kept idle
>>> pool.used, cache.idle_blocks
(0, 4)
>>> cache.admit(pool, 1, (11, 12, 13), prompt=100) # the same 64 tokens first: a hit
64
>>> pool.used, cache.idle_blocks                   # 4 shared + 3 new (100 - 64 tokens)
(7, 0)
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ..validate import describe, items, non_negative_int, positive_int


@dataclass
class Pool:
    """The part of a block pool the cache moves blocks in and out of: ``used`` blocks
    (held by sequences, shared entries counted once) of ``total``; a
    :class:`~servecalc.sim.running.RunningSet` plays this role in a run.

    >>> Pool(total=4).used
    0
    """

    total: int
    used: int = 0


class PrefixCache:
    """Cache entries (one per hash block) with reference counts, idle ones in LRU order.

    ``hit_tokens[i]``: prompt tokens request ``i`` found cached at its first admission
    (-1 until then). See the module docstring for the rules.

    >>> PrefixCache(hash_block_tokens=24, block_size=16)
    Traceback (most recent call last):
        ...
    ValueError: hash_block_tokens must be a multiple of block_size (16), got 24
    """

    def __init__(self, *, hash_block_tokens: int, block_size: int, requests: int = 0) -> None:
        hb = positive_int("hash_block_tokens", hash_block_tokens)
        bs = positive_int("block_size", block_size)
        if hb % bs:
            raise ValueError(f"hash_block_tokens must be a multiple of block_size ({bs}), "
                             f"got {hash_block_tokens}")
        self.hb = hb
        self.bs = bs
        self.size = hb // bs                      # pool blocks per entry
        self.refs: dict[int, int] = {}            # hash -> sequences holding it
        self.idle: OrderedDict[int, None] = OrderedDict()   # refs == 0, oldest first
        self.idle_blocks = 0
        self.held: dict[int, list[int]] = {}      # sequence -> hashes it holds
        self.hit_tokens = [-1] * non_negative_int("requests", requests)
        self.evicted = 0                          # entries evicted so far

    def _match(self, hashes: tuple[int, ...], prompt: int) -> int:
        """Leading hash blocks of a ``prompt``-token prompt found cached (full blocks only)."""
        refs = self.refs
        k = 0
        for h in hashes[:prompt // self.hb]:
            if h not in refs:
                break
            k += 1
        return k

    def _acquire(self, pool: Pool, h: int) -> None:
        count = self.refs[h]
        if count == 0:
            del self.idle[h]
            self.idle_blocks -= self.size
            pool.used += self.size
        self.refs[h] = count + 1

    def evict(self, need: int, pool: Pool) -> None:
        """Evict idle entries, least recently released first, until ``need`` blocks are
        free (or none is idle).

        >>> cache, pool = PrefixCache(hash_block_tokens=16, block_size=16), Pool(total=3)
        >>> for i, h in enumerate((7, 8, 9)):
        ...     _ = cache.admit(pool, i, (h,), prompt=16); cache.register(pool, i, (h,), 16)
        >>> for i in (1, 0, 2):                       # released in the order 8, 7, 9
        ...     cache.release(pool, i, held=16)
        >>> cache.evict(2, pool); list(cache.idle)    # the two released first go
        [9]
        """
        idle = self.idle
        while pool.total - pool.used - self.idle_blocks < need and idle:
            h, _ = idle.popitem(last=False)
            del self.refs[h]
            self.idle_blocks -= self.size
            self.evicted += 1

    def admit(self, pool: Pool, i: int, hashes: tuple[int, ...], prompt: int,
              length: int | None = None) -> int:
        """Blocks for sequence ``i``'s prefill of ``length`` tokens (its ``prompt`` and any
        output it had before a preemption; default ``prompt``), reusing its cached
        prefix. Returns the tokens served from the cache, or -1 (nothing changed) when
        the blocks cannot be found even by evicting every idle entry."""
        length = prompt if length is None else length
        k = self._match(hashes, prompt)
        shared = k * self.size
        need = -(-length // self.bs) - shared
        idle_hit = sum(self.size for h in hashes[:k] if self.refs[h] == 0)
        if pool.used + idle_hit + need > pool.total:
            return -1
        for h in hashes[:k]:
            self._acquire(pool, h)
        self.held[i] = list(hashes[:k])
        self.evict(need, pool)
        pool.used += need
        hit = min(k * self.hb, length - 1)
        if self.hit_tokens and self.hit_tokens[i] < 0:
            self.hit_tokens[i] = hit
        return hit

    def register(self, pool: Pool, i: int, hashes: tuple[int, ...], prompt: int) -> None:
        """Sequence ``i``'s prefill is done: its full prompt hash blocks become entries
        (shared with an entry another sequence registered first)."""
        held = self.held.setdefault(i, [])
        refs = self.refs
        for h in hashes[len(held):prompt // self.hb]:
            if h in refs:                 # computed twice: keep one copy
                pool.used -= self.size
                self._acquire(pool, h)
            else:
                refs[h] = 1
            held.append(h)

    def release(self, pool: Pool, i: int, held: int) -> None:
        """Sequence ``i`` leaves (done or preempted) holding ``held`` tokens of KV: its
        private blocks are freed, its entries lose a reference (idle at zero)."""
        hashes = self.held.pop(i, ())
        pool.used -= -(-held // self.bs) - len(hashes) * self.size
        refs, idle = self.refs, self.idle
        for h in hashes:
            count = refs[h] - 1
            refs[h] = count
            if count == 0:
                idle[h] = None
                self.idle_blocks += self.size
                pool.used -= self.size

    def hit_rate(self, prompts: tuple[int, ...]) -> float:
        """Fraction of the prompt tokens served from the cache at each request's first
        admission.

        >>> c = PrefixCache(hash_block_tokens=16, block_size=16, requests=2)
        >>> c.hit_tokens = [0, 48]
        >>> c.hit_rate((64, 64))
        0.375
        """
        total = sum(prompts)
        return sum(max(0, h) for h in self.hit_tokens) / total if total else 0.0


def ideal_hit_rate(prompts: tuple[int, ...], hashes: tuple[tuple[int, ...], ...],
                   hash_block_tokens: int) -> float:
    """The hit rate of a cache that never evicts, requests served one after another:
    each finds the leading run of its full hash blocks that any earlier request had
    (less the one token always recomputed). The ceiling a real pool falls short of.

    >>> ideal_hit_rate((64, 80), ((1, 2, 3, 4), (1, 2, 3, 4, 5)), 16)   # 64 of 144 tokens
    0.4444444444444444
    """
    hb = positive_int("hash_block_tokens", hash_block_tokens)
    prompts, hashes = items("prompts", prompts), items("hashes", hashes)
    for index, ids in enumerate(hashes):
        if not isinstance(ids, (tuple, list)) or not all(
                isinstance(h, int) and not isinstance(h, bool) for h in ids):
            raise ValueError(f"hashes[{index}] must be a sequence of integer IDs, got "
                             f"{describe(ids)}")
    if len(prompts) != len(hashes) or not prompts:
        raise ValueError(f"prompts and hashes must be non-empty and of equal length, got "
                         f"{len(prompts)} and {len(hashes)}")
    seen: set[int] = set()
    hit = 0
    for prompt, ids in zip(prompts, hashes):
        full = ids[:positive_int("prompts", prompt) // hb]
        k = 0
        while k < len(full) and full[k] in seen:
            k += 1
        hit += min(k * hb, prompt - 1)
        seen.update(full)
    return hit / sum(prompts)
