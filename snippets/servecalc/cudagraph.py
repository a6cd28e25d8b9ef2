"""CUDA-graph batch padding: a decode batch runs as the next captured size.

An engine that replays CUDA graphs captures one graph per batch size in a
list and pads a decode batch up to the smallest captured size that holds it.
vLLM's V1 engine builds its default list in ``VllmConfig._set_cudagraph_sizes``
(vllm/config/vllm.py, vLLM main as of late 2026): 1, 2, 4, then every multiple
of 8 below 256, then every multiple of 16 from 256 up to
``min(2 × max_num_seqs, 512)``; the result is
``compilation_config.cudagraph_capture_sizes``. Batches above the largest
captured size run without a graph, unpadded.

>>> padded_batch(33), padded_batch(3), padded_batch(257), padded_batch(600)
(40, 4, 272, 600)
>>> round(padding_waste(33), 4)
0.175
"""

from __future__ import annotations

from collections.abc import Sequence

from .validate import positive_int

__all__ = ["VLLM_BATCH_ALIGNMENT", "VLLM_LARGE_BATCH_ALIGNMENT", "vllm_capture_sizes",
           "padded_batch", "padding_waste"]

#: vLLM's step between captured sizes from 8 up to 256.
VLLM_BATCH_ALIGNMENT = 8
#: vLLM's step between captured sizes from 256 up.
VLLM_LARGE_BATCH_ALIGNMENT = 16
_STEP_CHANGE = 256
_MAX_GRAPH_SIZE = 512


def vllm_capture_sizes(max_num_seqs: int = 256) -> tuple[int, ...]:
    """vLLM's default captured batch sizes for an engine with ``max_num_seqs``.

    The list stops at ``min(2 × max_num_seqs, 512)``; vLLM's default
    ``max_num_seqs`` of 256 gives the full list up to 512.

    >>> vllm_capture_sizes(20)
    (1, 2, 4, 8, 16, 24, 32, 40)
    >>> vllm_capture_sizes()[-4:], len(vllm_capture_sizes())
    ((464, 480, 496, 512), 51)
    """
    top = min(2 * positive_int("max_num_seqs", max_num_seqs), _MAX_GRAPH_SIZE)
    sizes = ((1, 2, 4) + tuple(range(VLLM_BATCH_ALIGNMENT, _STEP_CHANGE, VLLM_BATCH_ALIGNMENT))
             + tuple(range(_STEP_CHANGE, _MAX_GRAPH_SIZE + 1, VLLM_LARGE_BATCH_ALIGNMENT)))
    return tuple(s for s in sizes if s <= top)


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
