"""CUDA-graph batch padding: a decode batch runs as the next captured size.

An engine that replays CUDA graphs captures one graph per batch size in a
list and pads a decode batch up to the smallest captured size that holds it.
vLLM's default list is 1, 2, 4, then every multiple of 8 up to its maximum
capture size: ``_BATCH_SIZES_TO_CAPTURE = [1, 2, 4] + [8 * i for i in ...]``
(vllm/worker/model_runner.py, ``_BATCH_SIZE_ALIGNMENT = 8``, as of vLLM PR
#7894, 2024-08-29; the V1 engine keeps the same default as
``compilation_config.cudagraph_capture_sizes``). Batches above the largest
captured size run eagerly, unpadded.

>>> padded_batch(33), padded_batch(3), padded_batch(512)
(40, 4, 512)
>>> round(padding_waste(33), 4)
0.175
"""

from __future__ import annotations

from collections.abc import Sequence

from .validate import positive_int

__all__ = ["VLLM_BATCH_ALIGNMENT", "vllm_capture_sizes", "padded_batch", "padding_waste"]

#: vLLM's batch-size alignment for captured graphs above 4 (``_BATCH_SIZE_ALIGNMENT``).
VLLM_BATCH_ALIGNMENT = 8


def vllm_capture_sizes(max_size: int = 512) -> tuple[int, ...]:
    """vLLM's default captured batch sizes up to ``max_size``: 1, 2, 4, 8, 16, 24, ...

    >>> vllm_capture_sizes(40)
    (1, 2, 4, 8, 16, 24, 32, 40)
    """
    top = positive_int("max_size", max_size)
    small = tuple(s for s in (1, 2, 4) if s <= top)
    return small + tuple(range(VLLM_BATCH_ALIGNMENT, top + 1, VLLM_BATCH_ALIGNMENT))


def padded_batch(batch: int, sizes: Sequence[int] | None = None) -> int:
    """The batch a decode step actually runs: the smallest captured size >= ``batch``.

    ``sizes`` defaults to :func:`vllm_capture_sizes`; above the largest size the
    step runs eagerly at ``batch`` itself.

    >>> padded_batch(9, sizes=[1, 2, 4, 8, 16, 32])
    16
    >>> padded_batch(600)
    600
    """
    b = positive_int("batch", batch)
    captured = sorted(vllm_capture_sizes() if sizes is None else
                      [positive_int("sizes", s) for s in sizes])
    return next((s for s in captured if s >= b), b)


def padding_waste(batch: int, sizes: Sequence[int] | None = None) -> float:
    """Share of the padded batch's rows that are padding.

    >>> padding_waste(8)
    0.0
    """
    padded = padded_batch(batch, sizes)
    return (padded - batch) / padded
