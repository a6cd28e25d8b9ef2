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

#: id, description, source, published value, unit, the library's value in that unit,
#: relative error bound, setup (the conditions the source states)
_ROWS = (
    # ---- exact: KV cache sizes ---------------------------------------------------------
    ("nvidia-llama2-7b-kv-per-token", "Llama-2-7B KV cache per token, FP16", NVIDIA_MASTERING,
     524288, "B", lambda: float(kv_bytes_per_token("llama-2-7b", "fp16")), 0.0,
     "2 x 32 layers x 4096 x 2 bytes"),
    ("nvidia-llama2-7b-kv-4096", "Llama-2-7B KV cache for one 4,096-token sequence, FP16",
     NVIDIA_MASTERING, 2, "GiB", lambda: kv_bytes_per_sequence("llama-2-7b", 4096, "fp16") / GiB,
     0.0, "batch 1; the blog's '2 GB' is 2 x 2^30 bytes"),
    ("vllm-opt13b-kv-per-token", "OPT-13B KV cache per token, FP16", VLLM_PAPER, 800, "KiB",
     lambda: kv_bytes_per_token("opt-13b", "fp16") / KiB, 0.0,
     "2 x 5120 x 40 x 2 = 819,200 B; the paper's '800 KB' is 800 x 1,024 bytes"),
    ("vllm-opt13b-kv-2048", "OPT-13B KV cache for one 2,048-token request, FP16", VLLM_PAPER, 1.6,
     "GiB", lambda: kv_bytes_per_sequence("opt-13b", 2048, "fp16") / GiB, 0.05 / 1.6,
     "2,048 x 800 KiB = 1.5625 GiB, printed as '1.6 GB' (two figures: +-0.05)"),
    ("deepseek-v3-mla-kv-per-token", "DeepSeek-V3 (MLA) KV cache per token, BF16", DEEPSEEK_ISCA,
     70272, "B", lambda: float(kv_bytes_per_token("deepseek-v3", "bf16")), 0.0,
     "'70.272 KB' (decimal kB): (512 + 64) x 61 layers x 2 bytes"),
    ("deepseek-isca-qwen25-72b-kv-per-token", "Qwen-2.5-72B (GQA) KV cache per token, BF16",
     DEEPSEEK_ISCA, 327680, "B", lambda: float(kv_bytes_per_token("qwen2.5-72b", "bf16")), 0.0,
     "'327.680 KB': 2 x 8 KV heads x 128 x 80 layers x 2 bytes"),
    ("deepseek-isca-llama31-405b-kv-per-token", "Llama-3.1-405B (GQA) KV cache per token, BF16",
     DEEPSEEK_ISCA, 516096, "B", lambda: float(kv_bytes_per_token("llama-3.1-405b", "bf16")), 0.0,
     "'516.096 KB': 2 x 8 KV heads x 128 x 126 layers x 2 bytes"),
    ("databricks-llama2-70b-kv-1024-b1", "Llama-2-70B KV cache, 1,024 tokens, batch 1, FP16",
     DATABRICKS_T3, 0.312, "GiB", lambda: kv_bytes_per_batch("llama-2-70b", 1024, 1, "fp16") / GiB,
     0.001 / 0.312, "exactly 0.3125 GiB, printed '.312' (three decimals)"),
    ("databricks-llama2-70b-kv-1024-b16", "Llama-2-70B KV cache, 1,024 tokens, batch 16, FP16",
     DATABRICKS_T3, 5, "GiB", lambda: kv_bytes_per_batch("llama-2-70b", 1024, 16, "fp16") / GiB,
     0.0, ""),
    ("databricks-llama2-70b-kv-1024-b64", "Llama-2-70B KV cache, 1,024 tokens, batch 64, FP16",
     DATABRICKS_T3, 20, "GiB", lambda: kv_bytes_per_batch("llama-2-70b", 1024, 64, "fp16") / GiB,
     0.0, ""),
    ("databricks-llama2-70b-kv-1024-b1-int8", "Llama-2-70B KV cache, 1,024 tokens, batch 1, Int8",
     DATABRICKS_T3, 0.156, "GiB", lambda: kv_bytes_per_batch("llama-2-70b", 1024, 1, "int8") / GiB,
     0.001 / 0.156, "exactly 0.15625 GiB, printed '.156' (three decimals)"),
    # ---- exact: parameters and weights ---------------------------------------------------
    ("mixtral-total-params", "Mixtral-8x7B total parameters", MIXTRAL_POST, 46.7, "billion",
     lambda: param_count("mixtral-8x7b") / 1e9, 0.05 / 46.7, "printed to 0.1 B: +-0.05 B"),
    ("mixtral-active-params", "Mixtral-8x7B parameters used per token (2 of 8 experts)",
     MIXTRAL_POST, 12.9, "billion", lambda: active_param_count("mixtral-8x7b") / 1e9, 0.05 / 12.9,
     "embeddings and output head included; +-0.05 B"),
    ("deepseek-v3-total-params",
     "DeepSeek-V3 total parameters (main model, without the MTP module)", DEEPSEEK_V3_REPORT, 671,
     "billion", lambda: param_count("deepseek-v3") / 1e9, 0.5 / 671,
     "printed to 1 B: +-0.5 B; the Hugging Face checkpoint's 685B adds the 14B MTP module"),
    ("databricks-llama2-70b-fp16-weights", "Llama-2-70B weights in Float16", DATABRICKS_QUANT, 140,
     "GB", lambda: weight_bytes("llama-2-70b", "fp16") / GB, 5 / 140,
     "'140 GB' is 70 B x 2 bytes at two figures (+-5 GB); the exact count is 68.98 B"),
    ("databricks-mbu-example", "MBU of a 7B FP16 model (14 GB) at 14 ms per token on a 2 TB/s GPU",
     DATABRICKS_MBU, 50, "%", lambda: 100 * bandwidth_utilization(14e9, 0.014, 2e12), 0.0,
     "MBU = (weight + KV bytes) / TPOT / peak bandwidth"),
    # ---- exact: SLO presets ----------------------------------------------------------------
    ("mlperf-llama2-70b-server-ttft", "MLPerf Llama-2-70B server scenario: TTFT limit (p99)",
     MLPERF_CONF, 2000, "ms", lambda: 1000 * PRESETS["mlperf-llama2-70b-server"].ttft_s, 0.0, ""),
    ("mlperf-llama2-70b-server-tpot", "MLPerf Llama-2-70B server scenario: TPOT limit (p99)",
     MLPERF_CONF, 200, "ms", lambda: 1000 * PRESETS["mlperf-llama2-70b-server"].tpot_s, 0.0, ""),
    ("mlperf-llama2-70b-interactive-ttft",
     "MLPerf Llama-2-70B interactive scenario: TTFT limit (p99)", MLPERF_CONF, 450, "ms",
     lambda: 1000 * PRESETS["mlperf-llama2-70b-interactive"].ttft_s, 0.0,
     "added in MLPerf Inference v5.0 (mlcommons.org/2025/04/llm-inference-v5)"),
    ("mlperf-llama2-70b-interactive-tpot",
     "MLPerf Llama-2-70B interactive scenario: TPOT limit (p99)", MLPERF_CONF, 40, "ms",
     lambda: 1000 * PRESETS["mlperf-llama2-70b-interactive"].tpot_s, 0.0, ""),
)

EXACT: tuple[ValidationCase, ...] = tuple(
    ValidationCase(id=case_id, description=description, source=source, kind="exact",
                   published_value=value, unit=unit, compute=compute, rel_error_bound=bound,
                   setup=setup)
    for case_id, description, source, value, unit, compute, bound, setup in _ROWS
)
