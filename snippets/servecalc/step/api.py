"""One-call forms of the step model, and the utilisation ratios."""

from __future__ import annotations

from ..deployment import Deployment, DeploymentLike, GpuLike
from ..validate import choice, non_negative_number, positive_int
from .constants import PHASES
from .model import StepModel, StepResult


def step(deployment: DeploymentLike, gpu: GpuLike = None, *,
         phase: str, batch: int, context: int) -> StepResult:
    """FLOPs, bytes and seconds of one step.

    ``phase="prefill"``: ``batch`` prompts of ``context`` tokens each, whole.
    ``phase="decode"``: one new token for each of ``batch`` sequences that
    attend to ``context`` tokens each (the new one included).

    >>> from servecalc.units import fmt_duration
    >>> r = step(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=2), phase="decode",
    ...          batch=1, context=2048)
    >>> r.bound, r.gpus, fmt_duration(r.comm_s, "us", 1)
    ('memory', 2, '1,270.8 us')
    >>> step("llama-3.1-8b", "h100-sxm", phase="train", batch=1, context=8)
    Traceback (most recent call last):
        ...
    ValueError: phase must be one of 'prefill', 'decode', got 'train'
    """
    choice("phase", phase, PHASES)
    sm = StepModel(deployment, gpu)
    if phase == "decode":
        return sm.decode(batch, context)
    positive_int("batch", batch)
    return sm.prefill(context, 0, batch)


def prefill_chunk(deployment: DeploymentLike, gpu: GpuLike = None,
                  *, chunk_tokens: int, past_tokens: int, batch: int = 1) -> StepResult:
    """One prefill chunk of ``chunk_tokens`` after ``past_tokens`` cached ones.

    Chunking does not change the attention work: the second chunk attends
    to the first, so two chunks of 1,024 tokens count the same (query, key)
    pairs as one of 2,048 (plus one more logits row).

    >>> whole = step("llama-3.1-8b", "h100-sxm", phase="prefill", batch=1, context=2048)
    >>> a = prefill_chunk("llama-3.1-8b", "h100-sxm", chunk_tokens=1024, past_tokens=0)
    >>> b = prefill_chunk("llama-3.1-8b", "h100-sxm", chunk_tokens=1024, past_tokens=1024)
    >>> round((a.flops + b.flops) / whole.flops, 6), round(b.flops / a.flops, 3)
    (1.000035, 1.038)
    """
    return StepModel(deployment, gpu).prefill(chunk_tokens, past_tokens, batch)


def _ratio(name: str, amount: float, step_s: float, peak: float, peak_name: str) -> float:
    moved = non_negative_number(name, amount)
    seconds = non_negative_number("step_s", step_s)
    if seconds == 0:
        raise ValueError(f"step_s must be a finite number > 0, got {step_s!r}")
    if non_negative_number(peak_name, peak) == 0:
        raise ValueError(f"{peak_name} must be a finite number > 0, got {peak!r}")
    return moved / seconds / peak


def bandwidth_utilization(
    bytes_per_step: float, step_s: float, peak_bytes_per_s: float
) -> float:
    """Model bandwidth utilisation (MBU): achieved bytes/s over peak bytes/s.

    Databricks' worked example: a 7B model in 16 bits (14 GB) at a TPOT of
    14 ms moves 1 TB/s; on a 2 TB/s part that is an MBU of 50 %.

    >>> bandwidth_utilization(14e9, 0.014, 2e12)
    0.5
    """
    return _ratio("bytes_per_step", bytes_per_step, step_s, peak_bytes_per_s,
                  "peak_bytes_per_s")


def flops_utilization(flops_per_step: float, step_s: float, peak_flops_per_s: float) -> float:
    """Model FLOPs utilisation (MFU): achieved FLOP/s over peak FLOP/s.

    >>> flops_utilization(4.95e11, 1.0, 989e12)
    0.0005005055611729019
    """
    return _ratio("flops_per_step", flops_per_step, step_s, peak_flops_per_s,
                  "peak_flops_per_s")


def crossover_batch(deployment: DeploymentLike, gpu: GpuLike = None, *, context: int,
                    max_batch: int = 65536) -> int | None:
    """Smallest decode batch whose linear layers are compute-bound (the ridge of the
    weight matmuls), or None up to ``max_batch``. Attention never gets there: it reads
    its own KV cache for every sequence.

    >>> d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", mbu=0.62, mfu=0.45, overhead_s=0.0003)
    >>> crossover_batch(d, context=128)
    215
    """
    positive_int("context", context)
    positive_int("max_batch", max_batch)
    sm = StepModel(deployment, gpu)
    if not sm.linear_compute_bound_decode(max_batch, context):
        return None
    low, high = 1, max_batch
    while low < high:
        mid = (low + high) // 2
        if sm.linear_compute_bound_decode(mid, context):
            high = mid
        else:
            low = mid + 1
    return low
