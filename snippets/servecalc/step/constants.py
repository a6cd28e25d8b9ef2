"""The step model's default efficiencies and constants, each with its source.

Efficiency defaults (published measurements, not fitted to this project's
validation cases):

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

>>> DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S
(0.6, 0.43, 0.0)
"""

from __future__ import annotations

DEFAULT_MBU = 0.60
DEFAULT_MFU = 0.43
DEFAULT_OVERHEAD_S = 0.0
DEFAULT_ALLREDUCE_HOP_LATENCY_S = 2.4e-6

#: Bytes per activation element moved by a tensor-parallel all-reduce (bf16).
ACTIVATION_BYTES = 2

#: The two kinds of step :func:`servecalc.step.step` times.
PHASES = ("prefill", "decode")
