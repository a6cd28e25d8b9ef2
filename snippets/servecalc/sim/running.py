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
import math
from collections import deque
from collections.abc import Callable

from .engine import Engine, Recorder
from .prefix import PrefixCache
from .single import lone_blocks, lone_peak_blocks
from .workload import Workload

WAITING, RUNNING, PREFILLING, DONE = 0, 1, 2, 3
#: Fewer decode steps than this before the next event are taken one by one.
_LEAP_MIN = 4
#: "No sequence ends": a step count beyond any run.
_NEVER = 1 << 62


class RunningSet:
    """Queue, prefilling and decoding sequences, and the blocks they hold."""

    def __init__(self, engine: Engine, work: Workload, rec: Recorder) -> None:
        n = len(work)
        self.bs = engine.block_size
        self.total_blocks = engine.kv_blocks
        self.arrivals = work.arrivals
        self.prompts = work.prompts
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
        self.end_steps: list[int] = []         # min-heap of the steps in ``ends``
        self.victims: list[int] = []           # max-heap (negated ids) of running sequences
        self.waiting: deque[int] = deque()
        self.prefilling: deque[int] = deque()
        self.n_dec = 0
        self.total_context = 0      # tokens the decoders attend to in the next decode step
        self.used = 0               # blocks allocated
        self.k = 0                  # decode steps so far
        self.total = self.total_blocks
        self.hit = [0] * n          # prompt tokens the current prefill found cached
        # ``reserve`` admission: blocks booked for each admitted sequence's whole life
        self.book_whole = engine.admission == "reserve"
        self.booked = [0] * n
        self.reserved = 0
        self.hashes = work.prefix_hashes
        #: The prefix cache (:mod:`servecalc.sim.prefix`), when the engine keeps one and
        #: the workload carries hashes.
        self.cache: PrefixCache | None = None
        if engine.prefix_cache and self.hashes is not None:
            self.cache = PrefixCache(hash_block_tokens=work.hash_block_tokens,
                                     block_size=self.bs, requests=n)
            rec.prefix_hit_tokens = self.cache.hit_tokens

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

    def serve_alone(self, now: float,
                    service: Callable[[int, int], tuple[float, float, int]]) -> float | None:
        """Serve the one waiting request at once if it is alone: nothing running or
        prefilling, never preempted, and the next arrival not before it would finish
        alone (``service(prompt, output)``: time to first token, total and steps, as
        :func:`servecalc.sim.single.single_service` times a lone request). Returns
        the finish time, or None (then the policy's loop takes it step by step).

        Its steps are recorded as one, of batch 1 and its blocks half-way through
        (as the batch-1 short path does); ``Recorder.extra_steps`` keeps the count
        and ``Recorder.peak_blocks`` the blocks of its last step.
        """
        if self.n_dec or self.prefilling or len(self.waiting) != 1 or self.cache is not None:
            return None
        i = self.waiting[0]
        rec = self.rec
        if rec.start[i] >= 0:           # started before (and preempted): step by step
            return None
        prompt, output = self.prompts[i], self.outputs[i]
        ttft, total, steps = service(prompt, output)
        end = now + total
        if self.arrived < len(self.arrivals) and self.arrivals[self.arrived] < end:
            return None
        self.waiting.popleft()
        self.state[i] = DONE
        rec.start[i], rec.first[i], rec.finish[i] = now, now + ttft, end
        rec.step(now, total, 1, lone_blocks(prompt, output, self.bs), 0)
        rec.extra_steps += steps - 1
        rec.peak_blocks = max(rec.peak_blocks, lone_peak_blocks(prompt, output, self.bs))
        rec.finished(1, end)
        return end

    def take(self, tokens: int, i: int | None = None) -> bool:
        """Allocate blocks for a prefill of ``tokens`` (of sequence ``i``) if they are
        free; with a prefix cache, ``hit[i]`` is set to the tokens found cached. Under
        ``reserve`` admission, only if its prompt and whole output fit the bookings."""
        if self.book_whole and i is not None:
            book = -(-(self.prompts[i] + self.outputs[i]) // self.bs)
            if self.reserved + book > self.total_blocks or not self._allocate(tokens, i):
                return False
            self.reserved += book
            self.booked[i] = book
            return True
        return self._allocate(tokens, i)

    def _allocate(self, tokens: int, i: int | None) -> bool:
        if self.cache is not None and i is not None:
            hit = self.cache.admit(self, i, self.hashes[i], self.prompts[i], tokens)  # type: ignore[index]
            if hit < 0:
                return False
            self.hit[i] = hit
            return True
        need = -(-tokens // self.bs)
        if self.used + need > self.total_blocks:
            return False
        self.used += need
        return True

    def free(self, i: int, tokens: int) -> None:
        """Sequence ``i`` leaves holding ``tokens`` tokens of KV: its blocks go back
        (with a prefix cache, its cached prompt blocks stay, idle)."""
        if self.cache is None:
            self.used -= -(-tokens // self.bs)
        else:
            self.cache.release(self, i, tokens)
        if self.book_whole:
            self.reserved -= self.booked[i]
            self.booked[i] = 0

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
            self.free(i, held)
        else:
            self.prefilling.remove(i)
            self.free(i, self.plen[i])
        state[i] = WAITING
        self.waiting.appendleft(i)
        self.rec.preemptions += 1

    def reserve_decode_blocks(self) -> None:
        """Blocks for the next decode step's new tokens, evicting until they are free."""
        phase = self.phase
        ph = self.k % self.bs
        cache = self.cache
        if cache is not None:      # evict idle cached blocks before preempting anyone
            cache.evict(phase[ph], self)
            while phase[ph] > self.total_blocks - self.used - cache.idle_blocks:
                self.preempt()
                cache.evict(phase[ph], self)
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
        if self.cache is not None:
            self.cache.register(self, i, self.hashes[i], self.prompts[i])  # type: ignore[index]
        if gen[i] >= self.outputs[i]:
            self.state[i] = DONE
            rec.finish[i] = now
            self.free(i, kv_tokens)
            rec.finished(1, now)
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
            heapq.heappush(self.end_steps, last)
        else:
            bucket.append(i)

    def leap(self, now: float, line: Callable[[int], tuple[float, float] | None],
             record: Callable[[float, float, int, int, int], None]) -> float:
        """The decode steps before the next event (an arrival due, a sequence's last
        step), summed at once; the time after them, or ``now`` when nothing was summed
        (the events are near, the blocks might run short, or ``line`` -- a step's time
        as ``F + G x context``, :meth:`~servecalc.step.StepModel.decode_line` -- is
        None). The scheduler calls it only when it would decode anyway: until the
        next event no sequence leaves and no request arrives, so no admission can
        succeed and every step is a decode of the same batch, whose context grows by
        the batch each step. Recorded as one step of the whole length, its blocks
        half-way (``Recorder.extra_steps`` keeps the count, ``Recorder.peak_blocks``
        the blocks of its last step)."""
        n_dec, k, context = self.n_dec, self.k, self.total_context
        steps = (self.end_steps[0] if self.end_steps else k + _NEVER) - k
        if steps < _LEAP_MIN or not n_dec:
            return now
        coefficients = line(n_dec)
        if coefficients is None:
            return now
        f, g = coefficients
        half = g * n_dec / 2

        def elapsed(j: int) -> float:          # seconds of the next j steps
            return j * (f + g * context) + half * j * (j - 1)

        if self.arrived < len(self.arrivals) and self.arrivals[self.arrived] < math.inf:
            # steps that start before the next arrival (a closed loop's unsent ones are inf)
            gap = self.arrivals[self.arrived] - now
            if half > 0:
                b = f + g * context - half
                j = max(1, math.ceil((-b + math.sqrt(b * b + 4 * half * gap)) / (2 * half)))
            else:
                j = max(1, math.ceil(gap / (f + g * context)))
            while j > 1 and elapsed(j - 1) >= gap:
                j -= 1
            while elapsed(j) < gap:
                j += 1
            steps = min(steps, j)
            if steps < _LEAP_MIN:
                return now
        cycles, rest = divmod(steps, self.bs)
        need = cycles * sum(self.phase) + sum(self.phase[(k + j) % self.bs] for j in range(rest))
        if self.used + need > self.total_blocks:
            return now
        if self.cache is not None:   # no admission or release until then: evict at once
            self.cache.evict(need, self)
        seconds = elapsed(steps)
        # Blocks half-way (they grow about evenly) in the record; the peak is the last
        # step's, kept apart: the next step may preempt (when the pool is exactly full
        # after the stretch), so its record would show fewer blocks than this one held.
        record(now, seconds, n_dec, self.used + need // 2, len(self.waiting))
        self.used += need
        if self.used > self.rec.peak_blocks:
            self.rec.peak_blocks = self.used
        self.rec.extra_steps += steps - 1
        self.total_context = context + steps * n_dec
        self.k = k + steps
        return now + seconds

    def end_decode_step(self, now: float) -> None:
        """After decode step ``k``: contexts grow by one, finished sequences leave."""
        k = self.k
        self.total_context += self.n_dec
        bucket = self.ends.pop(k, None)
        if bucket is not None:
            heapq.heappop(self.end_steps)       # its head is ``k``: every step is passed
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
                    self.free(i, held)
                    count += 1
            if count:
                self.rec.finished(count, now)
        self.k = k + 1
