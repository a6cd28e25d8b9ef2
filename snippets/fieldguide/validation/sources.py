"""Where the published numbers come from, and the one model only they use (MPT-7B)."""

from __future__ import annotations

import dataclasses

from servecalc.models import ModelSpec

from .core import Source

NVIDIA_MASTERING = Source(
    title="NVIDIA Technical Blog, Mastering LLM Techniques: Inference Optimization (2023-11)",
    url="https://developer.nvidia.com/blog/mastering-llm-techniques-inference-optimization/",
    section="KV cache size, Llama 2 7B example (batch 1, 4,096 tokens, FP16)",
)
VLLM_PAPER = Source(
    title="Kwon et al., Efficient Memory Management for Large Language Model Serving with "
    "PagedAttention (vLLM), SOSP 2023, arXiv:2309.06180",
    url="https://arxiv.org/abs/2309.06180",
    section="Section 3, 'Large KV cache'",
)
DEEPSEEK_ISCA = Source(
    title="Zhao et al., Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware "
    "for AI Architectures, ISCA 2025, arXiv:2505.09343",
    url="https://arxiv.org/abs/2505.09343",
    section="Table 1 (KV cache size per token, BF16)",
)
DEEPSEEK_ISCA_MTP = dataclasses.replace(DEEPSEEK_ISCA,
                                        section="Section 2.3.3, 'Multi-Token Prediction'")
SGLANG_SPEC_DOCS = Source(
    title="SGLang documentation, Speculative Decoding (read 2026-12-07)",
    url="https://docs.sglang.ai/backend/speculative_decoding.html",
    section="Performance Highlights: LLaMA-Instruct 3.1 8B on MT-bench, 1 x H100, 158.34 "
    "tokens/s without speculation and 373.25 with EAGLE-3",
)
EAGLE3_PAPER = Source(
    title="Li, Wei, Zhang and Zhang, EAGLE-3: Scaling up Inference Acceleration of Large "
    "Language Models via Training-Time Test, arXiv:2503.01840 (2025)",
    url="https://arxiv.org/abs/2503.01840",
    section="Abstract: 'a 1.38x throughput improvement at a batch size of 64' in SGLang",
)
DEEPSEEK_V3_REPORT = Source(
    title="DeepSeek-AI, DeepSeek-V3 Technical Report, arXiv:2412.19437",
    url="https://arxiv.org/abs/2412.19437",
    section="Abstract ('671B total parameters with 37B activated for each token')",
)
MIXTRAL_POST = Source(
    title="Mistral AI, Mixtral of experts (2023-12-11)",
    url="https://mistral.ai/news/mixtral-of-experts",
    section="'46.7B total parameters but only uses 12.9B parameters per token'",
)
DATABRICKS = "Databricks, LLM Inference Performance Engineering: Best Practices (2023-10)"
DATABRICKS_URL = (
    "https://www.databricks.com/blog/llm-inference-performance-engineering-best-practices"
)
DATABRICKS_T1 = Source(title=DATABRICKS, url=DATABRICKS_URL,
                       section="Table 1: time to first token, 512-token inputs, batch 1")
DATABRICKS_T2 = Source(title=DATABRICKS, url=DATABRICKS_URL,
                       section="Table 2: peak MPT-7B throughput with static batching, "
                       "FasterTransformer, 512 input / 64 output tokens")
DATABRICKS_T3 = Source(title=DATABRICKS, url=DATABRICKS_URL,
                       section="Table 3: KV cache size for Llama-2-70B at 1,024 tokens")
DATABRICKS_MBU = Source(title=DATABRICKS, url=DATABRICKS_URL,
                        section="'Model Bandwidth Utilization (MBU)', worked example")
DATABRICKS_FIG5 = Source(title=DATABRICKS, url=DATABRICKS_URL,
                         section="Latency, Figure 5 text: H100-80GB against A100-40GB, 4 GPUs")
DATABRICKS_QUANT = Source(title=DATABRICKS, url=DATABRICKS_URL,
                          section="'Optimization Case Study: Quantization' (Llama-2-70B in "
                          "Float16 is 140 GB)")
KIPPLY = Source(
    title="kipply, Transformer Inference Arithmetic (2022-03)",
    url="https://kipp.ly/transformer-inference-arithmetic/",
    section="'Comparing against real benchmarks' (13B model, FasterTransformer, A100 40GB); "
    "numbers also tabulated in cli99/llm-analysis examples/fastertransformer/README.md",
)
NIM = Source(
    title="NVIDIA NIM LLMs Benchmarking, Performance (Llama-3.3-70b-instruct, NIM 1.8.0)",
    url="https://docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance",
    section="Llama-3.3-70b-instruct Results, Version 1.8.0, 2 x H100 80G, fp8 TP2, concurrency 1",
)
MLPERF_CONF = Source(
    title="MLCommons MLPerf Inference, loadgen/mlperf.conf",
    url="https://github.com/mlcommons/inference/blob/master/loadgen/mlperf.conf",
    section="llama2-70b(-interactive).Server.ttft_latency / tpot_latency (ms)",
)

#: MPT-7B, used only by Databricks' cases. Architecture from the model's
#: config.json (d_model 4096, n_heads 32, n_layers 32, expansion_ratio 4,
#: vocab_size 50432, no_bias, ALiBi instead of position embeddings, output
#: projection tied to the token embeddings).
MPT_7B = ModelSpec(
    id="mpt-7b",
    name="MPT-7B",
    num_layers=32,
    hidden_size=4096,
    num_attention_heads=32,
    num_kv_heads=32,
    head_dim=128,
    intermediate_size=16384,
    vocab_size=50432,
    tie_word_embeddings=True,
    max_position_embeddings=2048,
    mlp="plain",
    source="https://huggingface.co/mosaicml/mpt-7b/blob/main/config.json",
    source_date="2023-05-05",
    status="values read from public copies of the same config.json (e.g. "
    "OpenVINO/mpt-7b-int8-ov, _name_or_path mosaicml/mpt-7b)",
)


