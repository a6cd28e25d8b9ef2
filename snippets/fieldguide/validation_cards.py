"""Published model-card and paper figures for the 2025 catalog entries.

Parameter counts and checkpoint sizes that the model's own card or paper
prints, each checked to the card's rounding (half a unit of its last printed
digit). They join :data:`fieldguide.validation.CASES`.

Conventions the cards use, stated in each case's setup: vision encoders and
multi-token-prediction modules are never counted here; gpt-oss's card counts
active parameters without the input embedding table; Qwen's "non-embedding"
count leaves out both the embedding table and the output head.

>>> from fieldguide.validation import evaluate
>>> rows = evaluate(CARD_CASES)
>>> [(r.id, round(r.library_value, 2)) for r in rows][:2]
[('gpt-oss-120b-total-params', 116.83), ('gpt-oss-120b-active-params', 5.13)]
>>> all(r.within_bound for r in rows)
True
"""

from __future__ import annotations

from servecalc.models import get_model
from servecalc.params import active_param_count, param_count, weight_bytes
from servecalc.units import GiB

from .validation_case import Source, ValidationCase

GPT_OSS_CARD = Source(
    title="OpenAI, gpt-oss-120b & gpt-oss-20b Model Card, arXiv:2508.10925",
    url="https://arxiv.org/abs/2508.10925",
    section="Table 1 (parameter counts and checkpoint size; MXFP4 MoE weights)",
)
QWEN3_CARDS = Source(
    title="Qwen Team, Qwen3 model cards on Hugging Face (Qwen3-8B, Qwen3-32B, Qwen3-235B-A22B)",
    url="https://huggingface.co/Qwen/Qwen3-32B",
    section="Model Overview ('Number of Parameters' and 'Non-Embedding')",
)
QWEN3_NEXT_CARD = Source(
    title="Qwen Team, Qwen3-Next-80B-A3B-Instruct model card",
    url="https://huggingface.co/Qwen/Qwen3-Next-80B-A3B-Instruct",
    section="Model Overview ('80B in total and 3B activated')",
)
GEMMA3_REPORT = Source(
    title="Gemma Team, Gemma 3 Technical Report, arXiv:2503.19786",
    url="https://arxiv.org/abs/2503.19786",
    section="Table 1 (27B: 25,600M non-embedding parameters)",
)
LLAMA4_POST = Source(
    title="Meta AI, The Llama 4 herd (2025-04-05)",
    url="https://ai.meta.com/blog/llama-4-multimodal-intelligence/",
    section="Llama 4 Scout: 17 billion active parameters, 16 experts",
)
DEEPSEEK_R1 = Source(
    title="DeepSeek-AI, DeepSeek-R1, arXiv:2501.12948",
    url="https://arxiv.org/abs/2501.12948",
    section="Built on DeepSeek-V3-Base: 671B total, 37B activated parameters",
)
KIMI_K2 = Source(
    title="Kimi Team, Kimi K2: Open Agentic Intelligence, arXiv:2507.20534",
    url="https://arxiv.org/abs/2507.20534",
    section="Abstract (1 trillion total parameters, 32 billion activated)",
)


def _billions(count: int) -> float:
    return count / 1e9


def _non_embedding(model: str) -> float:
    """Parameters without the embedding table and the output head (Qwen's convention)."""
    spec = get_model(model)
    tables = spec.vocab_size * spec.hidden_size * (1 if spec.tie_word_embeddings else 2)
    return _billions(param_count(spec) - tables)


def _params(model: str, what: str, published: float, digits: float, source: Source,
            setup: str, compute) -> ValidationCase:
    return ValidationCase(
        id=f"{model}-{what}-params", description=f"{get_model(model).name} {what} parameters",
        source=source, kind="exact", published_value=published, unit="billion",
        compute=compute, rel_error_bound=digits / 2 / published, setup=setup,
    )


_NO_EMBED = "the input embedding table left out, as the card counts active parameters"
CARD_CASES: tuple[ValidationCase, ...] = (
    _params("gpt-oss-120b", "total", 116.83, 0.01, GPT_OSS_CARD, "printed to 0.01 B",
            lambda: _billions(param_count("gpt-oss-120b"))),
    _params("gpt-oss-120b", "active", 5.13, 0.01, GPT_OSS_CARD, _NO_EMBED,
            lambda: _billions(active_param_count("gpt-oss-120b", embeddings=False))),
    _params("gpt-oss-20b", "total", 20.91, 0.01, GPT_OSS_CARD, "printed to 0.01 B",
            lambda: _billions(param_count("gpt-oss-20b"))),
    _params("gpt-oss-20b", "active", 3.61, 0.01, GPT_OSS_CARD, _NO_EMBED,
            lambda: _billions(active_param_count("gpt-oss-20b", embeddings=False))),
    ValidationCase(
        id="gpt-oss-120b-checkpoint", description="gpt-oss-120b checkpoint size (MXFP4 experts)",
        source=GPT_OSS_CARD, kind="exact", published_value=60.8, unit="GiB",
        compute=lambda: weight_bytes("gpt-oss-120b", "mxfp4", quantize=["experts"]) / GiB,
        rel_error_bound=0.05 / 60.8,
        setup="expert matrices in MXFP4 (4.25 bits per weight with E8M0 scales per 32); "
        "attention, router, embeddings and output head in bf16, as the checkpoint's "
        "modules_to_not_convert; printed to 0.1 GiB",
    ),
    ValidationCase(
        id="gpt-oss-20b-checkpoint", description="gpt-oss-20b checkpoint size (MXFP4 experts)",
        source=GPT_OSS_CARD, kind="exact", published_value=12.8, unit="GiB",
        compute=lambda: weight_bytes("gpt-oss-20b", "mxfp4", quantize=["experts"]) / GiB,
        rel_error_bound=0.05 / 12.8, setup="as for gpt-oss-120b; printed to 0.1 GiB",
    ),
    _params("qwen3-8b", "total", 8.2, 0.1, QWEN3_CARDS, "printed to 0.1 B",
            lambda: _billions(param_count("qwen3-8b"))),
    _params("qwen3-8b", "non-embedding", 6.95, 0.01, QWEN3_CARDS, "printed to 0.01 B",
            lambda: _non_embedding("qwen3-8b")),
    _params("qwen3-32b", "total", 32.8, 0.1, QWEN3_CARDS, "printed to 0.1 B",
            lambda: _billions(param_count("qwen3-32b"))),
    _params("qwen3-32b", "non-embedding", 31.2, 0.1, QWEN3_CARDS, "printed to 0.1 B",
            lambda: _non_embedding("qwen3-32b")),
    _params("qwen3-235b-a22b", "total", 235, 1, QWEN3_CARDS, "printed to 1 B",
            lambda: _billions(param_count("qwen3-235b-a22b"))),
    _params("qwen3-235b-a22b", "non-embedding", 234, 1, QWEN3_CARDS, "printed to 1 B",
            lambda: _non_embedding("qwen3-235b-a22b")),
    _params("qwen3-235b-a22b", "active", 22, 1, QWEN3_CARDS,
            "8 of 128 experts per token, embeddings included; printed to 1 B",
            lambda: _billions(active_param_count("qwen3-235b-a22b"))),
    _params("qwen3-next-80b-a3b", "total", 80, 1, QWEN3_NEXT_CARD,
            "printed to 1 B; the multi-token-prediction layer is not counted",
            lambda: _billions(param_count("qwen3-next-80b-a3b"))),
    _params("gemma-3-27b", "non-embedding", 25.6, 0.001, GEMMA3_REPORT,
            "printed in millions (25,600M); the language model only",
            lambda: _non_embedding("gemma-3-27b")),
    _params("llama-4-scout", "active", 17, 1, LLAMA4_POST,
            "one routed and one shared expert per token, embeddings included; printed to 1 B "
            "(the total, 109B, includes the vision encoder, which is not counted here)",
            lambda: _billions(active_param_count("llama-4-scout"))),
    _params("deepseek-r1", "total", 671, 1, DEEPSEEK_R1,
            "the DeepSeek-V3 architecture, without the 14B MTP module; printed to 1 B",
            lambda: _billions(param_count("deepseek-r1"))),
    _params("deepseek-r1", "active", 37, 1, DEEPSEEK_R1,
            "8 of 256 routed experts and one shared; the input embedding table left out "
            "(with it, 37.6 B, which would print as 38); printed to 1 B",
            lambda: _billions(active_param_count("deepseek-r1", embeddings=False))),
    _params("kimi-k2", "total", 1000, 100, KIMI_K2, "'1 trillion', one significant figure",
            lambda: _billions(param_count("kimi-k2"))),
)
