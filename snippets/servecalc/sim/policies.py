"""One function per scheduling policy: each runs a workload through an engine.

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

Each function fills a :class:`~servecalc.sim.engine.Recorder`;
:func:`servecalc.sim.simulate` picks one and summarises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from .engine import Engine, Recorder
from .running import PREFILLING, RUNNING, RunningSet
from .single import lone_service
from .workload import Workload


def _static_group(engine: Engine, waiting: deque[int], work: Workload) -> tuple[list[int], int, int]:
    """The next static batch: as many waiting requests as slots and blocks allow."""
    prompts, outputs = work.prompts, work.outputs
    group: list[int] = []
    longest_prompt = longest_output = 0
    while waiting and len(group) < engine.max_batch:
        i = waiting[0]
        lp = max(longest_prompt, prompts[i])
        lo = max(longest_output, outputs[i])
        if group and (len(group) + 1) * engine.blocks(lp + lo - 1) > engine.kv_blocks:
            break
        waiting.popleft()
        group.append(i)
        longest_prompt, longest_output = lp, lo
    return group, longest_prompt, longest_output


def run_static(engine: Engine, work: Workload, rec: Recorder) -> None:
    """Request-level batches, each run until its longest request is done."""
    decode = engine.step_model.decode_time_s
    prefill = engine.step_model.prefill_time_s
    blocks = engine.blocks
    arrivals = work.arrivals
    n = len(work)
    waiting: deque[int] = deque()
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
        group, longest_prompt, longest_output = _static_group(engine, waiting, work)
        size = len(group)
        dt = prefill(longest_prompt, 0, size)
        rec.step(now, dt, size, size * blocks(longest_prompt), len(waiting))
        for i in group:
            rec.start[i] = now
        now += dt
        for i in group:
            rec.first[i] = now
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
            rec.step(now, dt, size, size * blocks(context), queued + seen - a)
            now += dt
        for i in group:
            rec.finish[i] = now
        rec.finished(size, now)


def _admit_prefill_first(engine: Engine, run: RunningSet, work: Workload) -> list[int]:
    """Waiting requests (in order) for one prefill step: slots, blocks and token budget."""
    budget = engine.max_batched_tokens or 0
    max_batch = engine.max_batch
    prompts, gen, waiting = work.prompts, run.gen, run.waiting
    admitted: list[int] = []
    tokens = 0
    while waiting and run.n_dec + len(admitted) < max_batch:
        i = waiting[0]
        length = prompts[i] + gen[i]
        if admitted and budget and tokens + length > budget:
            break
        if not run.take(length, i):
            break
        waiting.popleft()
        tokens += length
        admitted.append(i)
    return admitted


def run_prefill_first(engine: Engine, work: Workload, rec: Recorder, lone: bool = True) -> None:
    """``continuous``: admit and prefill whenever possible, otherwise decode everyone
    (with ``lone``, a request alone in the engine is timed at once, and stretches of
    decoding between events are summed in closed form)."""
    for _ in steps_prefill_first(engine, work, rec, lone):
        pass


def steps_prefill_first(engine: Engine, work: Workload, rec: Recorder,
                        lone: bool = True) -> Iterator[float]:
    """:func:`run_prefill_first`, yielding the engine's time before each pass of its loop
    (a fleet, :mod:`servecalc.sim.fleet`, interleaves its replicas so)."""
    decode = engine.step_model.decode_time_s
    mixed = engine.step_model.mixed_time_s
    prompts, arrivals, n = work.prompts, work.arrivals, len(work)
    run = RunningSet(engine, work, rec)
    waiting, gen, state, start = run.waiting, run.gen, run.state, rec.start
    step = rec.step
    max_batch = engine.max_batch
    alone = lone_service(engine, "continuous") if lone else None
    line = engine.step_model.decode_line if lone else None
    now = 0.0
    while rec.done < n:
        yield now
        if run.arrived < n and arrivals[run.arrived] <= now:
            run.arrive(now)
            finish = run.serve_alone(now, alone) if alone else None
            if finish is not None:
                now = finish
                continue
        if waiting and run.n_dec < max_batch:
            admitted = _admit_prefill_first(engine, run, work)
            if admitted:
                hit = run.hit
                chunks = [(prompts[i] + gen[i] - hit[i], hit[i]) for i in admitted]
                dt = mixed(0, 0, chunks)
                step(now, dt, run.n_dec + len(admitted), run.used, len(waiting))
                for i in admitted:
                    if start[i] < 0:
                        start[i] = now
                now += dt
                for i, (length, cached) in zip(admitted, chunks):
                    run.join(i, length + cached, now)
                    if state[i] == RUNNING:
                        run.track(i)
                continue
        if line is not None:
            later = run.leap(now, line, step)
            if later > now:
                now = later
                continue
        n_dec = run.n_dec
        if not n_dec:
            now = run.next_arrival(now)
            continue
        run.reserve_decode_blocks()
        if run.n_dec != n_dec:
            n_dec = run.n_dec
            if not n_dec:
                continue
        dt = decode(n_dec, run.total_context)
        step(now, dt, n_dec, run.used, len(waiting))
        now += dt
        run.end_decode_step(now)


def _plan_chunks(engine: Engine, run: RunningSet, work: Workload, left: int, now: float
                 ) -> tuple[list[tuple[int, int]], list[int]]:
    """Prompt chunks for one ``chunked`` step: prompts in progress first, then new ones."""
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
    prompts, gen, start = work.prompts, run.gen, run.rec.start
    while left > 0 and waiting and run.n_dec + len(prefilling) < engine.max_batch:
        i = waiting[0]
        length = prompts[i] + gen[i]
        if not run.take(length, i):
            break
        waiting.popleft()
        run.state[i] = PREFILLING
        plen[i] = length
        pdone[i] = cached = run.hit[i]     # prompt tokens found in the prefix cache
        prefilling.append(i)
        run.track(i)
        if start[i] < 0:
            start[i] = now
        size = min(length - cached, left)
        chunks.append((size, cached))
        owners.append(i)
        left -= size
    return chunks, owners


def run_chunked(engine: Engine, work: Workload, rec: Recorder, lone: bool = True) -> None:
    """``chunked``: every step decodes everyone, then fills its token budget with prompt
    chunks (with ``lone``, a request alone in the engine is timed at once, and
    decode-only stretches between events are summed in closed form)."""
    for _ in steps_chunked(engine, work, rec, lone):
        pass


def steps_chunked(engine: Engine, work: Workload, rec: Recorder,
                  lone: bool = True) -> Iterator[float]:
    """:func:`run_chunked`, yielding the engine's time before each pass of its loop."""
    budget = engine.chunk_tokens()
    if budget < engine.max_batch:
        raise ValueError(
            f"max_batched_tokens must be >= max_batch ({engine.max_batch}) for the chunked "
            f"policy, got {budget}"
        )
    mixed = engine.step_model.mixed_time_s
    run = RunningSet(engine, work, rec)
    waiting, prefilling, plen, pdone = run.waiting, run.prefilling, run.plen, run.pdone
    now = 0.0
    alone = lone_service(engine, "chunked") if lone else None
    line = engine.step_model.decode_line
    while rec.done < rec.n:
        yield now
        run.arrive(now)
        finish = run.serve_alone(now, alone) if alone else None
        if finish is not None:
            now = finish
            continue
        if lone and not prefilling and not waiting:       # decode-only steps ahead
            later = run.leap(now, line, rec.step)
            if later > now:
                now = later
                continue
        if run.n_dec:
            run.reserve_decode_blocks()   # the decoders' new blocks, before any admission
        n_dec = run.n_dec
        chunks, owners = _plan_chunks(engine, run, work, budget - n_dec, now)
        if not n_dec and not chunks:
            now = run.next_arrival(now)
            continue
        dt = mixed(n_dec, run.total_context, chunks)
        rec.step(now, dt, n_dec + len(prefilling), run.used, len(waiting))
        now += dt
        for i, (size, _) in zip(owners, chunks):
            pdone[i] += size
        if n_dec:
            run.end_decode_step(now)
        while prefilling and pdone[prefilling[0]] == plen[prefilling[0]]:
            i = prefilling.popleft()
            run.join(i, plen[i], now)


RUNNERS = {"static": run_static, "continuous": run_prefill_first, "chunked": run_chunked}
#: The iteration-level policies as generators (:mod:`servecalc.sim.fleet`).
STEPPERS = {"continuous": steps_prefill_first, "chunked": steps_chunked}
#: Policies whose loop times a request alone in the engine at once (``lone``).
LONE_POLICIES = ("continuous", "chunked")
