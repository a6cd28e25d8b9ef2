"""One replica (step model, KV block pool, batch limits) and the per-step recorder.

>>> e = Engine("llama-3.1-8b", "h100-sxm")
>>> e.kv_blocks, e.block_size, e.max_batch
(28059, 16, 1024)
>>> Engine("llama-3.1-70b", "h100-sxm")
Traceback (most recent call last):
    ...
ValueError: no KV blocks fit: weights (131.42 GiB) and reserve (1.50 GiB) exceed usable memory (71.26 GiB) on 1 x NVIDIA H100 SXM5 80GB
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..capacity import DEFAULT_BLOCK_SIZE, fit_deployment
from ..deployment import Deployment
from ..engines import ADMISSIONS, architecture_of, get_engine
from ..gpus import GpuSpec
from ..models import ModelSpec
from ..speculation import Speculation, SpecTimer, draft_memory
from ..step import StepModel
from ..validate import ENGINE_STEPS, choice, instance, non_negative_number, positive_int
from .workload import Workload

POLICIES = ("static", "continuous", "chunked")

#: vLLM V0's ``max_num_seqs`` default (the ``ideal`` preset's); an :class:`Engine`
#: takes its engine preset's (:mod:`servecalc.engines`) unless told otherwise.
DEFAULT_MAX_BATCH = 256
#: Token budget per step of the ``chunked`` policy (vLLM's
#: ``max_num_batched_tokens`` default with chunked prefill).
DEFAULT_CHUNK_TOKENS = 2048


class Engine:
    """One replica: a step model, a KV block pool and batch limits.

    ``kv_blocks`` overrides the pool size computed from memory (useful to
    study preemption, or to study scheduling alone). ``max_batched_tokens``:
    see :mod:`servecalc.sim` (``None`` means no limit for ``continuous`` and
    :data:`DEFAULT_CHUNK_TOKENS` for ``chunked``). ``max_batch``,
    ``max_batched_tokens``, ``memory_utilization``, ``request_overhead_s`` and
    ``request_overhead_per_outstanding_s`` left at ``None`` take the ``engine``
    preset's values
    (:mod:`servecalc.engines`), as does the policy :func:`~servecalc.sim.simulate`
    runs by default, and ``admission`` (:data:`~servecalc.engines.ADMISSIONS`).
    ``prefix_cache`` (on, as in vLLM V1) reuses cached prompt blocks
    of workloads that carry prefix hashes (:mod:`servecalc.sim.prefix`).

    >>> Engine("llama-3.1-8b", "h100-sxm", kv_blocks=100).kv_tokens
    1600
    """

    def __init__(
        self,
        model: Deployment | str | ModelSpec,
        gpu: str | GpuSpec | None = None,
        *,
        gpus: int = 1,
        weight_dtype: str = "bf16",
        kv_dtype: str = "bf16",
        max_batch: int | None = None,
        max_batched_tokens: int | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        memory_utilization: float | None = None,
        reserve_bytes: int | None = None,
        kv_blocks: int | None = None,
        mbu: float | None = None,
        mfu: float | None = None,
        overhead_s: float | None = None,
        engine: str | None = None,
        request_overhead_s: float | None = None,
        request_overhead_per_outstanding_s: float | None = None,
        speculative: Speculation | None = None,
        prefix_cache: bool = True,
        admission: str | None = None,
    ) -> None:
        if not isinstance(model, Deployment):
            model = Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype,
                               kv_dtype=kv_dtype, mbu=mbu, mfu=mfu, overhead_s=overhead_s,
                               engine=engine)
            gpu = None
        elif engine is not None:
            model = model.replace(engine=engine)
        self.step_model = StepModel(model, gpu)
        preset = self.preset = get_engine(self.step_model.deployment.engine)
        hardware = self.step_model.gpu
        #: The scheduler policy the engine preset runs (what ``simulate`` uses by default).
        self.policy = preset.policy
        # With data-parallel attention every GPU is its own scheduler rank: the unit
        # runs that many ranks' sequences and token budgets per step.
        ranks = self.step_model.gpus if self.step_model.deployment.dp_attention else 1
        if max_batch is None:
            max_batch = preset.max_num_seqs(hardware) * ranks
        if max_batched_tokens is None:
            max_batched_tokens = preset.max_num_batched_tokens(hardware)
            if max_batched_tokens is not None:
                max_batched_tokens *= ranks
        if memory_utilization is None:
            memory_utilization = preset.memory_utilization
        self.memory_utilization = memory_utilization
        d = self.step_model.deployment
        fixed, per = preset.request_overheads(hardware, d.compute_dtype,
                                              architecture_of(d.model))
        #: Seconds each request spends before the engine sees it (in a client's TTFT).
        self.request_overhead_s = (fixed if request_overhead_s is None
                                   else non_negative_number("request_overhead_s",
                                                            request_overhead_s))
        #: Seconds more per request already outstanding when it is sent (closed loops,
        #: where that count is known at each send: :func:`~servecalc.sim.closed_workload`).
        self.request_overhead_per_outstanding_s = (
            per if request_overhead_per_outstanding_s is None
            else non_negative_number("request_overhead_per_outstanding_s",
                                     request_overhead_per_outstanding_s))
        #: How a request is admitted (:data:`ADMISSIONS`): the preset's unless told.
        self.admission = choice("admission", preset.admission if admission is None
                                else admission, ADMISSIONS)
        if not isinstance(prefix_cache, bool):
            raise ValueError(f"prefix_cache must be True or False, got {prefix_cache!r}")
        #: Whether the pool keeps freed prompt blocks for reuse (:mod:`servecalc.sim.prefix`).
        self.prefix_cache = prefix_cache
        self.max_batch = positive_int("max_batch", max_batch)
        self.block_size = positive_int("block_size", block_size)
        if max_batched_tokens is not None:
            positive_int("max_batched_tokens", max_batched_tokens)
        self.max_batched_tokens = max_batched_tokens
        fitted = None
        if kv_blocks is None:
            fitted = fit_deployment(self.step_model.deployment, context=block_size,
                                    memory_utilization=memory_utilization,
                                    reserve_bytes=reserve_bytes, block_size=block_size)
            kv_blocks = fitted.kv_token_capacity // block_size
            if kv_blocks == 0:
                raise ValueError(f"no KV blocks fit: {fitted.reason}")
        self.kv_blocks = positive_int("kv_blocks", kv_blocks)
        self._speculate(speculative, fitted)
        # Per policy, (prompt, output) -> a lone request's timing (servecalc.sim.single).
        self.lone_services: dict[str, dict[tuple[int, int], tuple[float, float, int]]] = {}

    def _speculate(self, spec: Speculation | None, fitted: object) -> None:
        """Keep the speculation (:mod:`servecalc.sim.speculative` runs it) and, for a
        draft model, give its weights and KV cache their share of the memory: the
        pool then holds the tokens whose target and draft KV both fit beside both
        models' weights."""
        if spec is not None and not isinstance(spec, Speculation):
            raise ValueError("speculative must be a servecalc.speculation.Speculation or None, "
                             f"got {spec!r}")
        #: The engine's speculative decoding (None: plain decoding).
        self.speculation = spec
        self.spec_timer = None if spec is None else SpecTimer(self.step_model, spec)
        weights, kv_per_token = draft_memory(self.step_model.deployment, spec)
        if fitted is None or not weights:
            return
        gpus = self.step_model.gpus
        per_token = gpus * (fitted.kv_bytes_per_token_per_gpu + kv_per_token)
        tokens = (fitted.kv_budget_bytes - weights) // per_token
        self.kv_blocks = tokens // self.block_size
        if self.kv_blocks <= 0:
            raise ValueError(f"no KV blocks fit beside the draft model {spec.draft_model!r}: "
                             "its weights take the memory left after the target's")

    @property
    def kv_tokens(self) -> int:
        """Tokens the block pool holds."""
        return self.kv_blocks * self.block_size

    def chunk_tokens(self) -> int:
        """Per-step token budget of the ``chunked`` policy."""
        if self.max_batched_tokens is None:
            return max(DEFAULT_CHUNK_TOKENS, self.max_batch)
        return self.max_batched_tokens

    def blocks(self, tokens: int) -> int:
        """KV blocks that ``tokens`` tokens occupy.

        >>> Engine("llama-3.1-8b", "h100-sxm", kv_blocks=10).blocks(17)
        2
        """
        return -(-tokens // self.block_size)

    def __repr__(self) -> str:
        sm = self.step_model
        return (f"Engine({sm.model.id!r}, {sm.gpu.id!r}, gpus={sm.gpus}, "
                f"max_batch={self.max_batch}, kv_blocks={self.kv_blocks}, "
                f"block_size={self.block_size})")


class Recorder:
    """Per-request times and per-step engine state, filled by a policy loop."""

    def __init__(self, n: int, progress: Callable[[float], object] | None) -> None:
        self.n = n
        self.first = [-1.0] * n
        self.finish = [-1.0] * n
        self.start = [-1.0] * n
        self.done = 0
        #: When the clients sent each request (set by the run: arrivals or closed-loop sends).
        self.sends: tuple[float, ...] | list[float] = ()
        self.preemptions = 0
        #: Speculative decoding: sequence-steps verified, and the tokens they advanced.
        self.spec_steps = 0
        self.spec_tokens = 0
        # Steps beyond the records (a lone request's steps, or a stretch of decoding
        # summed at once, are one record), and the most blocks held, where a record
        # shows fewer (a lone request's record shows them half-way).
        self.extra_steps = 0
        self.peak_blocks = 0
        #: Prompt tokens each request found in the prefix cache (None: no cache ran).
        self.prefix_hit_tokens: list[int] | None = None
        self.step_start: list[float] = []
        self.step_len: list[float] = []
        self.step_batch: list[int] = []
        self.step_blocks: list[int] = []
        self.step_waiting: list[int] = []
        self._append_start = self.step_start.append
        self._append_len = self.step_len.append
        self._append_batch = self.step_batch.append
        self._append_blocks = self.step_blocks.append
        self._append_waiting = self.step_waiting.append
        self._progress = progress
        #: Called with (count, time) at each completion: a closed loop's next sends.
        self.on_finish: Callable[[int, float], object] | None = None
        self.next_report = n / 100 if progress else math.inf

    def step(self, start: float, length: float, batch: int, blocks: int, waiting: int) -> None:
        """One engine step: when, how long, sequences, KV blocks held, queue length."""
        self._append_start(start)
        self._append_len(length)
        self._append_batch(batch)
        self._append_blocks(blocks)
        self._append_waiting(waiting)

    def finished(self, count: int, at: float = 0.0) -> None:
        """Count ``count`` completions at time ``at``; report progress at most ~100 times
        (and tell a closed loop, :attr:`on_finish`, when its clients send again)."""
        if self.on_finish is not None:
            self.on_finish(count, at)
        self.done += count
        if len(self.step_start) > ENGINE_STEPS.high:  # the estimate of check_work fell short
            raise ValueError(
                f"requests and output took more than {ENGINE_STEPS.high:,} engine steps with "
                f"{self.done:,} of {self.n:,} requests done (see `servecalc limits`): lower "
                "requests or output")
        if self.done >= self.next_report:
            while self.next_report <= self.done:
                self.next_report = (math.floor(self.done * 100 / self.n) + 1) * self.n / 100
            if self.done < self.n:
                self._progress(self.done / self.n)

    def close(self) -> None:
        if self._progress:
            self._progress(1.0)


def check_fits(engine: Engine, work: Workload) -> None:
    """Every request must fit the block pool alone, or the engine could stall.

    >>> from .workload import make_workload
    >>> check_fits(Engine("llama-3.1-8b", "h100-sxm", kv_blocks=4), make_workload([0.0], [60], [6]))
    Traceback (most recent call last):
        ...
    ValueError: prompt + output of request 0 need 65 tokens of KV cache (60 + 6 - 1) but the engine holds 64 (4 blocks of 16): lower the lengths or add memory
    """
    limit = engine.kv_tokens
    for index, (p, o) in enumerate(zip(work.prompts, work.outputs)):
        if p + o - 1 > limit:
            raise ValueError(
                f"prompt + output of request {index} need {p + o - 1} tokens of KV cache "
                f"({p} + {o} - 1) but the engine holds {limit} ({engine.kv_blocks} blocks of "
                f"{engine.block_size}): lower the lengths or add memory"
            )


def check_work(engine: Engine, work: Workload) -> None:
    """Refuse, before anything runs, a workload that needs more than
    :data:`~servecalc.validate.ENGINE_STEPS` engine steps.

    A step produces at most one token per running sequence, so a run takes at
    least its output tokens over the sequences that can decode together:
    ``max_batch``, or fewer when the KV cache holds fewer requests of the
    workload's mean length. The simulator's time and memory grow with its steps,
    so a million long requests are refused in a moment instead of failing
    minutes and gigabytes later. (A run that records more steps than the limit,
    at a low rate where batches stay small, stops with the same advice.)

    >>> from .workload import make_workload
    >>> check_work(Engine("llama-3.1-8b", "h100-sxm"), make_workload([0.0], [512], [256]))
    >>> check_work(Engine("llama-3.1-8b", "h100-sxm", kv_blocks=200),
    ...            make_workload([0.0] * 5000, [1000] * 5000, [2000] * 5000))
    Traceback (most recent call last):
        ...
    ValueError: requests and output need about 10,000,000 engine steps (10,000,000 output tokens in batches of at most 1, what max_batch and the KV cache allow); one simulation takes at most 1,000,000 (see `servecalc limits`): lower requests or output
    """
    instance("engine", engine, Engine)
    instance("work", work, Workload)
    tokens = math.fsum(work.outputs)
    mean_length = math.fsum(work.prompts) / len(work) + tokens / len(work)
    together = max(1, min(engine.max_batch, int(engine.kv_tokens // mean_length)))
    steps = tokens / together
    if steps > ENGINE_STEPS.high:
        raise ValueError(
            f"requests and output need about {steps:,.0f} engine steps ({tokens:,.0f} output "
            f"tokens in batches of at most {together:,}, what max_batch and the KV cache "
            f"allow); one simulation takes at most {ENGINE_STEPS.high:,} (see `servecalc "
            "limits`): lower requests or output")
