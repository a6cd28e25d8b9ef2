"""How many sequences and KV tokens fit on ``gpus`` GPUs with tensor parallelism.

The budget follows vLLM's start-up arithmetic: a fraction
``memory_utilization`` of each GPU's memory is usable; the weights and a
per-GPU reserve for activations and the runtime come off it; the rest holds
KV blocks::

    kv_budget = gpus * memory_bytes * memory_utilization - weights - gpus * reserve

Tensor parallelism splits the weights and the KV heads across the GPUs. When
there are fewer KV heads than GPUs each GPU keeps one head (vLLM replicates
them), and multi-head latent attention keeps the whole latent on every GPU, so
the per-GPU cache per token is what limits capacity.

The default reserve, :data:`DEFAULT_RESERVE_BYTES` = 1.5 GiB per GPU, comes
from vLLM's memory profiling of Llama-3.1-8B on one H100: "model weights take
14.99GiB; non_torch_memory takes 0.12GiB; PyTorch activation peak memory takes
1.19GiB" (worker.py start-up log, vLLM 0.6), i.e. 1.31 GiB besides the
weights, rounded up. Models with wider layers, larger
``max_num_batched_tokens`` or CUDA graphs need more: pass ``reserve_bytes``.

vLLM prints these quantities in GiB (2**30 bytes); compare with
``fmt_bytes(..., "GiB")``, not GB.

>>> r = fit("llama-3.1-8b", "h100-sxm", context=4096)
>>> r.max_batch, fmt_int(r.kv_token_capacity)
(109, '448,944')
>>> fmt_bytes(r.kv_budget_bytes, "GiB")
'54.80 GiB'
>>> r = fit("llama-3.1-70b", "h100-sxm")
>>> r.max_batch, r.reason
(0, 'weights (131.42 GiB) and reserve (1.50 GiB) exceed usable memory (71.26 GiB) on 1 x NVIDIA H100 SXM5 80GB')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .deployment import Deployment
from .gpus import GpuSpec, get_gpu
from .attention_kinds import kv_layout
from .kv import linear_state_bytes
from .models import ModelSpec, get_model
from .paging import DEFAULT_BLOCK_SIZE, _paged_slots
from .params import QUANTIZABLE, weight_bytes
from .precision import KV_DTYPES, WEIGHT_DTYPES, storage_bytes
from .units import GiB, fmt_bytes, fmt_int  # noqa: F401 - fmt_int used by the doctests
from .validate import choice, fraction, instance, non_negative_int, positive_int

#: Per-GPU memory kept for activations, CUDA context, NCCL and allocator slack.
DEFAULT_RESERVE_BYTES = 3 * GiB // 2
#: Share of each GPU's memory the server may use unless told otherwise (vLLM's
#: ``--gpu-memory-utilization`` default).
DEFAULT_MEMORY_UTILIZATION = 0.9


def _check_tp(spec: ModelSpec, gpus: int) -> int:
    positive_int("gpus", gpus)
    if spec.num_attention_heads % gpus:
        raise ValueError(
            f"gpus must divide num_attention_heads ({spec.num_attention_heads}) of "
            f"{spec.id} for tensor parallelism, got {gpus}"
        )
    return gpus


def kv_elements_per_token_per_layer_per_gpu(model: str | ModelSpec, gpus: int = 1) -> int:
    """Cache values one token adds in one layer on each of ``gpus`` GPUs.

    >>> kv_elements_per_token_per_layer_per_gpu("llama-3.1-70b", 4)    # 2 of 8 KV heads
    512
    >>> kv_elements_per_token_per_layer_per_gpu("llama-3.1-70b", 16)   # 1 head, replicated
    256
    >>> kv_elements_per_token_per_layer_per_gpu("deepseek-v3", 8)      # MLA latent, replicated
    576
    """
    spec = get_model(model)
    _check_tp(spec, gpus)
    return kv_layout(spec).elements_per_gpu(spec, gpus)


def kv_bytes_per_token_per_gpu(
    model: str | ModelSpec, gpus: int = 1, kv_dtype: str = "bf16"
) -> int:
    """Bytes one token occupies on each GPU, all layers (no window).

    >>> kv_bytes_per_token_per_gpu("llama-3.1-8b", 2)
    65536
    """
    spec = get_model(model)
    choice("kv_dtype", kv_dtype, KV_DTYPES)
    per_layer = kv_elements_per_token_per_layer_per_gpu(spec, gpus)
    return storage_bytes(per_layer * spec.kv_layers, kv_dtype)


def _reserve(reserve_bytes: int | None) -> int:
    if reserve_bytes is None:
        return DEFAULT_RESERVE_BYTES
    return non_negative_int("reserve_bytes", reserve_bytes)


def usable_bytes(
    gpu: str | GpuSpec, gpus: int = 1, memory_utilization: float = DEFAULT_MEMORY_UTILIZATION
) -> int:
    """``gpus * memory_bytes * memory_utilization``, rounded down to whole bytes.

    >>> fmt_bytes(usable_bytes("h100-sxm"), "GiB")
    '71.26 GiB'
    """
    spec = get_gpu(gpu)
    positive_int("gpus", gpus)
    util = fraction("memory_utilization", memory_utilization)
    return math.floor(gpus * spec.memory_bytes * util)


def kv_budget_bytes(
    model: str | ModelSpec,
    gpu: str | GpuSpec,
    gpus: int = 1,
    weight_dtype: str = "bf16",
    memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
    reserve_bytes: int | None = None,
    *,
    quantize: Iterable[str] = QUANTIZABLE,
) -> int:
    """Bytes left for the KV cache across all ``gpus`` (0 when nothing is left).

    ``reserve_bytes`` is per GPU (default :data:`DEFAULT_RESERVE_BYTES`);
    ``quantize`` names the parts stored in ``weight_dtype``
    (:func:`servecalc.params.weight_bytes`).

    >>> kv_budget_bytes("llama-3.1-70b", "h100-sxm", gpus=1)
    0
    >>> fmt_bytes(kv_budget_bytes("llama-3.1-70b", "h100-sxm", gpus=4), "GiB")
    '147.63 GiB'
    """
    spec = get_model(model)
    _check_tp(spec, gpus)
    usable = usable_bytes(gpu, gpus, memory_utilization)
    weights = weight_bytes(spec, weight_dtype, quantize=quantize)
    left = usable - weights - gpus * _reserve(reserve_bytes)
    return max(left, 0)


@dataclass(frozen=True, kw_only=True)
class FitResult:
    """What fits: all byte counts are totals over ``gpus`` unless named per GPU."""

    model: str
    gpu: str
    gpus: int
    context: int
    block_size: int
    usable_bytes: int
    weight_bytes: int
    reserve_bytes_per_gpu: int
    kv_budget_bytes: int
    kv_bytes_per_token_per_gpu: int
    sequence_kv_bytes_per_gpu: int
    kv_token_capacity: int
    max_batch: int
    reason: str

    @property
    def fits(self) -> bool:
        """True when at least one sequence of ``context`` tokens fits."""
        return self.max_batch > 0


def fit(
    model: str | ModelSpec,
    gpu: str | GpuSpec,
    gpus: int = 1,
    context: int = 4096,
    weight_dtype: str = "bf16",
    kv_dtype: str = "bf16",
    memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
    reserve_bytes: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    *,
    quantize: Iterable[str] = QUANTIZABLE,
) -> FitResult:
    """Concurrent sequences of ``context`` tokens and KV tokens that fit.

    ``kv_token_capacity`` counts whole blocks of ``block_size`` tokens that
    fit in each GPU's share of the budget (vLLM's "GPU KV cache size: N
    tokens"). ``max_batch`` counts sequences of ``context`` tokens, each
    holding whole blocks (sliding-window layers only their window's, chunked
    layers the most one chunk held) plus any linear-attention state.

    >>> fit("llama-3.1-8b", "l4", context=8192).max_batch
    3
    >>> fit("llama-3.1-8b", "l4", context=32768, weight_dtype="int4").max_batch
    3
    >>> fit("llama-3.1-70b", "h100-sxm", gpus=3)
    Traceback (most recent call last):
        ...
    ValueError: gpus must divide num_attention_heads (64) of llama-3.1-70b for tensor parallelism, got 3
    """
    spec = get_model(model)
    device = get_gpu(gpu)
    _check_tp(spec, gpus)
    positive_int("context", context)
    positive_int("block_size", block_size)
    choice("weight_dtype", weight_dtype, WEIGHT_DTYPES)
    choice("kv_dtype", kv_dtype, KV_DTYPES)
    reserve = _reserve(reserve_bytes)
    usable = usable_bytes(device, gpus, memory_utilization)
    weights = weight_bytes(spec, weight_dtype, quantize=quantize)
    budget = kv_budget_bytes(spec, device, gpus, weight_dtype, memory_utilization, reserve,
                             quantize=quantize)
    per_gpu_budget = budget // gpus
    per_token = kv_bytes_per_token_per_gpu(spec, gpus, kv_dtype)
    capacity = per_gpu_budget // (block_size * per_token) * block_size
    per_layer = kv_elements_per_token_per_layer_per_gpu(spec, gpus)
    slots = _paged_slots(spec, context, block_size, peak=True)
    per_sequence = storage_bytes(per_layer * slots, kv_dtype) + linear_state_bytes(spec, gpus)
    max_batch = per_gpu_budget // per_sequence
    where = f"on {gpus} x {device.name}"
    if budget == 0:
        reason = (
            f"weights ({fmt_bytes(weights, 'GiB')}) and reserve "
            f"({fmt_bytes(reserve, 'GiB')}{' per GPU' if gpus > 1 else ''}) exceed usable "
            f"memory ({fmt_bytes(usable, 'GiB')}) {where}"
        )
    elif max_batch == 0:
        reason = (
            f"one sequence of {fmt_int(context)} tokens needs "
            f"{fmt_bytes(per_sequence, 'GiB')} of KV per GPU but only "
            f"{fmt_bytes(per_gpu_budget, 'GiB')} per GPU is left {where}"
        )
    else:
        reason = (
            f"{fmt_int(max_batch)} sequences of {fmt_int(context)} tokens fit in "
            f"{fmt_bytes(budget, 'GiB')} of KV budget {where}"
        )
    return FitResult(
        model=spec.id,
        gpu=device.id,
        gpus=gpus,
        context=context,
        block_size=block_size,
        usable_bytes=usable,
        weight_bytes=weights,
        reserve_bytes_per_gpu=reserve,
        kv_budget_bytes=budget,
        kv_bytes_per_token_per_gpu=per_token,
        sequence_kv_bytes_per_gpu=per_sequence,
        kv_token_capacity=capacity,
        max_batch=max_batch,
        reason=reason,
    )


def fit_deployment(
    deployment: Deployment,
    *,
    context: int = 4096,
    memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
    reserve_bytes: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> FitResult:
    """:func:`fit` for a :class:`~servecalc.deployment.Deployment` (its model, GPU,
    GPU count and precisions); with data-parallel attention or redundant experts,
    :func:`servecalc.expert_parallel.fit_expert_parallel`.

    >>> from servecalc.deployment import Deployment
    >>> fit_deployment(Deployment(model="llama-3.1-8b", gpu="l4"), context=8192).max_batch
    3
    """
    d = instance("deployment", deployment, Deployment)
    if d.dp_attention or d.redundant_experts:
        from .expert_parallel import fit_expert_parallel

        fraction("memory_utilization", memory_utilization)
        return fit_expert_parallel(d, context=context, memory_utilization=memory_utilization,
                                   reserve_bytes=reserve_bytes, block_size=block_size)
    return fit(d.model, d.gpu, d.gpus, context, d.weight_dtype, d.kv_dtype,
               memory_utilization, reserve_bytes, block_size, quantize=d.quantize)
