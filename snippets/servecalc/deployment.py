"""The Deployment value: what runs where, and how efficiently.

A :class:`Deployment` names a model, an accelerator, how many of them form
one tensor-parallel group, the precisions of weights, KV cache and matmuls,
and the efficiency factors the step model applies (``None`` means "the step
model's published default", see :mod:`servecalc.step.constants`). It is a
frozen value: build it once and pass it to :class:`servecalc.step.StepModel`
and to every function that times a step (latency, cost, batching, SLOs,
the simulator).

Model and GPU may be given as catalog IDs; they are looked up once.

>>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
>>> d.model.id, d.gpu.id, d.gpus, d.weight_dtype, d.compute_dtype
('llama-3.1-70b', 'h100-sxm', 4, 'bf16', 'bf16')
>>> Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="fp8").compute_dtype
'fp8'
>>> d.replace(gpus=8).gpus
8
>>> Deployment(model="llama-3.1-8b", gpu="h100-sxm", mbu=1.5)
Traceback (most recent call last):
    ...
ValueError: mbu must be a number in (0, 1], got 1.5

The short form most functions accept -- a model and a GPU -- is a
deployment with every default:

>>> as_deployment("llama-3.1-8b", "h100-sxm") == Deployment(model="llama-3.1-8b", gpu="h100-sxm")
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .engines import get_engine
from .gpus import GpuSpec, get_gpu
from .models import ModelSpec, get_model
from .params import QUANTIZABLE, check_quantize
from .precision import COMPUTE_DTYPES, KV_DTYPES, WEIGHT_DTYPES, compute_dtype
from .validate import choice, fraction, non_negative_number, positive_int

#: The ``Deployment`` fields a command line or a form sets (everything but the calibration).
FIELDS = ("model", "gpu", "gpus", "weight_dtype", "kv_dtype", "compute_dtype", "mbu", "mfu",
          "overhead_s", "engine", "ep", "dp_attention")


def default_compute_dtype(gpu: str | GpuSpec, weight_dtype: str) -> str:
    """Precision the matmuls run in for ``weight_dtype`` on ``gpu``.

    fp8 weights run fp8 matmuls where the GPU has an fp8 peak, nvfp4/mxfp4
    weights FP4 matmuls (W4A4) where it has an FP4 peak; weight-only formats
    dequantize to bf16 (see :func:`servecalc.precision.compute_dtype`).

    >>> default_compute_dtype("h100-sxm", "fp8"), default_compute_dtype("h100-sxm", "int4")
    ('fp8', 'bf16')
    >>> default_compute_dtype("a100-80gb", "fp8")
    'bf16'
    >>> default_compute_dtype("b200", "nvfp4"), default_compute_dtype("h100-sxm", "nvfp4")
    ('fp4', 'bf16')
    """
    return compute_dtype(weight_dtype, get_gpu(gpu).peaks())


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """One serving replica's hardware, precisions and efficiency factors.

    ``ep`` splits a mixture of experts' routed experts over that many of the
    ``gpus`` (1: sharded like tensor parallelism, as before); ``dp_attention``
    runs attention data-parallel (each GPU holds the attention weights whole and
    its own sequences). ``ep_imbalance`` (>= 1) is how much more expert work the
    busiest GPU gets than the average; ``redundant_experts`` the extra expert
    replicas per MoE layer DeepSeek-style load balancing places (they cost
    memory). See :mod:`servecalc.expert_parallel`.

    ``mbu``, ``mfu`` and ``overhead_s`` left at ``None`` take the ``engine``
    preset's values for this GPU and compute precision
    (:mod:`servecalc.engines`), or a ``calibration``'s fitted values when one
    is given (an explicit value wins over both). ``engine`` left at ``None``
    is :data:`servecalc.engines.DEFAULT_ENGINE`.
    """

    model: ModelSpec
    gpu: GpuSpec
    gpus: int = 1
    weight_dtype: str = "bf16"
    kv_dtype: str = "bf16"
    compute_dtype: str = ""
    mbu: float | None = None
    mfu: float | None = None
    overhead_s: float | None = None
    group_size: int = 128
    quantize: tuple[str, ...] = QUANTIZABLE  # parts stored in weight_dtype (params.weight_bytes)
    calibration: Any = None  # a servecalc.calibration.Calibration
    engine: str | None = None  # a servecalc.engines preset ID
    ep: int = 1  # expert-parallel size: GPUs the routed experts are split over
    dp_attention: bool = False  # attention data-parallel over the GPUs
    ep_imbalance: float = 1.0  # busiest GPU's expert load over the mean (>= 1)
    redundant_experts: int = 0  # extra expert replicas per MoE layer (EPLB)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "model", get_model(self.model))
        setattr_(self, "gpu", get_gpu(self.gpu))
        setattr_(self, "engine", get_engine(self.engine).id)
        positive_int("gpus", self.gpus)
        choice("weight_dtype", self.weight_dtype, WEIGHT_DTYPES)
        choice("kv_dtype", self.kv_dtype, KV_DTYPES)
        positive_int("group_size", self.group_size)
        setattr_(self, "quantize", tuple(sorted(check_quantize(self.quantize))))
        if not self.compute_dtype:
            setattr_(self, "compute_dtype", default_compute_dtype(self.gpu, self.weight_dtype))
        choice("compute_dtype", self.compute_dtype, COMPUTE_DTYPES)
        for name in ("mbu", "mfu"):
            if getattr(self, name) is not None:
                fraction(name, getattr(self, name))
        if self.overhead_s is not None:
            non_negative_number("overhead_s", self.overhead_s)
        if self.calibration is not None and not all(
                hasattr(self.calibration, k) for k in ("mbu", "mfu", "overhead_s")):
            raise ValueError("calibration must be a servecalc.calibration.Calibration, "
                             f"got {type(self.calibration).__name__}")
        if self.gpus > 1 and self.gpu.interconnect_bytes_per_s <= 0:
            raise ValueError(
                f"gpus must be 1 for {self.gpu.name}: it lists no GPU-to-GPU interconnect "
                f"(interconnect_bytes_per_s = 0), got {self.gpus}"
            )

        from .expert_parallel import check_expert_parallel

        check_expert_parallel(self)

    def replace(self, **changes: Any) -> Deployment:
        """A copy with ``changes`` applied (a new ``weight_dtype`` re-derives an
        unset ``compute_dtype``).

        >>> d = Deployment(model="llama-3.1-8b", gpu="h100-sxm")
        >>> d.replace(weight_dtype="fp8").compute_dtype
        'fp8'
        """
        if "weight_dtype" in changes and "compute_dtype" not in changes:
            changes["compute_dtype"] = ""
        return dataclasses.replace(self, **changes)


#: What every timing function takes first: a :class:`Deployment`, or a model (catalog ID or
#: spec) that :func:`as_deployment` pairs with the GPU given next.
DeploymentLike = Deployment | str | ModelSpec
#: The GPU of that short form: a catalog ID or spec; ``None`` when a Deployment is given.
GpuLike = str | GpuSpec | None


def as_deployment(where: DeploymentLike, gpu: GpuLike = None, **options: Any) -> Deployment:
    """``where`` itself if it is a :class:`Deployment`, else ``Deployment(model=where,
    gpu=gpu, **options)``: the two call forms of every timing function.

    >>> as_deployment("llama-3.1-8b", None)
    Traceback (most recent call last):
        ...
    ValueError: gpu is required with a model ID: pass a GPU ID or a Deployment, got None
    >>> d = as_deployment("llama-3.1-8b", "h100-sxm")
    >>> as_deployment(d, "h200")
    Traceback (most recent call last):
        ...
    ValueError: gpu must be left out when a Deployment is given (it names its GPU), got 'h200'
    """
    if isinstance(where, Deployment):
        if gpu is not None:
            raise ValueError(
                "gpu must be left out when a Deployment is given (it names its GPU), "
                f"got {gpu!r}"
            )
        return where.replace(**options) if options else where
    if gpu is None:
        raise ValueError(
            f"gpu is required with a model ID: pass a GPU ID or a Deployment, got {gpu!r}"
        )
    return Deployment(model=where, gpu=gpu, **options)
