"""Published large-scale expert-parallel throughput, against the step model.

Each case is a deployment that a team ran and published: DeepSeek's own
inference system (the day-6 overview of its open-source week, 2025-03-01,
and the profile data it released), SGLang's replication on 96 H100s
(2025-05-05) and SGLang's decode run on a GB200 NVL72 (2025-06-16). Each
runs prefill and decode on separate units, attention data-parallel and the
routed experts expert-parallel, so a case is one unit timing one kind of
step: a decode step of ``batch_per_gpu`` sequences per GPU that attend to
``context`` tokens each, or a prefill step of ``tokens_per_gpu`` prompt
tokens per GPU in prompts of ``prompt`` tokens. Predicted throughput is the
unit's tokens per step over the step's time (:class:`servecalc.step.StepModel`
under the ``sglang`` preset, no calibration), per node of eight GPUs, or per
GPU where the source reports that.

The H800 that DeepSeek runs on is not in the catalog: it is an H100 SXM with
NVLink cut to 400 GB/s both ways (200 GB/s one way; the DeepSeek-V3 report,
arXiv:2412.19437 section 3.2.2, measures 160 GB/s achievable), so it is built
here from the H100 SXM entry, keyed to the same (Hopper) presets.

>>> c = CASES[0]
>>> c.id, c.unit_gpus, c.measured
('deepseek-blog-decode', 144, 14800.0)
>>> 0.3 < predict(c) / c.measured < 3
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from servecalc.capacity import fit_deployment
from servecalc.deployment import Deployment
from servecalc.gpus import GpuSpec, get_gpu
from servecalc.step import StepModel

ENGINE = "sglang"
DEEPSEEK_DAY6 = ("DeepSeek, 'Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview' "
                 "(open-infra-index, 2025-03-01)",
                 "https://github.com/deepseek-ai/open-infra-index/blob/main/"
                 "202502OpenSourceWeek/day_6_one_more_thing_deepseekV3R1_inference_system_overview.md")
SGLANG_96 = ("The SGLang Team, 'Deploying DeepSeek with PD Disaggregation and Large-scale Expert "
             "Parallelism on 96 H100 GPUs' (LMSYS blog, 2025-05-05)",
             "https://lmsys.org/blog/2025-05-05-large-scale-ep/")
SGLANG_GB200 = ("The SGLang Team, 'Deploying DeepSeek on GB200 NVL72 with PD and Large Scale EP "
                "(Part I)' (LMSYS blog, 2025-06-16)",
                "https://lmsys.org/blog/2025-06-16-gb200-part-1/")


def h800() -> GpuSpec:
    """The H800 SXM: the H100 SXM's memory and peaks, NVLink 400 GB/s both ways.

    >>> h800().interconnect_bytes_per_s / 1e9, h800().scale_out_bytes_per_s / 1e9
    (200.0, 50.0)
    """
    return dataclasses.replace(
        get_gpu("h100-sxm"), name="NVIDIA H800 SXM5 80GB", interconnect_bytes_per_s=200e9,
        network_source="DeepSeek-V3 technical report (arXiv:2412.19437, 2024-12-27), section "
        "3.2.2: H800 NVLink 400 GB/s both ways (160 GB/s achievable), InfiniBand 50 GB/s per GPU")


@dataclass(frozen=True, kw_only=True)
class WideEpCase:
    """One published large-scale expert-parallel run (see the module docstring)."""

    id: str
    description: str
    phase: str                  # "decode" or "prefill"
    gpu: str                    # catalog ID, or "h800"
    unit_gpus: int              # GPUs in the expert-parallel unit (= ep)
    redundant_experts: int
    measured: float             # tokens/s per node (or per GPU: per_gpu)
    per_gpu: bool = False
    batch_per_gpu: int = 0      # decode: sequences per GPU (0: the most the memory holds)
    context: int = 0            # decode: tokens each sequence attends to
    tokens_per_gpu: int = 0     # prefill: prompt tokens per GPU in one step
    prompt: int = 0             # prefill: tokens per prompt
    source: tuple[str, str] = DEEPSEEK_DAY6
    setup: str = ""


CASES: tuple[WideEpCase, ...] = (
    WideEpCase(id="deepseek-blog-decode", description="DeepSeek production decode, 18 H800 "
               "nodes (EP144)", phase="decode", gpu="h800", unit_gpus=144, redundant_experts=32,
               measured=14_800.0, batch_per_gpu=128, context=4_989,
               setup="14.8k output tokens/s per node over a day of production traffic, which "
               "used multi-token prediction (not modelled); 128 sequences per GPU and a mean KV "
               "length of 4,989 tokens as the SGLang team's comparison table gives them; 32 "
               "redundant experts (2 routed experts per GPU)"),
    WideEpCase(id="deepseek-blog-prefill", description="DeepSeek production prefill, 4 H800 "
               "nodes (EP32)", phase="prefill", gpu="h800", unit_gpus=32, redundant_experts=32,
               measured=32_206.0, tokens_per_gpu=16_384, prompt=4_096,
               setup="73.7k input tokens/s per node counting the 56.3 % served from the disk "
               "KV cache; the 32.2k computed tokens/s (the SGLang team's reading) is compared. "
               "16,384 tokens per GPU in prompts of 4,096, as DeepSeek's profile; 32 redundant "
               "experts (9 per GPU)"),
    WideEpCase(id="deepseek-profile-decode", description="DeepSeek profile decode, 16 H800 "
               "nodes (EP128)", phase="decode", gpu="h800", unit_gpus=128, redundant_experts=0,
               measured=18_598.0, batch_per_gpu=128, context=4_096,
               setup="DeepSeek's released profile (deepseek-ai/profile-data, 2025-02-27), as "
               "the SGLang team's table converts it: 128 sequences per GPU at 4,096 tokens; "
               "the SGLang team matches it with multi-token prediction simulated, which the "
               "step model does not count"),
    WideEpCase(id="deepseek-profile-prefill", description="DeepSeek profile prefill, 4 H800 "
               "nodes (EP32)", phase="prefill", gpu="h800", unit_gpus=32, redundant_experts=32,
               measured=62_713.0, tokens_per_gpu=16_384, prompt=4_096,
               setup="DeepSeek's released profile as the SGLang team's table converts it: "
               "16,384 tokens per GPU, prompts of 4,096"),
    WideEpCase(id="sglang-h100-prefill", description="SGLang prefill, 4 H100 nodes (EP32)",
               phase="prefill", gpu="h100-sxm", unit_gpus=32, redundant_experts=32,
               measured=50_302.0, tokens_per_gpu=16_384, prompt=4_096, source=SGLANG_96,
               setup="16,384 tokens per GPU, prompts of 4,096, default expert placement with "
               "EPLB (288 expert slots: 32 redundant)"),
    WideEpCase(id="sglang-h100-prefill-2k", description="SGLang prefill, 2,000-token prompts "
               "(headline)", phase="prefill", gpu="h100-sxm", unit_gpus=32, redundant_experts=32,
               measured=52_300.0, tokens_per_gpu=16_000, prompt=2_000, source=SGLANG_96,
               setup="the headline 52.3k input tokens/s per node for 2,000-token inputs; "
               "tokens per GPU not stated for this length: 8 prompts (16,000 tokens) assumed"),
    WideEpCase(id="sglang-h100-decode", description="SGLang decode, 9 H100 nodes (EP72)",
               phase="decode", gpu="h100-sxm", unit_gpus=72, redundant_experts=32,
               measured=22_282.0, batch_per_gpu=256, context=2_000, source=SGLANG_96,
               setup="256 sequences per GPU at 2,000 tokens (the headline 22.3k output tokens/s "
               "per node); two-batch overlap on; 288 expert slots (4 per GPU)"),
    WideEpCase(id="sglang-gb200-decode", description="SGLang decode, GB200 NVL72, 48 GPUs (EP48)",
               phase="decode", gpu="gb200", unit_gpus=48, redundant_experts=32,
               measured=7_583.0, per_gpu=True, batch_per_gpu=0, context=2_000,
               source=SGLANG_GB200,
               setup="7,583 output tokens/s per GPU at 2,000-token inputs on 12 decode trays "
               "(48 GPUs, all on NVLink); the batch is not published: the largest the KV "
               "memory holds at 2,100 tokens is assumed; 32 redundant experts assumed as on "
               "H100 (288 slots, 6 per GPU)"),
)


def deployment(case: WideEpCase) -> Deployment:
    """The case's unit: DeepSeek-V3 in FP8 (BF16 cache), attention data-parallel, routed
    experts over all its GPUs, under the ``sglang`` preset."""
    gpu = h800() if case.gpu == "h800" else get_gpu(case.gpu)
    return Deployment(model="deepseek-v3", gpu=gpu, gpus=case.unit_gpus, ep=case.unit_gpus,
                      dp_attention=True, redundant_experts=case.redundant_experts,
                      weight_dtype="fp8", kv_dtype="bf16", engine=ENGINE)


def batch_per_gpu(case: WideEpCase) -> int:
    """Decode sequences per GPU: the case's, or the most its memory holds."""
    if case.batch_per_gpu:
        return case.batch_per_gpu
    held = fit_deployment(deployment(case), context=case.context + 100).max_batch
    return held // case.unit_gpus


@lru_cache(maxsize=None)
def predict(case: WideEpCase) -> float:
    """Predicted tokens/s per node of eight GPUs (per GPU for a ``per_gpu`` case)."""
    d = deployment(case)
    sm = StepModel(d)
    n = case.unit_gpus
    if case.phase == "decode":
        b = batch_per_gpu(case) * n
        tokens, seconds = b, sm.terms(b, b * case.context).seconds
    else:
        prompts = case.tokens_per_gpu // case.prompt * n
        tokens = prompts * case.prompt
        seconds = sm.terms(0, 0, [(case.prompt, 0)] * prompts).seconds
    per_gpu = tokens / seconds / n
    return per_gpu if case.per_gpu else 8 * per_gpu


def error(case: WideEpCase) -> float:
    """(predicted - measured) / measured."""
    return predict(case) / case.measured - 1
