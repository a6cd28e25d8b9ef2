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
[('gpt-oss-120b-total-params', 116.83), ('gpt-oss-120b-active-no-embed-params', 5.13)]
>>> all(r.within_bound for r in rows)
True
"""

from __future__ import annotations

from servecalc.models import get_model
from servecalc.params import active_param_count, param_count, weight_bytes
from servecalc.units import GiB

from .core import Source, ValidationCase

_SOURCES = {  # name: (title, url, section)
    "gpt-oss": ("OpenAI, gpt-oss-120b & gpt-oss-20b Model Card, arXiv:2508.10925",
                "https://arxiv.org/abs/2508.10925",
                "Table 1 (parameter counts and checkpoint size; MXFP4 MoE weights)"),
    "qwen3": ("Qwen Team, Qwen3 model cards on Hugging Face (Qwen3-8B, Qwen3-32B, "
              "Qwen3-235B-A22B)", "https://huggingface.co/Qwen/Qwen3-32B",
              "Model Overview ('Number of Parameters' and 'Non-Embedding')"),
    "qwen3-next": ("Qwen Team, Qwen3-Next-80B-A3B-Instruct model card",
                   "https://huggingface.co/Qwen/Qwen3-Next-80B-A3B-Instruct",
                   "Model Overview ('80B in total and 3B activated')"),
    "gemma3": ("Gemma Team, Gemma 3 Technical Report, arXiv:2503.19786",
               "https://arxiv.org/abs/2503.19786",
               "Table 1 (27B: 25,600M non-embedding parameters)"),
    "llama4": ("Meta AI, The Llama 4 herd (2025-04-05)",
               "https://ai.meta.com/blog/llama-4-multimodal-intelligence/",
               "Llama 4 Scout: 17 billion active parameters, 16 experts"),
    "deepseek-r1": ("DeepSeek-AI, DeepSeek-R1, arXiv:2501.12948",
                    "https://arxiv.org/abs/2501.12948",
                    "Built on DeepSeek-V3-Base: 671B total, 37B activated parameters"),
    "kimi-k2": ("Kimi Team, Kimi K2: Open Agentic Intelligence, arXiv:2507.20534",
                "https://arxiv.org/abs/2507.20534",
                "Abstract (1 trillion total parameters, 32 billion activated)"),
}
SOURCES = {name: Source(title=t, url=u, section=sec) for name, (t, u, sec) in _SOURCES.items()}


def _non_embedding(model: str) -> int:
    """Parameters without the embedding table and the output head (Qwen's convention)."""
    spec = get_model(model)
    return param_count(spec) - spec.vocab_size * spec.hidden_size * (
        1 if spec.tie_word_embeddings else 2)


#: What a card counts: (how the case describes it, how the library counts it).
_COUNTS = {
    "total": ("total parameters", param_count),
    "non-embedding": ("non-embedding parameters", _non_embedding),
    "active": ("active parameters", active_param_count),
    "active-no-embed": ("active parameters without the embedding table",
                        lambda m: active_param_count(m, embeddings=False)),
}

_NO_EMBED = "as the card counts active parameters; "
#: model, what is counted, the published figure (billions), its printed step, source, setup
_PARAMETER_ROWS = (
    ("gpt-oss-120b", "total", 116.83, 0.01, "gpt-oss", "printed to 0.01 B"),
    ("gpt-oss-120b", "active-no-embed", 5.13, 0.01, "gpt-oss",
     _NO_EMBED + "printed to 0.01 B"),
    ("gpt-oss-20b", "total", 20.91, 0.01, "gpt-oss", "printed to 0.01 B"),
    ("gpt-oss-20b", "active-no-embed", 3.61, 0.01, "gpt-oss",
     _NO_EMBED + "printed to 0.01 B"),
    ("qwen3-8b", "total", 8.2, 0.1, "qwen3", "printed to 0.1 B"),
    ("qwen3-8b", "non-embedding", 6.95, 0.01, "qwen3", "printed to 0.01 B"),
    ("qwen3-32b", "total", 32.8, 0.1, "qwen3", "printed to 0.1 B"),
    ("qwen3-32b", "non-embedding", 31.2, 0.1, "qwen3", "printed to 0.1 B"),
    ("qwen3-235b-a22b", "total", 235, 1, "qwen3", "printed to 1 B"),
    ("qwen3-235b-a22b", "non-embedding", 234, 1, "qwen3", "printed to 1 B"),
    ("qwen3-235b-a22b", "active", 22, 1, "qwen3",
     "8 of 128 experts per token, embeddings included; printed to 1 B"),
    ("qwen3-next-80b-a3b", "total", 80, 1, "qwen3-next",
     "printed to 1 B; the multi-token-prediction layer is not counted"),
    ("gemma-3-27b", "non-embedding", 25.6, 0.001, "gemma3",
     "printed in millions (25,600M); the language model only"),
    ("llama-4-scout", "active", 17, 1, "llama4",
     "one routed and one shared expert per token, embeddings included; printed to 1 B "
     "(the total, 109B, includes the vision encoder, which is not counted here)"),
    ("deepseek-r1", "total", 671, 1, "deepseek-r1",
     "the DeepSeek-V3 architecture, without the 14B MTP module; printed to 1 B"),
    ("deepseek-r1", "active-no-embed", 37, 1, "deepseek-r1",
     "8 of 256 routed experts and one shared (with the embedding table, 37.6 B, which "
     "would print as 38); printed to 1 B"),
    ("kimi-k2", "total", 1000, 100, "kimi-k2", "'1 trillion', one significant figure"),
)


def _parameter_case(model: str, what: str, published: float, step: float, source: str,
                    setup: str) -> ValidationCase:
    label, count = _COUNTS[what]
    return ValidationCase(
        id=f"{model}-{what}-params",
        description=f"{get_model(model).name} {label}",
        source=SOURCES[source], kind="exact", published_value=published, unit="billion",
        compute=lambda: count(model) / 1e9, rel_error_bound=step / 2 / published, setup=setup,
    )


_CHECKPOINT_SETUP = (
    "expert matrices in MXFP4 (4.25 bits per weight with an E8M0 scale per 32); attention, "
    "router, embeddings and output head in bf16, as the checkpoint's modules_to_not_convert; "
    "printed to 0.1 GiB"
)


def _checkpoint_case(model: str, published: float) -> ValidationCase:
    return ValidationCase(
        id=f"{model}-checkpoint", description=f"{model} checkpoint size (MXFP4 experts)",
        source=SOURCES["gpt-oss"], kind="exact", published_value=published, unit="GiB",
        compute=lambda: weight_bytes(model, "mxfp4", quantize=["experts"]) / GiB,
        rel_error_bound=0.05 / published, setup=_CHECKPOINT_SETUP,
    )


CARD_CASES: tuple[ValidationCase, ...] = (
    *(_parameter_case(*row) for row in _PARAMETER_ROWS),
    _checkpoint_case("gpt-oss-120b", 60.8),
    _checkpoint_case("gpt-oss-20b", 12.8),
)
