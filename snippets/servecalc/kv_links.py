"""Named links that carry a prompt's KV cache from a prefill replica to a decode replica.

In disaggregated serving (DistServe, Splitwise, Mooncake; vLLM's and SGLang's
prefill/decode split) the prefill replica computes the prompt's KV cache and
sends it to a decode replica. With tensor parallelism the cache is split over
the replica's GPUs by KV head, and each GPU sends its shard over its own link,
in parallel (:func:`servecalc.step.comm.transfer_per_link_s`); the shards
land on the decode replica's GPUs, so the narrower pool sets how many links
work at once: ``min(prefill_gpus, decode_gpus)``.

Each link is per GPU, one direction, in decimal bytes per second:

``scale-up``
    Both pools in one scale-up domain (one node's NVLink or Infinity Fabric,
    an NVL72 rack; PCIe for parts without one): the GPU catalog's
    ``interconnect_bytes_per_s`` (:mod:`servecalc.gpus`, which cites each
    part's datasheet).
``ib-400g``
    Across nodes, one 400 Gb/s InfiniBand NDR (or 400 GbE RoCE) port per GPU,
    as in an NVIDIA DGX H100: eight single-port ConnectX-7 adapters for the
    compute fabric, one per GPU (NVIDIA, "DGX H100/H200 User Guide:
    Introduction", https://docs.nvidia.com/dgx/dgxh100-user-guide/introduction-to-dgxh100.html,
    read 2026-12): 50 GB/s.
``eth-100g``
    Across nodes on a plainer network, one 100 Gb/s Ethernet port per GPU
    (IEEE 802.3ba-2010 100GBASE): 12.5 GB/s.

The transfer is counted as if it starts when the prefill ends; real systems
overlap it layer by layer (Mooncake, vLLM's connectors), so this is the
conservative end.

>>> kv_transfer_s("llama-3.1-8b", "h100-sxm", prompt=1000, link="ib-400g")
0.00262144
>>> link_bytes_per_s("scale-up", "h100-sxm") / 1e9
450.0
"""

from __future__ import annotations

from .gpus import GpuSpec, get_gpu
from .kv import kv_bytes_per_sequence
from .models import ModelSpec
from .step.comm import transfer_per_link_s
from .validate import choice, positive_int

#: Link name -> per-GPU bytes/s (None: the GPU catalog's scale-up link).
LINKS: dict[str, float | None] = {"scale-up": None, "ib-400g": 50e9, "eth-100g": 12.5e9}
#: The link :func:`servecalc.sim.disagg.simulate_disagg` uses unless told otherwise.
DEFAULT_LINK = "ib-400g"


def link_bytes_per_s(link: str, gpu: str | GpuSpec) -> float:
    """Per-GPU bytes per second of the named ``link`` (``scale-up`` reads ``gpu``'s).

    >>> link_bytes_per_s("eth-100g", "l4"), link_bytes_per_s("scale-up", "l4")
    (12500000000.0, 32000000000.0)
    >>> link_bytes_per_s("carrier-pigeon", "h100-sxm")
    Traceback (most recent call last):
        ...
    ValueError: link must be one of 'scale-up', 'ib-400g', 'eth-100g', got 'carrier-pigeon'
    """
    choice("link", link, tuple(LINKS))
    rate = LINKS[link]
    if rate is None:
        spec = get_gpu(gpu)
        rate = spec.interconnect_bytes_per_s
        if rate <= 0:
            raise ValueError(f"link {link!r} needs a scale-up link and {spec.name} has none in "
                             "the GPU catalog: use 'ib-400g' or 'eth-100g'")
    return float(rate)


def kv_transfer_s(model: str | ModelSpec, gpu: str | GpuSpec, *, prompt: int,
                  link: str = DEFAULT_LINK, prefill_gpus: int = 1, decode_gpus: int = 1,
                  kv_dtype: str = "bf16") -> float:
    """Seconds to move one ``prompt``-token KV cache from a prefill replica of
    ``prefill_gpus`` GPUs to a decode replica of ``decode_gpus``: the cache's bytes
    over ``min(prefill_gpus, decode_gpus)`` links of ``link`` in parallel.

    >>> kv_transfer_s("llama-3.1-70b", "h100-sxm", prompt=8192, prefill_gpus=4, decode_gpus=8)
    0.0134217728
    """
    positive_int("prompt", prompt)
    lanes = min(positive_int("prefill_gpus", prefill_gpus),
                positive_int("decode_gpus", decode_gpus))
    return transfer_per_link_s(kv_bytes_per_sequence(model, prompt, kv_dtype), lanes,
                               link_bytes_per_s(link, gpu))
