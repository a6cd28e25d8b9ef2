"""The step model's default efficiencies and constants, each with its source.

The step model times each term of a step separately (linear layers,
attention, KV writes, embeddings/logits, tensor-parallel communication) and
adds a fixed per-step overhead. The efficiencies are therefore
*kernel-level*: the fraction of peak bandwidth or FLOP/s the kernels reach,
with communication and per-step overhead outside them. (The previous
defaults were end-to-end ratios that already contained all-reduce and launch
time; adding explicit terms on top would have counted them twice.)

``DEFAULT_MBU = 0.62`` -- achieved fraction of peak HBM bandwidth in memory-bound
    kernels (weight GEMVs, KV reads and writes). Re-derived from the
    published end-to-end figure the guide used before -- Databricks, "LLM
    Inference Performance Engineering: Best Practices" (2023-10): MBU 60 % at
    batch 1 on 2 x H100 -- by taking out what this model now times
    separately. For a 70B-class model that step is about 34 ms, of which
    about 1 ms is 160 one-shot all-reduces (:mod:`servecalc.step.comm`) and
    :data:`DEFAULT_OVERHEAD_S`, so the kernels stream at 0.60 x 34 / 33 = 0.62
    of peak. The ceiling for streaming reads is about 0.90
    (stas00/ml-engineering, compute/accelerator: memory copy at 90.6 % of
    peak); serving stacks measured on the accuracy page reach 0.5-0.75.
``DEFAULT_MFU = 0.45`` -- achieved fraction of dense peak FLOP/s in compute-bound
    GEMMs and attention. The Llama 3 training runs reach 38-43 % of peak
    with their communication inside the ratio (arXiv:2407.21783, Table 4);
    with it taken out, about 45 %. The largest well-shaped bf16 GEMMs reach
    80-86 % (stas00/ml-engineering, "Maximum Achievable Matmul FLOPS": A100
    SXM 85.9 %, GH200 83.0 %), but inference GEMMs of a few hundred to a few
    thousand tokens split over tensor-parallel GPUs, and attention kernels,
    run well below that ceiling.
``DEFAULT_OVERHEAD_S = 0.0003`` -- fixed time per step outside the kernels
    (scheduling, input preparation, sampling, launches not hidden by CUDA
    graphs). Srivatsa, Li, Zhang and Abhyankar's profile of vLLM and SGLang
    (mlsys.wuklab.io/posts/scheduling_overhead, 2024) finds this work from a
    small share of the step (SGLang) to over half of it (vLLM at the time);
    the default takes a tuned engine's low end. Calibrate it.
``WEIGHT_ONLY_COMPUTE_FRACTION`` -- weight-only quantized GEMMs (int4/fp4/int8
    weights, bf16 activations) dequantize inside the kernel; when they become
    compute-bound they run below the bf16 GEMM. Marlin (Frantar et al.,
    arXiv:2408.11743) stays close to it up to large batches; older kernels
    fall well below. An assumption, not a measurement: calibrate it away.

Communication constants and their sources are in :mod:`servecalc.step.comm`.

>>> DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S
(0.62, 0.45, 0.0003)
"""

from __future__ import annotations

from ..deployment import Deployment
from ..engines import get_engine
from ..precision import bits
from ..validate import instance

DEFAULT_MBU = 0.62
DEFAULT_MFU = 0.45
DEFAULT_OVERHEAD_S = 0.0003
WEIGHT_ONLY_COMPUTE_FRACTION = 0.8

#: The two kinds of step :func:`servecalc.step.step` times.
PHASES = ("prefill", "decode")


def efficiencies(d: Deployment) -> tuple[float, float, float]:
    """``(mbu, mfu, overhead_s)`` of a deployment: its own value, else its
    calibration's, else its engine preset's (:mod:`servecalc.engines`) for its GPU
    generation and compute precision. A preset's overhead is its fixed cost per
    step plus its cost per layer (and per MoE layer) times the model's layers.

    >>> efficiencies(Deployment(model="llama-3.1-8b", gpu="h100-sxm", mfu=0.5, engine="ideal"))
    (0.62, 0.5, 0.0003)
    """
    cal = instance("d", d, Deployment).calibration
    fitted = (cal.mbu, cal.mfu, cal.overhead_s) if cal is not None else (None, None, None)
    row = get_engine(d.engine).efficiency(d.gpu, d.compute_dtype)
    spec = d.model
    moe_layers = spec.num_layers - spec.first_dense_layers if spec.num_experts else 0
    preset_overhead = row.step_s + row.layer_s * spec.num_layers + row.moe_layer_s * moe_layers
    chosen = []
    for own, calibrated, default in zip((d.mbu, d.mfu, d.overhead_s), fitted,
                                        (row.mbu, row.mfu, preset_overhead)):
        chosen.append(own if own is not None else calibrated if calibrated is not None
                      else default)
    return chosen[0], chosen[1], chosen[2]


def allreduce_extra_s(d: Deployment) -> float:
    """Latency the engine preset adds to each tensor-parallel all-reduce (0 on one GPU).

    >>> allreduce_extra_s(Deployment(model="llama-3.1-8b", gpu="h100-sxm", engine="ideal"))
    0.0
    """
    if d.gpus == 1:
        return 0.0
    return get_engine(d.engine).efficiency(d.gpu, d.compute_dtype).allreduce_s


def weight_only(d: Deployment) -> bool:
    """Whether the matmuls dequantize narrower weights to a wider compute type.

    >>> weight_only(Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="int4"))
    True
    >>> weight_only(Deployment(model="llama-3.1-8b", gpu="h100-sxm", weight_dtype="fp8"))
    False
    """
    instance("d", d, Deployment)
    return bits(d.weight_dtype) < bits(d.compute_dtype)
