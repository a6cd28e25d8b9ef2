"""FP8 E4M3 scales for a KV cache (or any tensor quantized with one scale).

OCP's FP8 E4M3 format (4 exponent bits, bias 7, 3 mantissa bits, no
infinities) represents magnitudes up to ``(1 + 6/8) x 2^8 = 448`` and down to
``2^-9`` (the smallest subnormal); normal numbers carry 3 mantissa bits, so
rounding to nearest errs by at most ``2^-4`` = 6.25 % of the value
(OCP 8-bit Floating Point Specification (OFP8), revision 1.0, 2023-06-20).

A quantized KV cache stores ``x / scale`` in E4M3 and multiplies by ``scale``
when reading. The scale maps the largest magnitude expected, ``amax``, to 448:
``scale = amax / 448``. Values above the calibrated ``amax`` saturate (clip at
448 x scale); values below ``2^-9 x scale`` flush to zero. vLLM reads per-layer
``k_scale`` and ``v_scale`` from the checkpoint and uses 1.0 when there are
none, which assumes every key and value lies within +-448 (``--kv-cache-dtype
fp8``; its ``calculate_kv_scales`` option computes them from the first batch).

>>> E4M3_MAX, E4M3_MIN_SUBNORMAL
(448.0, 0.001953125)
>>> kv_scale(amax=20.0)
0.044642857142857144
>>> round(clip_ratio(calibrated_amax=20.0, live_amax=30.0), 4)
0.6667
"""

from __future__ import annotations

from .validate import finite_result, positive_number

__all__ = ["E4M3_MAX", "E4M3_MIN_SUBNORMAL", "E4M3_MAX_RELATIVE_ERROR", "kv_scale", "clip_ratio",
           "dynamic_range"]

#: Largest finite E4M3 magnitude: exponent field 15 with mantissa 110 (111 is NaN).
E4M3_MAX = (1 + 6 / 8) * 2.0 ** 8
#: Smallest positive E4M3 value: the subnormal 2^-6 x 1/8.
E4M3_MIN_SUBNORMAL = 2.0 ** -9
#: Worst rounding error of a normal E4M3 number, relative to its value: half of 2^-3.
E4M3_MAX_RELATIVE_ERROR = 2.0 ** -4


def kv_scale(amax: float) -> float:
    """The per-tensor scale that maps ``amax`` to the largest E4M3 value.

    >>> kv_scale(448.0)
    1.0
    """
    return finite_result("scale", positive_number("amax", amax) / E4M3_MAX, "amax")


def clip_ratio(calibrated_amax: float, live_amax: float) -> float:
    """Largest representable value over the live maximum: below 1, the largest values clip.

    >>> clip_ratio(calibrated_amax=448.0, live_amax=448.0)
    1.0
    """
    ratio = positive_number("calibrated_amax", calibrated_amax) / \
        positive_number("live_amax", live_amax)
    return finite_result("clip ratio", ratio, "calibrated_amax and live_amax")


def dynamic_range(scale: float) -> tuple[float, float]:
    """Smallest non-zero and largest magnitudes a tensor stored with ``scale`` keeps.

    >>> dynamic_range(1.0)
    (0.001953125, 448.0)
    """
    s = positive_number("scale", scale)
    return E4M3_MIN_SUBNORMAL * s, finite_result("largest value", E4M3_MAX * s, "scale")
