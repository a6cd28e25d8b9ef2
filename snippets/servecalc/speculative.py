"""Speculative decoding: a cheap draft proposes, the target verifies in one step.

Leviathan, Kalman and Matias, "Fast Inference from Transformers via
Speculative Decoding", ICML 2023, arXiv:2211.17192. The draft model proposes
``gamma`` tokens; the target model scores all of them in one forward pass and
keeps the longest accepted prefix plus one token of its own. With each draft
token accepted independently with probability ``alpha`` (the paper's
acceptance rate), section 3.1, equation (1):

``expected tokens per step = (1 - alpha^(gamma + 1)) / (1 - alpha)``

and with ``c`` the cost of one draft step relative to one target step,
Theorem 3.8 gives the expected walltime improvement:

``speedup = (1 - alpha^(gamma + 1)) / ((1 - alpha) (gamma c + 1))``

The paper's formula assumes the verification step costs the same as one
target decode step. :func:`speculative_decode` drops that assumption and times
both steps with the roofline step model: verifying ``gamma + 1`` tokens reads
the weights once, like a decode step, but does ``gamma + 1`` times the FLOPs.

>>> round(expected_tokens_per_step(0.8, 4), 4)
3.3616
>>> round(speedup(0.8, 4, 0.05), 3)
2.801
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .deployment import Deployment, DeploymentLike, GpuLike
from .models import ModelSpec
from .step import StepModel
from .validate import describe, is_number, non_negative_number, positive_int


def _alpha(alpha: float) -> float:
    if not is_number(alpha) or not 0 <= alpha < 1:
        raise ValueError(f"alpha must be a number in [0, 1), got {describe(alpha)}")
    return float(alpha)


def expected_tokens_per_step(alpha: float, gamma: int) -> float:
    """Tokens one target step yields on average (Leviathan et al., eq. 1).

    >>> expected_tokens_per_step(0.0, 5)       # nothing accepted: the target's own token
    1.0
    >>> expected_tokens_per_step(1.0, 5)
    Traceback (most recent call last):
        ...
    ValueError: alpha must be a number in [0, 1), got 1.0
    """
    a = _alpha(alpha)
    g = positive_int("gamma", gamma)
    return (1 - a ** (g + 1)) / (1 - a)


def speedup(alpha: float, gamma: int, cost_ratio: float) -> float:
    """Expected walltime improvement (Leviathan et al., Theorem 3.8).

    ``cost_ratio`` (the paper's ``c``) is a draft step's time over a target
    step's time.

    >>> speedup(0.5, 1, 0.0)       # a free draft: 1.5 tokens per target step
    1.5
    """
    tokens = expected_tokens_per_step(alpha, gamma)
    c = non_negative_number("cost_ratio", cost_ratio)
    return tokens / (gamma * c + 1)


def best_gamma(alpha: float, cost_ratio: float, max_gamma: int = 16) -> int:
    """The ``gamma`` in 1 ... ``max_gamma`` with the largest :func:`speedup`.

    >>> best_gamma(0.8, 0.05), best_gamma(0.6, 0.3)
    (8, 1)
    """
    _alpha(alpha)
    non_negative_number("cost_ratio", cost_ratio)
    positive_int("max_gamma", max_gamma)
    return max(range(1, max_gamma + 1), key=lambda g: (speedup(alpha, g, cost_ratio), -g))


@dataclass(frozen=True, kw_only=True)
class SpeculativeResult:
    """Speculative decoding timed with the step model (batch of ``batch``)."""

    alpha: float
    gamma: int
    expected_tokens_per_step: float
    draft_step_s: float
    verify_step_s: float
    baseline_tpot_s: float
    tpot_s: float
    speedup: float
    cost_ratio: float


def speculative_decode(target: DeploymentLike, draft: str | ModelSpec, gpu: GpuLike = None, *,
                       alpha: float, gamma: int, context: int,
                       batch: int = 1) -> SpeculativeResult:
    """TPOT with a draft model, both models on the same GPUs.

    ``target`` is the target model's deployment (or a model ID with
    ``gpu``); the draft runs on the same deployment.

    One speculative iteration is ``gamma`` draft decode steps plus one target
    step over ``gamma + 1`` tokens per sequence; it yields
    :func:`expected_tokens_per_step` tokens per sequence.

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> r = speculative_decode(d, "llama-3.1-8b", alpha=0.8, gamma=4, context=2048)
    >>> 1.5 < r.speedup < r.expected_tokens_per_step
    True
    >>> r.verify_step_s > r.baseline_tpot_s
    True
    """
    a = _alpha(alpha)
    g = positive_int("gamma", gamma)
    positive_int("context", context)
    positive_int("batch", batch)
    big = StepModel(target, gpu)
    small = StepModel(big.deployment.replace(model=draft))
    baseline = big.decode_time_s(batch, batch * context)
    draft_step = small.decode_time_s(batch, batch * context)
    verify = big.prefill_time_s(g + 1, context - 1, batch) if context > 1 else \
        big.prefill_time_s(g + 1, 0, batch)
    tokens = expected_tokens_per_step(a, g)
    tpot = (g * draft_step + verify) / tokens
    return SpeculativeResult(
        alpha=a,
        gamma=g,
        expected_tokens_per_step=tokens,
        draft_step_s=draft_step,
        verify_step_s=verify,
        baseline_tpot_s=baseline,
        tpot_s=tpot,
        speedup=baseline / tpot,
        cost_ratio=draft_step / baseline,
    )


def speculative_break_even_batch(target: DeploymentLike, draft: str | ModelSpec,
                                 gpu: GpuLike = None, *, alpha: float, gamma: int,
                                 context: int, max_batch: int = 1024) -> int | None:
    """Smallest batch (powers of two up to ``max_batch``) at which speculation stops paying.

    At batch 1 the verify step costs about one decode step (both read the
    weights once); as the batch grows the step turns compute-bound, verifying
    ``gamma + 1`` tokens per sequence costs up to ``gamma + 1`` times a decode
    step, and the draft steps grow too. Returns the first batch whose
    :func:`speculative_decode` speedup is below 1, or ``None`` if none up to
    ``max_batch`` is.

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> speculative_break_even_batch(d, "llama-3.1-8b", alpha=0.8, gamma=4, context=2048,
    ...                              max_batch=1) is None
    True
    """
    positive_int("max_batch", max_batch)
    batch = 1
    while batch <= max_batch:
        r = speculative_decode(target, draft, gpu, alpha=alpha, gamma=gamma, context=context,
                               batch=batch)
        if r.speedup < 1:
            return batch
        batch *= 2
    return None
