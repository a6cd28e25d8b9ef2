"""Placeholders for the batching chapter: roofline, static vs continuous, chunked prefill.

>>> ridge_point("h100-sxm")
'295 FLOP/B'
>>> decode_intensity("llama-3.1-8b", "h100-sxm", batch=1, context=128)
'1.0 FLOP/B'
"""

from __future__ import annotations

import math

from servecalc.batching import chunked_prefill_steps, continuous_batching, max_batch, static_batching
from servecalc.cudagraph import padded_batch, padding_waste
from servecalc.gpus import get_gpu
from servecalc.step import StepModel, crossover_batch
from servecalc.step import DEFAULT_MBU, DEFAULT_MFU
from servecalc.units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.deployment import Deployment
from servecalc.lora import TARGETS, adapters_step_bytes, lora_bytes
from servecalc.speculation import (
    DEFAULTS,
    SpecTimer,
    speculation,
    speculation_sweep,
    stops_paying_batch,
)
from servecalc.structured import constrained_step_s
from servecalc.validate import choice


#: The mixed workload of the batching chapter's static-vs-continuous cell.
MIXED_WORKLOAD = ((512, 32), (1024, 512), (256, 128), (2048, 64))


def _sm(model: str, gpu: str, gpus: int = 1) -> StepModel:
    return StepModel(Deployment(model=model, gpu=gpu, gpus=gpus))


def ridge_point(gpu: str, compute_dtype: str = "bf16") -> str:
    """FLOPs per byte at which a GPU's roofline bends (peak FLOP/s / HBM bandwidth).

    >>> ridge_point("a100-80gb")
    '153 FLOP/B'
    """
    return f"{fmt_number(get_gpu(gpu).ridge_point(compute_dtype), 0)} FLOP/B"


def effective_ridge_point(gpu: str, compute_dtype: str = "bf16") -> str:
    """The ridge point after the step model's MFU and MBU derating.

    A step is compute-bound when FLOPs / (MFU x peak) exceeds bytes / (MBU x
    bandwidth), i.e. at an intensity of ridge x MFU / MBU.

    >>> effective_ridge_point("h100-sxm")  # doctest: +ELLIPSIS
    '... FLOP/B'
    """
    sm = StepModel(Deployment(model="llama-3.1-8b", gpu=gpu, compute_dtype=compute_dtype))
    return f"{fmt_number(sm.ridge_point * sm.mfu / sm.mbu, 0)} FLOP/B"


def step_utilisation(which: str) -> str:
    """The step model's default efficiency: 'mfu' (FLOPs) or 'mbu' (bandwidth).

    >>> step_utilisation("mfu"), step_utilisation("mbu")  # doctest: +ELLIPSIS
    ('... %', '... %')
    """
    if which not in ("mfu", "mbu"):
        raise ValueError(f"which must be one of 'mfu', 'mbu', got {which!r}")
    return fmt_percent(DEFAULT_MFU if which == "mfu" else DEFAULT_MBU, 0)


def decode_intensity(model: str, gpu: str, batch: int, context: int, gpus: int = 1) -> str:
    """Arithmetic intensity (FLOPs per byte moved) of one decode step.

    >>> decode_intensity("llama-3.1-8b", "h100-sxm", batch=256, context=128)
    '199.6 FLOP/B'
    """
    r = _sm(model, gpu, gpus).decode(batch, context)
    return f"{fmt_number(r.arithmetic_intensity, 1)} FLOP/B"


def crossover(model: str, gpu: str, context: int, gpus: int = 1) -> str:
    """Smallest decode batch whose linear layers are compute-bound (the same at
    every context), or a sentence saying none is.

    >>> crossover("llama-3.1-8b", "h100-sxm", context=128)  # doctest: +ELLIPSIS
    '...'
    >>> crossover("llama-3.1-8b", "h100-sxm", context=4096) == crossover(
    ...     "llama-3.1-8b", "h100-sxm", context=128)
    True
    """
    b = crossover_batch(Deployment(model=model, gpu=gpu, gpus=gpus), context=context)
    return "none up to 65,536" if b is None else fmt_int(b)


def attention_share(model: str, gpu: str, batch: int, context: int, gpus: int = 1) -> str:
    """Share of a decode step spent in attention (reading the KV cache).

    >>> attention_share("llama-3.1-8b", "h100-sxm", batch=256, context=4096)  # doctest: +ELLIPSIS
    '... %'
    """
    r = _sm(model, gpu, gpus).decode(batch, context)
    return fmt_percent(r.attention_s / r.seconds)


def decode_step_time(model: str, gpu: str, batch: int, context: int, gpus: int = 1,
                     digits: int = 1) -> str:
    """One decode step of ``batch`` sequences at ``context`` tokens each.

    >>> decode_step_time("llama-3.1-8b", "h100-sxm", batch=128, context=2048)  # doctest: +ELLIPSIS
    '... ms'
    """
    return fmt_duration(_sm(model, gpu, gpus).decode(batch, context).seconds, "ms",
                        digits)


def decode_tokens_per_s(model: str, gpu: str, batch: int, context: int, gpus: int = 1) -> str:
    """Decode throughput of the whole batch: batch / step time.

    >>> decode_tokens_per_s("llama-3.1-8b", "h100-sxm", batch=128,
    ...                     context=2048)  # doctest: +ELLIPSIS
    '... tok/s'
    """
    r = _sm(model, gpu, gpus).decode(batch, context)
    return f"{fmt_number(batch / r.seconds, 0)} tok/s"


def batch_that_fits(model: str, gpu: str, context: int, gpus: int = 1) -> str:
    """Sequences of ``context`` tokens whose cache fits next to the weights.

    >>> batch_that_fits("llama-3.1-8b", "h100-sxm", context=2048)
    '219'
    """
    return fmt_int(max_batch(Deployment(model=model, gpu=gpu, gpus=gpus), context=context))


def _schemes(model: str, gpu: str, batch: int, copies: int):
    work = list(MIXED_WORKLOAD) * copies
    return (static_batching(model, gpu, requests=work, batch=batch),
            continuous_batching(model, gpu, requests=work, batch=batch))


def scheme_throughput(scheme: str, batch: int = 16, model: str = "llama-3.1-8b",
                      gpu: str = "h100-sxm", copies: int = 16) -> str:
    """Output tokens/s of 'static' or 'continuous' batching on the chapter's mixed workload.

    >>> scheme_throughput("static"), scheme_throughput("continuous")  # doctest: +ELLIPSIS
    ('... tok/s', '... tok/s')
    """
    if scheme not in ("static", "continuous"):
        raise ValueError(f"scheme must be one of 'static', 'continuous', got {scheme!r}")
    s, c = _schemes(model, gpu, batch, copies)
    r = s if scheme == "static" else c
    return f"{fmt_number(r.output_tokens_per_s, 0)} tok/s"


def scheme_speedup(batch: int = 16, model: str = "llama-3.1-8b", gpu: str = "h100-sxm",
                   copies: int = 16) -> str:
    """Continuous over static throughput on the mixed workload, e.g. '2.3x'.

    >>> scheme_speedup()
    '2.2x'
    """
    s, c = _schemes(model, gpu, batch, copies)
    return f"{fmt_number(c.output_tokens_per_s / s.output_tokens_per_s, 1)}x"


def chunked_prefill_stall(chunk: int, prompt: int = 8192, decode_batch: int = 32,
                          decode_context: int = 2000, model: str = "llama-3.1-8b",
                          gpu: str = "h100-sxm") -> str:
    """Longest step the running decodes wait through while the prompt is prefilled.

    >>> chunked_prefill_stall(8192), chunked_prefill_stall(512)  # doctest: +ELLIPSIS
    ('... ms', '... ms')
    """
    times = chunked_prefill_steps(model, gpu, prompt=prompt, chunk=chunk,
                             decode_batch=decode_batch, decode_context=decode_context)
    return fmt_duration(max(times), "ms")


def chunked_prefill_ttft(chunk: int, prompt: int = 8192, decode_batch: int = 32,
                         decode_context: int = 2000, model: str = "llama-3.1-8b",
                         gpu: str = "h100-sxm") -> str:
    """Time until the whole prompt is prefilled (its first token), in chunks.

    >>> chunked_prefill_ttft(512)  # doctest: +ELLIPSIS
    '... ms'
    """
    times = chunked_prefill_steps(model, gpu, prompt=prompt, chunk=chunk,
                             decode_batch=decode_batch, decode_context=decode_context)
    return fmt_duration(math.fsum(times), "ms")


# --------------------------------------------------------------------------- review fixes, 2026


def graph_padded_batch(batch: int) -> str:
    """The batch vLLM's CUDA graphs run a decode batch of ``batch`` as (default sizes).

    >>> graph_padded_batch(33)
    '40'
    """
    return fmt_int(padded_batch(batch))


def graph_padding_waste(batch: int) -> str:
    """Share of the padded batch that is padding.

    >>> graph_padding_waste(33)
    '17.5 %'
    """
    return fmt_percent(padding_waste(batch))


# --------------------------------------------------------------------------- speculation, grammars, LoRA (2026)


def _spec_deployment(gpus: int) -> Deployment:
    return Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=gpus)


#: The chapter's draft model: Llama-3.1-8B drafting four tokens at acceptance 0.8
#: (servecalc.speculation.DEFAULTS["draft"]).
SPEC_DRAFT = "draft:llama-3.1-8b"


def spec_speedup_at(batch: int, method: str = SPEC_DRAFT, gpus: int = 4,
                    context: int = 2048) -> str:
    """Speculative speedup for Llama-3.1-70B at ``batch`` (``method`` with its defaults).

    >>> spec_speedup_at(1)  # doctest: +ELLIPSIS
    '...×'
    """
    point, = speculation_sweep(_spec_deployment(gpus), speculation(method), context=context,
                               batches=[batch])
    return f"{fmt_number(point.speedup, 2)}×"


def spec_break_even(method: str = SPEC_DRAFT, gpus: int = 4, context: int = 2048) -> str:
    """First power-of-two batch at which ``method`` is slower than plain decode.

    >>> spec_break_even()
    '256'
    """
    b = stops_paying_batch(_spec_deployment(gpus), speculation(method), context=context)
    return "none up to 1,024" if b is None else fmt_int(b)


def spec_tokens_per_step(method: str) -> str:
    """Expected tokens per verification step of ``method`` with its default K and acceptance.

    >>> spec_tokens_per_step("mtp")
    '1.85'
    """
    return fmt_number(speculation(method).expected_tokens_per_step, 2)


def spec_default(method: str, what: str) -> str:
    """A method's default ``spec_tokens`` (K) or per-token ``acceptance``.

    >>> spec_default("eagle3", "spec_tokens"), spec_default("eagle3", "acceptance")
    ('3', '0.80')
    """
    choice("what", what, ["spec_tokens", "acceptance"])
    d = DEFAULTS[method.partition(":")[0]]
    return fmt_int(d.spec_tokens) if what == "spec_tokens" else fmt_number(d.acceptance, 2)


def spec_draft_share(method: str, batch: int = 1, gpus: int = 4, context: int = 2048) -> str:
    """Drafting's time as a share of one plain decode step of Llama-3.1-70B.

    >>> spec_draft_share("ngram")
    '0 %'
    """
    d = _spec_deployment(gpus)
    timer = SpecTimer(d, speculation(method))
    total = batch * context
    return fmt_percent(timer.draft_time_s(batch, total) / timer.step_model.decode_time_s(
        batch, total), 0)


def spec_sim_tpot(which: str, method: str = "eagle3", percentile: str = "p99",
                  rate: float = 4.0, output: int = 256) -> str:
    """Simulated TPOT of Llama-3.1-8B on one H100 (vLLM preset, chunked prefill),
    200 Poisson requests of 512 + ``output`` tokens, with ``method`` (``which="spec"``)
    or without (``"plain"``).

    >>> spec_sim_tpot("plain", percentile="p50")  # doctest: +ELLIPSIS
    '... ms'
    """
    choice("which", which, ["plain", "spec"])
    choice("percentile", percentile, ["p50", "p90", "p99"])
    from servecalc.sim import Engine, poisson_workload, simulate

    spec = speculation(method) if which == "spec" else None
    engine = Engine(Deployment(model="llama-3.1-8b", gpu="h100-sxm", engine="vllm"),
                    speculative=spec)
    work = poisson_workload(rate, 200, prompt=512, output=output, seed=0)
    r = simulate(engine, work)
    return fmt_duration(getattr(r.tpot_s, percentile), "ms", 1)


def lora_adapter_size(model: str, rank: int, targets: str = "all") -> str:
    """One adapter's bytes in bf16; ``targets`` 'all' or 'qv' (q_proj and v_proj).

    >>> lora_adapter_size("llama-3.1-8b", 16, "qv")
    '13.63 MB'
    """
    choice("targets", targets, ["all", "qv"])
    names = TARGETS if targets == "all" else ("q_proj", "v_proj")
    return fmt_bytes(lora_bytes(model, rank, names), "MB")


def lora_step_overhead(model: str, gpu: str, rank: int, adapters: int, batch: int,
                       context: int = 2048) -> str:
    """Share a decode step grows when its batch uses ``adapters`` distinct adapters (all
    targets): their bytes read at the step model's bandwidth, over the plain step.

    >>> lora_step_overhead("llama-3.1-8b", "h100-sxm", 16, 8, 32)
    '2.6 %'
    """
    sm = StepModel(model, gpu)
    extra = adapters_step_bytes(model, rank, adapters) / (sm.mbu * sm.gpu.hbm_bandwidth_bytes_per_s)
    return fmt_percent(extra / sm.decode_time_s(batch, batch * context))


def grammar_step(model: str, gpu: str, batch: int, mask_ms: float, threads: int, overlap: bool,
                 context: int = 1024) -> str:
    """Decode step with a grammar mask per sequence (see :mod:`servecalc.structured`).

    >>> grammar_step("llama-3.1-8b", "h100-sxm", 64, 0.5, 8, overlap=False)  # doctest: +ELLIPSIS
    '... ms'
    """
    gpu_step = StepModel(model, gpu).decode_time_s(batch, batch * context)
    return fmt_duration(constrained_step_s(gpu_step, batch, mask_ms / 1e3, threads, overlap), "ms")

