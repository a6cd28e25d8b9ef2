"""Speculative decoding as a serving engine runs it: a method, K drafted tokens, acceptance.

:mod:`servecalc.speculative` holds the steady-state formula of Leviathan et al.
with a separate draft model. This module describes the speculation an engine is
configured with (vLLM's ``speculative_config``, SGLang's ``--speculative-*``),
times one speculative step with the step model, and says when it stops paying as
the batch grows. The simulator (:mod:`servecalc.sim`) draws each step's accepted
tokens from it.

Methods (``method``):

``draft:MODEL``
    a separate, smaller catalog model drafts ``K`` tokens, one decode step each
    (on the same GPUs as the target); its weights and KV cache take memory.
``eagle3``
    an EAGLE-3 head: one decoder layer fed with the target's hidden states
    (Li et al., arXiv:2503.01840, 2025), run ``K`` times.
``mtp``
    a multi-token-prediction module trained with the model (DeepSeek-V3's: one
    transformer block sharing the embedding and output head, arXiv:2412.19437,
    section 2.2), run ``K`` times.
``ngram``
    prompt lookup: the draft is copied from earlier text that matches the last
    few tokens, on the CPU; no GPU time.

A head (``eagle3``, ``mtp``) costs per drafted token what one decoder layer of
the target costs at that batch and context (the step's linear, attention,
KV-write and all-reduce terms divided by the layer count) plus the full output
projection: both papers' heads are one transformer layer, and EAGLE-3's smaller
draft vocabulary is not counted (so the head is slightly over-costed).

Acceptance ``A``: the chance that drafted token ``i`` is accepted given the ones
before it were (one value for every position, or one per position). The target
always adds one token of its own, so a step yields ``1 + a1 + a1 a2 + ...`` tokens
on average; with one value ``a``, ``1 + a + a^2 + ... + a^K``.

>>> s = speculation("mtp")
>>> s.spec_tokens, s.acceptance, round(s.expected_tokens_per_step, 3)
(1, (0.85,), 1.85)
>>> speculation("draft:llama-3.1-8b", spec_tokens=4, acceptance=0.8).draft_model
'llama-3.1-8b'
>>> speculation("medusa")
Traceback (most recent call last):
    ...
ValueError: speculative must be one of 'draft:MODEL', 'eagle3', 'mtp', 'ngram', got 'medusa'
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .deployment import Deployment, DeploymentLike, as_deployment
from .models import get_model
from .step import StepModel
from .validate import describe, is_number, non_negative_int, positive_int

METHODS = ("draft", "eagle3", "mtp", "ngram")
#: The most drafted tokens per step accepted here (engines use 1 to about 8).
MAX_SPEC_TOKENS = 16


@dataclass(frozen=True)
class MethodDefault:
    """A method's default K and per-token acceptance, and where they come from."""

    spec_tokens: int
    acceptance: float
    source: str


#: Defaults per method. Acceptance varies with the task and the sampling
#: temperature far more than between these sources: pass ``acceptance`` measured
#: on your traffic (vLLM and SGLang report it) when you have it.
DEFAULTS: dict[str, MethodDefault] = {
    "mtp": MethodDefault(1, 0.85, (
        "DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv:2412.19437 (December 2024), "
        "section 5.4.3: the second token's acceptance rate is 85-90 % across generation "
        "topics, 1.8x tokens per second; one MTP module, so K = 1; the low end taken")),
    "eagle3": MethodDefault(3, 0.8, (
        "Y. Li et al., EAGLE-3: Scaling up Inference Acceleration of Large Language Models "
        "via Training-Time Test, arXiv:2503.01840 (March 2025), abstract: speedups up to "
        "6.5x with tree drafting at batch 1 and 1.38x throughput in SGLang at batch 64; "
        "chain drafting of K = 3 as vLLM's EAGLE example (num_speculative_tokens 3, "
        "https://docs.vllm.ai/en/latest/features/speculative_decoding/, read 2026-12-07); "
        "acceptance 0.8 per token (2.95 tokens per step) is this guide's assumption for a "
        "chain, below the paper's tree acceptance lengths")),
    "ngram": MethodDefault(5, 0.5, (
        "K = 5 as vLLM's n-gram example (num_speculative_tokens 5, prompt_lookup_max 4, "
        "https://docs.vllm.ai/en/latest/features/speculative_decoding/n_gram/, read "
        "2026-12-07); acceptance 0.5 is this guide's assumption for input-grounded text "
        "(summaries, code edits): prompt lookup accepts far less on open chat")),
    "draft": MethodDefault(4, 0.8, (
        "Y. Leviathan, M. Kalman and Y. Matias, Fast Inference from Transformers via "
        "Speculative Decoding, ICML 2023, arXiv:2211.17192: acceptance rates of about "
        "0.5-0.9 for their model pairs; 0.8 and gamma = 4 as the guide's drills use")),
}


@dataclass(frozen=True, kw_only=True)
class Speculation:
    """An engine's speculative decoding: method, drafted tokens per step, acceptance.

    ``acceptance`` holds one probability per drafted position (each given the
    earlier ones were accepted). ``seed`` seeds the simulator's draws.
    """

    method: str
    draft_model: str | None
    spec_tokens: int
    acceptance: tuple[float, ...]
    seed: int = 0

    def __post_init__(self) -> None:
        """Checks, as :func:`speculation` makes them (which also fills the defaults).

        >>> Speculation(method="mtp", draft_model=None, spec_tokens=2, acceptance=(0.9,))
        Traceback (most recent call last):
            ...
        ValueError: acceptance must hold spec_tokens (2) values, got 1
        """
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got "
                             f"{describe(self.method)}")
        if (self.method == "draft") != isinstance(self.draft_model, str):
            raise ValueError("draft_model must be a catalog model ID with method 'draft' and "
                             f"None otherwise, got {describe(self.draft_model)}")
        if self.draft_model is not None:
            get_model(self.draft_model)
        k = positive_int("spec_tokens", self.spec_tokens)
        if k > MAX_SPEC_TOKENS:
            raise ValueError(f"spec_tokens must be an integer in [1, {MAX_SPEC_TOKENS}], got {k}")
        if not isinstance(self.acceptance, (list, tuple)):
            raise ValueError(f"acceptance must be a list of probabilities, got "
                             f"{describe(self.acceptance)}")
        values = _acceptance(list(self.acceptance), None)
        if len(values) != k:
            raise ValueError(f"acceptance must hold spec_tokens ({k}) values, got {len(values)}")
        object.__setattr__(self, "acceptance", values)
        non_negative_int("seed", self.seed)

    @property
    def name(self) -> str:
        """The method as the CLI spells it (``draft:MODEL`` for a draft model)."""
        return f"draft:{self.draft_model}" if self.method == "draft" else self.method

    @property
    def expected_tokens_per_step(self) -> float:
        """Mean tokens a sequence advances per verification step, ``1 + a1 + a1 a2 + ...``."""
        return expected_tokens_per_step(self.acceptance)

    def draw(self, rng: random.Random) -> int:
        """One step's tokens for one sequence: 1 + drafted tokens accepted, each with its
        probability, stopping at the first rejection.

        >>> speculation("eagle3", acceptance=1.0).draw(random.Random(0))
        4
        >>> speculation("eagle3", acceptance=0.0).draw(random.Random(0))
        1
        """
        count = 1
        for a in self.acceptance:
            if rng.random() >= a:
                break
            count += 1
        return count


def expected_tokens_per_step(acceptance: tuple[float, ...] | list[float]) -> float:
    """``1 + a1 + a1 a2 + ... + a1 ... aK``.

    >>> expected_tokens_per_step([0.5, 0.5])
    1.75
    >>> expected_tokens_per_step([])
    1.0
    """
    if not isinstance(acceptance, (list, tuple)):
        raise ValueError(f"acceptance must be a list of probabilities, got {describe(acceptance)}")
    if acceptance:
        _acceptance(acceptance, None)
    terms = [1.0]
    running = 1.0
    for a in acceptance:
        running *= a
        terms.append(running)
    return math.fsum(terms)


def _acceptance(value: object, k: int | None) -> tuple[float, ...]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError("acceptance must be a probability or a list of them, got []")
    for a in values:
        if not is_number(a) or not 0 <= a <= 1:
            raise ValueError(f"acceptance must be probabilities in [0, 1], got {describe(value)}")
    if len(values) == 1 and k is not None:
        return tuple(float(values[0]) for _ in range(k))
    if k is not None and len(values) != k:
        raise ValueError(f"acceptance must hold one value or spec_tokens ({k}) values, got "
                         f"{len(values)}")
    return tuple(float(a) for a in values)


def speculation(method: str, *, spec_tokens: int | None = None,
                acceptance: float | list[float] | tuple[float, ...] | None = None,
                seed: int = 0) -> Speculation | None:
    """A :class:`Speculation` from the CLI's words; ``spec_tokens=0`` turns it off (None).

    ``method``: ``draft:MODEL`` (a catalog model), ``eagle3``, ``mtp`` or ``ngram``;
    ``spec_tokens`` and ``acceptance`` default to :data:`DEFAULTS` (a list of
    acceptances sets K when ``spec_tokens`` is not given).

    >>> speculation("eagle3", acceptance=[0.9, 0.8]).spec_tokens
    2
    >>> speculation("ngram", spec_tokens=0) is None
    True
    >>> speculation("draft:no-such-model")
    Traceback (most recent call last):
        ...
    ValueError: speculative draft model must be a catalog model ID, got 'no-such-model'
    """
    if not isinstance(method, str):
        raise ValueError(f"speculative must be a string, got {describe(method)}")
    kind, _, draft = method.partition(":")
    if kind not in METHODS or (kind == "draft") != bool(draft) or (kind != "draft" and _):
        raise ValueError("speculative must be one of 'draft:MODEL', 'eagle3', 'mtp', 'ngram', "
                         f"got {method!r}")
    if kind == "draft":
        try:
            get_model(draft)
        except ValueError:
            raise ValueError(f"speculative draft model must be a catalog model ID, got "
                             f"{draft!r}") from None
    default = DEFAULTS[kind]
    k = None
    if spec_tokens is not None:
        k = non_negative_int("spec_tokens", spec_tokens)
        if k > MAX_SPEC_TOKENS:
            raise ValueError(f"spec_tokens must be an integer in [0, {MAX_SPEC_TOKENS}], got {k}")
        if k == 0:
            return None
    if acceptance is None:
        acceptance = default.acceptance
    if k is None and not isinstance(acceptance, (list, tuple)):
        k = default.spec_tokens
    values = _acceptance(acceptance, k)
    if len(values) > MAX_SPEC_TOKENS:
        raise ValueError(f"acceptance must hold at most {MAX_SPEC_TOKENS} values, got "
                         f"{len(values)}")
    non_negative_int("seed", seed)
    return Speculation(method=kind, draft_model=draft or None, spec_tokens=len(values),
                       acceptance=values, seed=seed)


def parse_acceptance(text: str) -> float | tuple[float, ...]:
    """The CLI's ``--acceptance``: ``0.8`` or ``0.9,0.8,0.7``.

    >>> parse_acceptance("0.9,0.8")
    (0.9, 0.8)
    >>> parse_acceptance("high")
    Traceback (most recent call last):
        ...
    ValueError: acceptance must be a probability or a comma list of them, got 'high'
    """
    try:
        values = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        raise ValueError("acceptance must be a probability or a comma list of them, got "
                         f"{text!r}") from None
    _acceptance(list(values), None)
    return values[0] if len(values) == 1 else values


def _checked(spec: object) -> Speculation:
    if not isinstance(spec, Speculation):
        raise ValueError("spec must be a Speculation (servecalc.speculation.speculation), "
                         f"got {describe(spec)}")
    return spec


class SpecTimer:
    """Times speculative steps for one deployment: draft (or head) plus verification.

    >>> t = SpecTimer("llama-3.1-8b", speculation("eagle3"), "h100-sxm")
    >>> t.step_time_s(1, 1024) > t.step_model.decode_time_s(1, 1024)
    True
    >>> SpecTimer("llama-3.1-8b", speculation("ngram"), "h100-sxm").draft_time_s(1, 1024)
    0.0
    """

    def __init__(self, deployment: DeploymentLike, spec: Speculation, gpu: object = None) -> None:
        _checked(spec)
        self.step_model = sm = deployment if isinstance(deployment, StepModel) else StepModel(
            deployment, gpu)  # type: ignore[arg-type]
        self.spec = spec
        self.draft_model = (StepModel(sm.deployment.replace(model=spec.draft_model))
                            if spec.method == "draft" else None)
        self._layers = sm.model.num_layers

    def head_step_s(self, batch: int, total_context_tokens: int) -> float:
        """One head forward (``eagle3``, ``mtp``): one target layer plus the output projection."""
        t = self.step_model.terms(batch, total_context_tokens)
        layer = (t.linear_s + t.attention_s + t.kv_write_s + t.comm_s) / self._layers
        return layer + t.logits_s

    def draft_time_s(self, batch: int, total_context_tokens: int) -> float:
        """Seconds of drafting ``K`` tokens for ``batch`` sequences."""
        k, method = self.spec.spec_tokens, self.spec.method
        if method == "ngram":
            return 0.0
        if self.draft_model is not None:
            return k * self.draft_model.decode_time_s(batch, total_context_tokens)
        return k * self.head_step_s(batch, total_context_tokens)

    def prefill_extra_s(self, chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]]
                        ) -> float:
        """What drafting adds to a step carrying prompt ``chunks``: the draft model's
        prefill of them (``draft:MODEL``), one target layer's share of it (a head), or
        nothing (``ngram``, or no chunks)."""
        if not chunks or self.spec.method == "ngram":
            return 0.0
        if self.draft_model is not None:
            return self.draft_model.mixed_time_s(0, 0, chunks)
        t = self.step_model.terms(0, 0, chunks)
        return (t.linear_s + t.attention_s + t.kv_write_s + t.comm_s) / self._layers

    def step_time_s(self, batch: int, total_context_tokens: int,
                    prefill_chunks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = ()
                    ) -> float:
        """Draft plus verification (:meth:`~servecalc.step.StepModel.verify_time_s`)."""
        verify = self.step_model.verify_time_s(batch, total_context_tokens,
                                               self.spec.spec_tokens, prefill_chunks)
        return self.draft_time_s(batch, total_context_tokens) + verify


def draft_memory(deployment: Deployment, spec: Speculation | None) -> tuple[int, int]:
    """(draft weight bytes over all GPUs, draft KV bytes per token per GPU) a
    ``draft:MODEL`` adds beside the target; (0, 0) for heads and n-grams (a head is
    one layer: a few per cent of the weights and of the KV cache, not counted).

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> w, kv = draft_memory(d, speculation("draft:llama-3.1-8b"))
    >>> w > 16e9, kv > 0
    (True, True)
    """
    if spec is None or _checked(spec).method != "draft":
        return 0, 0
    from .capacity import fit_deployment

    f = fit_deployment(as_deployment(deployment).replace(model=spec.draft_model), context=16)
    return f.weight_bytes, f.kv_bytes_per_token_per_gpu


@dataclass(frozen=True, kw_only=True)
class SpecPoint:
    """Speculation against plain decoding at one batch size (steady state, expected tokens)."""

    batch: int
    plain_tpot_s: float
    spec_step_s: float
    tokens_per_step: float
    spec_tpot_s: float
    speedup: float


def speculation_sweep(deployment: DeploymentLike, spec: Speculation, *, context: int,
                      batches: tuple[int, ...] | list[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256),
                      gpu: object = None) -> list[SpecPoint]:
    """Speedup of ``spec`` over plain decoding at each batch size, every sequence at
    ``context`` tokens: plain TPOT is one decode step; speculative TPOT is one draft
    plus verification step over the expected tokens per step.

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> pts = speculation_sweep(d, speculation("ngram"), context=2048, batches=[1, 256])
    >>> pts[0].speedup > 1 > pts[1].speedup
    True
    """
    positive_int("context", context)
    if not isinstance(batches, (list, tuple)) or not batches:
        raise ValueError(f"batches must be a non-empty list of batch sizes, got {batches!r}")
    timer = SpecTimer(deployment, spec, gpu)
    sm, tokens = timer.step_model, spec.expected_tokens_per_step
    points = []
    for b in batches:
        positive_int("batch", b)
        total = b * context
        plain = sm.decode_time_s(b, total)
        step = timer.step_time_s(b, total)
        points.append(SpecPoint(batch=b, plain_tpot_s=plain, spec_step_s=step,
                                tokens_per_step=tokens, spec_tpot_s=step / tokens,
                                speedup=plain * tokens / step))
    return points


def stops_paying_batch(deployment: DeploymentLike, spec: Speculation, *, context: int,
                       max_batch: int = 1024, gpu: object = None) -> int | None:
    """Smallest power-of-two batch up to ``max_batch`` at which ``spec`` is slower than
    plain decoding, or None.

    >>> stops_paying_batch("llama-3.1-8b", speculation("eagle3"), context=2048,
    ...                    max_batch=1, gpu="h100-sxm") is None
    True
    """
    positive_int("max_batch", max_batch)
    batches = []
    b = 1
    while b <= max_batch:
        batches.append(b)
        b *= 2
    for p in speculation_sweep(deployment, spec, context=context, batches=batches, gpu=gpu):
        if p.speedup < 1:
            return p.batch
    return None


@dataclass(frozen=True, kw_only=True)
class SpecLatency:
    """:func:`servecalc.latency.request_latency` with speculation (expected tokens per step)."""

    prompt: int
    output: int
    batch: int
    speculative: str
    spec_tokens: int
    acceptance: tuple[float, ...]
    ttft_s: float
    draft_s: float
    verify_s: float
    step_s: float
    mean_accepted_tokens_per_step: float
    tpot_s: float
    plain_tpot_s: float
    speedup: float
    e2e_s: float
    tokens_per_s: float


def speculative_latency(deployment: DeploymentLike, spec: Speculation, gpu: object = None, *,
                        prompt: int, output: int, batch: int = 1) -> SpecLatency:
    """TTFT, TPOT and end-to-end latency of ``batch`` identical requests with ``spec``:
    a step at the mean decode context (``prompt + output / 2``, as
    :func:`~servecalc.latency.request_latency`) over the expected tokens per step; the
    prompt's prefill plus the draft's share of it in TTFT.

    >>> r = speculative_latency("llama-3.1-8b", speculation("mtp"), "h100-sxm",
    ...                         prompt=512, output=256)
    >>> r.step_s == r.draft_s + r.verify_s, 1 < r.speedup < r.mean_accepted_tokens_per_step
    (True, True)
    """
    positive_int("prompt", prompt)
    positive_int("output", output)
    positive_int("batch", batch)
    timer = SpecTimer(deployment, spec, gpu)
    sm = timer.step_model
    ttft = sm.prefill_time_s(prompt, 0, batch) + timer.prefill_extra_s([(prompt, 0)] * batch)
    total = round(batch * (prompt + output / 2))
    draft = timer.draft_time_s(batch, total)
    verify = sm.verify_time_s(batch, total, spec.spec_tokens)
    tokens = spec.expected_tokens_per_step
    step_s = draft + verify
    tpot = step_s / tokens
    plain = sm.decode_time_s(batch, total)
    return SpecLatency(
        prompt=prompt, output=output, batch=batch, speculative=spec.name,
        spec_tokens=spec.spec_tokens, acceptance=spec.acceptance, ttft_s=ttft, draft_s=draft,
        verify_s=verify, step_s=step_s, mean_accepted_tokens_per_step=tokens, tpot_s=tpot,
        plain_tpot_s=plain, speedup=plain / tpot, e2e_s=math.fsum([ttft, (output - 1) * tpot]),
        tokens_per_s=batch / tpot)
