"""Exact cases: numbers a source computes from the architecture or publishes as constants."""

from __future__ import annotations

from servecalc.kv import kv_bytes_per_batch, kv_bytes_per_sequence, kv_bytes_per_token
from servecalc.params import active_param_count, param_count, weight_bytes
from servecalc.slo import PRESETS
from servecalc.step import bandwidth_utilization
from servecalc.units import GB, GiB, KiB

from .core import ValidationCase
from .sources import (
    DATABRICKS_MBU,
    DATABRICKS_QUANT,
    DATABRICKS_T3,
    DEEPSEEK_ISCA,
    DEEPSEEK_V3_REPORT,
    MIXTRAL_POST,
    MLPERF_CONF,
    NVIDIA_MASTERING,
    VLLM_PAPER,
)

EXACT: tuple[ValidationCase, ...] = (
    # ---- exact: KV cache sizes ---------------------------------------------------------
    ValidationCase(
        id="nvidia-llama2-7b-kv-per-token",
        description="Llama-2-7B KV cache per token, FP16",
        source=NVIDIA_MASTERING, kind="exact", published_value=524288, unit="B",
        compute=lambda: float(kv_bytes_per_token("llama-2-7b", "fp16")),
        rel_error_bound=0.0, setup="2 x 32 layers x 4096 x 2 bytes",
    ),
    ValidationCase(
        id="nvidia-llama2-7b-kv-4096",
        description="Llama-2-7B KV cache for one 4,096-token sequence, FP16",
        source=NVIDIA_MASTERING, kind="exact", published_value=2, unit="GiB",
        compute=lambda: kv_bytes_per_sequence("llama-2-7b", 4096, "fp16") / GiB,
        rel_error_bound=0.0, setup="batch 1; the blog's '2 GB' is 2 x 2^30 bytes",
    ),
    ValidationCase(
        id="vllm-opt13b-kv-per-token",
        description="OPT-13B KV cache per token, FP16",
        source=VLLM_PAPER, kind="exact", published_value=800, unit="KiB",
        compute=lambda: kv_bytes_per_token("opt-13b", "fp16") / KiB,
        rel_error_bound=0.0,
        setup="2 x 5120 x 40 x 2 = 819,200 B; the paper's '800 KB' is 800 x 1,024 bytes",
    ),
    ValidationCase(
        id="vllm-opt13b-kv-2048",
        description="OPT-13B KV cache for one 2,048-token request, FP16",
        source=VLLM_PAPER, kind="exact", published_value=1.6, unit="GiB",
        compute=lambda: kv_bytes_per_sequence("opt-13b", 2048, "fp16") / GiB,
        rel_error_bound=0.05 / 1.6,
        setup="2,048 x 800 KiB = 1.5625 GiB, printed as '1.6 GB' (two figures: +-0.05)",
    ),
    ValidationCase(
        id="deepseek-v3-mla-kv-per-token",
        description="DeepSeek-V3 (MLA) KV cache per token, BF16",
        source=DEEPSEEK_ISCA, kind="exact", published_value=70272, unit="B",
        compute=lambda: float(kv_bytes_per_token("deepseek-v3", "bf16")),
        rel_error_bound=0.0, setup="'70.272 KB' (decimal kB): (512 + 64) x 61 layers x 2 bytes",
    ),
    ValidationCase(
        id="deepseek-isca-qwen25-72b-kv-per-token",
        description="Qwen-2.5-72B (GQA) KV cache per token, BF16",
        source=DEEPSEEK_ISCA, kind="exact", published_value=327680, unit="B",
        compute=lambda: float(kv_bytes_per_token("qwen2.5-72b", "bf16")),
        rel_error_bound=0.0, setup="'327.680 KB': 2 x 8 KV heads x 128 x 80 layers x 2 bytes",
    ),
    ValidationCase(
        id="deepseek-isca-llama31-405b-kv-per-token",
        description="Llama-3.1-405B (GQA) KV cache per token, BF16",
        source=DEEPSEEK_ISCA, kind="exact", published_value=516096, unit="B",
        compute=lambda: float(kv_bytes_per_token("llama-3.1-405b", "bf16")),
        rel_error_bound=0.0, setup="'516.096 KB': 2 x 8 KV heads x 128 x 126 layers x 2 bytes",
    ),
    ValidationCase(
        id="databricks-llama2-70b-kv-1024-b1",
        description="Llama-2-70B KV cache, 1,024 tokens, batch 1, FP16",
        source=DATABRICKS_T3, kind="exact", published_value=0.312, unit="GiB",
        compute=lambda: kv_bytes_per_batch("llama-2-70b", 1024, 1, "fp16") / GiB,
        rel_error_bound=0.001 / 0.312,
        setup="exactly 0.3125 GiB, printed '.312' (three decimals)",
    ),
    ValidationCase(
        id="databricks-llama2-70b-kv-1024-b16",
        description="Llama-2-70B KV cache, 1,024 tokens, batch 16, FP16",
        source=DATABRICKS_T3, kind="exact", published_value=5, unit="GiB",
        compute=lambda: kv_bytes_per_batch("llama-2-70b", 1024, 16, "fp16") / GiB,
        rel_error_bound=0.0,
    ),
    ValidationCase(
        id="databricks-llama2-70b-kv-1024-b64",
        description="Llama-2-70B KV cache, 1,024 tokens, batch 64, FP16",
        source=DATABRICKS_T3, kind="exact", published_value=20, unit="GiB",
        compute=lambda: kv_bytes_per_batch("llama-2-70b", 1024, 64, "fp16") / GiB,
        rel_error_bound=0.0,
    ),
    ValidationCase(
        id="databricks-llama2-70b-kv-1024-b1-int8",
        description="Llama-2-70B KV cache, 1,024 tokens, batch 1, Int8",
        source=DATABRICKS_T3, kind="exact", published_value=0.156, unit="GiB",
        compute=lambda: kv_bytes_per_batch("llama-2-70b", 1024, 1, "int8") / GiB,
        rel_error_bound=0.001 / 0.156,
        setup="exactly 0.15625 GiB, printed '.156' (three decimals)",
    ),
    # ---- exact: parameters and weights ---------------------------------------------------
    ValidationCase(
        id="mixtral-total-params",
        description="Mixtral-8x7B total parameters",
        source=MIXTRAL_POST, kind="exact", published_value=46.7, unit="billion",
        compute=lambda: param_count("mixtral-8x7b") / 1e9,
        rel_error_bound=0.05 / 46.7, setup="printed to 0.1 B: +-0.05 B",
    ),
    ValidationCase(
        id="mixtral-active-params",
        description="Mixtral-8x7B parameters used per token (2 of 8 experts)",
        source=MIXTRAL_POST, kind="exact", published_value=12.9, unit="billion",
        compute=lambda: active_param_count("mixtral-8x7b") / 1e9,
        rel_error_bound=0.05 / 12.9, setup="embeddings and output head included; +-0.05 B",
    ),
    ValidationCase(
        id="deepseek-v3-total-params",
        description="DeepSeek-V3 total parameters (main model, without the MTP module)",
        source=DEEPSEEK_V3_REPORT, kind="exact", published_value=671, unit="billion",
        compute=lambda: param_count("deepseek-v3") / 1e9,
        rel_error_bound=0.5 / 671,
        setup="printed to 1 B: +-0.5 B; the Hugging Face checkpoint's 685B adds the 14B MTP module",
    ),
    ValidationCase(
        id="databricks-llama2-70b-fp16-weights",
        description="Llama-2-70B weights in Float16",
        source=DATABRICKS_QUANT, kind="exact", published_value=140, unit="GB",
        compute=lambda: weight_bytes("llama-2-70b", "fp16") / GB,
        rel_error_bound=5 / 140,
        setup="'140 GB' is 70 B x 2 bytes at two figures (+-5 GB); the exact count is 68.98 B",
    ),
    ValidationCase(
        id="databricks-mbu-example",
        description="MBU of a 7B FP16 model (14 GB) at 14 ms per token on a 2 TB/s GPU",
        source=DATABRICKS_MBU, kind="exact", published_value=50, unit="%",
        compute=lambda: 100 * bandwidth_utilization(14e9, 0.014, 2e12),
        rel_error_bound=0.0, setup="MBU = (weight + KV bytes) / TPOT / peak bandwidth",
    ),
    # ---- exact: SLO presets ----------------------------------------------------------------
    ValidationCase(
        id="mlperf-llama2-70b-server-ttft",
        description="MLPerf Llama-2-70B server scenario: TTFT limit (p99)",
        source=MLPERF_CONF, kind="exact", published_value=2000, unit="ms",
        compute=lambda: 1000 * PRESETS["mlperf-llama2-70b-server"].ttft_s,
        rel_error_bound=0.0,
    ),
    ValidationCase(
        id="mlperf-llama2-70b-server-tpot",
        description="MLPerf Llama-2-70B server scenario: TPOT limit (p99)",
        source=MLPERF_CONF, kind="exact", published_value=200, unit="ms",
        compute=lambda: 1000 * PRESETS["mlperf-llama2-70b-server"].tpot_s,
        rel_error_bound=0.0,
    ),
    ValidationCase(
        id="mlperf-llama2-70b-interactive-ttft",
        description="MLPerf Llama-2-70B interactive scenario: TTFT limit (p99)",
        source=MLPERF_CONF, kind="exact", published_value=450, unit="ms",
        compute=lambda: 1000 * PRESETS["mlperf-llama2-70b-interactive"].ttft_s,
        rel_error_bound=0.0,
        setup="added in MLPerf Inference v5.0 (mlcommons.org/2025/04/llm-inference-v5)",
    ),
    ValidationCase(
        id="mlperf-llama2-70b-interactive-tpot",
        description="MLPerf Llama-2-70B interactive scenario: TPOT limit (p99)",
        source=MLPERF_CONF, kind="exact", published_value=40, unit="ms",
        compute=lambda: 1000 * PRESETS["mlperf-llama2-70b-interactive"].tpot_s,
        rel_error_bound=0.0,
    ),
)
