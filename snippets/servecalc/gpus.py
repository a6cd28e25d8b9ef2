"""Accelerator specifications: memory, bandwidth and dense peak FLOP/s.

Conventions:

* ``memory_bytes`` is the capacity the device reports to its runtime
  (``cudaMemGetInfo`` / ``torch.cuda.get_device_properties().total_memory``),
  not the datasheet's round figure: an "80 GB" H100 reports 85,017,493,504
  bytes (79.18 GiB). ``datasheet_memory`` keeps the marketing label. Where no
  runtime figure was found, the total that ``nvidia-smi`` prints (MiB x 2**20,
  from public logs) is used; CUDA reports about 0.5 % less than that (H100:
  81,559 MiB in nvidia-smi, 81,079.5 MiB from CUDA). Each entry's ``status``
  says which convention it follows.
* ``hbm_bandwidth_bytes_per_s`` is the peak memory bandwidth, HBM or GDDR
  (L4, L40S, A10G), in decimal bytes per second as datasheets print it.
* FLOP/s are dense. Datasheets often print the "with sparsity" figure, twice
  the dense one; those were halved.
* ``interconnect_bytes_per_s`` is the per-GPU, one-direction bandwidth of the
  scale-up link (NVLink, Infinity Fabric, ICI or PCIe); 0 when it has none.

>>> h100 = get_gpu("h100-sxm")
>>> h100.memory_bytes
85017493504
>>> h100.ridge_point("bf16") > 250     # FLOPs per byte where compute and bandwidth balance
True
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Sourced, build
from .validate import (
    choice, lookup, non_negative_number, positive_int, positive_number, text_fields,
)


@dataclass(frozen=True, kw_only=True)
class GpuSpec(Sourced):
    """One accelerator. Units are in the field names."""

    id: str
    name: str
    memory_bytes: int
    datasheet_memory: str
    hbm_bandwidth_bytes_per_s: float
    bf16_flops_per_s: float
    fp8_flops_per_s: float = 0.0
    int8_ops_per_s: float = 0.0
    interconnect_bytes_per_s: float = 0.0

    def __post_init__(self) -> None:
        text_fields("gpu", self, ("id", "name"),
                    ("datasheet_memory", "source", "source_date", "status"))
        positive_int("gpu.memory_bytes", self.memory_bytes)
        positive_number("gpu.hbm_bandwidth_bytes_per_s", self.hbm_bandwidth_bytes_per_s)
        positive_number("gpu.bf16_flops_per_s", self.bf16_flops_per_s)
        for field in ("fp8_flops_per_s", "int8_ops_per_s", "interconnect_bytes_per_s"):
            non_negative_number(f"gpu.{field}", getattr(self, field))

    def peak_flops_per_s(self, compute_dtype: str = "bf16") -> float:
        """Dense peak for ``compute_dtype`` ('bf16', 'fp16', 'fp8' or 'int8')."""
        choice("compute_dtype", compute_dtype, ["bf16", "fp16", "fp8", "int8"])
        peak = {
            "bf16": self.bf16_flops_per_s,
            "fp16": self.bf16_flops_per_s,
            "fp8": self.fp8_flops_per_s,
            "int8": self.int8_ops_per_s,
        }[compute_dtype]
        if peak <= 0:
            raise ValueError(
                f"compute_dtype {compute_dtype!r} has no tensor-core support on {self.name}; "
                "use 'bf16'"
            )
        return peak

    def ridge_point(self, compute_dtype: str = "bf16") -> float:
        """Arithmetic intensity (FLOPs per byte) at which the roofline bends."""
        return self.peak_flops_per_s(compute_dtype) / self.hbm_bandwidth_bytes_per_s


#: The catalog, from ``catalog/gpus.json``.
GPUS: dict[str, GpuSpec] = {g.id: g for g in build("gpus", GpuSpec)}


def get_gpu(gpu: str | GpuSpec) -> GpuSpec:
    """Return the catalog entry for ``gpu`` (an ID), or ``gpu`` itself."""
    if isinstance(gpu, GpuSpec):
        return gpu
    return lookup("gpu", gpu, GPUS)  # type: ignore[return-value]
