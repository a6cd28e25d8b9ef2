"""The running set under speculative decoding: every sequence advances by a random count.

With an engine's :class:`~servecalc.speculation.Speculation` each decode step is
a draft (or head) pass plus a verification step of ``K + 1`` tokens per
sequence (:class:`~servecalc.speculation.SpecTimer`). Each sequence then
advances by ``1 +`` the drafted tokens it accepts, drawn with the run's seeded
generator (token ``i`` accepted with its probability, stopping at the first
rejection), and its KV cache grows by as many tokens. TPOT and its tail come out
of these draws.

The bookkeeping is per sequence (the plain running set's closed forms assume
one token per step), so none of the plain loops' fast paths apply: no lone
request in closed form, no leaps over stretches of decoding, no ``max_batch=1``
queue formula. The scheduling rules are the plain policies' (:mod:`.policies`):

* ``continuous``: admit waiting requests in order while slots, blocks and the
  token budget allow and prefill them; otherwise verify every running sequence;
* ``chunked``: every step verifies every running sequence (``K + 1`` tokens
  each, counted in the token budget, as vLLM counts drafted tokens) and fills
  the rest of the budget with prompt chunks.

A verification step needs room for ``K + 1`` new KV entries per sequence (the
drafted ones are written before they are checked; fewer near a request's end):
blocks for them are taken
before the step, evicting the most recently arrived sequence when they are not
free (recomputation, as :mod:`.running`), and the unaccepted ones given back
after it. A ``draft:MODEL`` also prefills every prompt with the draft model; a
head runs one layer's share of the prefill.

>>> from servecalc.speculation import speculation
>>> from .engine import Engine, Recorder
>>> from .workload import make_workload
>>> e = Engine("llama-3.1-8b", "h100-sxm", speculative=speculation("eagle3", acceptance=1.0))
>>> rec = Recorder(1, None)
>>> run_speculative(e, make_workload([0.0], [100], [9]), rec, "continuous")
>>> rec.done, rec.spec_steps, rec.spec_tokens          # 1 + 4 + 4 tokens: two full steps
(1, 2, 8)
"""

from __future__ import annotations

import math
import random
from collections import deque

from .engine import Engine, Recorder
from .workload import Workload


class _SpecRun:
    """Queue, prefilling and decoding sequences, tokens held, blocks used."""

    def __init__(self, engine: Engine, work: Workload, rec: Recorder) -> None:
        n = len(work)
        self.engine, self.work, self.rec = engine, work, rec
        self.spec = engine.speculation
        self.timer = engine.spec_timer
        self.rng = random.Random(self.spec.seed)
        self.bs = engine.block_size
        self.total_blocks = engine.kv_blocks
        self.gen = [0] * n
        self.held = [0] * n
        self.plen = [0] * n
        self.pdone = [0] * n
        self.dec: list[int] = []
        self.prefilling: deque[int] = deque()
        self.waiting: deque[int] = deque()
        self.arrived = 0
        self.used = 0
        # ``reserve`` admission: blocks booked for each admitted sequence's whole life
        self.book_whole = engine.admission == "reserve"
        self.booked = [0] * n
        self.reserved = 0

    def blocks(self, tokens: int) -> int:
        return -(-tokens // self.bs)

    def arrive(self, now: float) -> None:
        arrivals, a, n = self.work.arrivals, self.arrived, len(self.work)
        while a < n and arrivals[a] <= now:
            self.waiting.append(a)
            a += 1
        self.arrived = a

    def next_arrival(self, now: float) -> float:
        if self.arrived >= len(self.work):   # cannot happen: every request fits alone
            raise RuntimeError("simulator stalled with requests left; please report this")
        return max(now, self.work.arrivals[self.arrived])

    def take(self, tokens: int, i: int) -> bool:
        need = self.blocks(tokens)
        book = self.blocks(self.work.prompts[i] + self.work.outputs[i]) if self.book_whole else 0
        if self.used + need > self.total_blocks or self.reserved + book > self.total_blocks:
            return False
        self.used += need
        self.reserved += book
        self.booked[i] = book
        return True

    def release(self, i: int) -> None:
        """Sequence ``i`` leaves: its booking (``reserve`` admission) goes back."""
        self.reserved -= self.booked[i]
        self.booked[i] = 0

    def preempt(self) -> None:
        """Evict the most recently arrived running or prefilling sequence."""
        i = max(self.dec + list(self.prefilling))
        if i in self.dec:
            self.dec.remove(i)
            self.used -= self.blocks(self.held[i])
        else:
            self.prefilling.remove(i)
            self.used -= self.blocks(self.plen[i])
        self.release(i)
        self.waiting.appendleft(i)
        self.rec.preemptions += 1

    def ahead(self, i: int) -> int:
        """New KV entries sequence ``i`` may keep this step: ``K + 1``, or fewer near its
        end (no more than the tokens it has left, so a request that fits the pool alone
        always finds room)."""
        return min(self.spec.spec_tokens + 1, self.work.outputs[i] - self.gen[i])

    def reserve(self) -> int:
        """Blocks for every decoder's new entries (:meth:`ahead`), evicting until free;
        returns how many were taken."""
        while True:
            extra = sum(self.blocks(self.held[i] + self.ahead(i)) - self.blocks(self.held[i])
                        for i in self.dec)
            if self.used + extra <= self.total_blocks or not self.dec:
                break
            self.preempt()
        self.used += extra
        return extra

    def join(self, i: int, kv_tokens: int, now: float) -> None:
        """Sequence ``i`` emitted its token after a prefill of ``kv_tokens``."""
        rec = self.rec
        if rec.first[i] < 0:
            rec.first[i] = now
        self.gen[i] += 1
        if self.gen[i] >= self.work.outputs[i]:
            rec.finish[i] = now
            self.used -= self.blocks(kv_tokens)
            self.release(i)
            rec.finished(1, now)
            return
        self.held[i] = kv_tokens
        self.dec.append(i)

    def advance(self, now: float) -> None:
        """After a verification step: draw each decoder's tokens, finish the done ones."""
        draw, rng = self.spec.draw, self.rng
        outputs, gen, held, rec = self.work.outputs, self.gen, self.held, self.rec
        still: list[int] = []
        finished = 0
        for i in self.dec:
            count = min(draw(rng), outputs[i] - gen[i])
            rec.spec_steps += 1
            rec.spec_tokens += count
            reserved = self.blocks(held[i] + self.ahead(i))
            gen[i] += count
            held[i] += count
            if gen[i] >= outputs[i]:
                self.used -= reserved
                self.release(i)
                rec.finish[i] = now
                finished += 1
            else:
                self.used -= reserved - self.blocks(held[i])
                still.append(i)
        self.dec = still
        if finished:
            rec.finished(finished, now)

    def context(self) -> int:
        return sum(self.held[i] + 1 for i in self.dec)


def _prefill_step(run: _SpecRun, now: float) -> float | None:
    """``continuous``: admit and prefill waiting requests; the time after, or None."""
    engine, prompts = run.engine, run.work.prompts
    budget = engine.max_batched_tokens or 0
    admitted: list[int] = []
    tokens = 0
    while run.waiting and len(run.dec) + len(admitted) < engine.max_batch:
        i = run.waiting[0]
        length = prompts[i] + run.gen[i]
        if admitted and budget and tokens + length > budget:
            break
        if not run.take(length, i):
            break
        run.waiting.popleft()
        tokens += length
        admitted.append(i)
    if not admitted:
        return None
    chunks = [(prompts[i] + run.gen[i], 0) for i in admitted]
    dt = engine.step_model.mixed_time_s(0, 0, chunks) + run.timer.prefill_extra_s(chunks)
    run.rec.step(now, dt, len(run.dec) + len(admitted), run.used, len(run.waiting))
    start = run.rec.start
    for i in admitted:
        if start[i] < 0:
            start[i] = now
    now += dt
    for i, (length, _) in zip(admitted, chunks):
        run.join(i, length, now)
    return now


def _plan_chunks(run: _SpecRun, left: int, now: float
                 ) -> tuple[list[tuple[int, int]], list[int]]:
    """``chunked``: prompt chunks for one step, prompts in progress first."""
    plen, pdone, prefilling, waiting = run.plen, run.pdone, run.prefilling, run.waiting
    chunks: list[tuple[int, int]] = []
    owners: list[int] = []
    for i in prefilling:
        if left <= 0:
            break
        size = min(plen[i] - pdone[i], left)
        chunks.append((size, pdone[i]))
        owners.append(i)
        left -= size
    prompts, start = run.work.prompts, run.rec.start
    while left > 0 and waiting and len(run.dec) + len(prefilling) < run.engine.max_batch:
        i = waiting[0]
        length = prompts[i] + run.gen[i]
        if not run.take(length, i):
            break
        waiting.popleft()
        plen[i], pdone[i] = length, 0
        prefilling.append(i)
        if start[i] < 0:
            start[i] = now
        size = min(length, left)
        chunks.append((size, 0))
        owners.append(i)
        left -= size
    return chunks, owners


def run_speculative(engine: Engine, work: Workload, rec: Recorder, policy: str) -> None:
    """Run ``work`` through ``engine`` (which has a speculation) under ``policy``
    (``continuous`` or ``chunked``)."""
    if policy not in ("continuous", "chunked"):
        raise ValueError(f"policy must be 'continuous' or 'chunked' with speculative decoding "
                         f"(static batches do not speculate here), got {policy!r}")
    run = _SpecRun(engine, work, rec)
    timer, n = run.timer, len(work)
    chunked = policy == "chunked"
    budget = engine.chunk_tokens() if chunked else 0
    ahead = run.spec.spec_tokens + 1
    now = 0.0
    while rec.done < n:
        run.arrive(now)
        if not chunked and run.waiting and len(run.dec) < engine.max_batch:
            later = _prefill_step(run, now)
            if later is not None:
                now = later
                continue
        if run.dec:
            run.reserve()
        chunks, owners = _plan_chunks(run, budget - len(run.dec) * ahead, now) if chunked \
            else ([], [])
        if not run.dec and not chunks:
            now = run.next_arrival(now)
            continue
        if run.dec:
            dt = timer.step_time_s(len(run.dec), run.context(), chunks)
        else:
            dt = engine.step_model.mixed_time_s(0, 0, chunks)
        dt += timer.prefill_extra_s(chunks)
        rec.step(now, dt, len(run.dec) + len(run.prefilling), run.used, len(run.waiting))
        now += dt
        if run.dec:
            run.advance(now)
        for i, (size, _) in zip(owners, chunks):
            run.pdone[i] += size
        while run.prefilling and run.pdone[run.prefilling[0]] == run.plen[run.prefilling[0]]:
            i = run.prefilling.popleft()
            run.join(i, run.plen[i], now)


def mean_accepted_tokens_per_step(rec: Recorder) -> float:
    """Tokens a sequence advanced per verification step, averaged over the run
    (``math.nan`` when no step verified anything).

    >>> mean_accepted_tokens_per_step(Recorder(1, None))
    nan
    """
    return rec.spec_tokens / rec.spec_steps if rec.spec_steps else math.nan
