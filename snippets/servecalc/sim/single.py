"""``max_batch == 1``: the engine is a FIFO single-server queue.

With one sequence at a time every policy serves a request alone, so its
service time is computed once per (prompt, output) pair and the queue follows
Lindley's recursion (each start is the later of the arrival and the previous
finish). The tests check this short path against the step-by-step engine.

>>> from .engine import Engine
>>> e = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
>>> ttft, total, steps = single_service(e, "continuous", 512, 64)
>>> steps, ttft < total
(64, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .engine import Engine, Recorder
from .workload import Workload


def single_service(engine: Engine, policy: str, prompt: int, output: int
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


def lone_blocks(prompt: int, output: int, block_size: int) -> int:
    """KV blocks a lone request holds half-way through its output: what its one
    record shows (the mean over its decode steps, near enough)."""
    return -(-(prompt + output // 2) // block_size)


def lone_peak_blocks(prompt: int, output: int, block_size: int) -> int:
    """KV blocks a lone request holds at its last step (its peak): the prompt and
    every output token but the last, whose KV is never written."""
    return -(-(prompt + output - 1) // block_size)


def lone_service(engine: Engine, policy: str) -> Callable[[int, int], tuple[float, float, int]]:
    """:func:`single_service` for ``engine`` and ``policy``, each (prompt, output)
    pair timed once per engine (a capacity search runs the same engine many times)."""
    known = engine.lone_services.setdefault(policy, {})

    def service(prompt: int, output: int) -> tuple[float, float, int]:
        found = known.get((prompt, output))
        if found is None:
            found = known[prompt, output] = single_service(engine, policy, prompt, output)
        return found

    return service


def run_single(engine: Engine, work: Workload, rec: Recorder, policy: str) -> None:
    """Lindley's recursion; the engine's state is recorded once per request."""
    bs = engine.block_size
    arrivals, prompts, outputs = work.arrivals, work.prompts, work.outputs
    n = len(work)
    service = lone_service(engine, policy)
    first, finish, start = rec.first, rec.finish, rec.start
    free_at = 0.0
    a = 0
    steps = 0
    mark = 0
    for i in range(n):
        ttft, total, count = service(prompts[i], outputs[i])
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
        rec.step(begin, total, 1, lone_blocks(prompts[i], outputs[i], bs), a - i - 1)
        rec.peak_blocks = max(rec.peak_blocks, lone_peak_blocks(prompts[i], outputs[i], bs))
        if i >= mark:                 # report progress only when a mark is crossed
            rec.finished(i + 1 - rec.done)
            mark = math.ceil(rec.next_report) - 1 if rec.next_report < n else n - 1
    if rec.done < n:
        rec.finished(n - rec.done)
    rec.extra_steps = steps - n
