"""Placeholders for the 2026 interview drills (MoE, routing, offload, FP8 scales, cost).

The drill answers mostly reuse the chapters' placeholders; what is here is the
whiteboard side of a few of them, computed from the catalog like the
back-of-the-envelope drills in :mod:`fieldguide.prose.drills` (a separate
module keeps that one under the size limit).

>>> a2a_whiteboard("deepseek-v3", 128)
'128 tokens × 8 experts × 7,168 values × 3 bytes (fp8 out, bf16 back) ≈ 22.0 MB per layer'
"""

from __future__ import annotations

from servecalc.fp8 import dynamic_range, kv_scale
from servecalc.models import get_model
from servecalc.units import fmt_bytes, fmt_int, fmt_number


def a2a_whiteboard(model: str, tokens_per_gpu: int) -> str:
    """The whiteboard line for one GPU's all-to-all bytes per MoE layer (all pairs remote).

    >>> a2a_whiteboard("mixtral-8x7b", 1)
    '1 tokens × 2 experts × 4,096 values × 3 bytes (fp8 out, bf16 back) ≈ 0.02 MB per layer'
    """
    spec = get_model(model)
    if not spec.num_experts:
        raise ValueError(f"model must be a mixture of experts, got {spec.id} (dense)")
    if isinstance(tokens_per_gpu, bool) or not isinstance(tokens_per_gpu, int) or tokens_per_gpu < 1:
        raise ValueError(f"tokens_per_gpu must be an integer >= 1, got {tokens_per_gpu!r}")
    total = tokens_per_gpu * spec.experts_per_token * spec.hidden_size * 3
    return (f"{fmt_int(tokens_per_gpu)} tokens × {spec.experts_per_token} experts × "
            f"{fmt_int(spec.hidden_size)} values × 3 bytes (fp8 out, bf16 back) ≈ "
            f"{fmt_bytes(total, 'MB', 1 if total >= 1e7 else 2)} per layer")


def fp8_clip_limit(calibrated_amax: float) -> str:
    """The largest magnitude an E4M3 cache keeps with the scale fitted to ``calibrated_amax``.

    >>> fp8_clip_limit(12.0)
    '12.0'
    """
    return fmt_number(dynamic_range(kv_scale(calibrated_amax))[1], 1)
