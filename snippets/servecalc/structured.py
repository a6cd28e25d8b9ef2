"""Structured output (constrained decoding): what the grammar mask adds to a step.

To force JSON or a grammar, the engine computes, for every constrained
sequence and every step, a mask of the tokens the grammar allows next and
applies it to the logits before sampling. The mask is computed on the CPU:
llguidance documents "up to a millisecond for a 100k tokenizer" per mask
(``llg_compute_mask``), XGrammar precomputes most of it per grammar state. The
mask itself is a bitmask of ``ceil(vocab / 32)`` 32-bit words per sequence
(XGrammar's ``get_bitmask_shape``).

If the engine computes the masks while the GPU runs the forward pass (vLLM
and SGLang overlap them), the step takes the longer of the two; if not, they
add. With ``batch`` constrained sequences and ``threads`` CPU threads::

    mask_s  = ceil(batch / threads) * mask_s_per_sequence
    step    = max(gpu_step_s, mask_s)        (overlapped)
    step    = gpu_step_s + mask_s            (serial)

>>> round(constrained_step_s(0.020, batch=64, mask_s_per_sequence=1e-3, threads=4), 6)
0.02
>>> round(constrained_step_s(0.020, 64, 1e-3, threads=4, overlap=False), 6)
0.036
>>> bitmask_bytes(batch=64, vocab_size=128256)
1026048
"""

from __future__ import annotations

import math

from .validate import non_negative_number, positive_int

__all__ = ["constrained_step_s", "bitmask_bytes"]


def constrained_step_s(gpu_step_s: float, batch: int, mask_s_per_sequence: float,
                       threads: int = 1, overlap: bool = True) -> float:
    """Decode step time when ``batch`` sequences each need a grammar mask.

    >>> constrained_step_s(0.01, batch=0, mask_s_per_sequence=1e-3)
    Traceback (most recent call last):
        ...
    ValueError: batch must be an integer >= 1, got 0
    """
    step = non_negative_number("gpu_step_s", gpu_step_s)
    b = positive_int("batch", batch)
    per = non_negative_number("mask_s_per_sequence", mask_s_per_sequence)
    t = positive_int("threads", threads)
    mask = math.ceil(b / t) * per
    return max(step, mask) if overlap else step + mask


def bitmask_bytes(batch: int, vocab_size: int) -> int:
    """Bytes of the token bitmask for ``batch`` sequences: 32 tokens per 4-byte word.

    >>> bitmask_bytes(1, 32), bitmask_bytes(1, 33)
    (4, 8)
    """
    return positive_int("batch", batch) * math.ceil(positive_int("vocab_size", vocab_size) / 32) * 4
