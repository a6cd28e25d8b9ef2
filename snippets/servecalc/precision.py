"""Numeric precisions (data types) and their storage size.

Sizes are kept in bits so that 4-bit formats stay exact: byte counts are always
integers, rounded up to whole bytes only at the end.

>>> bits("bf16")
16
>>> storage_bytes(1000, "int4")
500
>>> storage_bytes(3, "int4")
2
"""

from __future__ import annotations

from .validate import choice, non_negative_int

BITS: dict[str, int] = {
    "fp32": 32,
    "bf16": 16,
    "fp16": 16,
    "fp8": 8,
    "int8": 8,
    "int4": 4,
    "fp4": 4,
}


def bits(dtype: str) -> int:
    """Bits per element of ``dtype``."""
    choice("dtype", dtype, BITS)
    return BITS[dtype]


def storage_bytes(elements: int, dtype: str) -> int:
    """Bytes needed to store ``elements`` values of ``dtype`` (rounded up)."""
    non_negative_int("elements", elements)
    total_bits = elements * bits(dtype)
    return -(-total_bits // 8)
