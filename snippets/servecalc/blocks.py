"""What one layer holds of a sequence: tokens and paged blocks.

Pure arithmetic on a context length, a window or chunk size and a block size;
:mod:`servecalc.attention_kinds` says which layer kind uses which.

A paged cache (vLLM's PagedAttention) hands out fixed blocks of
``block_size`` tokens as a sequence grows. A full-attention layer holds
``ceil(t / block_size)`` blocks for ``t`` tokens; a sliding-window layer keeps
the blocks that overlap its last ``window`` tokens (one more than
``ceil(window / block_size)`` when the window straddles a block boundary); a
chunked layer keeps the tokens and blocks of the current chunk.

>>> blocks_per_sequence(1000, block_size=16)      # ceil(1000 / 16)
63
>>> chunk_tokens(20000, 8192)                     # 20000 - 2 x 8192
3616
"""

from __future__ import annotations

from .validate import non_negative_int, positive_int

#: Tokens per KV block unless told otherwise (vLLM's default ``--block-size`` on GPUs).
DEFAULT_BLOCK_SIZE = 16


def blocks_per_sequence(tokens: int, block_size: int = DEFAULT_BLOCK_SIZE) -> int:
    """Blocks a full-attention layer holds for ``tokens`` tokens.

    >>> blocks_per_sequence(0), blocks_per_sequence(16), blocks_per_sequence(17)
    (0, 1, 2)
    """
    non_negative_int("tokens", tokens)
    positive_int("block_size", block_size)
    return -(-tokens // block_size)


def window_blocks(context: int, window: int, block_size: int = DEFAULT_BLOCK_SIZE) -> int:
    """Blocks a sliding-window layer holds after ``context`` tokens.

    The live tokens are positions ``context - window`` .. ``context - 1``;
    every block they touch stays allocated.

    >>> window_blocks(100, 4096)           # shorter than the window: like full attention
    7
    >>> window_blocks(5000, 4096), window_blocks(4096 + 16, 4096)   # 257 unaligned, 256 aligned
    (257, 256)
    """
    non_negative_int("context", context)
    positive_int("window", window)
    positive_int("block_size", block_size)
    if context <= window:
        return -(-context // block_size)
    first = (context - window) // block_size
    last = (context - 1) // block_size
    return last - first + 1


def chunk_tokens(context: int, chunk: int, *, peak: bool = False) -> int:
    """Tokens a chunked-attention layer holds after ``context`` tokens: those
    since the start of the current chunk; ``peak=True`` gives the most it held
    at any length up to ``context``.

    >>> [chunk_tokens(c, 8192) for c in (8192, 8193, 20000)]
    [8192, 1, 3616]
    >>> chunk_tokens(8193, 8192, peak=True)
    8192
    """
    non_negative_int("context", context)
    positive_int("chunk", chunk)
    if peak or context <= chunk:
        return min(context, chunk)
    return context - (context - 1) // chunk * chunk


def chunk_blocks(context: int, chunk: int, block_size: int = DEFAULT_BLOCK_SIZE, *,
                 peak: bool = False) -> int:
    """Blocks a chunked-attention layer holds after ``context`` tokens: those
    of the current chunk; ``peak=True`` gives the most it held at any length
    up to ``context``.

    >>> chunk_blocks(8192, 8192), chunk_blocks(8193, 8192), chunk_blocks(8193, 8192, peak=True)
    (512, 1, 512)
    """
    non_negative_int("context", context)
    positive_int("chunk", chunk)
    positive_int("block_size", block_size)

    def held(tokens: int) -> int:
        start = (tokens - 1) // chunk * chunk
        return (tokens - 1) // block_size - start // block_size + 1 if tokens else 0

    if not peak or context <= chunk:
        return held(context)
    # The most is held at the end of a full chunk (or now); chunk ends repeat
    # their alignment with blocks at most block_size times.
    ends = range(chunk, min(context, chunk * block_size) + 1, chunk)
    return max([held(context)] + [held(end) for end in ends])
