"""Numeric precisions (data types), their storage size, and which tensor-core
peak a weight/activation pairing runs at.

Sizes are kept in bits so that 4-bit formats stay exact: byte counts are always
integers, rounded up to whole bytes only at the end.

>>> bits("bf16")
16
>>> storage_bytes(1000, "int4")
500
>>> storage_bytes(3, "int4")
2

Block-scaled 4-bit formats carry their scales inside the format:

* ``nvfp4`` (NVIDIA): FP4 (E2M1) values in blocks of 16, one FP8 (E4M3)
  scale per block, plus one FP32 scale per tensor: 4 + 8/16 = 4.5 bits per
  value;
* ``mxfp4`` (OCP Microscaling): FP4 (E2M1) values in blocks of 32, one E8M0
  (power-of-two) scale per block: 4 + 8/32 = 4.25 bits per value.

>>> [bits_per_value(f) for f in ("nvfp4", "mxfp4", "int4")]
[4.5, 4.25, 4.125]
>>> matrix_bits(2880, 2880, "mxfp4")       # 2880 x 90 blocks x (32 x 4 + 8)
35251200
"""

from __future__ import annotations

from dataclasses import dataclass

from .validate import choice, non_negative_int, positive_int


@dataclass(frozen=True)
class Format:
    """How one weight format stores a matrix.

    ``block_size`` values share one scale of ``scale_bits`` along each row's
    input dimension; ``None`` means the block is the caller's ``group_size``
    (int4/fp4 with an fp16 scale per group, the GPTQ/AWQ convention); 0 means
    no block scales are counted (per-tensor or per-channel scales, under
    0.1 % of the weights). ``tensor_scale_bits`` are added once per matrix.
    """

    name: str
    element_bits: int
    block_size: int | None
    scale_bits: int
    tensor_scale_bits: int
    scale: str  # what the block scale is, for tables


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("fp32", 32, 0, 0, 0, "-"),
    Format("bf16", 16, 0, 0, 0, "-"),
    Format("fp16", 16, 0, 0, 0, "-"),
    Format("fp8", 8, 0, 0, 0, "per tensor or channel (not counted)"),
    Format("int8", 8, 0, 0, 0, "per tensor or channel (not counted)"),
    Format("int4", 4, None, 16, 0, "fp16 per group_size values"),
    Format("fp4", 4, None, 16, 0, "fp16 per group_size values"),
    Format("nvfp4", 4, 16, 8, 32, "FP8 E4M3 per 16 values + FP32 per tensor"),
    Format("mxfp4", 4, 32, 8, 0, "E8M0 per 32 values"),
)}

#: Bits per element of every format (before scales).
BITS: dict[str, int] = {name: f.element_bits for name, f in FORMATS.items()}

#: Formats the weights may be stored in.
WEIGHT_DTYPES: tuple[str, ...] = tuple(FORMATS)

#: Formats the KV cache may be stored in (scales not counted).
KV_DTYPES: tuple[str, ...] = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")

#: Precisions matmuls can run in (the activations' format): tensor-core peaks.
COMPUTE_DTYPES: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "fp4")

#: Block-scaled FP4 formats that FP4 tensor cores consume directly (W4A4).
FP4_FORMATS = ("nvfp4", "mxfp4")


def bits(dtype: str) -> int:
    """Bits per element of ``dtype`` (before any scales)."""
    choice("dtype", dtype, BITS)
    return BITS[dtype]


def storage_bytes(elements: int, dtype: str) -> int:
    """Bytes needed to store ``elements`` values of ``dtype`` (rounded up; no scales)."""
    non_negative_int("elements", elements)
    total_bits = elements * bits(dtype)
    return -(-total_bits // 8)


def matrix_bits(in_features: int, out_features: int, dtype: str, group_size: int = 128) -> int:
    """Exact bits of one (``in_features`` x ``out_features``) weight matrix in
    ``dtype``, block and tensor scales included.

    >>> matrix_bits(4096, 4096, "nvfp4") == 4096 * 4096 * 4 + 4096 * 256 * 8 + 32
    True
    >>> matrix_bits(100, 1, "int4", group_size=64)      # 100 values, 2 fp16 group scales
    432
    """
    fmt = FORMATS[choice("weight_dtype", dtype, FORMATS)]
    positive_int("in_features", in_features)
    positive_int("out_features", out_features)
    positive_int("group_size", group_size)
    scales = 0
    if fmt.scale_bits:
        block = group_size if fmt.block_size is None else fmt.block_size
        scales = out_features * -(-in_features // block) * fmt.scale_bits
    return in_features * out_features * fmt.element_bits + scales + fmt.tensor_scale_bits


def bits_per_value(dtype: str, group_size: int = 128) -> float:
    """Average bits per weight of a large matrix in ``dtype``, scales included."""
    fmt = FORMATS[choice("weight_dtype", dtype, FORMATS)]
    block = group_size if fmt.block_size is None else fmt.block_size
    return fmt.element_bits + (fmt.scale_bits / block if fmt.scale_bits else 0.0)


def compute_dtype(
    weight_dtype: str, peaks: dict[str, float], activation_dtype: str | None = None
) -> str:
    """The precision matmuls run in, given the GPU's dense ``peaks`` by compute
    dtype (0 where the part has no tensor-core support).

    By default: fp8 weights run W8A8 where the part has fp8 tensor cores;
    nvfp4/mxfp4 weights run W4A4 where it has FP4 tensor cores; everything
    else dequantizes and runs at the 16-bit peak (W4A16, W8A16).
    ``activation_dtype`` picks another pairing: ``"fp8"`` (W4A8, W8A8),
    ``"nvfp4"``/``"mxfp4"`` (W4A4: needs FP4 weights too), ``"int8"`` or
    ``"bf16"``; a pairing the part cannot run raises ``ValueError``.

    >>> from servecalc.gpus import get_gpu
    >>> b200, h100 = get_gpu("b200").peaks(), get_gpu("h100-sxm").peaks()
    >>> compute_dtype("nvfp4", b200), compute_dtype("nvfp4", h100), compute_dtype("fp8", h100)
    ('fp4', 'bf16', 'fp8')
    >>> compute_dtype("mxfp4", h100, activation_dtype="fp8")      # W4A8 on Hopper
    'fp8'
    >>> compute_dtype("int4", h100, activation_dtype="nvfp4")
    Traceback (most recent call last):
        ...
    ValueError: activation_dtype 'nvfp4' needs weight_dtype 'nvfp4' or 'mxfp4' (W4A4), got 'int4'
    """
    choice("weight_dtype", weight_dtype, WEIGHT_DTYPES)
    if activation_dtype is None:
        if weight_dtype == "fp8" and peaks.get("fp8", 0) > 0:
            return "fp8"
        if weight_dtype in FP4_FORMATS and peaks.get("fp4", 0) > 0:
            return "fp4"
        return "bf16"
    choice("activation_dtype", activation_dtype, ("bf16", "fp16", "fp8", "int8", *FP4_FORMATS))
    wanted = "fp4" if activation_dtype in FP4_FORMATS else activation_dtype
    if wanted == "fp4" and weight_dtype not in FP4_FORMATS:
        raise ValueError(f"activation_dtype {activation_dtype!r} needs weight_dtype 'nvfp4' or "
                         f"'mxfp4' (W4A4), got {weight_dtype!r}")
    if peaks.get(wanted, 0) <= 0:
        raise ValueError(f"activation_dtype {activation_dtype!r} has no tensor-core support on "
                         "this GPU; use 'bf16'")
    return wanted
