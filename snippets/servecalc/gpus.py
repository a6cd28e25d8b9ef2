"""Accelerator specifications: memory, bandwidth and dense peak FLOP/s.

Conventions:

* ``memory_bytes`` follows ONE convention for every part: the total memory
  the runtime reports for the device (CUDA's ``cudaMemGetInfo`` total, also
  ``torch.cuda.get_device_properties().total_memory`` and deviceQuery's
  "Total amount of global memory"; ROCm's ``hipMemGetInfo`` total; a TPU's
  HBM per chip), because that is what vLLM multiplies by
  ``gpu_memory_utilization``. It is not the datasheet's round figure: an
  "80 GB" H100 reports 85,017,493,504 bytes (79.18 GiB);
  ``datasheet_memory`` keeps the label. ``memory_source`` says how each value
  was obtained: ``"runtime"`` (a public log of that very figure),
  ``"nvidia-smi"`` (the total nvidia-smi prints, MiB x 2**20, about 0.6 % more
  than CUDA reports: H100 81,559 against 81,079.5 MiB), or ``"datasheet"``
  (the vendor's capacity in the unit it states, decimal GB or a TPU's GiB,
  for parts with no public log; the runtime reports somewhat less). The last two are estimates of the
  convention, not another convention, and the status says so.
* ``hbm_bandwidth_bytes_per_s`` is the peak memory bandwidth, HBM or GDDR
  (L4, L40S, A10G), in decimal bytes per second as datasheets print it.
* FLOP/s are dense. Datasheets often print the "with sparsity" figure, twice
  the dense one; those were halved. ``fp4_flops_per_s`` is the dense FP4
  (NVFP4/MXFP4) tensor-core peak of parts that have one (Blackwell, MI355X).
* ``interconnect_bytes_per_s`` is the per-GPU, one-direction bandwidth of the
  scale-up link (NVLink, Infinity Fabric, ICI or PCIe); 0 when it has none.
* ``scale_up_gpus`` is how many GPUs that link joins (8 in an HGX/DGX node,
  72 in an NVL72 rack; 0 when not stated) and ``scale_out_bytes_per_s`` the
  per-GPU, one-direction bandwidth of the network between such domains
  (InfiniBand or RoCE, one NIC per GPU; 0 when not stated), with
  ``network_source``: what expert parallelism's all-to-all crosses
  (:mod:`servecalc.moe`).

>>> h100 = get_gpu("h100-sxm")
>>> h100.memory_bytes
85017493504
>>> h100.ridge_point("bf16") > 250     # FLOPs per byte where compute and bandwidth balance
True
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Sourced, build
from .precision import COMPUTE_DTYPES
from .validate import (
    choice, lookup, non_negative_int, non_negative_number, positive_int, positive_number,
    text_fields,
)


MEMORY_SOURCES = ("runtime", "nvidia-smi", "datasheet")


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
    fp4_flops_per_s: float = 0.0  # dense NVFP4/MXFP4 (W4A4)
    int8_ops_per_s: float = 0.0
    interconnect_bytes_per_s: float = 0.0
    memory_source: str = "runtime"  # "runtime", "nvidia-smi" or "datasheet" (see above)
    scale_up_gpus: int = 0  # GPUs one scale-up link joins (0: not stated)
    scale_out_bytes_per_s: float = 0.0  # per-GPU network between scale-up domains (0: none stated)
    network_source: str = ""

    def __post_init__(self) -> None:
        text_fields("gpu", self, ("id", "name"),
                    ("datasheet_memory", "source", "source_date", "status", "network_source"))
        positive_int("gpu.memory_bytes", self.memory_bytes)
        positive_number("gpu.hbm_bandwidth_bytes_per_s", self.hbm_bandwidth_bytes_per_s)
        positive_number("gpu.bf16_flops_per_s", self.bf16_flops_per_s)
        for field in ("fp8_flops_per_s", "fp4_flops_per_s", "int8_ops_per_s",
                      "interconnect_bytes_per_s", "scale_out_bytes_per_s"):
            non_negative_number(f"gpu.{field}", getattr(self, field))
        choice("gpu.memory_source", self.memory_source, MEMORY_SOURCES)
        non_negative_int("gpu.scale_up_gpus", self.scale_up_gpus)
        if (self.scale_up_gpus or self.scale_out_bytes_per_s) and not self.network_source:
            raise ValueError(f"gpu {self.id}: scale_up_gpus and scale_out_bytes_per_s need a "
                             "network_source")

    def peaks(self) -> dict[str, float]:
        """Dense peak per compute dtype (0 where the part has no tensor-core support).

        >>> {k: v / 1e12 for k, v in get_gpu("b200").peaks().items()}
        {'bf16': 2250.0, 'fp16': 2250.0, 'fp8': 4500.0, 'int8': 4500.0, 'fp4': 9000.0}
        """
        return {
            "bf16": self.bf16_flops_per_s,
            "fp16": self.bf16_flops_per_s,
            "fp8": self.fp8_flops_per_s,
            "int8": self.int8_ops_per_s,
            "fp4": self.fp4_flops_per_s,
        }

    def peak_flops_per_s(self, compute_dtype: str = "bf16") -> float:
        """Dense peak for ``compute_dtype`` ('bf16', 'fp16', 'fp8', 'int8' or 'fp4')."""
        choice("compute_dtype", compute_dtype, COMPUTE_DTYPES)
        peak = self.peaks()[compute_dtype]
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
