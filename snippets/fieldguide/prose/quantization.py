"""Placeholders for the quantization chapter: bytes, speed and capacity per precision.

>>> bits_per_param("llama-3.1-70b", "int4")
'4.48 bits'
>>> q_tpot("llama-3.1-70b", "h100-sxm", "int4", gpus=2)
'10.6 ms'
"""

from __future__ import annotations

from servecalc.capacity import fit
from servecalc.params import param_count, weight_bytes
from servecalc.quantization import compare_precisions
from servecalc.units import fmt_bytes, fmt_duration, fmt_int, fmt_number
from servecalc.deployment import Deployment

__all__ = [
    "bits_per_param",
    "scale_overhead",
    "q_prefill",
    "q_tpot",
    "q_max_batch",
    "q_throughput",
    "q_speedup",
    "min_tp",
]


def bits_per_param(model: str, weight_dtype: str, group_size: int = 128) -> str:
    """Average stored bits per parameter: quantized matrices, their scales, and
    the parts kept in 16 bits (embeddings, norms, ``lm_head``).

    >>> bits_per_param("llama-3.1-8b", "int4", group_size=32)
    '6.01 bits'
    """
    return f"{fmt_number(8 * weight_bytes(model, weight_dtype, group_size) / param_count(model), 2)} bits"


def scale_overhead(model: str, group_size: int) -> str:
    """Bytes that 4-bit group scales add over ``group_size`` = whole rows, in GB.

    >>> scale_overhead("llama-3.1-70b", 128)
    '1.06 GB'
    """
    big = 1 << 30  # far larger than any row: one scale per output row
    return fmt_bytes(weight_bytes(model, "int4", group_size) - weight_bytes(model, "int4", big),
                     "GB")


def _row(model: str, gpu: str, weight_dtype: str, kv_dtype: str, gpus: int, context: int,
         compute_dtype: str | None):
    config = (weight_dtype, kv_dtype) if compute_dtype is None else (
        weight_dtype, kv_dtype, compute_dtype)
    return compare_precisions(Deployment(model=model, gpu=gpu, gpus=gpus),
                              context=context, configs=[config])[0]


def q_prefill(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16", gpus: int = 1,
              context: int = 8192, compute_dtype: str | None = None) -> str:
    """Prefill time of one ``context``-token prompt at that precision.

    >>> q_prefill("llama-3.1-70b", "h100-sxm", "fp8", gpus=2)
    '741.0 ms'
    """
    r = _row(model, gpu, weight_dtype, kv_dtype, gpus, context, compute_dtype)
    return fmt_duration(r.prefill_s, "ms")


def q_tpot(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16", gpus: int = 1,
           context: int = 8192, compute_dtype: str | None = None) -> str:
    """Decode step time at batch 1 and ``context`` tokens at that precision.

    >>> q_tpot("llama-3.1-70b", "h100-sxm", "bf16", gpus=2)
    '35.0 ms'
    """
    r = _row(model, gpu, weight_dtype, kv_dtype, gpus, context, compute_dtype)
    return fmt_duration(r.tpot_s, "ms")


def q_max_batch(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16", gpus: int = 1,
                context: int = 8192) -> str:
    """Sequences of ``context`` tokens that fit at that precision.

    >>> q_max_batch("llama-3.1-70b", "h100-sxm", "fp8", "fp8", gpus=2)
    '57'
    """
    return fmt_int(_row(model, gpu, weight_dtype, kv_dtype, gpus, context, None).max_batch)


def q_throughput(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16", gpus: int = 1,
                 context: int = 8192, compute_dtype: str | None = None) -> str:
    """Decode tokens/s with as many ``context``-token sequences as fit.

    >>> q_throughput("llama-3.1-70b", "h100-sxm", "bf16", gpus=2)
    '82 tok/s'
    """
    r = _row(model, gpu, weight_dtype, kv_dtype, gpus, context, compute_dtype)
    return f"{fmt_number(r.max_batch_tokens_per_s, 0)} tok/s"


def q_speedup(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16", gpus: int = 1,
              context: int = 8192, metric: str = "tpot") -> str:
    """How many times faster than bf16 weights and cache: 'tpot' (batch-1 decode)
    or 'prefill'.

    >>> q_speedup("llama-3.1-70b", "h100-sxm", "int4", gpus=2)
    '3.3x'
    >>> q_speedup("llama-3.1-70b", "h100-sxm", "int4", gpus=2, metric="prefill")
    '0.8x'
    """
    if metric not in ("tpot", "prefill"):
        raise ValueError(f"metric must be one of 'tpot', 'prefill', got {metric!r}")
    base = _row(model, gpu, "bf16", "bf16", gpus, context, None)
    r = _row(model, gpu, weight_dtype, kv_dtype, gpus, context, None)
    if metric == "tpot":
        return f"{fmt_number(base.tpot_s / r.tpot_s, 1)}x"
    return f"{fmt_number(base.prefill_s / r.prefill_s, 1)}x"


def min_tp(model: str, gpu: str, weight_dtype: str, context: int, needed: int) -> str:
    """Smallest tensor-parallel degree (1, 2, 4 or 8) at which ``needed``
    sequences of ``context`` tokens fit.

    >>> min_tp("llama-3.1-70b", "h100-sxm", "int4", 8192, 32), min_tp("llama-3.1-70b", "h100-sxm", "bf16", 8192, 32)
    ('2', '4')
    """
    for gpus in (1, 2, 4, 8):
        if fit(model, gpu, gpus=gpus, context=context, weight_dtype=weight_dtype).max_batch >= needed:
            return fmt_int(gpus)
    raise ValueError(f"needed={needed} sequences of {context} tokens do not fit on 8 GPUs "
                     f"with {weight_dtype} weights")
