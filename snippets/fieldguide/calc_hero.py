"""Calculator: the home page's question. A model, a GPU and a context: how many users fit,
how fast each one's answer streams, and what a million tokens cost.

The replica is the smallest tensor-parallel group (1, 2, 4 or 8 GPUs, a
divisor of the model's heads) whose bf16 weights take at most half of its
usable memory, leaving the rest to the cache (failing that, the smallest that
holds one sequence of the context);
every user holds a whole context of KV cache; the answer is the last
:data:`ANSWER_TOKENS` tokens of it. Speed is one decode step with every seat
taken; the price is the catalog's example price per GPU-hour, the GPUs busy all
the time (the [cost chapter](../cost/) adds idle time).

>>> html = hero(model="llama-3.1-8b", gpu="h100-sxm", context=8192)
>>> ["users fit" in html, "ms per token" in html, "per million output tokens" in html]
[True, True, True]
>>> "No group of up to 8" in hero(model="llama-3.1-405b", gpu="l4", context=8192)
True
"""

from __future__ import annotations

from html import escape
from typing import Any

from servecalc.capacity import fit_deployment
from servecalc.cost import cost_per_million_tokens
from servecalc.deployment import Deployment
from servecalc.engines import get_engine
from servecalc.latency import request_latency
from servecalc.models import get_model
from servecalc.prices import get_price
from servecalc.units import fmt_duration, fmt_int, fmt_usd

from .fields import Calculator, context_field, gpu_field, model_field
from .html import note

#: Tensor-parallel groups tried, smallest first.
GROUPS = (1, 2, 4, 8)
#: Tokens of each user's context that are the answer being generated.
ANSWER_TOKENS = 256


def _replica(model: str, gpu: str, context: int):
    """The group the module docstring describes, and what fits on it (None: no group holds
    one sequence)."""
    heads = get_model(model).num_attention_heads
    fitting = []
    for gpus in GROUPS:
        if heads % gpus:
            continue
        d = Deployment(model=model, gpu=gpu, gpus=gpus)
        r = fit_deployment(d, context=context)
        if r.fits:
            if 2 * r.weight_bytes <= r.usable_bytes:
                return d, r
            fitting.append((d, r))
    return fitting[0] if fitting else None


def _big(number: str, label: str) -> str:
    return (f'<p class="hero-result"><span class="hero-number">{escape(number)}</span> '
            f'<span class="hero-label">{escape(label)}</span></p>')


def hero(**v: Any) -> str:
    found = _replica(v["model"], v["gpu"], v["context"])
    if found is None:
        return note(f"No group of up to {GROUPS[-1]} GPUs holds one sequence of "
                    f"{fmt_int(v['context'])} tokens of this model in bf16: try a shorter context or "
                    "a GPU with more memory.", "warning")
    d, r = found
    answer = min(ANSWER_TOKENS, max(1, v["context"] // 2))
    prompt = v["context"] - answer
    lat = request_latency(d, prompt=prompt, output=answer, batch=r.max_batch)
    try:
        price = get_price(d.gpu).price_usd_per_hour
    except ValueError:
        price = None
    results = [_big(fmt_int(r.max_batch), f"users fit, each with {fmt_int(v['context'])} tokens of context"),
               _big(fmt_duration(lat.tpot_s, "ms", 1).removesuffix(" ms"), "ms per token for each of them")]
    if price is not None:
        c = cost_per_million_tokens(d, price_usd_per_hour=price, batch=r.max_batch, prompt=prompt,
                                    output=answer)
        results.append(_big(fmt_usd(c.usd_per_million_output_tokens),
                            f"per million output tokens at {fmt_usd(price)} per GPU-hour"))
    where = f"{d.gpus} × {d.gpu.name}" if d.gpus > 1 else f"one {d.gpu.name}"
    return ('<div class="hero-results">' + "".join(results) + "</div>" + note(
        f"On {where} (the smallest group whose weights leave at least half its memory to the cache), "
        f"bf16 weights and cache, the {get_engine(d.engine).name} preset, every seat taken, "
        "the GPUs busy all the time."))


HERO = Calculator(
    id="hero",
    title="Will it fit, how fast, what it costs",
    fields=[model_field("llama-3.1-70b", custom=False), gpu_field("h100-sxm"),
            context_field(8192, slider=True)],
    compute=hero,
)
