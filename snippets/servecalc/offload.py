"""KV-cache offload tiers: where evicted cache goes, and when reloading beats recomputing.

When a sequence's KV blocks leave GPU memory (preemption, a finished turn
whose prefix may come back, a prefix cache larger than HBM), an engine can
drop them and recompute them later by prefill, or copy them to a slower tier
and load them back. Loading ``bytes`` from a tier takes::

    reload_s = latency_s + bytes / bandwidth_bytes_per_s

and it pays when that is shorter than the prefill that would recompute the
same tokens. The tiers below carry link peaks from the interface standards
(a loader reaches less) and latencies that are assumptions of the right order;
replace both with measurements.

>>> t = TIERS["cpu-pcie5"]
>>> round(t.bandwidth_bytes_per_s / 1e9, 2)
63.02
>>> from servecalc.units import fmt_duration
>>> fmt_duration(reload_time_s("llama-3.1-70b", 8192, "cpu-pcie5"), "ms")
'42.6 ms'
"""

from __future__ import annotations

from dataclasses import dataclass

from .deployment import Deployment, DeploymentLike, GpuLike, as_deployment
from .kv import kv_bytes_per_sequence
from .models import ModelSpec
from .step import StepModel
from .validate import lookup, positive_int

__all__ = ["OffloadTier", "TIERS", "reload_time_s", "ReloadOrRecompute", "reload_or_recompute"]

#: PCIe 5.0: 32 GT/s per lane with 128b/130b encoding, one direction.
_PCIE5_LANE_BYTES_PER_S = 32e9 * 128 / 130 / 8


@dataclass(frozen=True, kw_only=True)
class OffloadTier:
    """Where offloaded KV blocks live, seen from one GPU."""

    id: str
    name: str
    bandwidth_bytes_per_s: float   # one direction, into the GPU
    latency_s: float               # per reload, before the first byte arrives
    source: str
    source_date: str
    status: str = "link peak; latency is an assumption"


TIERS: dict[str, OffloadTier] = {
    t.id: t
    for t in (
        OffloadTier(
            id="cpu-pcie5",
            name="host DRAM over PCIe 5.0 x16",
            bandwidth_bytes_per_s=16 * _PCIE5_LANE_BYTES_PER_S,
            latency_s=10e-6,
            source="PCI-SIG, PCI Express Base Specification 5.0 (32 GT/s per lane, 128b/130b)",
            source_date="2019-05-29",
        ),
        OffloadTier(
            id="cpu-c2c",
            name="Grace CPU memory over NVLink-C2C (GH200/GB200)",
            bandwidth_bytes_per_s=450e9,
            latency_s=10e-6,
            source="NVIDIA GH200 Grace Hopper Superchip datasheet: NVLink-C2C 900 GB/s "
                   "bidirectional, 450 GB/s per direction",
            source_date="2024-05",
        ),
        OffloadTier(
            id="nvme-pcie5",
            name="local NVMe SSD, PCIe 5.0 x4",
            bandwidth_bytes_per_s=4 * _PCIE5_LANE_BYTES_PER_S,
            latency_s=100e-6,
            source="PCI-SIG, PCI Express Base Specification 5.0 (x4 link peak; one drive reads "
                   "less)",
            source_date="2019-05-29",
        ),
        OffloadTier(
            id="remote-rdma-400g",
            name="another node's memory over one 400 Gb/s RDMA NIC",
            bandwidth_bytes_per_s=400e9 / 8,
            latency_s=20e-6,
            source="IEEE 802.3ck / InfiniBand NDR: 400 Gb/s per port",
            source_date="2022",
        ),
    )
}


def reload_time_s(model: str | ModelSpec, tokens: int, tier: str | OffloadTier,
                  kv_dtype: str = "bf16") -> float:
    """Time to bring ``tokens`` tokens of one sequence's KV back from ``tier``.

    >>> reload_time_s("llama-3.1-8b", 1, "ssd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: tier 'ssd' is not ...
    """
    positive_int("tokens", tokens)
    spec = tier if isinstance(tier, OffloadTier) else lookup("tier", tier, TIERS)
    return spec.latency_s + kv_bytes_per_sequence(model, tokens, kv_dtype) / \
        spec.bandwidth_bytes_per_s


@dataclass(frozen=True, kw_only=True)
class ReloadOrRecompute:
    """Reloading ``tokens`` of cache from a tier against recomputing them by prefill."""

    tier: str
    tokens: int
    kv_bytes: int
    reload_s: float
    recompute_s: float

    @property
    def reload_wins(self) -> bool:
        """True when loading the cache back is faster than recomputing it."""
        return self.reload_s < self.recompute_s


def reload_or_recompute(deployment: DeploymentLike, gpu: GpuLike = None, *, tokens: int,
                        tier: str | OffloadTier) -> ReloadOrRecompute:
    """Both ways to get a ``tokens``-token prefix's cache back on a deployment.

    Each of the deployment's tensor-parallel GPUs loads its share over its
    own link, so the reload divides by ``gpus``; the prefill comes from the
    step model.

    >>> d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    >>> r = reload_or_recompute(d, tokens=8192, tier="nvme-pcie5")
    >>> r.reload_wins, round(r.reload_s * 1e3, 1)    # 100 us + 2.68 GB / 4 / 15.75 GB/s
    (True, 42.7)
    """
    d = as_deployment(deployment, gpu)
    positive_int("tokens", tokens)
    spec = tier if isinstance(tier, OffloadTier) else lookup("tier", tier, TIERS)
    kv = kv_bytes_per_sequence(d.model, tokens, d.kv_dtype)
    reload = spec.latency_s + kv / d.gpus / spec.bandwidth_bytes_per_s
    prefill = StepModel(d).prefill_time_s(tokens)
    return ReloadOrRecompute(tier=spec.id, tokens=tokens, kv_bytes=kv, reload_s=reload,
                             recompute_s=prefill)
