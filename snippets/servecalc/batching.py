"""Static against continuous batching, the largest batch that fits, Little's law.

A workload is a list of requests, each ``(prompt_tokens, output_tokens)``, all
waiting at time zero. Both schemes below are views of the serving simulator
(:mod:`servecalc.sim`, its ``static`` and ``continuous`` policies) with a
block pool large enough for every request, so they share one step model
(:class:`servecalc.step.StepModel`) and one scheduler, and the difference
between them is the scheduling alone:

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
    at once and its slot is reused. (A one-token request takes a slot in its
    prefill step and leaves with it.)

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

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .capacity import DEFAULT_BLOCK_SIZE, DEFAULT_MEMORY_UTILIZATION, fit_deployment
from .deployment import DeploymentLike, GpuLike, as_deployment
from .sim import Engine, make_workload, simulate
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


def _run(scheme: str, deployment: DeploymentLike, gpu: GpuLike,
         requests: Sequence[tuple[int, int]], batch: int) -> BatchingResult:
    """Every request waiting at time zero, run by the simulator's ``scheme`` policy.

    The block pool holds every request at once (one-token blocks), so memory
    never limits the batch, and requests reach the engine with no request overhead:
    the comparison is the scheduling alone.
    """
    work = _check_requests(requests)
    positive_int("batch", batch)
    longest = max(p for p, _ in work) + max(o for _, o in work)
    engine = Engine(as_deployment(deployment, gpu), max_batch=batch, block_size=1,
                    kv_blocks=len(work) * longest, request_overhead_s=0.0)
    run = simulate(engine, make_workload([0.0] * len(work), [p for p, _ in work],
                                         [o for _, o in work]), policy=scheme, chart_points=1)
    timings = [RequestTiming(prompt=p, output=o, ttft_s=run.first_token_s[i],
                             e2e_s=run.finish_s[i]) for i, (p, o) in enumerate(work)]
    return _summary(scheme, batch, timings, max(run.finish_s))


def static_batching(deployment: DeploymentLike, gpu: GpuLike = None, *,
                    requests: Sequence[tuple[int, int]], batch: int) -> BatchingResult:
    """Run ``requests`` in fixed groups of ``batch`` (see the module docstring).

    With equal requests static batching wastes nothing but time to fill a
    batch; with unequal outputs every group waits for its longest request.

    >>> r = static_batching("llama-3.1-8b", "h100-sxm", requests=[(100, 10), (100, 50)], batch=2)
    >>> r.timings[0].e2e_s == r.timings[1].e2e_s      # returned together
    True
    """
    return _run("static", deployment, gpu, requests, batch)


def continuous_batching(deployment: DeploymentLike, gpu: GpuLike = None, *,
                        requests: Sequence[tuple[int, int]], batch: int) -> BatchingResult:
    """Run ``requests`` with iteration-level scheduling (see the module docstring).

    >>> r = continuous_batching("llama-3.1-8b", "h100-sxm", requests=[(100, 10), (100, 50)],
    ...                         batch=2)
    >>> r.timings[0].e2e_s < r.timings[1].e2e_s       # the short one leaves early
    True
    """
    return _run("continuous", deployment, gpu, requests, batch)


def max_batch(deployment: DeploymentLike, gpu: GpuLike = None, *, context: int,
              memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
              reserve_bytes: int | None = None,
              block_size: int = DEFAULT_BLOCK_SIZE) -> int:
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


def chunked_prefill_steps(deployment: DeploymentLike, gpu: GpuLike = None, *, prompt: int,
                          chunk: int, decode_batch: int, decode_context: int) -> list[float]:
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
