"""Context parallelism: one long prompt's prefill split across GPUs (ring attention).

Context parallelism (CP) gives each of ``cp`` GPUs a contiguous ``1/cp`` of
the prompt's tokens. Each GPU runs the weights on its own tokens and, for
attention, passes its keys and values around a ring so that every GPU sees
every earlier token (Liu et al., "Ring Attention with Blockwise Transformers",
arXiv:2310.01889). Compute splits ``cp`` ways; each GPU sends the KV of all
other shards' tokens once, ``(cp - 1) / cp`` of the prompt's KV, and the
ring overlaps that transfer with attention. This module times the prefill as
the slower of the split compute and the transfer (perfect overlap, an
optimistic bound), with the step model for the compute.

>>> r = cp_prefill("llama-3.1-8b", "h100-sxm", prompt=131072, cp=8,
...                link_bytes_per_s=450e9)
>>> r.kv_bytes_sent_per_gpu          # 7/8 x 131,072 tokens x 128 KiB
15032385536.0
"""

from __future__ import annotations

from dataclasses import dataclass

from .deployment import DeploymentLike, GpuLike, as_deployment
from .kv import kv_bytes_per_sequence
from .step import StepModel
from .validate import finite_result, positive_int, positive_number

__all__ = ["CpPrefill", "cp_prefill"]


@dataclass(frozen=True, kw_only=True)
class CpPrefill:
    """One prompt's prefill on one GPU and with context parallelism over ``cp`` GPUs."""

    prompt: int
    cp: int
    single_gpu_s: float
    compute_s: float               # the single-GPU prefill split cp ways
    kv_bytes_sent_per_gpu: float
    transfer_s: float
    seconds: float                 # max(compute, transfer): perfect overlap

    @property
    def speedup(self) -> float:
        """Single-GPU prefill time over the CP prefill time."""
        return self.single_gpu_s / self.seconds


def cp_prefill(deployment: DeploymentLike, gpu: GpuLike = None, *, prompt: int, cp: int,
               link_bytes_per_s: float) -> CpPrefill:
    """Prefill time of a ``prompt``-token prompt over ``cp`` replicas of ``deployment``
    (each holding the weights; usually one GPU each).

    >>> cp_prefill("llama-3.1-8b", "h100-sxm", prompt=1024, cp=1, link_bytes_per_s=1e9).transfer_s
    0.0
    """
    d = as_deployment(deployment, gpu)
    positive_int("prompt", prompt)
    n = positive_int("cp", cp)
    rate = positive_number("link_bytes_per_s", link_bytes_per_s)
    single = StepModel(d).prefill_time_s(prompt)
    sent = (n - 1) / n * kv_bytes_per_sequence(d.model, prompt, d.kv_dtype) / d.gpus
    transfer = finite_result("KV transfer time", sent / rate, "link_bytes_per_s")
    compute = single / n
    return CpPrefill(prompt=prompt, cp=n, single_gpu_s=single, compute_s=compute,
                     kv_bytes_sent_per_gpu=sent, transfer_s=transfer,
                     seconds=max(compute, transfer))
