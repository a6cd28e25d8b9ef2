"""Tensor-parallel communication: the time of one all-reduce, with sources.

Under tensor parallelism every layer ends its attention block and its MLP
with an all-reduce of the activations, ``tokens x hidden_size x 2`` bytes
(bf16) per GPU. Two algorithms matter, and engines pick the faster one:

**One-shot (custom) all-reduce** on NVLink, what vLLM and SGLang run for the
small messages of decode: each GPU reads its peers' buffers and reduces in
one kernel. Its latency is a few microseconds, nearly flat from 2 to 8 GPUs.
SGLang PR #2904 (2025-01-15, "optimize custom allreduce kernel", H100, no
CUDA graph) measured 3.7 / 4.8 / 5.9 us for 512 bytes at TP 2 / 4 / 8
(:data:`ONE_SHOT_BASE_S` + :data:`ONE_SHOT_PER_GPU_S` x n), and 19.9 / 31.1
/ 33.8 us for 1 MiB, an algorithm bandwidth of 65-80 GB/s on 450 GB/s links:
:data:`ONE_SHOT_LINK_FRACTION` of the link.

**Ring all-reduce** (NCCL), which wins for large messages (prefill) and is
the only choice across PCIe: ``2 (n - 1)`` hops of latency plus ``2 (n - 1)
/ n x bytes`` over the link. NVIDIA/nccl-tests issue #123 (2022-12-14):
33.7 us for a tiny all-reduce on 8 A100s, 14 hops of about
:data:`RING_HOP_S`. Large messages reach :data:`RING_LINK_FRACTION` of the
link's one-direction bandwidth (bus bandwidth, as nccl-tests defines it);
the 80 % is an assumption in the range nccl-tests reports on NVLink.

PCIe parts: vLLM turns its custom all-reduce off on more than two GPUs
without NVLink (``custom_all_reduce.py``, quoted in vllm-project/vllm issue
#56128), so a GPU whose link is no faster than PCIe Gen5 x16
(:data:`PCIE_MAX_BYTES_PER_S`) uses the ring.

Not modelled: overlap of communication with compute (engines mostly do not
overlap TP all-reduces at inference), tensor parallelism across nodes
(the catalog's links are scale-up links). Expert parallelism's all-to-all
is timed by :func:`servecalc.expert_parallel.a2a_seconds`.

>>> from servecalc.units import fmt_duration
>>> [fmt_duration(allreduce_s(512, n, 450e9), "us", 1) for n in (2, 4, 8)]
['3.7 us', '4.4 us', '5.8 us']
>>> fmt_duration(allreduce_s(8 * 2**20, 8, 450e9), "us", 1)   # prefill-sized: the ring wins
'74.4 us'
>>> fmt_duration(allreduce_s(4096 * 2, 4, 32e9), "us", 1)       # PCIe: ring only
'14.9 us'
"""

from __future__ import annotations

from ..validate import non_negative_number, positive_int, positive_number

ONE_SHOT_BASE_S = 3.0e-6
ONE_SHOT_PER_GPU_S = 0.35e-6
ONE_SHOT_LINK_FRACTION = 0.15
RING_HOP_S = 2.4e-6
RING_LINK_FRACTION = 0.80
#: Links this fast or slower are PCIe (Gen5 x16 is 64 GB/s one direction): ring only.
PCIE_MAX_BYTES_PER_S = 64e9
#: Bytes per activation element in a tensor-parallel all-reduce (bf16).
ACTIVATION_BYTES = 2


def _checked(message_bytes: float, gpus: int, link_bytes_per_s: float) -> int:
    non_negative_number("message_bytes", message_bytes)
    positive_number("link_bytes_per_s", link_bytes_per_s)
    return positive_int("gpus", gpus)


def one_shot_s(message_bytes: float, gpus: int, link_bytes_per_s: float) -> float:
    """Seconds of a one-shot (custom) all-reduce of ``message_bytes`` per GPU."""
    n = _checked(message_bytes, gpus, link_bytes_per_s)
    return (ONE_SHOT_BASE_S + ONE_SHOT_PER_GPU_S * n
            + 2 * (n - 1) / n * message_bytes / (ONE_SHOT_LINK_FRACTION * link_bytes_per_s))


def ring_s(message_bytes: float, gpus: int, link_bytes_per_s: float) -> float:
    """Seconds of a ring all-reduce of ``message_bytes`` per GPU."""
    n = _checked(message_bytes, gpus, link_bytes_per_s)
    return (2 * (n - 1) * RING_HOP_S
            + 2 * (n - 1) / n * message_bytes / (RING_LINK_FRACTION * link_bytes_per_s))


def allreduce_s(message_bytes: float, gpus: int, link_bytes_per_s: float) -> float:
    """Seconds of one all-reduce: the faster algorithm the link allows; 0 on one GPU."""
    if _checked(message_bytes, gpus, link_bytes_per_s) == 1:
        return 0.0
    ring = ring_s(message_bytes, gpus, link_bytes_per_s)
    if link_bytes_per_s <= PCIE_MAX_BYTES_PER_S:
        return ring
    return min(ring, one_shot_s(message_bytes, gpus, link_bytes_per_s))


def transfer_per_link_s(total_bytes: float, gpus: int, link_bytes_per_s: float) -> float:
    """Seconds to move ``total_bytes`` sharded over ``gpus`` GPUs, each over its own link
    (a KV cache split by tensor parallelism travels in parallel, one shard per link).

    >>> transfer_per_link_s(8e9, 4, 50e9)
    0.04
    """
    non_negative_number("total_bytes", total_bytes)
    positive_int("gpus", gpus)
    positive_number("link_bytes_per_s", link_bytes_per_s)
    return total_bytes / gpus / link_bytes_per_s
