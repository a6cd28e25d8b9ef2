"""StepModel: seconds of a prefill, decode or mixed step for one deployment.

One function times every step (:meth:`StepModel.terms`, through ``_time``): linear layers,
attention, KV writes and embeddings/logits each bounded by their own
roofline, plus tensor-parallel communication and a fixed per-step overhead,
summed (see :mod:`servecalc.step` for what is counted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..deployment import Deployment, DeploymentLike, GpuLike, as_deployment
from ..validate import non_negative_int, positive_int
from .comm import ACTIVATION_BYTES, allreduce_s
from .constants import WEIGHT_ONLY_COMPUTE_FRACTION, allreduce_extra_s, efficiencies, weight_only
from .expert_terms import ExpertTerms
from .shape import shape_of, window_sum


@dataclass(frozen=True, kw_only=True, slots=True)
class StepResult:
    """One step: what it computes, what it moves, how long each term takes.

    ``phase`` is ``"decode"``, ``"prefill"``, ``"mixed"`` (decode tokens and prompt
    chunks in one step) or ``"verify"`` (a speculative verification step); ``batch``
    counts the sequences in the step (a prompt chunk is one), ``tokens`` the tokens.

    ``flops`` and ``bytes`` are totals over all GPUs; ``bytes_per_gpu`` is
    what one GPU reads and writes. ``linear_s``, ``attention_s``,
    ``kv_write_s``, ``logits_s``, ``comm_s``, ``overhead_s`` and, under expert
    parallelism, ``a2a_dispatch_s`` and ``a2a_combine_s`` add up to ``seconds``
    (``expert_s``, the routed experts on the busiest GPU, is part of
    ``linear_s``; under expert parallelism ``bytes_per_gpu`` is the busiest
    GPU's). ``compute_s`` and ``memory_s`` are the step's FLOPs and bytes
    at ``mfu`` x peak and ``mbu`` x bandwidth (the single roofline of the
    whole step, for comparison); ``bound`` says which kind of term takes
    more of the step, ``linear_bound`` and ``attention_bound`` each term's.
    """

    phase: str
    batch: int
    tokens: int
    seconds: float
    linear_s: float
    attention_s: float
    kv_write_s: float
    logits_s: float
    comm_s: float
    overhead_s: float
    flops: float
    bytes: float
    bytes_per_gpu: float
    weight_bytes_read: float
    kv_bytes_read: float
    kv_bytes_written: float
    compute_s: float
    memory_s: float
    bound: str
    linear_bound: str
    attention_bound: str
    arithmetic_intensity: float
    ridge_point: float
    compute_dtype: str
    mbu: float
    mfu: float
    gpus: int
    ep: int = 1
    expert_s: float = 0.0
    a2a_dispatch_s: float = 0.0
    a2a_combine_s: float = 0.0


#: Counts below this skip the full checks on the simulator's hot path (a plain int in
#: range is all they would confirm); anything else goes through servecalc.validate.
_FAST_COUNT = 1 << 31


def _small_counts(*values: object) -> bool:
    """Whether every value is a plain int in [0, 2**31) (the cheap check)."""
    for v in values:
        if type(v) is not int or not 0 <= v < _FAST_COUNT:
            return False
    return True


def _chunk(chunk: object) -> tuple[int, int]:
    if (type(chunk) is tuple or type(chunk) is list) and len(chunk) == 2 and _small_counts(
            *chunk) and chunk[0]:
        return chunk[0], chunk[1]
    if not isinstance(chunk, (tuple, list)) or len(chunk) != 2:
        raise ValueError(
            f"prefill_chunks must hold (chunk_tokens, past_tokens) pairs, got {chunk!r}"
        )
    return positive_int("chunk_tokens", chunk[0]), non_negative_int("past_tokens", chunk[1])


class StepModel:
    """Step times for one :class:`~servecalc.deployment.Deployment`.

    Everything that does not depend on the batch is computed once, so the
    methods below cost a few float operations: a simulator can call them
    hundreds of thousands of times. ``StepModel(model, gpu)`` is short for
    ``StepModel(Deployment(model=model, gpu=gpu))``.

    >>> sm = StepModel(Deployment(model="llama-3.1-8b", gpu="h100-sxm",
    ...                           mbu=0.62, mfu=0.45, overhead_s=0.0003))
    >>> from servecalc.units import fmt_duration
    >>> fmt_duration(sm.decode_time_s(1, 1024), "ms", digits=2)
    '7.59 ms'
    >>> fmt_duration(sm.decode_time_s(64, 64 * 1024), "ms", digits=2)
    '11.67 ms'
    >>> fmt_duration(sm.prefill_time_s(2048), "ms")
    '67.6 ms'
    """

    def __init__(self, deployment: DeploymentLike, gpu: GpuLike = None) -> None:
        d = self.deployment = as_deployment(deployment, gpu)
        self.model, self.gpu, self.gpus = d.model, d.gpu, d.gpus
        self.weight_dtype, self.kv_dtype, self.compute_dtype = (
            d.weight_dtype, d.kv_dtype, d.compute_dtype)
        self.mbu, self.mfu, self.overhead_s = efficiencies(d)
        c = self._c = shape_of(d)
        n = self.gpus
        peak = c.peak_flops_per_s * n * self.mfu
        self._flops_per_s = peak
        # Weight-only quantized kernels dequantize in the GEMM: slower when compute-bound.
        self._linear_flops_per_s = peak * (WEIGHT_ONLY_COMPUTE_FRACTION
                                           if weight_only(d) else 1.0)
        self._bytes_per_s = self.mbu * c.bandwidth_bytes_per_s
        self._per_byte = 1.0 / self._bytes_per_s
        self.ridge_point = c.peak_flops_per_s / c.bandwidth_bytes_per_s
        self._layers = c.layers_full + c.layers_window
        self._allreduces = 2 * self._layers if n > 1 else 0
        self._allreduce_extra = allreduce_extra_s(d)
        self._message_per_token = c.hidden * ACTIVATION_BYTES
        # Expert parallelism / data-parallel attention: a separate step function.
        self._xp = ExpertTerms(d, c) if d.ep > 1 or d.dp_attention else None
        # Per decode batch size: the terms that do not depend on the context.
        self._decode_fixed: dict[int, tuple[float, float, float, float]] = {}
        # Per token count: the all-reduces' seconds (a simulator asks for few counts).
        self._comm: dict[int, float] = {}

    # -- what a step moves and computes -------------------------------------------------

    def weight_bytes_read(self, tokens: int) -> float:
        """Weight bytes read by a step over ``tokens`` tokens (all GPUs, output
        projection included).

        >>> from servecalc.deployment import Deployment
        >>> sm = StepModel(Deployment(model="mixtral-8x7b", gpu="h100-sxm", gpus=2))
        >>> [round(sm.weight_bytes_read(t) / 1e9, 1) for t in (1, 8, 512)]
        [25.5, 84.1, 93.1]
        """
        return self._linear_weight_bytes(tokens) + self._c.lm_head_bytes

    def _linear_weight_bytes(self, tokens: int) -> float:
        c = self._c
        if not c.expert_bytes:
            return c.dense_weight_bytes
        e, k = c.num_experts, c.experts_per_token
        distinct = e * (1.0 - (1.0 - k / e) ** tokens)
        return c.dense_weight_bytes + c.expert_bytes * c.moe_layers * distinct

    def comm_time_s(self, tokens: int) -> float:
        """Seconds of the step's tensor-parallel all-reduces (two per layer) over
        ``tokens`` tokens, each with the engine preset's added latency; 0 on one GPU."""
        if not self._allreduces:
            return 0.0
        seconds = self._comm.get(tokens)
        if seconds is None:
            seconds = self._comm[tokens] = self._allreduces * (allreduce_s(
                tokens * self._message_per_token, self.gpus, self._c.interconnect_bytes_per_s)
                + self._allreduce_extra)
        return seconds

    def _kv_token_layers(self, tokens_full: float, tokens_window: float) -> float:
        c = self._c
        return c.layers_full * tokens_full + c.layers_window * tokens_window

    def _decode_token_layers(self, batch: int, total_context: int) -> float:
        """KV token-layers a decode step reads; with sliding-window layers the
        window is applied to the average context."""
        c = self._c
        windowed = batch * min(total_context / batch, c.window) if c.layers_window else 0.0
        return self._kv_token_layers(total_context, windowed)

    def _with_chunks(self, prefill_chunks: Iterable[tuple[int, int]], attn: float, kv_read: float,
                     tokens: int, logits: int) -> tuple[float, float, int, int]:
        """Add each prompt chunk's attention work, cache reads, tokens and one logits row
        to a step's running totals (a mixed step's and a verification step's alike)."""
        for chunk in prefill_chunks:
            size, past = _chunk(chunk)
            chunk_attn, chunk_read = self._prefill_work(size, past)
            attn += chunk_attn
            kv_read += chunk_read
            tokens += size
            logits += 1
        return attn, kv_read, tokens, logits

    def _prefill_work(self, tokens: int, past: int,
                      pair_flops: float | None = None) -> tuple[float, float]:
        """(attention FLOPs, KV token-layers read) for one chunk (``pair_flops``: FLOPs
        per (query, key) pair and layer, the prefill form unless told)."""
        c = self._c
        pairs_full = past * tokens + tokens * (tokens + 1) / 2
        pairs_window = window_sum(past, tokens, c.window) if c.layers_window else 0.0
        flops = self._kv_token_layers(pairs_full, pairs_window) * (
            c.pair_flops_prefill if pair_flops is None else pair_flops)
        read_window = min(past, c.window) if c.layers_window else 0
        return flops, self._kv_token_layers(past, read_window)

    def _attention_s(self, pair_flops: float, kv_read_bytes: float) -> float:
        """Seconds of attention: its FLOPs at ``mfu`` x peak or this GPU's share of the
        cache it reads at ``mbu`` x bandwidth, whichever is slower (every step path and
        :meth:`decode_line` use this one expression, so their floats agree)."""
        return max(pair_flops / self._flops_per_s,
                   kv_read_bytes * self._c.kv_gpu_fraction * self._per_byte)

    def _time(self, *, tokens: int, logits_tokens: int, pair_flops: float,
              kv_read_tokens_layers: float, kv_write_tokens: int,
              record: tuple[str, int] | None = None) -> StepResult | float:
        """The one step function: every term bounded by its own roofline, then summed.
        Without ``record`` just the sum (the simulator's hot path: no record built); with
        ``record = (phase, sequences)`` the step's :class:`StepResult`."""
        if self._xp is not None:
            return self._xp.time(self, tokens=tokens, sequences=logits_tokens,
                                 pair_flops=pair_flops, kv_read_tokens_layers=kv_read_tokens_layers,
                                 kv_write_tokens=kv_write_tokens, record=record)
        c, n, per_byte = self._c, self.gpus, self._per_byte
        linear_flops = tokens * c.linear_flops_per_token
        linear_weights = self._linear_weight_bytes(tokens)
        linear_bytes = linear_weights / n
        linear_compute = linear_flops / self._linear_flops_per_s
        linear_memory = linear_bytes * per_byte
        kv_read = kv_read_tokens_layers * c.kv_bytes_per_token_layer
        kv_write = kv_write_tokens * self._layers * c.kv_bytes_per_token_layer
        kv_write_s = kv_write * c.kv_gpu_fraction * per_byte
        logits_flops = logits_tokens * c.lm_head_flops_per_token
        # Output projection split over the GPUs; embedding rows looked up per token.
        logits_bytes = c.lm_head_bytes / n + tokens * self._message_per_token
        logits_s = max(logits_flops / self._flops_per_s, logits_bytes * per_byte)
        linear_s = max(linear_compute, linear_memory)
        attention_s = self._attention_s(pair_flops, kv_read)
        comm_s = self.comm_time_s(tokens) if self._allreduces else 0.0
        # Plain left-to-right additions: the same result on every Python (not sum()).
        seconds = linear_s + attention_s + kv_write_s + logits_s + comm_s + self.overhead_s
        if record is None:
            return seconds
        flops = linear_flops + pair_flops + logits_flops
        per_gpu = linear_bytes + logits_bytes + (kv_read + kv_write) * c.kv_gpu_fraction
        return self._record(
            record, tokens, seconds=seconds, linear_s=linear_s, attention_s=attention_s,
            kv_write_s=kv_write_s, logits_s=logits_s, comm_s=comm_s,
            linear_compute_bound=linear_compute >= linear_memory,
            # max() above returned the compute time when it is at least the memory time
            attention_compute_bound=attention_s == pair_flops / self._flops_per_s,
            flops=flops, weight_bytes=linear_weights + c.lm_head_bytes, kv_read_bytes=kv_read,
            kv_write_bytes=kv_write, bytes_per_gpu=per_gpu,
            compute_s=flops / self._flops_per_s, memory_s=per_gpu * per_byte,
        )

    def _record(self, record: tuple[str, int], tokens: int, *, seconds: float, linear_s: float,
                attention_s: float, kv_write_s: float, logits_s: float, comm_s: float,
                linear_compute_bound: bool, attention_compute_bound: bool, flops: float,
                weight_bytes: float, kv_read_bytes: float, kv_write_bytes: float,
                bytes_per_gpu: float, compute_s: float, memory_s: float, expert_s: float = 0.0,
                a2a_dispatch_s: float = 0.0, a2a_combine_s: float = 0.0) -> StepResult:
        """A step's :class:`StepResult` from its terms (both step functions end here):
        the totals, the bounds and what describes the deployment added."""
        phase, batch = record
        moved = weight_bytes + kv_read_bytes + kv_write_bytes
        compute_time = (linear_s if linear_compute_bound else 0.0) + (
            attention_s if attention_compute_bound else 0.0)
        memory_time = (linear_s + attention_s + kv_write_s) - compute_time
        return StepResult(
            phase=phase, batch=batch, tokens=tokens, seconds=seconds, linear_s=linear_s,
            attention_s=attention_s, kv_write_s=kv_write_s, logits_s=logits_s,
            comm_s=comm_s, overhead_s=self.overhead_s, flops=flops, bytes=moved,
            bytes_per_gpu=bytes_per_gpu, weight_bytes_read=weight_bytes,
            kv_bytes_read=kv_read_bytes, kv_bytes_written=kv_write_bytes,
            compute_s=compute_s, memory_s=memory_s,
            bound="compute" if compute_time >= memory_time else "memory",
            linear_bound="compute" if linear_compute_bound else "memory",
            attention_bound="compute" if attention_compute_bound else "memory",
            arithmetic_intensity=flops / moved, ridge_point=self.ridge_point,
            compute_dtype=self.compute_dtype, mbu=self.mbu, mfu=self.mfu, gpus=self.gpus,
            ep=self.deployment.ep, expert_s=expert_s, a2a_dispatch_s=a2a_dispatch_s,
            a2a_combine_s=a2a_combine_s,
        )

    def _decode(self, batch: int, total_context: int,
                seconds_only: bool = False) -> StepResult | float:
        token_layers = self._decode_token_layers(batch, total_context)
        return self._time(tokens=batch, logits_tokens=batch,
                          pair_flops=token_layers * self._c.pair_flops_decode,
                          kv_read_tokens_layers=token_layers, kv_write_tokens=batch,
                          record=None if seconds_only else ("decode", batch))

    def _prefill(self, tokens: int, past: int, sequences: int,
                 seconds_only: bool = False) -> StepResult | float:
        attn, kv_read = self._prefill_work(tokens, past)
        return self._time(tokens=tokens * sequences, logits_tokens=sequences,
                          pair_flops=attn * sequences, kv_read_tokens_layers=kv_read * sequences,
                          kv_write_tokens=tokens * sequences,
                          record=None if seconds_only else ("prefill", sequences))

    # -- fast paths -----------------------------------------------------------------------

    def decode_time_s(self, batch: int, total_context_tokens: int) -> float:
        """Seconds for one decode step of ``batch`` sequences.

        ``total_context_tokens`` is the sum over the batch of the tokens each
        sequence attends to (its new token included).
        """
        # The simulator's hot path: the same six terms, in the same order, as
        # ``_decode(...).seconds`` (so the same float), with the terms that depend
        # on the batch alone computed once per batch size (a batch in the table has
        # passed the checks; a context only needs to be a small plain int).
        if self._xp is not None:
            self._decode_fixed_terms(batch, total_context_tokens)   # the checks
            return self._mixed(batch, total_context_tokens, (), True)
        fixed = self._decode_fixed.get(batch) if type(batch) is int else None
        if fixed is None or type(total_context_tokens) is not int or not (
                0 <= total_context_tokens < _FAST_COUNT):
            fixed = self._decode_fixed_terms(batch, total_context_tokens)
        linear_s, kv_write_s, logits_s, comm_s = fixed
        c = self._c
        if c.layers_window:
            token_layers = self._decode_token_layers(batch, total_context_tokens)
        else:       # _kv_token_layers(total, 0.0), the same float
            token_layers = c.layers_full * total_context_tokens + 0.0
        attention_s = self._attention_s(token_layers * c.pair_flops_decode,
                                        token_layers * c.kv_bytes_per_token_layer)
        return linear_s + attention_s + kv_write_s + logits_s + comm_s + self.overhead_s

    def decode_line(self, batch: int) -> tuple[float, float] | None:
        """``(F, G)`` with ``decode_time_s(batch, total) == F + G * total`` up to
        rounding (the simulator sums stretches of decoding in closed form), or None
        when the time is not a line in the context (sliding-window layers).

        >>> sm = StepModel("llama-3.1-8b", "h100-sxm")
        >>> f, g = sm.decode_line(8)
        >>> abs(f + g * 8000 - sm.decode_time_s(8, 8000)) < 1e-15
        True
        >>> StepModel("gemma-2-9b", "h100-sxm").decode_line(8) is None
        True
        """
        if self._c.layers_window:
            return None
        if self._xp is not None:
            # attention is max(a T, b T) on the busiest GPU: still a line in T
            self._decode_fixed_terms(batch, 0)
            zero = self._decode(batch, 0, True)
            return zero, (self._decode(batch, batch * 1024, True) - zero) / (batch * 1024)
        linear_s, kv_write_s, logits_s, comm_s = self._decode_fixed_terms(batch, 0)
        c = self._c
        per_token = c.layers_full * self._attention_s(c.pair_flops_decode,
                                                      c.kv_bytes_per_token_layer)
        return linear_s + kv_write_s + logits_s + comm_s + self.overhead_s, per_token

    def _decode_fixed_terms(self, batch: int, total_context_tokens: int
                            ) -> tuple[float, float, float, float]:
        """The checks, and the terms of a decode step that depend on the batch alone."""
        if not _small_counts(batch, total_context_tokens) or not batch:
            positive_int("batch", batch)
            non_negative_int("total_context_tokens", total_context_tokens)
        fixed = self._decode_fixed.get(batch)
        if fixed is None:
            t = self._decode(batch, 0)
            fixed = self._decode_fixed[batch] = (t.linear_s, t.kv_write_s, t.logits_s, t.comm_s)
        return fixed

    def prefill_time_s(self, tokens: int, past_tokens: int = 0, sequences: int = 1) -> float:
        """Seconds for a prefill step of ``sequences`` chunks of ``tokens`` each,
        every one following ``past_tokens`` tokens already in the cache.

        The output projection runs once per sequence (for its last token).
        """
        if not _small_counts(tokens, past_tokens, sequences) or not tokens or not sequences:
            positive_int("tokens", tokens)
            non_negative_int("past_tokens", past_tokens)
            positive_int("sequences", sequences)
        return self._prefill(tokens, past_tokens, sequences, True)

    def mixed_time_s(
        self,
        decode_batch: int,
        decode_context_tokens: int,
        prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = (),
    ) -> float:
        """Seconds for one step that mixes decode tokens and prefill chunks
        (chunked prefill, as in vLLM and Sarathi-Serve): :meth:`terms` ``.seconds``.

        >>> sm = StepModel(Deployment(model="llama-3.1-8b", gpu="h100-sxm",
        ...                           mbu=0.62, mfu=0.45, overhead_s=0.0003))
        >>> from servecalc.units import fmt_duration
        >>> [fmt_duration(s, "ms", 2) for s in (sm.decode_time_s(32, 32 * 2000),
        ...                                      sm.mixed_time_s(32, 32 * 2000, [(512, 0)]))]
        ['11.57 ms', '21.94 ms']
        >>> sm.mixed_time_s(0, 0, [(512, 0)]) == sm.prefill_time_s(512)
        True
        """
        return self._mixed(decode_batch, decode_context_tokens, prefill_chunks, True)

    def terms(
        self,
        decode_batch: int,
        decode_context_tokens: int,
        prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = (),
    ) -> StepResult:
        """The full :class:`StepResult` of any step: ``decode_batch`` sequences decoding
        one token each (attending to ``decode_context_tokens`` in all) plus
        ``prefill_chunks``, ``(chunk_tokens, past_tokens)`` pairs. A chunk produces logits
        only if it is the last of its prompt, which this method assumes (one logits row per
        chunk). Decode-only and prefill-only steps are the two special cases.

        >>> sm = StepModel("llama-3.1-8b", "h100-sxm")
        >>> t = sm.terms(64, 64 * 4096)
        >>> t.phase, t.linear_bound, t.attention_bound
        ('decode', 'memory', 'memory')
        >>> t.seconds == sm.decode_time_s(64, 64 * 4096), t == sm.decode_total(64, 64 * 4096)
        (True, True)
        >>> m = sm.terms(8, 8 * 1000, [(4096, 0)])
        >>> m.phase, m.batch, m.tokens, m.linear_bound
        ('mixed', 9, 4104, 'compute')
        """
        return self._mixed(decode_batch, decode_context_tokens, prefill_chunks, False)

    def _mixed(self, decode_batch: int, decode_context_tokens: int,
               prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]],
               seconds_only: bool) -> StepResult | float:
        if not _small_counts(decode_batch, decode_context_tokens):
            non_negative_int("decode_batch", decode_batch)
            non_negative_int("decode_context_tokens", decode_context_tokens)
        attn = kv_read = 0.0
        if decode_batch:
            kv_read = self._decode_token_layers(decode_batch, decode_context_tokens)
            attn = kv_read * self._c.pair_flops_decode
        elif decode_context_tokens:
            raise ValueError(
                "decode_context_tokens must be 0 when decode_batch is 0, "
                f"got {decode_context_tokens!r}"
            )
        attn, kv_read, tokens, logits = self._with_chunks(
            prefill_chunks, attn, kv_read, decode_batch, decode_batch)
        if tokens == 0:
            raise ValueError(
                "a step needs at least one token: decode_batch and prefill_chunks are empty"
            )
        # one logits row per sequence: the decode batch and one per chunk
        record = None if seconds_only else (
            "decode" if logits == decode_batch else "mixed" if decode_batch else "prefill", logits)
        return self._time(tokens=tokens, logits_tokens=logits, pair_flops=attn,
                          kv_read_tokens_layers=kv_read, kv_write_tokens=tokens, record=record)

    # -- speculative verification ---------------------------------------------------------

    def verify_time_s(self, batch: int, total_context_tokens: int, draft_tokens: int,
                      prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = ()
                      ) -> float:
        """Seconds of a speculative verification step: each of ``batch`` sequences runs
        its ``draft_tokens`` drafted tokens plus one more (``K + 1`` query tokens) after
        its cache, with logits for every one of them; ``prefill_chunks`` as in
        :meth:`mixed_time_s` ride in the same step. ``total_context_tokens`` counts as
        in :meth:`decode_time_s` (each sequence's cache plus one).

        A verification step *is* a step of ``K + 1`` tokens per sequence: the same
        attention, linear, KV-write and communication terms as ``batch`` prefill chunks
        of ``K + 1`` tokens (:meth:`terms`), scores and values in the decode form (an
        MLA latent stays absorbed, as FlashMLA runs MTP's two query tokens), and
        ``K + 1`` logits rows per sequence instead of one.

        >>> sm = StepModel("llama-3.1-8b", "h100-sxm")
        >>> v = sm.verify_terms(8, 8 * 1000, 3)
        >>> t = sm.terms(0, 0, [(4, 999)] * 8)
        >>> (v.linear_s, v.attention_s, v.comm_s) == (t.linear_s, t.attention_s, t.comm_s)
        True
        >>> v.flops > t.flops, sm.verify_time_s(8, 8000, 3) == v.seconds   # 32 logits rows, not 8
        (True, True)
        """
        return self._verify(batch, total_context_tokens, draft_tokens, prefill_chunks, True)

    def verify_terms(self, batch: int, total_context_tokens: int, draft_tokens: int,
                     prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = ()
                     ) -> StepResult:
        """The full :class:`StepResult` of :meth:`verify_time_s` (phase ``"verify"``)."""
        return self._verify(batch, total_context_tokens, draft_tokens, prefill_chunks, False)

    def _verify(self, batch: int, total_context_tokens: int, draft_tokens: int,
                prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]],
                seconds_only: bool) -> StepResult | float:
        if not _small_counts(batch, total_context_tokens, draft_tokens) or not batch:
            positive_int("batch", batch)
            non_negative_int("total_context_tokens", total_context_tokens)
            non_negative_int("draft_tokens", draft_tokens)
        if total_context_tokens < batch:
            raise ValueError(f"total_context_tokens must be >= batch ({batch}): each sequence "
                             f"attends at least to its new token, got {total_context_tokens!r}")
        q = draft_tokens + 1
        # Pasts spread as evenly as the total allows: exact for full-attention layers
        # (linear in the past), the most even spread for sliding-window ones.
        low, extra = divmod(total_context_tokens - batch, batch)
        pair = self._c.pair_flops_decode
        attn_low, read_low = self._prefill_work(q, low, pair)
        attn = (batch - extra) * attn_low
        kv_read = (batch - extra) * read_low
        if extra:
            attn_high, read_high = self._prefill_work(q, low + 1, pair)
            attn += extra * attn_high
            kv_read += extra * read_high
        attn, kv_read, tokens, logits = self._with_chunks(
            prefill_chunks, attn, kv_read, batch * q, batch * q)
        # the batch's K + 1 logits rows each, and one per chunk
        record = None if seconds_only else ("verify", batch + logits - batch * q)
        return self._time(tokens=tokens, logits_tokens=logits, pair_flops=attn,
                          kv_read_tokens_layers=kv_read, kv_write_tokens=tokens, record=record)

    # -- full results ---------------------------------------------------------------------

    def decode(self, batch: int, context: int) -> StepResult:
        """Full :class:`StepResult` of a decode step, every sequence at ``context``."""
        positive_int("batch", batch)
        positive_int("context", context)
        return self._decode(batch, batch * context)

    def decode_total(self, batch: int, total_context_tokens: int) -> StepResult:
        """Full :class:`StepResult` of a decode step (see :meth:`decode_time_s`)."""
        positive_int("batch", batch)
        non_negative_int("total_context_tokens", total_context_tokens)
        return self._decode(batch, total_context_tokens)

    def prefill(self, tokens: int, past_tokens: int = 0, sequences: int = 1) -> StepResult:
        """Full :class:`StepResult` of a prefill step (see :meth:`prefill_time_s`)."""
        positive_int("tokens", tokens)
        non_negative_int("past_tokens", past_tokens)
        positive_int("sequences", sequences)
        return self._prefill(tokens, past_tokens, sequences)

    def linear_compute_bound_decode(self, batch: int, context: int) -> bool:
        """Whether the linear layers of a decode step of ``batch`` sequences at
        ``context`` are compute-bound (attention reads its KV cache whatever the batch)."""
        return self._decode(batch, batch * context).linear_bound == "compute"
