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

from .validate import choice, lookup, non_negative_number, positive_int, positive_number


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

    def __post_init__(self) -> None:
        for field in ("id", "name", "datasheet_memory", "source", "source_date", "status"):
            value = getattr(self, field)
            if not isinstance(value, str) or (field in ("id", "name") and not value):
                kind = "a non-empty string" if field in ("id", "name") else "a string"
                raise ValueError(f"gpu.{field} must be {kind}, got {value!r}")
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
        GpuSpec(
            id="h100-pcie",
            name="NVIDIA H100 PCIe 80GB",
            memory_bytes=85_017_493_504,
            datasheet_memory="80 GB HBM2e",
            hbm_bandwidth_bytes_per_s=2.0e12,
            bf16_flops_per_s=756.5e12,
            fp8_flops_per_s=1513e12,
            int8_ops_per_s=1513e12,
            interconnect_bytes_per_s=64e9,
            source="NVIDIA H100 Tensor Core GPU datasheet, PCIe column (BF16 1,513 and FP8 "
            "3,026 TFLOPS with sparsity; 2.0 TB/s; PCIe Gen5 128 GB/s bidirectional, NVLink "
            "bridge 600 GB/s between pairs only)",
            source_date="2023-07",
            status="datasheet not retrieved here; values as reproduced in "
            "shared/reference/gpus.json (hpctech.co.jp copy of the datasheet, llm-analysis); "
            "memory_bytes assumed equal to the H100 SXM's CUDA total since nvidia-smi prints "
            "the same 81,559 MiB for both (public logs); interconnect is PCIe Gen5 x16, one "
            "direction",
        ),
        GpuSpec(
            id="h200",
            name="NVIDIA H200 SXM 141GB",
            memory_bytes=150_109_880_320,
            datasheet_memory="141 GB HBM3e",
            hbm_bandwidth_bytes_per_s=4.8e12,
            bf16_flops_per_s=989.4e12,
            fp8_flops_per_s=1978.9e12,
            int8_ops_per_s=1978.9e12,
            interconnect_bytes_per_s=450e9,
            source="NVIDIA H200 Tensor Core GPU datasheet (141 GB HBM3e, 4.8 TB/s; BF16 1,979 "
            "and FP8 3,958 TFLOPS with sparsity, as H100 SXM; NVLink 900 GB/s); memory_bytes "
            "as reported by CUDA",
            source_date="2024-11",
            status="datasheet not retrieved here; 141 GB and 700 W from MLPerf Inference v4.1 "
            "system descriptions, 4.8 TB/s from secondary text (see shared/reference/gpus.json); "
            "nvidia-smi prints 143,771 MiB (public logs)",
        ),
        GpuSpec(
            id="b200",
            name="NVIDIA B200 (HGX, 180GB)",
            memory_bytes=192_265_846_784,
            datasheet_memory="180 GB HBM3e (HGX B200; 192 GB at launch)",
            hbm_bandwidth_bytes_per_s=8.0e12,
            bf16_flops_per_s=2.25e15,
            fp8_flops_per_s=4.5e15,
            int8_ops_per_s=4.5e15,
            interconnect_bytes_per_s=900e9,
            source="NVIDIA HGX B200 specifications (8 GPUs: BF16 36 PFLOPS and FP8 72 PFLOPS "
            "with sparsity, i.e. 2.25 and 4.5 PFLOPS dense per GPU; 1,440 GB, 64 TB/s HBM3e; "
            "NVLink 5 1.8 TB/s bidirectional per GPU)",
            source_date="2024-03",
            status="unconfirmed: no primary NVIDIA datasheet retrieved here; per-GPU values from "
            "secondary pages (glennklockwood.com, Vultr HGX B200 docs; one page says 7.7 TB/s); "
            "memory_bytes = nvidia-smi total 183,359 MiB from public logs",
        ),
        GpuSpec(
            id="a100-80gb",
            name="NVIDIA A100 SXM4 80GB",
            memory_bytes=85_899_345_920,
            datasheet_memory="80 GB HBM2e",
            hbm_bandwidth_bytes_per_s=2.039e12,
            bf16_flops_per_s=312e12,
            int8_ops_per_s=624e12,
            interconnect_bytes_per_s=300e9,
            source="NVIDIA A100 Tensor Core GPU datasheet (BF16 312 / 624 TFLOPS with sparsity; "
            "INT8 624 / 1,248 TOPS; 2,039 GB/s SXM 80GB; NVLink 600 GB/s bidirectional); no FP8",
            source_date="2021-06",
            status="datasheet not retrieved here; values as reproduced by llm-analysis and "
            "LLM-Viewer (shared/reference/gpus.json); memory_bytes = nvidia-smi total 81,920 MiB "
            "(80 GiB)",
        ),
        GpuSpec(
            id="a100-40gb",
            name="NVIDIA A100 SXM4 40GB",
            memory_bytes=42_949_672_960,
            datasheet_memory="40 GB HBM2",
            hbm_bandwidth_bytes_per_s=1.555e12,
            bf16_flops_per_s=312e12,
            int8_ops_per_s=624e12,
            interconnect_bytes_per_s=300e9,
            source="NVIDIA A100 Tensor Core GPU datasheet (BF16 312 / 624 TFLOPS with sparsity; "
            "INT8 624 / 1,248 TOPS; 1,555 GB/s for 40GB; NVLink 600 GB/s bidirectional); no FP8",
            source_date="2021-06",
            status="datasheet not retrieved here; values as reproduced by llm-analysis and "
            "LLM-Viewer (shared/reference/gpus.json); memory_bytes = nvidia-smi total 40,960 MiB "
            "from public logs",
        ),
        GpuSpec(
            id="l4",
            name="NVIDIA L4 24GB",
            memory_bytes=24_152_899_584,
            datasheet_memory="24 GB GDDR6",
            hbm_bandwidth_bytes_per_s=300e9,
            bf16_flops_per_s=121e12,
            fp8_flops_per_s=242.5e12,
            int8_ops_per_s=242.5e12,
            interconnect_bytes_per_s=32e9,
            source="NVIDIA L4 Tensor Core GPU datasheet (BF16 242 and FP8/INT8 485 TFLOPS with "
            "sparsity; 300 GB/s; PCIe Gen4 x16)",
            source_date="2023-03",
            status="datasheet not retrieved here; values as quoted by secondary pages "
            "(grokipedia, sourcecode.com), dense = half the sparse figure; memory_bytes = "
            "nvidia-smi total 23,034 MiB from public logs (ECC on); interconnect is PCIe Gen4 "
            "x16, one direction",
        ),
        GpuSpec(
            id="l40s",
            name="NVIDIA L40S 48GB",
            memory_bytes=48_305_799_168,
            datasheet_memory="48 GB GDDR6",
            hbm_bandwidth_bytes_per_s=864e9,
            bf16_flops_per_s=362.05e12,
            fp8_flops_per_s=733e12,
            int8_ops_per_s=733e12,
            interconnect_bytes_per_s=32e9,
            source="NVIDIA L40S datasheet (BF16 362.05 / 733 TFLOPS with sparsity; FP8 733 / "
            "1,466; INT8 733 / 1,466 TOPS; 864 GB/s; PCIe Gen4 x16)",
            source_date="2023-08",
            status="datasheet not retrieved here; values from a reproduction of its table "
            "(mullet.se, see shared/reference/gpus.json); memory_bytes = nvidia-smi total "
            "46,068 MiB from public logs (ECC on); interconnect is PCIe Gen4 x16, one direction",
        ),
        GpuSpec(
            id="a10g",
            name="NVIDIA A10G 24GB (AWS G5)",
            memory_bytes=24_146_608_128,
            datasheet_memory="24 GB GDDR6",
            hbm_bandwidth_bytes_per_s=600e9,
            bf16_flops_per_s=70e12,
            interconnect_bytes_per_s=32e9,
            source="AWS EC2 G5 instance page (A10G, 24 GB); 600 GB/s and 70 TFLOPS dense FP16/"
            "BF16 tensor as used by llm-analysis (a10g-pcie-24gb.json)",
            source_date="2021-11",
            status="unconfirmed: NVIDIA publishes no A10G datasheet (AWS-specific part); tensor "
            "peak is a tool value, INT8 left unset; memory_bytes = nvidia-smi total 23,028 MiB "
            "from public logs",
        ),
        GpuSpec(
            id="mi300x",
            name="AMD Instinct MI300X 192GB",
            memory_bytes=205_822_885_888,
            datasheet_memory="192 GB HBM3",
            hbm_bandwidth_bytes_per_s=5.3e12,
            bf16_flops_per_s=1307.4e12,
            fp8_flops_per_s=2614.9e12,
            int8_ops_per_s=2614.9e12,
            interconnect_bytes_per_s=448e9,
            source="AMD Instinct MI300X data sheet (192 GB HBM3, 5.3 TB/s; FP16/BF16 1,307.4 "
            "TFLOPS dense; FP8 and INT8 2,614.9 dense; 7 Infinity Fabric links, 128 GB/s "
            "bidirectional each)",
            source_date="2023-12",
            status="data sheet not retrieved here; dense TFLOPS as quoted by secondary pages "
            "(see shared/reference/gpus.json); memory_bytes = VRAM total that rocm-smi and "
            "hipDeviceProp report in public logs; interconnect = 7 x 64 GB/s one direction",
        ),
        GpuSpec(
            id="tpu-v5e",
            name="Google TPU v5e",
            memory_bytes=17_179_869_184,
            datasheet_memory="16 GiB HBM2",
            hbm_bandwidth_bytes_per_s=819e9,
            bf16_flops_per_s=197e12,
            int8_ops_per_s=394e12,
            interconnect_bytes_per_s=180e9,
            source="Google Cloud TPU v5e documentation (16 GiB HBM2, 819 GB/s, 197 TFLOPS bf16, "
            "394 TOPS int8); Austin et al., How to Scale Your Model, 'How to Think About TPUs' "
            "(ICI 4.5e10 B/s one way per link, 4 links in a 2D torus)",
            source_date="2023-08",
            status="values from the scaling book's table (8.1e11 B/s there, 819 GB/s in Google's "
            "docs); memory_bytes = the datasheet's 16 GiB, not a runtime figure",
        ),
    ]
}


def get_gpu(gpu: str | GpuSpec) -> GpuSpec:
    """Return the catalog entry for ``gpu`` (an ID), or ``gpu`` itself."""
    if isinstance(gpu, GpuSpec):
        return gpu
    return lookup("gpu", gpu, GPUS)  # type: ignore[return-value]
