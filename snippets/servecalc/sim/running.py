"""The running set of an iteration-level engine and its KV blocks.

Sequences join the running (decoding) set after a prefill, leave it when
their last token is out, and are evicted when a decode step needs blocks that
are not free (preemption by recomputation, vLLM's ``RECOMPUTE`` mode: the most
recently arrived running request loses its blocks and goes back to the head
of the queue; when readmitted it prefills its prompt and the tokens it had
generated).

Bookkeeping is per event, not per token, so a step costs the same whatever
the batch:

* a decoder ``i`` that joined at decode step ``k0[i]`` holding ``t0[i]`` KV
  tokens holds ``t0[i] + k - k0[i]`` tokens at step ``k``; it needs a new
  block at the steps where that count is a multiple of the block size, i.e.
  at ``k = k0[i] - t0[i] (mod block_size)``: ``phase[r]`` counts the
  decoders of each residue ``r``, so a step allocates ``phase[k % bs]`` blocks;
* ``ends[k]`` lists the sequences whose last decode step is ``k`` (checked
  again when it comes, as a preempted sequence may have left);
* ``victims`` is a max-heap (negated ids) of sequences that may be running;
  stale entries are skipped when popped.

>>> from .engine import Engine, Recorder
>>> from .workload import make_workload
>>> engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=8)
>>> run = RunningSet(engine, make_workload([0.0], [30], [5]), Recorder(1, None))
>>> run.take(30), run.used
(True, 2)
>>> run.join(0, 30, now=0.1)
>>> run.n_dec, run.total_context
(1, 31)
"""

from __future__ import annotations

import heapq
from collections import deque

from .engine import Engine, Recorder
from .workload import Workload

WAITING, RUNNING, PREFILLING, DONE = 0, 1, 2, 3


class RunningSet:
    """Queue, prefilling and decoding sequences, and the blocks they hold."""

    def __init__(self, engine: Engine, work: Workload, rec: Recorder) -> None:
        n = len(work)
        self.bs = engine.block_size
        self.total_blocks = engine.kv_blocks
        self.arrivals = work.arrivals
        self.outputs = work.outputs
        self.arrived = 0            # requests that have arrived (and joined the queue)
        self.rec = rec
        self.state = [WAITING] * n
        self.gen = [0] * n          # output tokens produced (as of joining the decode set)
        self.k0 = [0] * n           # decode step at which a sequence joined the decode set
        self.t0 = [0] * n           # KV tokens it held then
        self.plen = [0] * n         # tokens of the (re)prefill in progress (chunked)
        self.pdone = [0] * n        # of which already computed
        self.phase = [0] * self.bs  # decoders that need a new block at steps k = phase (mod bs)
        self.ends: dict[int, list[int]] = {}   # decode step -> sequences whose last step it is
        self.victims: list[int] = []           # max-heap (negated ids) of running sequences
        self.waiting: deque[int] = deque()
        self.prefilling: deque[int] = deque()
        self.n_dec = 0
        self.total_context = 0      # tokens the decoders attend to in the next decode step
        self.used = 0               # blocks allocated
        self.k = 0                  # decode steps so far

    def arrive(self, now: float) -> None:
        """Queue the requests that have arrived by ``now``."""
        arrivals, a, n = self.arrivals, self.arrived, len(self.arrivals)
        while a < n and arrivals[a] <= now:
            self.waiting.append(a)
            a += 1
        self.arrived = a

    def next_arrival(self, now: float) -> float:
        """Nothing to run: the time of the next arrival."""
        if self.arrived >= len(self.arrivals):   # cannot happen: every request fits alone
            raise RuntimeError("simulator stalled with requests left; please report this")
        return max(now, self.arrivals[self.arrived])

    def take(self, tokens: int) -> bool:
        """Allocate blocks for a prefill of ``tokens`` if they are free."""
        need = -(-tokens // self.bs)
        if self.used + need > self.total_blocks:
            return False
        self.used += need
        return True

    def track(self, i: int) -> None:
        """``i`` now holds blocks and may be evicted."""
        heapq.heappush(self.victims, -i)

    def preempt(self) -> None:
        """Evict the most recently arrived running or prefilling sequence."""
        state = self.state
        while True:
            i = -heapq.heappop(self.victims)
            if state[i] == RUNNING or state[i] == PREFILLING:
                break
        if state[i] == RUNNING:
            k = self.k
            held = self.t0[i] + k - self.k0[i]
            self.phase[(self.k0[i] - self.t0[i]) % self.bs] -= 1
            self.total_context -= held + 1
            self.n_dec -= 1
            self.gen[i] += k - self.k0[i]
            self.used -= -(-held // self.bs)
        else:
            self.prefilling.remove(i)
            self.used -= -(-self.plen[i] // self.bs)
        state[i] = WAITING
        self.waiting.appendleft(i)
        self.rec.preemptions += 1

    def reserve_decode_blocks(self) -> None:
        """Blocks for the next decode step's new tokens, evicting until they are free."""
        phase = self.phase
        ph = self.k % self.bs
        while phase[ph] > self.total_blocks - self.used:
            self.preempt()
        self.used += phase[ph]

    def join(self, i: int, kv_tokens: int, now: float) -> None:
        """Sequence ``i`` has just emitted a token after a prefill of ``kv_tokens``."""
        rec = self.rec
        if rec.first[i] < 0:
            rec.first[i] = now
        gen = self.gen
        gen[i] += 1
        if gen[i] >= self.outputs[i]:
            self.state[i] = DONE
            rec.finish[i] = now
            self.used -= -(-kv_tokens // self.bs)
            rec.finished(1)
            return
        k = self.k
        self.state[i] = RUNNING
        self.k0[i] = k
        self.t0[i] = kv_tokens
        self.phase[(k - kv_tokens) % self.bs] += 1
        self.total_context += kv_tokens + 1
        self.n_dec += 1
        last = k + self.outputs[i] - gen[i] - 1
        bucket = self.ends.get(last)
        if bucket is None:
            self.ends[last] = [i]
        else:
            bucket.append(i)

    def end_decode_step(self, now: float) -> None:
        """After decode step ``k``: contexts grow by one, finished sequences leave."""
        k = self.k
        self.total_context += self.n_dec
        bucket = self.ends.pop(k, None)
        if bucket:
            state, k0, t0, outputs, gen = self.state, self.k0, self.t0, self.outputs, self.gen
            finish = self.rec.finish
            bs = self.bs
            count = 0
            for i in bucket:
                if state[i] == RUNNING and k0[i] + outputs[i] - gen[i] - 1 == k:
                    state[i] = DONE
                    finish[i] = now
                    held = t0[i] + k - k0[i] + 1
                    self.phase[(k0[i] - t0[i]) % bs] -= 1
                    self.total_context -= held + 1
                    self.n_dec -= 1
                    self.used -= -(-held // bs)
                    count += 1
            if count:
                self.rec.finished(count)
        self.k = k + 1
