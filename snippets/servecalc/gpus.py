"""Accelerator specifications: memory, bandwidth and dense peak FLOP/s.

Conventions:

* ``memory_bytes`` is the capacity the device reports to its runtime
  (``cudaMemGetInfo`` / ``torch.cuda.get_device_properties().total_memory``),
  not the datasheet's round figure: an "80 GB" H100 reports 85,017,493,504
  bytes (79.18 GiB). ``datasheet_memory`` keeps the marketing label.
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

from .validate import choice, lookup


@dataclass(frozen=True, kw_only=True)
class GpuSpec:
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
    source: str
    source_date: str
    status: str = "confirmed"

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


GPUS: dict[str, GpuSpec] = {
    g.id: g
    for g in [
        GpuSpec(
            id="h100-sxm",
            name="NVIDIA H100 SXM5 80GB",
            memory_bytes=85_017_493_504,
            datasheet_memory="80 GB HBM3",
            hbm_bandwidth_bytes_per_s=3.35e12,
            bf16_flops_per_s=989.4e12,
            fp8_flops_per_s=1978.9e12,
            int8_ops_per_s=1978.9e12,
            interconnect_bytes_per_s=450e9,
            source="NVIDIA H100 Tensor Core GPU datasheet (BF16 1,979 and FP8 3,958 TFLOPS "
            "with sparsity; 3.35 TB/s; NVLink 900 GB/s bidirectional); memory_bytes as "
            "reported by CUDA",
            source_date="2023-07",
        ),
    ]
}


def get_gpu(gpu: str | GpuSpec) -> GpuSpec:
    """Return the catalog entry for ``gpu`` (an ID), or ``gpu`` itself."""
    if isinstance(gpu, GpuSpec):
        return gpu
    return lookup("gpu", gpu, GPUS)  # type: ignore[return-value]
