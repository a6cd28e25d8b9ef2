"""Placeholders for the quantization chapter: bytes, speed and capacity per precision.

>>> bits_per_param("llama-3.1-70b", "int4")
'4.48 bits'
>>> q_tpot("llama-3.1-70b", "h100-sxm", "fp8", gpus=2)  # doctest: +ELLIPSIS
'... ms'
"""

from __future__ import annotations

from collections.abc import Callable

from servecalc.capacity import fit
from servecalc.fp8 import E4M3_MAX, E4M3_MAX_RELATIVE_ERROR
from servecalc.quality import eval_questions_needed, flip_rate_resolution
from servecalc.gpus import GPUS
from servecalc.params import QUANTIZABLE, param_count, weight_bytes
from servecalc.precision import bits_per_value
from servecalc.quantization import PrecisionRow, compare_precisions
from servecalc.validate import choice, lookup
from servecalc.units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.deployment import Deployment


def bits_per_param(model: str, weight_dtype: str, group_size: int = 128) -> str:
    """Average stored bits per parameter: quantized matrices, their scales, and
    the parts kept in 16 bits (embeddings, norms, ``lm_head``).

    >>> bits_per_param("llama-3.1-8b", "int4", group_size=32)
    '6.01 bits'
    """
    return f"{fmt_number(8 * weight_bytes(model, weight_dtype, group_size) / param_count(model), 2)} bits"


def _row(model: str, gpu: str, weight_dtype: str, kv_dtype: str, gpus: int, context: int,
         compute_dtype: str | None) -> PrecisionRow:
    config = (weight_dtype, kv_dtype) if compute_dtype is None else (
        weight_dtype, kv_dtype, compute_dtype)
    return compare_precisions(Deployment(model=model, gpu=gpu, gpus=gpus),
                              context=context, configs=[config])[0]


def _precision_placeholder(show: Callable[[PrecisionRow], str]) -> Callable[..., str]:
    """The placeholder that shows, with ``show``, one number of the
    :class:`~servecalc.quantization.PrecisionRow` of ``model`` on ``gpus`` x ``gpu`` at
    ``context`` tokens and one precision (weights, KV cache, and the matmul precision if
    given). Its name, docstring and examples are those of ``show``."""

    def placeholder(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16",
                    gpus: int = 1, context: int = 8192, compute_dtype: str | None = None) -> str:
        return show(_row(model, gpu, weight_dtype, kv_dtype, gpus, context, compute_dtype))

    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(placeholder, attribute, getattr(show, attribute))
    return placeholder


@_precision_placeholder
def q_prefill(r: PrecisionRow) -> str:
    """Prefill time of one ``context``-token prompt at that precision.

    >>> q_prefill("llama-3.1-70b", "h100-sxm", "fp8", gpus=2)  # doctest: +ELLIPSIS
    '... ms'
    """
    return fmt_duration(r.prefill_s, "ms")


@_precision_placeholder
def q_tpot(r: PrecisionRow) -> str:
    """Decode step time at batch 1 and ``context`` tokens at that precision.

    >>> q_tpot("llama-3.1-70b", "h100-sxm", "bf16", gpus=2)  # doctest: +ELLIPSIS
    '... ms'
    """
    return fmt_duration(r.tpot_s, "ms")


@_precision_placeholder
def q_max_batch(r: PrecisionRow) -> str:
    """Sequences of ``context`` tokens that fit at that precision.

    >>> q_max_batch("llama-3.1-70b", "h100-sxm", "fp8", "fp8", gpus=2)
    '57'
    """
    return fmt_int(r.max_batch)


@_precision_placeholder
def q_throughput(r: PrecisionRow) -> str:
    """Decode tokens/s with as many ``context``-token sequences as fit.

    >>> q_throughput("llama-3.1-70b", "h100-sxm", "bf16", gpus=2)  # doctest: +ELLIPSIS
    '... tok/s'
    """
    return f"{fmt_number(r.max_batch_tokens_per_s, 0)} tok/s"


def q_speedup(model: str, gpu: str, weight_dtype: str, kv_dtype: str = "bf16", gpus: int = 1,
              context: int = 8192, metric: str = "tpot") -> str:
    """How many times faster than bf16 weights and cache: 'tpot' (batch-1 decode)
    or 'prefill'.

    >>> q_speedup("llama-3.1-70b", "h100-sxm", "int4", gpus=2)
    '3.0x'
    >>> q_speedup("llama-3.1-70b", "h100-sxm", "int4", gpus=2, metric="prefill")
    '0.8x'
    """
    if metric not in ("tpot", "prefill"):
        raise ValueError(f"metric must be one of 'tpot', 'prefill', got {metric!r}")
    base = _row(model, gpu, "bf16", "bf16", gpus, context, None)
    r = _row(model, gpu, weight_dtype, kv_dtype, gpus, context, None)
    if metric == "tpot":
        return f"{fmt_number(base.tpot_s / r.tpot_s, 1)}x"
    return f"{fmt_number(base.prefill_s / r.prefill_s, 1)}x"


def min_tp(model: str, gpu: str, weight_dtype: str, context: int, needed: int) -> str:
    """Smallest tensor-parallel degree (1, 2, 4 or 8) at which ``needed``
    sequences of ``context`` tokens fit.

    >>> min_tp("llama-3.1-70b", "h100-sxm", "int4", 8192, 32), min_tp("llama-3.1-70b", "h100-sxm", "bf16", 8192, 32)
    ('2', '4')
    """
    for gpus in (1, 2, 4, 8):
        if fit(model, gpu, gpus=gpus, context=context, weight_dtype=weight_dtype).max_batch >= needed:
            return fmt_int(gpus)
    raise ValueError(f"needed={needed} sequences of {context} tokens do not fit on 8 GPUs "
                     f"with {weight_dtype} weights")


# --------------------------------------------------------------------------- review fixes, 2026


def parts_with(compute_dtype: str) -> str:
    """The catalog's accelerators with tensor cores for ``compute_dtype`` ('fp8' or 'fp4').

    >>> "L4" in parts_with("fp8") and "L40S" in parts_with("fp8"), "H100" in parts_with("fp4")
    (True, False)
    """
    choice("compute_dtype", compute_dtype, ["fp8", "fp4"])
    names = [g.name.replace("NVIDIA ", "").replace("AMD Instinct ", "")
             for g in GPUS.values() if g.peaks().get(compute_dtype, 0) > 0]
    return ", ".join(names)


def peak_ratio(compute_dtype: str, over: str) -> str:
    """Dense peak of ``compute_dtype`` over that of ``over`` across the parts that have both
    (one figure, or a range if the parts differ).

    >>> peak_ratio("fp8", "bf16")
    '2.0×'
    """
    choice("compute_dtype", compute_dtype, ["fp8", "fp4"])
    choice("over", over, ["bf16", "fp8"])
    ratios = sorted(g.peaks()[compute_dtype] / g.peaks()[over] for g in GPUS.values()
                    if g.peaks().get(compute_dtype, 0) > 0 and g.peaks().get(over, 0) > 0)
    low, high = fmt_number(ratios[0], 1), fmt_number(ratios[-1], 1)
    return f"{low}×" if low == high else f"{low}× to {high}×"


# --------------------------------------------------------------------------- FP8 scales, regressions (2026)


def e4m3_max() -> str:
    """The largest finite FP8 E4M3 magnitude.

    >>> e4m3_max()
    '448'
    """
    return fmt_number(E4M3_MAX, 0)


def e4m3_relative_error() -> str:
    """Worst relative rounding error of a normal E4M3 value.

    >>> e4m3_relative_error()
    '6.25 %'
    """
    return fmt_percent(E4M3_MAX_RELATIVE_ERROR, 2)


def eval_size(baseline_accuracy: float, candidate_accuracy: float) -> str:
    """Questions per model an unpaired eval needs to detect the drop (95 %, power 80 %).

    >>> eval_size(0.80, 0.78)
    '6,507'
    """
    return fmt_int(eval_questions_needed(baseline_accuracy, candidate_accuracy))


def flip_resolution(tokens: int, flip_rate_value: float) -> str:
    """95 % half-width of a token flip rate measured over ``tokens`` positions.

    >>> flip_resolution(100_000, 0.01)
    '0.06 %'
    """
    return fmt_percent(flip_rate_resolution(tokens, flip_rate_value), 2)


def percent(share: float, digits: int = 0) -> str:
    """A share given as a fraction, as a percentage (for inputs named in sentences).

    >>> percent(0.8), percent(0.015, 1)
    ('80 %', '1.5 %')
    """
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise ValueError(f"share must be a number in [0, 1], got {share!r}")
    return fmt_percent(share, digits)


# --------------------------------------------------------------------------- FP4 (2026)


def format_bits(weight_dtype: str) -> str:
    """Stored bits per value of a weight format, block scales included.

    >>> format_bits("nvfp4"), format_bits("mxfp4")
    ('4.5 bits', '4.25 bits')
    """
    return f"{fmt_number(bits_per_value(weight_dtype), 3).rstrip('0').rstrip('.')} bits"


def weights_parts_gb(model: str, weight_dtype: str, parts: str = "all") -> str:
    """Weights with only ``parts`` quantized ('all', 'experts' or 'mlp+experts'); the rest bf16.

    >>> weights_parts_gb("gpt-oss-120b", "mxfp4", "experts")
    '65.25 GB'
    """
    chosen = {"all": QUANTIZABLE, "experts": ("experts",), "mlp+experts": ("mlp", "experts")}
    quantize = lookup("parts", parts, chosen)
    return fmt_bytes(weight_bytes(model, weight_dtype, quantize=quantize), "GB")

