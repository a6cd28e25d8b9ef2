"""A discrete-event simulator of one serving replica: queues, batches, KV blocks.

The calculators elsewhere in ``servecalc`` give steady-state answers. This
module runs a stream of requests (:mod:`servecalc.workload`) through one
engine, step by step, and reports what each request saw: time to first token
(TTFT), time per output token (TPOT), end-to-end latency, and what the engine
did over time (batch size, KV-cache use, queue length).

The engine
----------

* **Step times** come from the roofline step model
  (:class:`servecalc.step.StepModel`), so they move with the model, GPU,
  precision, tensor parallelism and the MBU/MFU assumptions.
* **KV memory** is the budget of :func:`servecalc.capacity.fit` (GPU memory x
  ``memory_utilization``, minus weights and a reserve) cut into blocks of
  ``block_size`` tokens, as in vLLM's PagedAttention. A sequence holds
  ``ceil(tokens / block_size)`` blocks and takes a new one when its last block
  fills. (Sliding-window layers are counted as full-attention layers, so such
  models come out slightly memory-pessimistic.)
* **Preemption by recomputation**: when a decode step needs blocks that are
  not free, the most recently arrived running request is evicted, its blocks
  freed, and it goes back to the head of the queue. When readmitted it
  prefills its prompt *and* the tokens it had generated, then continues
  (vLLM's ``RECOMPUTE`` mode).
* Token accounting follows :mod:`servecalc.latency`: a prefill of ``P``
  tokens yields the first output token; decode step ``j`` attends to
  ``P + j`` tokens; a request of ``O`` output tokens needs ``O - 1`` decode
  steps. TPOT of a request is ``(finish - first token) / (O - 1)``, the
  definition of vLLM's and most serving benchmarks.

Policies
--------

``static``
    Request-level batching, the baseline of the Orca paper: when the engine is
    free it takes up to ``max_batch`` waiting requests (as many as fit with
    their full length reserved), pads their prompts to the longest, and runs
    the batch until its longest request is done. Finished sequences keep
    their slot and the responses return together, at the end of the batch.
    Requests that arrive meanwhile wait for the next batch.
``continuous``
    Iteration-level scheduling (Orca; vLLM's default scheduler without
    chunking): before every step, waiting requests are admitted in arrival
    order while a slot (``max_batch``) and blocks for their prompt are free.
    If any were admitted the step prefills them (decodes pause for it);
    otherwise it decodes every running sequence. A finished sequence leaves
    at once. ``max_batched_tokens`` (default: no limit) caps the prompt
    tokens of one prefill step.
``chunked``
    Chunked prefill (Sarathi-Serve; vLLM with chunked prefill): every step
    carries one decode token for each running sequence, then prompt chunks
    up to a budget of ``max_batched_tokens`` tokens per step (default
    2,048): first the prompts already in progress, then new requests. Long
    prompts no longer stall decoding.

With ``max_batch=1`` and fixed lengths the engine is an M/D/1 queue; that
case takes a short path (a request's service time is computed once and the
queue follows Lindley's recursion), which the tests check against the full
step-by-step engine.

>>> from servecalc.workload import poisson_workload
>>> engine = Engine("llama-3.1-8b", "h100-sxm")
>>> work = poisson_workload(rate=4.0, requests=200, prompt=512, output=128, seed=1)
>>> r = simulate(engine, work, policy="continuous")
>>> r.requests, r.preemptions
(200, 0)
>>> from servecalc.units import fmt_duration
>>> fmt_duration(r.ttft_s.p50, "ms"), fmt_duration(r.tpot_s.p50, "ms", digits=2)
('21.2 ms', '8.24 ms')
>>> s = simulate(engine, work, policy="static")
>>> s.e2e_s.p99 > r.e2e_s.p99
True
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .capacity import fit_deployment
from .deployment import Deployment
from .gpus import GpuSpec
from .models import ModelSpec
from .step import StepModel
from .sim_stats import Percentiles, TimelinePoint, summarize, timeline, within_slo
from .slo import Slo, get_slo
from .validate import choice, positive_int, positive_number
from .workload import Lengths, Workload, as_lengths, burst_workload, poisson_workload

POLICIES = ("static", "continuous", "chunked")

#: Sequences per step unless told otherwise (vLLM's ``max_num_seqs`` default
#: in its V0 engine).
DEFAULT_MAX_BATCH = 256
#: Token budget per step of the ``chunked`` policy (vLLM's
#: ``max_num_batched_tokens`` default with chunked prefill).
DEFAULT_CHUNK_TOKENS = 2048
#: SLO used for goodput unless told otherwise (:data:`servecalc.slo.PRESETS`).
DEFAULT_SLO = "mlperf-llama2-70b-server"

_WAITING, _RUNNING, _PREFILLING, _DONE = 0, 1, 2, 3


class Engine:
    """One replica: a step model, a KV block pool and batch limits.

    ``kv_blocks`` overrides the pool size computed from memory (useful to
    study preemption). ``max_batched_tokens``: see the module docstring
    (``None`` means no limit for ``continuous`` and
    :data:`DEFAULT_CHUNK_TOKENS` for ``chunked``).

    >>> e = Engine("llama-3.1-8b", "h100-sxm")
    >>> e.kv_blocks, e.block_size, e.max_batch
    (28059, 16, 256)
    >>> Engine("llama-3.1-70b", "h100-sxm")
    Traceback (most recent call last):
        ...
    ValueError: no KV blocks fit: weights (131.42 GiB) and reserve (1.50 GiB) exceed usable memory (71.26 GiB) on 1 x NVIDIA H100 SXM5 80GB
    """

    def __init__(
        self,
        model: Deployment | str | ModelSpec,
        gpu: str | GpuSpec | None = None,
        *,
        gpus: int = 1,
        weight_dtype: str = "bf16",
        kv_dtype: str = "bf16",
        max_batch: int = DEFAULT_MAX_BATCH,
        max_batched_tokens: int | None = None,
        block_size: int = 16,
        memory_utilization: float = 0.9,
        reserve_bytes: int | None = None,
        kv_blocks: int | None = None,
        mbu: float | None = None,
        mfu: float | None = None,
        overhead_s: float | None = None,
    ) -> None:
        if not isinstance(model, Deployment):
            model = Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype,
                               kv_dtype=kv_dtype, mbu=mbu, mfu=mfu, overhead_s=overhead_s)
            gpu = None
        self.step_model = StepModel(model, gpu)
        self.max_batch = positive_int("max_batch", max_batch)
        self.block_size = positive_int("block_size", block_size)
        if max_batched_tokens is not None:
            positive_int("max_batched_tokens", max_batched_tokens)
        self.max_batched_tokens = max_batched_tokens
        if kv_blocks is None:
            fitted = fit_deployment(self.step_model.deployment, context=block_size,
                                    memory_utilization=memory_utilization,
                                    reserve_bytes=reserve_bytes, block_size=block_size)
            kv_blocks = fitted.kv_token_capacity // block_size
            if kv_blocks == 0:
                raise ValueError(f"no KV blocks fit: {fitted.reason}")
        self.kv_blocks = positive_int("kv_blocks", kv_blocks)

    @property
    def kv_tokens(self) -> int:
        """Tokens the block pool holds."""
        return self.kv_blocks * self.block_size

    def chunk_tokens(self) -> int:
        """Per-step token budget of the ``chunked`` policy."""
        if self.max_batched_tokens is None:
            return max(DEFAULT_CHUNK_TOKENS, self.max_batch)
        return self.max_batched_tokens

    def __repr__(self) -> str:
        sm = self.step_model
        return (f"Engine({sm.model.id!r}, {sm.gpu.id!r}, gpus={sm.gpus}, "
                f"max_batch={self.max_batch}, kv_blocks={self.kv_blocks}, "
                f"block_size={self.block_size})")


@dataclass(frozen=True, kw_only=True)
class SimResult:
    """What one simulation measured. Latencies in seconds; see :meth:`to_dict`.

    ``throughput_tokens_per_s`` counts output tokens per second and
    ``requests_per_s`` completed requests per second, both over ``duration_s``
    (first arrival to last completion). ``goodput_requests_per_s`` counts only
    requests that met ``slo`` (TTFT and TPOT both within its limits).
    ``mean_batch`` is the time-weighted mean number of sequences in the engine
    while it was busy.
    """

    policy: str
    requests: int
    duration_s: float
    ttft_s: Percentiles
    tpot_s: Percentiles
    e2e_s: Percentiles
    queue_s: Percentiles
    output_tokens: int
    throughput_tokens_per_s: float
    requests_per_s: float
    goodput_requests_per_s: float
    slo: Slo
    slo_attainment: float
    preemptions: int
    steps: int
    busy_s: float
    mean_batch: float
    peak_batch: int
    kv_blocks: int
    peak_kv_utilization: float
    timeline: tuple[TimelinePoint, ...] = field(repr=False)
    arrivals: tuple[float, ...] = field(repr=False)
    first_token_s: tuple[float, ...] = field(repr=False)
    finish_s: tuple[float, ...] = field(repr=False)
    start_s: tuple[float, ...] = field(repr=False)

    def to_dict(self, *, timeline: bool = False) -> dict:
        """Plain JSON types: the CLI's ``--json`` output (timeline on request)."""
        data = {
            "policy": self.policy,
            "requests": self.requests,
            "duration_s": self.duration_s,
            "ttft_s": self.ttft_s.as_dict(),
            "tpot_s": self.tpot_s.as_dict(),
            "e2e_s": self.e2e_s.as_dict(),
            "queue_s": self.queue_s.as_dict(),
            "output_tokens": self.output_tokens,
            "throughput_tokens_per_s": self.throughput_tokens_per_s,
            "requests_per_s": self.requests_per_s,
            "goodput_requests_per_s": self.goodput_requests_per_s,
            "slo": {"name": self.slo.name, "ttft_s": self.slo.ttft_s, "tpot_s": self.slo.tpot_s},
            "slo_attainment": self.slo_attainment,
            "preemptions": self.preemptions,
            "steps": self.steps,
            "busy_s": self.busy_s,
            "mean_batch": self.mean_batch,
            "peak_batch": self.peak_batch,
            "kv_blocks": self.kv_blocks,
            "peak_kv_utilization": self.peak_kv_utilization,
        }
        if timeline:
            data["timeline"] = [
                {"t_s": p.t_s, "batch": p.batch, "kv_utilization": p.kv_utilization,
                 "waiting": p.waiting}
                for p in self.timeline
            ]
        return data


class _Recorder:
    """Per-request times and per-step engine state, filled by a policy loop."""

    def __init__(self, n: int, progress: Callable[[float], object] | None) -> None:
        self.n = n
        self.first = [-1.0] * n
        self.finish = [-1.0] * n
        self.start = [-1.0] * n
        self.done = 0
        self.preemptions = 0
        self.steps = 0         # set by the batch-1 short path (one record per request)
        self.step_start: list[float] = []
        self.step_len: list[float] = []
        self.step_batch: list[int] = []
        self.step_blocks: list[int] = []
        self.step_waiting: list[int] = []
        self._progress = progress
        self._next = n / 100 if progress else math.inf

    def finished(self, count: int) -> None:
        """Count ``count`` completions; report progress at most ~100 times."""
        self.done += count
        if self.done >= self._next:
            while self._next <= self.done:
                self._next = (math.floor(self.done * 100 / self.n) + 1) * self.n / 100
            if self.done < self.n:
                self._progress(self.done / self.n)

    def close(self) -> None:
        if self._progress:
            self._progress(1.0)


def _check_fits(engine: Engine, work: Workload) -> None:
    limit = engine.kv_tokens
    for index, (p, o) in enumerate(zip(work.prompts, work.outputs)):
        if p + o - 1 > limit:
            raise ValueError(
                f"prompt + output of request {index} need {p + o - 1} tokens of KV cache "
                f"({p} + {o} - 1) but the engine holds {limit} ({engine.kv_blocks} blocks of "
                f"{engine.block_size}): lower the lengths or add memory"
            )


# --------------------------------------------------------------------------- policies


def _run_static(engine: Engine, work: Workload, rec: _Recorder) -> None:
    sm = engine.step_model
    decode = sm.decode_time_s
    prefill = sm.prefill_time_s
    bs = engine.block_size
    total_blocks = engine.kv_blocks
    arrivals, prompts, outputs = work.arrivals, work.prompts, work.outputs
    n = len(work)
    waiting: deque[int] = deque()
    first, finish, start = rec.first, rec.finish, rec.start
    s_start, s_len, s_batch = rec.step_start, rec.step_len, rec.step_batch
    s_blocks, s_wait = rec.step_blocks, rec.step_waiting
    known: dict[tuple[int, int], float] = {}
    now = 0.0
    a = 0
    while rec.done < n:
        while a < n and arrivals[a] <= now:
            waiting.append(a)
            a += 1
        if not waiting:
            now = arrivals[a]
            continue
        group: list[int] = []
        longest_prompt = longest_output = 0
        while waiting and len(group) < engine.max_batch:
            i = waiting[0]
            lp = max(longest_prompt, prompts[i])
            lo = max(longest_output, outputs[i])
            if group and (len(group) + 1) * -(-(lp + lo - 1) // bs) > total_blocks:
                break
            waiting.popleft()
            group.append(i)
            longest_prompt, longest_output = lp, lo
        size = len(group)
        dt = prefill(longest_prompt, 0, size)
        s_start.append(now)
        s_len.append(dt)
        s_batch.append(size)
        s_blocks.append(size * -(-longest_prompt // bs))
        s_wait.append(len(waiting))
        for i in group:
            start[i] = now
        now += dt
        for i in group:
            first[i] = now
        queued = len(waiting)
        seen = a                      # requests that arrived while the batch runs
        for j in range(1, longest_output):
            context = longest_prompt + j
            key = (size, context)
            dt = known.get(key)
            if dt is None:            # batches of one size and prompt repeat their steps
                dt = known[key] = decode(size, size * context)
            while seen < n and arrivals[seen] <= now:
                seen += 1
            s_start.append(now)
            s_len.append(dt)
            s_batch.append(size)
            s_blocks.append(size * -(-context // bs))
            s_wait.append(queued + seen - a)
            now += dt
        for i in group:
            finish[i] = now
        rec.finished(size)


def _run_continuous(engine: Engine, work: Workload, rec: _Recorder, chunked: bool) -> None:
    sm = engine.step_model
    decode = sm.decode_time_s
    mixed = sm.mixed_time_s
    bs = engine.block_size
    total_blocks = engine.kv_blocks
    max_batch = engine.max_batch
    if chunked:
        budget_per_step = engine.chunk_tokens()
        if budget_per_step < max_batch:
            raise ValueError(
                f"max_batched_tokens must be >= max_batch ({max_batch}) for the chunked policy, "
                f"got {budget_per_step}"
            )
    else:
        budget_per_step = engine.max_batched_tokens or 0
    arrivals, prompts, outputs = work.arrivals, work.prompts, work.outputs
    n = len(work)
    first, finish, start = rec.first, rec.finish, rec.start
    s_start, s_len, s_batch = rec.step_start, rec.step_len, rec.step_batch
    s_blocks, s_wait = rec.step_blocks, rec.step_waiting

    state = [_WAITING] * n
    gen = [0] * n          # output tokens produced (as of joining the decode set)
    k0 = [0] * n           # decode step at which a sequence joined the decode set
    t0 = [0] * n           # KV tokens it held then
    plen = [0] * n         # tokens of the (re)prefill in progress
    pdone = [0] * n        # of which already computed
    phase = [0] * bs       # decoders that need a new block at steps k = phase (mod bs)
    ends: dict[int, list[int]] = {}   # decode step -> sequences whose last step it is
    victims: list[int] = []            # max-heap (negated ids) of running sequences
    waiting: deque[int] = deque()
    prefilling: deque[int] = deque()
    n_dec = 0
    total_context = 0      # tokens the decoders attend to in the next decode step
    used = 0               # blocks allocated
    now = 0.0
    k = 0                  # decode steps so far
    a = 0

    def preempt() -> None:
        nonlocal n_dec, total_context, used
        while True:
            i = -heapq.heappop(victims)
            if state[i] == _RUNNING or state[i] == _PREFILLING:
                break
        if state[i] == _RUNNING:
            held = t0[i] + k - k0[i]
            phase[(k0[i] - t0[i]) % bs] -= 1
            total_context -= held + 1
            n_dec -= 1
            gen[i] += k - k0[i]
            used -= -(-held // bs)
        else:
            prefilling.remove(i)
            used -= -(-plen[i] // bs)
        state[i] = _WAITING
        waiting.appendleft(i)
        rec.preemptions += 1

    def join(i: int, kv_tokens: int) -> None:
        """Sequence ``i`` has just emitted a token after a prefill of ``kv_tokens``."""
        nonlocal n_dec, total_context, used
        if first[i] < 0:
            first[i] = now
        gen[i] += 1
        if gen[i] >= outputs[i]:
            state[i] = _DONE
            finish[i] = now
            used -= -(-kv_tokens // bs)
            rec.finished(1)
            return
        state[i] = _RUNNING
        k0[i] = k
        t0[i] = kv_tokens
        phase[(k - kv_tokens) % bs] += 1
        total_context += kv_tokens + 1
        n_dec += 1
        last = k + outputs[i] - gen[i] - 1
        bucket = ends.get(last)
        if bucket is None:
            ends[last] = [i]
        else:
            bucket.append(i)

    def end_decode_step() -> None:
        """After decode step ``k``: contexts grow by one, finished sequences leave."""
        nonlocal n_dec, total_context, used, k
        total_context += n_dec
        bucket = ends.pop(k, None)
        if bucket:
            count = 0
            for i in bucket:
                if state[i] == _RUNNING and k0[i] + outputs[i] - gen[i] - 1 == k:
                    state[i] = _DONE
                    finish[i] = now
                    held = t0[i] + k - k0[i] + 1
                    phase[(k0[i] - t0[i]) % bs] -= 1
                    total_context -= held + 1
                    n_dec -= 1
                    used -= -(-held // bs)
                    count += 1
            if count:
                rec.finished(count)
        k += 1

    while rec.done < n:
        while a < n and arrivals[a] <= now:
            waiting.append(a)
            a += 1

        if not chunked:
            # Prefill first: admit what fits, run one prefill step for it.
            admitted: list[int] = []
            if waiting and n_dec < max_batch:
                tokens = 0
                while waiting and n_dec + len(admitted) < max_batch:
                    i = waiting[0]
                    length = prompts[i] + gen[i]
                    need = -(-length // bs)
                    if used + need > total_blocks:
                        break
                    if admitted and budget_per_step and tokens + length > budget_per_step:
                        break
                    waiting.popleft()
                    used += need
                    tokens += length
                    admitted.append(i)
            if admitted:
                chunks = [(prompts[i] + gen[i], 0) for i in admitted]
                dt = mixed(0, 0, chunks)
                s_start.append(now)
                s_len.append(dt)
                s_batch.append(n_dec + len(admitted))
                s_blocks.append(used)
                s_wait.append(len(waiting))
                for i in admitted:
                    if start[i] < 0:
                        start[i] = now
                now += dt
                for i, (length, _) in zip(admitted, chunks):
                    join(i, length)
                    if state[i] == _RUNNING:
                        heapq.heappush(victims, -i)
                continue
            if not n_dec:
                if a >= n:   # cannot happen: every request fits alone (checked up front)
                    raise RuntimeError("simulator stalled with requests left; please report this")
                now = max(now, arrivals[a])
                continue
            ph = k % bs
            while phase[ph] > total_blocks - used:
                preempt()
            if not n_dec:
                continue
            used += phase[ph]
            dt = decode(n_dec, total_context)
            s_start.append(now)
            s_len.append(dt)
            s_batch.append(n_dec)
            s_blocks.append(used)
            s_wait.append(len(waiting))
            now += dt
        else:
            # Decode tokens first, then prompt chunks within the token budget.
            if n_dec:
                ph = k % bs
                while phase[ph] > total_blocks - used:
                    preempt()
                used += phase[ph]      # the decoders' new blocks, before any admission
            left = budget_per_step - n_dec
            chunks = []
            owners = []
            for i in prefilling:
                if left <= 0:
                    break
                size = min(plen[i] - pdone[i], left)
                chunks.append((size, pdone[i]))
                owners.append(i)
                left -= size
            while left > 0 and waiting and n_dec + len(prefilling) < max_batch:
                i = waiting[0]
                length = prompts[i] + gen[i]
                need = -(-length // bs)
                if used + need > total_blocks:
                    break
                waiting.popleft()
                used += need
                state[i] = _PREFILLING
                plen[i] = length
                pdone[i] = 0
                prefilling.append(i)
                heapq.heappush(victims, -i)
                if start[i] < 0:
                    start[i] = now
                size = min(length, left)
                chunks.append((size, 0))
                owners.append(i)
                left -= size
            if not n_dec and not chunks:
                if a >= n:   # cannot happen: every request fits alone (checked up front)
                    raise RuntimeError("simulator stalled with requests left; please report this")
                now = max(now, arrivals[a])
                continue
            dt = mixed(n_dec, total_context, chunks)
            s_start.append(now)
            s_len.append(dt)
            s_batch.append(n_dec + len(prefilling))
            s_blocks.append(used)
            s_wait.append(len(waiting))
            now += dt
            for i, (size, _) in zip(owners, chunks):
                pdone[i] += size
            if n_dec:
                end_decode_step()
            while prefilling and pdone[prefilling[0]] == plen[prefilling[0]]:
                i = prefilling.popleft()
                join(i, plen[i])
            continue

        end_decode_step()


def _single_service(engine: Engine, policy: str, prompt: int, output: int
                    ) -> tuple[float, float, int]:
    """(time to first token, total service time, steps) of a request alone in the engine.

    The same step calls as the step-by-step loops make for a lone request,
    summed with :func:`math.fsum`.
    """
    sm = engine.step_model
    if policy == "chunked":
        budget = engine.chunk_tokens()
        first_steps = []
        done = 0
        while done < prompt:
            size = min(prompt - done, budget)
            first_steps.append(sm.mixed_time_s(0, 0, [(size, done)]))
            done += size
        decode_steps = [sm.mixed_time_s(1, prompt + j) for j in range(1, output)]
    else:
        if policy == "static":
            first_steps = [sm.prefill_time_s(prompt, 0, 1)]
        else:
            first_steps = [sm.mixed_time_s(0, 0, [(prompt, 0)])]
        decode_steps = [sm.decode_time_s(1, prompt + j) for j in range(1, output)]
    ttft = math.fsum(first_steps)
    return ttft, math.fsum(first_steps + decode_steps), len(first_steps) + len(decode_steps)


def _run_single(engine: Engine, work: Workload, rec: _Recorder, policy: str) -> None:
    """``max_batch == 1``: a FIFO single-server queue (Lindley's recursion).

    Each request's service (its steps alone in the engine) is computed once
    per (prompt, output) pair; the engine's state is recorded once per request.
    """
    bs = engine.block_size
    arrivals, prompts, outputs = work.arrivals, work.prompts, work.outputs
    n = len(work)
    services: dict[tuple[int, int], tuple[float, float, int]] = {}
    first, finish, start = rec.first, rec.finish, rec.start
    s_start, s_len, s_blocks, s_wait = (rec.step_start, rec.step_len, rec.step_blocks,
                                        rec.step_waiting)
    free_at = 0.0
    a = 0
    steps = 0
    mark = 0
    for i in range(n):
        key = (prompts[i], outputs[i])
        service = services.get(key)
        if service is None:
            service = services[key] = _single_service(engine, policy, *key)
        ttft, total, count = service
        arrival = arrivals[i]
        begin = arrival if arrival > free_at else free_at
        start[i] = begin
        first[i] = begin + ttft
        free_at = finish[i] = begin + total
        steps += count
        if a <= i:
            a = i + 1
        while a < n and arrivals[a] <= begin:
            a += 1
        s_start.append(begin)
        s_len.append(total)
        s_blocks.append(-(-(key[0] + key[1] // 2) // bs))
        s_wait.append(a - i - 1)
        if i >= mark:                 # report progress only when a mark is crossed
            rec.finished(i + 1 - rec.done)
            mark = math.ceil(rec._next) - 1 if rec._next < n else n - 1
    if rec.done < n:
        rec.finished(n - rec.done)
    rec.step_batch.extend([1] * n)
    rec.steps = steps


def simulate(
    engine: Engine,
    workload: Workload,
    *,
    policy: str = "continuous",
    slo: str | Slo = DEFAULT_SLO,
    chart_points: int = 300,
    progress: Callable[[float], object] | None = None,
) -> SimResult:
    """Run ``workload`` through ``engine`` under ``policy``; see the module docstring.

    ``progress``, if given, is called with the fraction of requests completed
    (at most about a hundred times, and once with 1.0 at the end).
    ``chart_points`` bins the engine's state over time for charts.

    >>> from servecalc.workload import poisson_workload
    >>> e = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
    >>> w = poisson_workload(rate=1.0, requests=50, prompt=256, output=32, seed=0)
    >>> seen = []
    >>> r = simulate(e, w, policy="continuous", progress=seen.append)
    >>> len(seen) <= 101, seen[-1]
    (True, 1.0)
    >>> simulate(e, w, policy="dynamic")
    Traceback (most recent call last):
        ...
    ValueError: policy must be one of 'static', 'continuous', 'chunked', got 'dynamic'
    """
    return _simulate(engine, workload, policy=policy, slo=slo, chart_points=chart_points,
                     progress=progress, fast=True)


def _simulate(engine: Engine, workload: Workload, *, policy: str, slo: str | Slo,
              chart_points: int, progress: Callable[[float], object] | None,
              fast: bool) -> SimResult:
    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be a servecalc.simulate.Engine, got {engine!r}")
    if not isinstance(workload, Workload):
        raise ValueError(f"workload must be a servecalc.workload.Workload, got {workload!r}")
    choice("policy", policy, POLICIES)
    target = get_slo(slo)
    positive_int("chart_points", chart_points)
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable taking a fraction, or None, got {progress!r}")
    _check_fits(engine, workload)
    n = len(workload)
    rec = _Recorder(n, progress)
    if fast and engine.max_batch == 1:
        _run_single(engine, workload, rec, policy)
    elif policy == "static":
        _run_static(engine, workload, rec)
    else:
        _run_continuous(engine, workload, rec, chunked=policy == "chunked")
    rec.close()
    return _result(engine, workload, rec, policy, target, chart_points)


def _result(engine: Engine, work: Workload, rec: _Recorder, policy: str, target: Slo,
            chart_points: int) -> SimResult:
    arrivals, outputs = work.arrivals, work.outputs
    first, finish, start = rec.first, rec.finish, rec.start
    n = len(work)
    ttft = [first[i] - arrivals[i] for i in range(n)]
    e2e = [finish[i] - arrivals[i] for i in range(n)]
    queue = [start[i] - arrivals[i] for i in range(n)]
    tpot_all = [(finish[i] - first[i]) / (outputs[i] - 1) if outputs[i] > 1 else 0.0
                for i in range(n)]
    tpot = [tpot_all[i] for i in range(n) if outputs[i] > 1]
    end = max(finish)
    duration = end - arrivals[0]
    output_tokens = work.output_tokens
    met = within_slo(ttft, tpot_all, target)
    busy = math.fsum(rec.step_len)
    weighted = math.fsum([b * d for b, d in zip(rec.step_batch, rec.step_len)])
    return SimResult(
        policy=policy,
        requests=n,
        duration_s=duration,
        ttft_s=summarize(ttft),
        tpot_s=summarize(tpot),
        e2e_s=summarize(e2e),
        queue_s=summarize(queue),
        output_tokens=output_tokens,
        throughput_tokens_per_s=output_tokens / duration,
        requests_per_s=n / duration,
        goodput_requests_per_s=met / duration,
        slo=target,
        slo_attainment=met / n,
        preemptions=rec.preemptions,
        steps=rec.steps or len(rec.step_len),
        busy_s=busy,
        mean_batch=weighted / busy,
        peak_batch=max(rec.step_batch),
        kv_blocks=engine.kv_blocks,
        peak_kv_utilization=max(rec.step_blocks) / engine.kv_blocks,
        timeline=timeline(rec.step_start, rec.step_len, rec.step_batch, rec.step_blocks,
                          rec.step_waiting, kv_blocks=engine.kv_blocks, end_s=end,
                          points=chart_points),
        arrivals=arrivals,
        first_token_s=tuple(first),
        finish_s=tuple(finish),
        start_s=tuple(start),
    )


def saturation_rate(
    engine: Engine,
    *,
    policy: str = "continuous",
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    requests: int | None = None,
    seed: int = 0,
) -> float:
    """Requests per second the engine completes while a backlog is always waiting.

    This is the policy's capacity: the arrival rate at which utilisation
    reaches 100 %. It runs a burst of ``requests`` requests (default
    ``max(256, 8 x max_batch)``) all waiting at time zero and measures the
    completion rate between the 25th and 75th percentile completions, away
    from the start-up and drain phases.

    >>> e = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
    >>> ttft, service, _ = _single_service(e, "continuous", 512, 64)
    >>> math.isclose(saturation_rate(e, prompt=512, output=64), 1 / service, rel_tol=1e-9)
    True
    """
    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be a servecalc.simulate.Engine, got {engine!r}")
    choice("policy", policy, POLICIES)
    count = max(256, 8 * engine.max_batch) if requests is None else positive_int(
        "requests", requests)
    if count < 4:
        raise ValueError(f"requests must be an integer >= 4, got {count}")
    work = burst_workload(count, prompt=prompt, output=output, seed=seed)
    result = simulate(engine, work, policy=policy, chart_points=1)
    done = sorted(result.finish_s)
    low, high = count // 4, (3 * count) // 4
    span = done[high] - done[low]
    if span <= 0:  # everything finished together (one static batch)
        return count / done[-1]
    return (high - low) / span


def simulate_poisson(
    model: Deployment | str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    rate: float,
    requests: int,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    policy: str = "continuous",
    seed: int = 0,
    slo: str | Slo = DEFAULT_SLO,
    chart_points: int = 300,
    progress: Callable[[float], object] | None = None,
    **engine_options: object,
) -> SimResult:
    """One call: build an :class:`Engine`, draw a Poisson workload, simulate.

    ``engine_options`` go to :class:`Engine` (``gpus``, ``weight_dtype``,
    ``kv_dtype``, ``max_batch``, ``max_batched_tokens``, ``block_size``,
    ``memory_utilization``, ``kv_blocks``, ``mbu``, ``mfu``, ...).

    >>> r = simulate_poisson("llama-3.1-8b", "h100-sxm", rate=2.0, requests=20, seed=4)
    >>> r.requests, r.policy
    (20, 'continuous')
    """
    positive_number("rate", rate)
    allowed = ("gpus", "weight_dtype", "kv_dtype", "max_batch", "max_batched_tokens",
               "block_size", "memory_utilization", "reserve_bytes", "kv_blocks", "mbu", "mfu",
               "overhead_s")
    for key in engine_options:
        if key not in allowed:
            listed = ", ".join(allowed)
            raise ValueError(f"engine option {key!r} is not one of {listed}")
    engine = Engine(model, gpu, **engine_options)  # type: ignore[arg-type]
    work = poisson_workload(rate, requests, prompt=as_lengths("prompt", prompt),
                            output=as_lengths("output", output), seed=seed)
    return simulate(engine, work, policy=policy, slo=slo, chart_points=chart_points,
                    progress=progress)
