"""Static against continuous batching, the largest batch that fits, Little's law.

A workload is a list of requests, each ``(prompt_tokens, output_tokens)``, all
waiting at time zero. Both schemes below step through it with the same step
model (:class:`servecalc.step.StepModel`), so the difference between them
is the scheduling alone:

Static batching
    Requests are taken ``batch`` at a time in order. The group's prompts are
    padded to the longest one and prefilled in one step; then the group decodes
    until its *longest* request finishes: finished sequences keep their slot
    (as padding) and a response is returned only when the whole group is done,
    as with a plain ``generate()`` call on a padded batch.
Continuous batching (iteration-level scheduling, Orca; vLLM)
    Up to ``batch`` sequences run at once. Before every decode step, free slots
    are refilled from the queue; the new prompts are prefilled together in one
    step (prefill first, no chunking, as vLLM's default scheduler did), then
    one decode step runs over all active sequences. A finished sequence leaves
    at once and its slot is reused.

Both report output tokens per second, requests per second and per-request
time to first token and completion time.

>>> work = [(512, 32), (512, 256)] * 8
>>> s = static_batching("llama-3.1-8b", "h100-sxm", requests=work, batch=8)
>>> c = continuous_batching("llama-3.1-8b", "h100-sxm", requests=work, batch=8)
>>> c.output_tokens_per_s > s.output_tokens_per_s
True
>>> s.output_tokens == c.output_tokens == 8 * (32 + 256)
True
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .capacity import fit_deployment
from .deployment import Deployment, as_deployment
from .gpus import GpuSpec
from .models import ModelSpec
from .step import StepModel
from .validate import items, non_negative_int, non_negative_number, positive_int, positive_number


@dataclass(frozen=True, kw_only=True)
class RequestTiming:
    """When one request got its first token and its last, from time zero."""

    prompt: int
    output: int
    ttft_s: float
    e2e_s: float

    @property
    def tpot_s(self) -> float:
        """Mean time per output token after the first (0 for one-token outputs)."""
        if self.output <= 1:
            return 0.0
        return (self.e2e_s - self.ttft_s) / (self.output - 1)


@dataclass(frozen=True, kw_only=True)
class BatchingResult:
    """How a workload ran under one batching scheme."""

    scheme: str
    batch: int
    requests: int
    output_tokens: int
    total_s: float
    output_tokens_per_s: float
    requests_per_s: float
    mean_ttft_s: float
    mean_e2e_s: float
    timings: tuple[RequestTiming, ...]


def uniform_workload(prompt: int, output: int, count: int) -> list[tuple[int, int]]:
    """``count`` identical requests.

    >>> uniform_workload(128, 16, 2)
    [(128, 16), (128, 16)]
    """
    positive_int("prompt", prompt)
    positive_int("output", output)
    positive_int("count", count)
    return [(prompt, output)] * count


def _check_requests(requests: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    checked = []
    for index, item in enumerate(items("requests", requests, empty=True)):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError(
                f"requests[{index}] must be a (prompt_tokens, output_tokens) pair, got {item!r}"
            )
        checked.append(
            (positive_int(f"requests[{index}] prompt", item[0]),
             positive_int(f"requests[{index}] output", item[1]))
        )
    if not checked:
        raise ValueError("requests must hold at least one (prompt, output) pair, got none")
    return checked


class _Clock:
    """A running sum of step times, compensated (Neumaier) so long runs keep
    full precision and agree between CPython and Pyodide."""

    __slots__ = ("_sum", "_carry")

    def __init__(self) -> None:
        self._sum = 0.0
        self._carry = 0.0

    def add(self, seconds: float) -> float:
        total = self._sum + seconds
        if abs(self._sum) >= abs(seconds):
            self._carry += (self._sum - total) + seconds
        else:
            self._carry += (seconds - total) + self._sum
        self._sum = total
        return self.now

    @property
    def now(self) -> float:
        return self._sum + self._carry


def _summary(scheme: str, batch: int, timings: list[RequestTiming], total_s: float
             ) -> BatchingResult:
    output_tokens = sum(t.output for t in timings)
    return BatchingResult(
        scheme=scheme,
        batch=batch,
        requests=len(timings),
        output_tokens=output_tokens,
        total_s=total_s,
        output_tokens_per_s=output_tokens / total_s,
        requests_per_s=len(timings) / total_s,
        mean_ttft_s=math.fsum(t.ttft_s for t in timings) / len(timings),
        mean_e2e_s=math.fsum(t.e2e_s for t in timings) / len(timings),
        timings=tuple(timings),
    )


def static_batching(
    deployment: Deployment | str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    requests: Sequence[tuple[int, int]],
    batch: int,
) -> BatchingResult:
    """Run ``requests`` in fixed groups of ``batch`` (see the module docstring).

    With equal requests static batching wastes nothing but time to fill a
    batch; with unequal outputs every group waits for its longest request.

    >>> r = static_batching("llama-3.1-8b", "h100-sxm", requests=[(100, 10), (100, 50)], batch=2)
    >>> r.timings[0].e2e_s == r.timings[1].e2e_s      # returned together
    True
    """
    work = _check_requests(requests)
    positive_int("batch", batch)
    sm = StepModel(deployment, gpu)
    clock = _Clock()
    timings: list[RequestTiming] = []
    for start in range(0, len(work), batch):
        group = work[start:start + batch]
        n = len(group)
        longest_prompt = max(p for p, _ in group)
        longest_output = max(o for _, o in group)
        ttft = clock.add(sm.prefill_time_s(longest_prompt, 0, n))
        for j in range(1, longest_output):
            clock.add(sm.decode_time_s(n, n * (longest_prompt + j)))
        timings += [RequestTiming(prompt=p, output=o, ttft_s=ttft, e2e_s=clock.now)
                    for p, o in group]
    return _summary("static", batch, timings, clock.now)


def continuous_batching(
    deployment: Deployment | str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    requests: Sequence[tuple[int, int]],
    batch: int,
) -> BatchingResult:
    """Run ``requests`` with iteration-level scheduling (see the module docstring).

    >>> r = continuous_batching("llama-3.1-8b", "h100-sxm", requests=[(100, 10), (100, 50)],
    ...                         batch=2)
    >>> r.timings[0].e2e_s < r.timings[1].e2e_s       # the short one leaves early
    True
    """
    work = _check_requests(requests)
    positive_int("batch", batch)
    sm = StepModel(deployment, gpu)
    clock = _Clock()
    ttft = [0.0] * len(work)
    done = [0.0] * len(work)
    finishing: list[tuple[int, int]] = []  # (index of last decode step, request)
    next_request = 0
    active = 0
    total_context = 0  # tokens the active sequences attend to in the next step
    step_index = 0
    while next_request < len(work) or active:
        admitted = []
        while active < batch and next_request < len(work):
            prompt, output = work[next_request]
            admitted.append(next_request)
            next_request += 1
            if output > 1:
                active += 1
                total_context += prompt + 1
                heapq.heappush(finishing, (step_index + output - 2, admitted[-1]))
        if admitted:
            now = clock.add(sm.mixed_time_s(0, 0, [(work[i][0], 0) for i in admitted]))
            for i in admitted:
                ttft[i] = now
                if work[i][1] == 1:
                    done[i] = now
        if not active:
            continue
        now = clock.add(sm.decode_time_s(active, total_context))
        total_context += active
        while finishing and finishing[0][0] == step_index:
            _, i = heapq.heappop(finishing)
            done[i] = now
            active -= 1
            total_context -= work[i][0] + work[i][1]
        step_index += 1
    timings = [
        RequestTiming(prompt=p, output=o, ttft_s=ttft[i], e2e_s=done[i])
        for i, (p, o) in enumerate(work)
    ]
    return _summary("continuous", batch, timings, clock.now)


def max_batch(
    deployment: Deployment | str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    context: int,
    memory_utilization: float = 0.9,
    reserve_bytes: int | None = None,
    block_size: int = 16,
) -> int:
    """Largest number of sequences of ``context`` tokens whose KV cache fits
    (:func:`servecalc.capacity.fit`); 0 when not even the weights fit.

    >>> max_batch("llama-3.1-8b", "h100-sxm", context=4096) > max_batch(
    ...     "llama-3.1-8b", "h100-sxm", context=8192) > 0
    True
    >>> max_batch("llama-3.1-70b", "h100-sxm", context=4096)
    0
    """
    return fit_deployment(
        as_deployment(deployment, gpu), context=context, memory_utilization=memory_utilization,
        reserve_bytes=reserve_bytes, block_size=block_size,
    ).max_batch


def chunked_prefill_steps(
    deployment: Deployment | str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    prompt: int,
    chunk: int,
    decode_batch: int,
    decode_context: int,
) -> list[float]:
    """Step times while a ``prompt`` is prefilled in chunks of ``chunk`` tokens.

    Each step carries one chunk of the new prompt (attending to the chunks
    before it) and one decode token for each of ``decode_batch`` running
    sequences of ``decode_context`` tokens (Sarathi-Serve's schedule). The
    longest step is what the running decodes stall for; the sum is when the
    prompt's first token can be produced.

    >>> steps = chunked_prefill_steps("llama-3.1-8b", "h100-sxm", prompt=1000, chunk=512,
    ...                               decode_batch=4, decode_context=100)
    >>> len(steps), steps[0] > 0
    (2, True)
    """
    positive_int("prompt", prompt)
    positive_int("chunk", chunk)
    positive_int("decode_context", decode_context)
    non_negative_int("decode_batch", decode_batch)
    sm = StepModel(deployment, gpu)
    times, past = [], 0
    while past < prompt:
        size = min(chunk, prompt - past)
        times.append(sm.mixed_time_s(decode_batch, decode_batch * decode_context, [(size, past)]))
        past += size
    return times


def littles_law_concurrency(arrival_rate_per_s: float, latency_s: float) -> float:
    """Requests in the system on average: L = lambda x W (Little's law).

    >>> littles_law_concurrency(10, 2.5)     # 10 requests/s, 2.5 s each
    25.0
    """
    rate = non_negative_number("arrival_rate_per_s", arrival_rate_per_s)
    return rate * non_negative_number("latency_s", latency_s)


def littles_law_throughput(concurrency: float, latency_s: float) -> float:
    """Requests completed per second with ``concurrency`` in flight: lambda = L / W.

    >>> littles_law_throughput(64, 8.0)
    8.0
    """
    level = non_negative_number("concurrency", concurrency)
    return level / positive_number("latency_s", latency_s)
