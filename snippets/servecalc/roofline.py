"""The step model: FLOPs, bytes and time of one forward pass (a "step").

A serving engine advances in steps. A *prefill* step runs the prompt (or a
chunk of it) through the model; a *decode* step runs one new token for each
sequence in the batch. This module counts what a step does and turns it into
seconds with a roofline:

``seconds = max(compute_s, memory_s) + comm_s + overhead_s``

where

* ``compute_s = flops / (mfu * peak_flops_per_s * gpus)``,
* ``memory_s = bytes_per_gpu / (mbu * hbm_bandwidth_bytes_per_s)``,
* ``comm_s`` is the tensor-parallel all-reduce time (two all-reduces per layer
  of ``tokens x hidden_size x 2`` bytes; ring: ``2 (n-1)/n x size / link
  bandwidth`` plus ``2 (n-1)`` hops of latency),
* ``overhead_s`` is a fixed per-step cost (scheduling, kernel launches).

What is counted
---------------

FLOPs (a multiply-add is 2 FLOPs):

* linear layers: ``2 x`` the weights a token multiplies by
  (:func:`servecalc.params.matmul_params_per_token`: active attention, MLP and
  expert matrices, routers, the output projection; the embedding look-up is
  not a matmul). In prefill the output projection (``lm_head``) runs for the
  last prompt position only: engines compute logits for that one token.
* attention: per (query, key) pair and layer ``2 x heads x (d_qk + d_v)``.
  Prefill is *causal*: token ``i`` of a chunk attends to the ``past`` tokens
  and to itself and the tokens before it, ``past x chunk + chunk (chunk + 1)
  / 2`` pairs -- about half of the full ``chunk^2`` score matrix. (Some tools
  count the full square; that doubles prefill attention.) Sliding-window
  layers attend to at most ``sliding_window`` tokens. Multi-head latent
  attention (MLA) is counted in its expanded form in prefill (``d_qk =
  qk_nope + qk_rope``, ``d_v = v_head_dim``) and in its absorbed form in
  decode, where scores and values are computed against the cached latent
  (``d_qk = kv_lora_rank + qk_rope``, ``d_v = kv_lora_rank``).

Bytes moved through HBM:

* weights, read once per step. Embedding tables are not read (a look-up
  touches a few rows) unless tied to the output projection. For a mixture of
  experts, ``T`` tokens in a step touch on average ``E (1 - (1 - k/E)^T)``
  distinct routed experts per MoE layer (uniform, independent routing), plus
  the shared experts and the dense layers.
* KV cache: a decode step reads the cache of every token each sequence attends
  to (the new token's entry included: paged engines write it first, then read
  the whole cache) and writes one token per sequence; a prefill chunk reads
  the cache of its ``past`` tokens and writes its own.
* activations are not counted (small next to weights and KV at decode; prefill
  is compute-bound).

Under tensor parallelism weights and FLOPs split evenly over the GPUs; the KV
cache splits over at most ``num_kv_heads`` GPUs (with fewer KV heads than GPUs
the heads are replicated), and an MLA latent is replicated on every GPU.

Compute precision follows the weights: fp8 weights with fp8 activations use
the fp8 peak (where the GPU has one); weight-only int8/int4/fp4 dequantize to
bf16 and use the bf16 peak. Pass ``compute_dtype`` to override (``"int8"`` for
W8A8 SmoothQuant-style kernels).

Efficiency defaults (published measurements, not fitted to this project's
validation cases)
-------------------------------------------------------------------------

``DEFAULT_MBU = 0.60``
    Databricks, "LLM Inference Performance Engineering: Best Practices"
    (2023-10, section "Model Bandwidth Utilization (MBU)", Figures 2-3):
    "At batch size 1, we can achieve a higher MBU of 60% on 2xH100-80GBs as
    compared to 55% on 4xA100-40GB GPUs". MBU is defined there end to end,
    ``(weight bytes + KV bytes) / TPOT / peak bandwidth``.
``DEFAULT_MFU = 0.43``
    Llama Team, "The Llama 3 Herd of Models", arXiv:2407.21783, section 3.3.2
    and Table 4: 38-43 % BF16 model-FLOPs utilisation (430 TFLOP/s per H100
    in the best configuration). It is a training measurement at scale; a
    well-tuned single-node prefill can do better, so prefill estimates lean
    slow.
``DEFAULT_OVERHEAD_S = 0.0``
    Both utilisations above are end-to-end ratios (bytes or FLOPs over the
    measured step time), so they already contain scheduling and kernel-launch
    time; a separate default overhead would count it twice. Set
    ``overhead_s`` when you calibrate ``mbu``/``mfu`` on kernels alone.
``DEFAULT_ALLREDUCE_HOP_LATENCY_S = 2.4e-6``
    NVIDIA/nccl-tests issue #123 (2022-12-14): ring all-reduce of a few bytes
    on a DGX-A100 takes 33.7 us on 8 GPUs, i.e. 2 x (8 - 1) = 14 hops of about
    2.4 us.

>>> from servecalc.units import fmt_duration, fmt_number
>>> r = step("llama-3.1-8b", "h100-sxm", phase="decode", batch=1, context=1024)
>>> r.bound
'memory'
>>> fmt_duration(r.seconds, "ms", digits=2)
'7.53 ms'
>>> p = step("llama-3.1-8b", "h100-sxm", phase="prefill", batch=1, context=4096)
>>> p.bound, fmt_number(p.arithmetic_intensity, 0)
('compute', '3,961')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .capacity import kv_elements_per_token_per_layer_per_gpu
from .gpus import GpuSpec, get_gpu
from .kv import kv_elements_per_token_per_layer
from .models import ModelSpec, get_model
from .params import active_weight_bytes, matmul_params_per_token, weight_bytes, weight_groups
from .precision import BITS, COMPUTE_DTYPES, bits
from .precision import compute_dtype as _pick_compute_dtype
from .validate import (
    choice,
    fraction,
    non_negative_int,
    non_negative_number,
    positive_int,
)

DEFAULT_MBU = 0.60
DEFAULT_MFU = 0.43
DEFAULT_OVERHEAD_S = 0.0
DEFAULT_ALLREDUCE_HOP_LATENCY_S = 2.4e-6

#: Bytes per activation element moved by a tensor-parallel all-reduce (bf16).
ACTIVATION_BYTES = 2

PHASES = ("prefill", "decode")


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """One step: what it computes, what it moves, how long it takes.

    ``flops`` and ``bytes`` are totals over all GPUs; ``bytes_per_gpu`` is
    what one GPU reads and writes (it sets ``memory_s``).
    """

    phase: str
    batch: int
    tokens: int
    seconds: float
    flops: float
    bytes: float
    bytes_per_gpu: float
    weight_bytes_read: float
    kv_bytes_read: float
    kv_bytes_written: float
    compute_s: float
    memory_s: float
    comm_s: float
    overhead_s: float
    bound: str
    arithmetic_intensity: float
    ridge_point: float
    compute_dtype: str
    mbu: float
    mfu: float
    gpus: int


def default_compute_dtype(gpu: str | GpuSpec, weight_dtype: str) -> str:
    """Precision the matmuls run in for ``weight_dtype`` on ``gpu``.

    >>> default_compute_dtype("h100-sxm", "fp8"), default_compute_dtype("h100-sxm", "int4")
    ('fp8', 'bf16')
    >>> default_compute_dtype("b200", "nvfp4"), default_compute_dtype("h100-sxm", "nvfp4")
    ('fp4', 'bf16')
    """
    return _pick_compute_dtype(weight_dtype, get_gpu(gpu).peaks())  # W8A8 / W4A4 where supported


@dataclass(frozen=True)
class _Constants:
    """Per (model, GPU, precision) numbers a step needs, computed once."""

    layers_full: int
    layers_window: int
    window: int
    hidden: int
    linear_flops_per_token: float  # without lm_head
    lm_head_flops_per_token: float
    pair_flops_prefill: float  # per (query, key) pair, per layer
    pair_flops_decode: float
    dense_weight_bytes: float  # read every step (routed experts excluded)
    expert_bytes: float  # one routed expert in one MoE layer
    moe_layers: int
    num_experts: int
    experts_per_token: int
    kv_bytes_per_token_layer: float  # one token, one layer
    kv_gpu_fraction: float  # share of the KV cache one GPU holds
    peak_flops_per_s: float
    bandwidth_bytes_per_s: float
    interconnect_bytes_per_s: float


def _embedding_bytes(spec: ModelSpec, weight_dtype: str) -> float:
    """Bytes of the input embedding tables that a step does not read.

    Follows :mod:`servecalc.params`: embeddings stay in 16 bits when the
    weights are quantized to 8 bits or fewer. A tied table is read by the
    output projection, so only position tables are skipped then.
    """
    width = bits(weight_dtype)
    per_param = 2 if width <= 8 else width / 8
    skipped = 0
    for group in weight_groups(spec):
        if group.kind != "embedding":
            continue
        if group.name == "embed_tokens" and spec.tie_word_embeddings:
            continue
        skipped += group.params
    return skipped * per_param


@lru_cache(maxsize=256)
def _constants(
    spec: ModelSpec,
    gpu: GpuSpec,
    gpus: int,
    weight_dtype: str,
    kv_dtype: str,
    compute_dtype: str,
    group_size: int,
) -> _Constants:
    heads = spec.num_attention_heads
    if spec.attention == "mla":
        qk_prefill = spec.qk_nope_head_dim + spec.qk_rope_head_dim
        v_prefill = spec.v_head_dim
        qk_decode = spec.kv_lora_rank + spec.qk_rope_head_dim
        v_decode = spec.kv_lora_rank
    else:
        qk_prefill = v_prefill = qk_decode = v_decode = spec.head_dim
    # Share of the cache each GPU holds: KV heads split over the GPUs, one head
    # at least (replicated); an MLA latent is whole on every GPU.
    kv_fraction = kv_elements_per_token_per_layer_per_gpu(spec, gpus) / (
        kv_elements_per_token_per_layer(spec)
    )
    lm_head = 0
    for group in weight_groups(spec):
        if group.kind == "lm_head":
            lm_head = group.params
    if spec.tie_word_embeddings:
        lm_head = spec.vocab_size * spec.hidden_size
    matmul = matmul_params_per_token(spec)

    total = weight_bytes(spec, weight_dtype, group_size)
    read_all = total - _embedding_bytes(spec, weight_dtype)
    experts, k = spec.num_experts, spec.experts_per_token
    moe_layers = spec.num_layers - spec.first_dense_layers if experts else 0
    expert_bytes = 0.0
    if experts and experts > k and moe_layers:
        active = active_weight_bytes(spec, weight_dtype, group_size)
        expert_bytes = (total - active) / ((experts - k) * moe_layers)
    dense = read_all - expert_bytes * experts * moe_layers

    window_layers = spec.sliding_window_layers if spec.sliding_window else 0
    return _Constants(
        layers_full=spec.num_layers - window_layers,
        layers_window=window_layers,
        window=spec.sliding_window,
        hidden=spec.hidden_size,
        linear_flops_per_token=2.0 * (matmul - lm_head),
        lm_head_flops_per_token=2.0 * lm_head,
        pair_flops_prefill=2.0 * heads * (qk_prefill + v_prefill),
        pair_flops_decode=2.0 * heads * (qk_decode + v_decode),
        dense_weight_bytes=float(dense),
        expert_bytes=float(expert_bytes),
        moe_layers=moe_layers,
        num_experts=experts,
        experts_per_token=k,
        kv_bytes_per_token_layer=kv_elements_per_token_per_layer(spec) * bits(kv_dtype) / 8,
        kv_gpu_fraction=kv_fraction,
        peak_flops_per_s=gpu.peak_flops_per_s(compute_dtype),
        bandwidth_bytes_per_s=gpu.hbm_bandwidth_bytes_per_s,
        interconnect_bytes_per_s=gpu.interconnect_bytes_per_s,
    )


def _window_sum(past: int, chunk: int, window: int) -> float:
    """Sum over a chunk's tokens of min(tokens attended, window)."""
    first, last = past + 1, past + chunk
    if last <= window:
        return (first + last) * chunk / 2
    if first >= window:
        return float(window * chunk)
    return (first + window) * (window - first + 1) / 2 + (last - window) * window


class StepModel:
    """Step times for one (model, GPU, precision, parallelism) setting.

    Everything that does not depend on the batch is computed once, so the
    methods below cost a few float operations: a simulator can call them
    hundreds of thousands of times.

    >>> sm = StepModel("llama-3.1-8b", "h100-sxm")
    >>> from servecalc.units import fmt_duration
    >>> fmt_duration(sm.decode_time_s(1, 1024), "ms", digits=2)
    '7.53 ms'
    >>> sm.decode_time_s(64, 64 * 1024) > sm.decode_time_s(1, 1024)
    True
    >>> fmt_duration(sm.prefill_time_s(2048), "ms")
    '69.8 ms'
    """

    def __init__(
        self,
        model: str | ModelSpec,
        gpu: str | GpuSpec,
        *,
        gpus: int = 1,
        weight_dtype: str = "bf16",
        kv_dtype: str = "bf16",
        compute_dtype: str | None = None,
        mbu: float | None = None,
        mfu: float | None = None,
        overhead_s: float | None = None,
        group_size: int = 128,
        allreduce_hop_latency_s: float = DEFAULT_ALLREDUCE_HOP_LATENCY_S,
    ) -> None:
        self.model = get_model(model)
        self.gpu = get_gpu(gpu)
        self.gpus = positive_int("gpus", gpus)
        choice("weight_dtype", weight_dtype, BITS)
        choice("kv_dtype", kv_dtype, BITS)
        positive_int("group_size", group_size)
        if compute_dtype is None:
            compute_dtype = default_compute_dtype(self.gpu, weight_dtype)
        choice("compute_dtype", compute_dtype, COMPUTE_DTYPES)
        self.weight_dtype = weight_dtype
        self.kv_dtype = kv_dtype
        self.compute_dtype = compute_dtype
        self.mbu = DEFAULT_MBU if mbu is None else fraction("mbu", mbu)
        self.mfu = DEFAULT_MFU if mfu is None else fraction("mfu", mfu)
        self.overhead_s = DEFAULT_OVERHEAD_S
        if overhead_s is not None:
            self.overhead_s = non_negative_number("overhead_s", overhead_s)
        self.allreduce_hop_latency_s = non_negative_number(
            "allreduce_hop_latency_s", allreduce_hop_latency_s
        )
        if self.gpus > 1 and self.gpu.interconnect_bytes_per_s <= 0:
            raise ValueError(
                f"gpus must be 1 for {self.gpu.name}: it lists no GPU-to-GPU interconnect "
                f"(interconnect_bytes_per_s = 0), got {self.gpus}"
            )
        self._c = _constants(
            self.model, self.gpu, self.gpus, weight_dtype, kv_dtype, compute_dtype, group_size
        )
        c = self._c
        self._flops_per_s = self.mfu * c.peak_flops_per_s * self.gpus
        self._bytes_per_s = self.mbu * c.bandwidth_bytes_per_s
        self.ridge_point = c.peak_flops_per_s / c.bandwidth_bytes_per_s
        self._layers = c.layers_full + c.layers_window
        if self.gpus > 1:
            n = self.gpus
            per_byte = 2 * (n - 1) / n / c.interconnect_bytes_per_s
            per_op = 2 * (n - 1) * self.allreduce_hop_latency_s
            ops = 2 * self._layers
            self._comm_per_token = ops * per_byte * c.hidden * ACTIVATION_BYTES
            self._comm_fixed = ops * per_op
        else:
            self._comm_per_token = 0.0
            self._comm_fixed = 0.0

    # -- what a step moves and computes -------------------------------------------------

    def weight_bytes_read(self, tokens: int) -> float:
        """Weight bytes read by a step over ``tokens`` tokens (all GPUs).

        >>> sm = StepModel("mixtral-8x7b", "h100-sxm", gpus=2)
        >>> sm.weight_bytes_read(1) < sm.weight_bytes_read(8) < sm.weight_bytes_read(512)
        True
        """
        c = self._c
        if not c.expert_bytes:
            return c.dense_weight_bytes
        e, k = c.num_experts, c.experts_per_token
        distinct = e * (1.0 - (1.0 - k / e) ** tokens)
        return c.dense_weight_bytes + c.expert_bytes * c.moe_layers * distinct

    def _kv_token_layers(self, tokens_full: float, tokens_window: float) -> float:
        c = self._c
        return c.layers_full * tokens_full + c.layers_window * tokens_window

    def _time(
        self,
        *,
        tokens: int,
        logits_tokens: int,
        pair_flops: float,
        kv_read_tokens_layers: float,
        kv_write_tokens: int,
    ) -> tuple[float, float, float, float, float, float, float, float, float]:
        c = self._c
        flops = (
            tokens * c.linear_flops_per_token
            + logits_tokens * c.lm_head_flops_per_token
            + pair_flops
        )
        weights = self.weight_bytes_read(tokens)
        kv_read = kv_read_tokens_layers * c.kv_bytes_per_token_layer
        kv_write = kv_write_tokens * self._layers * c.kv_bytes_per_token_layer
        per_gpu = weights / self.gpus + (kv_read + kv_write) * c.kv_gpu_fraction
        compute_s = flops / self._flops_per_s
        memory_s = per_gpu / self._bytes_per_s
        comm_s = self._comm_fixed + self._comm_per_token * tokens if self.gpus > 1 else 0.0
        seconds = max(compute_s, memory_s) + comm_s + self.overhead_s
        return seconds, flops, weights, kv_read, kv_write, per_gpu, compute_s, memory_s, comm_s

    # -- fast paths -----------------------------------------------------------------------

    def decode_time_s(self, batch: int, total_context_tokens: int) -> float:
        """Seconds for one decode step of ``batch`` sequences.

        ``total_context_tokens`` is the sum over the batch of the tokens each
        sequence attends to (its new token included). With sliding-window
        layers the window is applied to the average context.
        """
        positive_int("batch", batch)
        non_negative_int("total_context_tokens", total_context_tokens)
        return self._decode(batch, total_context_tokens)[0]

    def _decode(self, batch: int, total_context: int) -> tuple:
        c = self._c
        if c.layers_window:
            windowed = batch * min(total_context / batch, c.window)
        else:
            windowed = 0.0
        token_layers = self._kv_token_layers(total_context, windowed)
        return self._time(
            tokens=batch,
            logits_tokens=batch,
            pair_flops=token_layers * c.pair_flops_decode,
            kv_read_tokens_layers=token_layers,
            kv_write_tokens=batch,
        )

    def prefill_time_s(self, tokens: int, past_tokens: int = 0, sequences: int = 1) -> float:
        """Seconds for a prefill step of ``sequences`` chunks of ``tokens`` each,
        every one following ``past_tokens`` tokens already in the cache.

        The output projection runs once per sequence (for its last token).
        """
        positive_int("tokens", tokens)
        non_negative_int("past_tokens", past_tokens)
        positive_int("sequences", sequences)
        return self._prefill(tokens, past_tokens, sequences)[0]

    def _prefill_terms(self, tokens: int, past: int) -> tuple[float, float]:
        """(attention FLOPs, KV token-layers read) for one chunk."""
        c = self._c
        pairs_full = past * tokens + tokens * (tokens + 1) / 2
        pairs_window = _window_sum(past, tokens, c.window) if c.layers_window else 0.0
        flops = self._kv_token_layers(pairs_full, pairs_window) * c.pair_flops_prefill
        read_window = min(past, c.window) if c.layers_window else 0
        return flops, self._kv_token_layers(past, read_window)

    def _prefill(self, tokens: int, past: int, sequences: int) -> tuple:
        attn, kv_read = self._prefill_terms(tokens, past)
        return self._time(
            tokens=tokens * sequences,
            logits_tokens=sequences,
            pair_flops=attn * sequences,
            kv_read_tokens_layers=kv_read * sequences,
            kv_write_tokens=tokens * sequences,
        )

    def mixed_time_s(
        self,
        decode_batch: int,
        decode_context_tokens: int,
        prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = (),
    ) -> float:
        """Seconds for one step that mixes decode tokens and prefill chunks
        (chunked prefill, as in vLLM and Sarathi-Serve).

        ``prefill_chunks`` holds ``(chunk_tokens, past_tokens)`` pairs; a chunk
        produces logits only if it is the last of its prompt, which this
        method assumes (one logits row per chunk).

        >>> sm = StepModel("llama-3.1-8b", "h100-sxm")
        >>> alone = sm.decode_time_s(32, 32 * 2000)
        >>> mixed = sm.mixed_time_s(32, 32 * 2000, [(512, 0)])
        >>> mixed > alone
        True
        >>> sm.mixed_time_s(0, 0, [(512, 0)]) == sm.prefill_time_s(512)
        True
        """
        non_negative_int("decode_batch", decode_batch)
        non_negative_int("decode_context_tokens", decode_context_tokens)
        c = self._c
        tokens = decode_batch
        attn = 0.0
        kv_read = 0.0
        if decode_batch:
            if c.layers_window:
                windowed = decode_batch * min(decode_context_tokens / decode_batch, c.window)
            else:
                windowed = 0.0
            kv_read = self._kv_token_layers(decode_context_tokens, windowed)
            attn = kv_read * c.pair_flops_decode
        elif decode_context_tokens:
            raise ValueError(
                "decode_context_tokens must be 0 when decode_batch is 0, "
                f"got {decode_context_tokens!r}"
            )
        logits = decode_batch
        for chunk in prefill_chunks:
            if not isinstance(chunk, (tuple, list)) or len(chunk) != 2:
                raise ValueError(
                    f"prefill_chunks must hold (chunk_tokens, past_tokens) pairs, got {chunk!r}"
                )
            size = positive_int("chunk_tokens", chunk[0])
            past = non_negative_int("past_tokens", chunk[1])
            chunk_attn, chunk_read = self._prefill_terms(size, past)
            attn += chunk_attn
            kv_read += chunk_read
            tokens += size
            logits += 1
        if tokens == 0:
            raise ValueError(
                "a step needs at least one token: decode_batch and prefill_chunks are empty"
            )
        return self._time(
            tokens=tokens,
            logits_tokens=logits,
            pair_flops=attn,
            kv_read_tokens_layers=kv_read,
            kv_write_tokens=tokens,
        )[0]

    # -- full results ---------------------------------------------------------------------

    def _result(self, phase: str, batch: int, tokens: int, terms: tuple) -> StepResult:
        seconds, flops, weights, kv_read, kv_write, per_gpu, compute_s, memory_s, comm_s = terms
        moved = weights + kv_read + kv_write
        return StepResult(
            phase=phase,
            batch=batch,
            tokens=tokens,
            seconds=seconds,
            flops=flops,
            bytes=moved,
            bytes_per_gpu=per_gpu,
            weight_bytes_read=weights,
            kv_bytes_read=kv_read,
            kv_bytes_written=kv_write,
            compute_s=compute_s,
            memory_s=memory_s,
            comm_s=comm_s,
            overhead_s=self.overhead_s,
            bound="compute" if compute_s >= memory_s else "memory",
            arithmetic_intensity=flops / moved,
            ridge_point=self.ridge_point,
            compute_dtype=self.compute_dtype,
            mbu=self.mbu,
            mfu=self.mfu,
            gpus=self.gpus,
        )

    def decode(self, batch: int, context: int) -> StepResult:
        """Full :class:`StepResult` of a decode step, every sequence at ``context``."""
        positive_int("batch", batch)
        positive_int("context", context)
        return self._result("decode", batch, batch, self._decode(batch, batch * context))

    def decode_total(self, batch: int, total_context_tokens: int) -> StepResult:
        """Full :class:`StepResult` of a decode step (see :meth:`decode_time_s`)."""
        positive_int("batch", batch)
        non_negative_int("total_context_tokens", total_context_tokens)
        return self._result("decode", batch, batch, self._decode(batch, total_context_tokens))

    def prefill(self, tokens: int, past_tokens: int = 0, sequences: int = 1) -> StepResult:
        """Full :class:`StepResult` of a prefill step (see :meth:`prefill_time_s`)."""
        positive_int("tokens", tokens)
        non_negative_int("past_tokens", past_tokens)
        positive_int("sequences", sequences)
        return self._result(
            "prefill", sequences, tokens * sequences, self._prefill(tokens, past_tokens, sequences)
        )


def step(
    model: str | ModelSpec,
    gpu: str | GpuSpec,
    *,
    phase: str,
    batch: int,
    context: int,
    gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    mbu: float | None = None,
    mfu: float | None = None,
    overhead_s: float | None = None,
    compute_dtype: str | None = None,
) -> StepResult:
    """FLOPs, bytes and seconds of one step.

    ``phase="prefill"``: ``batch`` prompts of ``context`` tokens each, whole.
    ``phase="decode"``: one new token for each of ``batch`` sequences that
    attend to ``context`` tokens each (the new one included).

    >>> r = step("llama-3.1-70b", "h100-sxm", phase="decode", batch=1, context=2048, gpus=2)
    >>> r.bound, r.gpus
    ('memory', 2)
    >>> r.comm_s > 0
    True
    >>> step("llama-3.1-8b", "h100-sxm", phase="train", batch=1, context=8)
    Traceback (most recent call last):
        ...
    ValueError: phase must be one of 'prefill', 'decode', got 'train'
    """
    choice("phase", phase, PHASES)
    sm = StepModel(
        model,
        gpu,
        gpus=gpus,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        compute_dtype=compute_dtype,
        mbu=mbu,
        mfu=mfu,
        overhead_s=overhead_s,
    )
    if phase == "decode":
        return sm.decode(batch, context)
    positive_int("batch", batch)
    return sm.prefill(context, 0, batch)


def prefill_chunk(
    model: str | ModelSpec,
    gpu: str | GpuSpec,
    *,
    chunk_tokens: int,
    past_tokens: int,
    batch: int = 1,
    gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    mbu: float | None = None,
    mfu: float | None = None,
    overhead_s: float | None = None,
    compute_dtype: str | None = None,
) -> StepResult:
    """One prefill chunk of ``chunk_tokens`` after ``past_tokens`` cached ones.

    Chunking does not change the attention work: the second chunk attends
    to the first, so two chunks of 1,024 tokens count the same (query, key)
    pairs as one of 2,048 (plus one more logits row).

    >>> import math
    >>> whole = step("llama-3.1-8b", "h100-sxm", phase="prefill", batch=1, context=2048)
    >>> a = prefill_chunk("llama-3.1-8b", "h100-sxm", chunk_tokens=1024, past_tokens=0)
    >>> b = prefill_chunk("llama-3.1-8b", "h100-sxm", chunk_tokens=1024, past_tokens=1024)
    >>> math.isclose(a.flops + b.flops, whole.flops, rel_tol=1e-3)
    True
    >>> b.flops > a.flops
    True
    """
    sm = StepModel(
        model,
        gpu,
        gpus=gpus,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        compute_dtype=compute_dtype,
        mbu=mbu,
        mfu=mfu,
        overhead_s=overhead_s,
    )
    return sm.prefill(chunk_tokens, past_tokens, batch)


def bandwidth_utilization(
    bytes_per_step: float, step_s: float, peak_bytes_per_s: float
) -> float:
    """Model bandwidth utilisation (MBU): achieved bytes/s over peak bytes/s.

    Databricks' worked example: a 7B model in 16 bits (14 GB) at a TPOT of
    14 ms moves 1 TB/s; on a 2 TB/s part that is an MBU of 50 %.

    >>> bandwidth_utilization(14e9, 0.014, 2e12)
    0.5
    """
    moved = non_negative_number("bytes_per_step", bytes_per_step)
    seconds = non_negative_number("step_s", step_s)
    if seconds == 0:
        raise ValueError(f"step_s must be a finite number > 0, got {step_s!r}")
    peak = non_negative_number("peak_bytes_per_s", peak_bytes_per_s)
    if peak == 0:
        raise ValueError(f"peak_bytes_per_s must be a finite number > 0, got {peak_bytes_per_s!r}")
    return moved / seconds / peak


def flops_utilization(flops_per_step: float, step_s: float, peak_flops_per_s: float) -> float:
    """Model FLOPs utilisation (MFU): achieved FLOP/s over peak FLOP/s.

    >>> flops_utilization(4.95e11, 1.0, 989e12) < 0.001
    True
    """
    work = non_negative_number("flops_per_step", flops_per_step)
    seconds = non_negative_number("step_s", step_s)
    if seconds == 0:
        raise ValueError(f"step_s must be a finite number > 0, got {step_s!r}")
    peak = non_negative_number("peak_flops_per_s", peak_flops_per_s)
    if peak == 0:
        raise ValueError(f"peak_flops_per_s must be a finite number > 0, got {peak_flops_per_s!r}")
    return work / seconds / peak


def crossover_batch(
    model: str | ModelSpec,
    gpu: str | GpuSpec,
    *,
    context: int,
    gpus: int = 1,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    mbu: float | None = None,
    mfu: float | None = None,
    max_batch: int = 65536,
) -> int | None:
    """Smallest decode batch whose step is compute-bound, or None up to ``max_batch``.

    >>> b = crossover_batch("llama-3.1-8b", "h100-sxm", context=128)
    >>> 100 < b < 1000
    True
    """
    positive_int("context", context)
    positive_int("max_batch", max_batch)
    sm = StepModel(model, gpu, gpus=gpus, weight_dtype=weight_dtype, kv_dtype=kv_dtype,
                   mbu=mbu, mfu=mfu)

    def compute_bound(b: int) -> bool:
        *_, compute_s, memory_s, _comm_s = sm._decode(b, b * context)
        return compute_s >= memory_s

    if not compute_bound(max_batch):
        return None
    low, high = 1, max_batch
    while low < high:
        mid = (low + high) // 2
        if compute_bound(mid):
            high = mid
        else:
            low = mid + 1
    return low
