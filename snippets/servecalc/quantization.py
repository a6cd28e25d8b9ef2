"""What weight, KV-cache and activation precision do to memory, capacity and speed.

Three precisions are independent knobs:

* weights (``weight_dtype``): the bytes every decode step reads, and what is
  left of GPU memory for the KV cache (:mod:`servecalc.params` says which
  tensors stay in 16 bits and what 4-bit scales cost);
* the KV cache (``kv_dtype``): bytes per cached token, so how many sequences
  fit and how much each long-context decode step reads;
* activations (``compute_dtype``): which tensor-core peak the matmuls run at.
  fp8 weights on a GPU with fp8 tensor cores run W8A8 at the fp8 peak;
  weight-only formats (int8, int4, fp4) dequantize and run at the bf16 peak,
  so they speed up memory-bound decode but not compute-bound prefill.

Accuracy is not modelled: a precision that fits and is fast may still be too
lossy for a task.

>>> from servecalc.deployment import Deployment
>>> rows = compare_precisions(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=2),
...                           context=8192)
>>> [(r.weight_dtype, r.kv_dtype, r.compute_dtype) for r in rows][:3]
[('bf16', 'bf16', 'bf16'), ('fp8', 'bf16', 'fp8'), ('fp8', 'fp8', 'fp8')]
>>> base, fp8 = rows[0], rows[1]
>>> fp8.weight_bytes < base.weight_bytes and fp8.max_batch > base.max_batch
True
>>> fp8.tpot_s < base.tpot_s and fp8.prefill_s < base.prefill_s
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .capacity import DEFAULT_MEMORY_UTILIZATION, fit_deployment
from .deployment import Deployment, DeploymentLike, GpuLike, as_deployment
from .kv import kv_bytes_per_token
from .params import weight_bytes
from .step import StepModel
from .validate import positive_int

#: (weight, KV) precisions compared by default; compute follows the weights.
DEFAULT_CONFIGS: tuple[tuple[str, str], ...] = (
    ("bf16", "bf16"),
    ("fp8", "bf16"),
    ("fp8", "fp8"),
    ("int8", "bf16"),
    ("int4", "bf16"),
    ("int4", "fp8"),
    ("mxfp4", "bf16"),
    ("nvfp4", "fp8"),
)


@dataclass(frozen=True, kw_only=True)
class PrecisionRow:
    """One precision setting, side by side with the others.

    ``tpot_s`` is a decode step of ``batch`` sequences at ``context`` tokens;
    ``max_batch_tokens_per_s`` is decode throughput with as many such
    sequences as fit (0 when none fits).
    """

    weight_dtype: str
    kv_dtype: str
    compute_dtype: str
    weight_bytes: int
    kv_bytes_per_token: int
    fits: bool
    max_batch: int
    kv_token_capacity: int
    prefill_s: float
    tpot_s: float
    tokens_per_s: float
    max_batch_tokens_per_s: float


def _config(index: int, item: Sequence[str]) -> tuple[str, str, str | None]:
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise ValueError(
            f"configs[{index}] must be (weight_dtype, kv_dtype) or "
            f"(weight_dtype, kv_dtype, compute_dtype), got {item!r}"
        )
    compute = item[2] if len(item) == 3 else None
    return item[0], item[1], compute


def compare_precisions(deployment: DeploymentLike, gpu: GpuLike = None, *, context: int,
                       batch: int = 1, configs: Iterable[Sequence[str]] = DEFAULT_CONFIGS,
                       memory_utilization: float = DEFAULT_MEMORY_UTILIZATION
                       ) -> list[PrecisionRow]:
    """One row per precision setting: memory, capacity and step times.

    Each row is the deployment with that row's precisions (its GPU count
    and efficiency factors are kept).

    >>> rows = compare_precisions("llama-3.1-8b", "l4", context=4096,
    ...                           configs=[("bf16", "bf16"), ("int4", "bf16", "bf16")])
    >>> rows[1].max_batch > rows[0].max_batch
    True
    >>> compare_precisions("llama-3.1-8b", "l4", context=4096, configs=[("int3", "bf16")])
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: weight_dtype must be one of 'fp32', 'bf16', ..., got 'int3'
    """
    base = as_deployment(deployment, gpu)
    spec = base.model
    positive_int("context", context)
    positive_int("batch", batch)
    rows = []
    for index, item in enumerate(configs):
        weight_dtype, kv_dtype, compute = _config(index, item)
        sm = StepModel(base.replace(weight_dtype=weight_dtype, kv_dtype=kv_dtype,
                                    compute_dtype=compute or ""))
        fitted = fit_deployment(sm.deployment, context=context,
                                memory_utilization=memory_utilization)
        tpot = sm.decode_time_s(batch, batch * context)
        full = 0.0
        if fitted.max_batch:
            full = fitted.max_batch / sm.decode_time_s(fitted.max_batch,
                                                       fitted.max_batch * context)
        rows.append(
            PrecisionRow(
                weight_dtype=weight_dtype,
                kv_dtype=kv_dtype,
                compute_dtype=sm.compute_dtype,
                weight_bytes=weight_bytes(spec, weight_dtype, base.group_size, base.quantize),
                kv_bytes_per_token=kv_bytes_per_token(spec, kv_dtype),
                fits=fitted.fits,
                max_batch=fitted.max_batch,
                kv_token_capacity=fitted.kv_token_capacity,
                prefill_s=sm.prefill_time_s(context),
                tpot_s=tpot,
                tokens_per_s=batch / tpot,
                max_batch_tokens_per_s=full,
            )
        )
    if not rows:
        raise ValueError("configs must hold at least one (weight_dtype, kv_dtype) pair, got none")
    return rows
