"""One GPU's memory as a bar: weights, the KV cache of the sequences that fit, the rest.

Each bar is one GPU of a tensor-parallel group (every GPU holds the same share),
so bars of different deployments have the same length and can be compared.

>>> html = memory_bars([("bf16", "llama-3.1-8b", "h100-sxm", 1, "bf16", "bf16", 8192)], slug="m")
>>> "weights" in html and "KV cache" in html and "sequences" in html
True
"""

from __future__ import annotations

from collections.abc import Sequence

from servecalc.capacity import fit
from servecalc.gpus import get_gpu
from servecalc.models import get_model
from servecalc.units import fmt_bytes, fmt_int

from .svg import SMALL, WIDTH, Drawing, figure

LEFT, RIGHT, ROW = 4, WIDTH - 4, 78
#: (label, model, GPU, GPUs, weight dtype, KV dtype, context)
Row = tuple[str, str, str, int, str, str, int]


def _gib(n: float) -> str:
    return fmt_bytes(n, "GiB", digits=0) if n >= 9.95 * 2**30 else fmt_bytes(n, "GiB", digits=1)


def _parts(model: str, gpu: str, gpus: int, weight_dtype: str, kv_dtype: str, context: int):
    r = fit(model, gpu, gpus=gpus, context=context, weight_dtype=weight_dtype, kv_dtype=kv_dtype)
    total = get_gpu(gpu).memory_bytes
    weights = r.weight_bytes / gpus
    kv = r.max_batch * r.sequence_kv_bytes_per_gpu
    rest = max(total - weights - kv, 0)
    return r, total, weights, kv, rest


def memory_bars(rows: Sequence[Row], *, slug: str, caption: str = "") -> str:
    """A bar per row: one GPU's weights, the KV cache of the sequences of its context that fit, the rest."""
    drawing = Drawing(WIDTH, 14 + ROW * len(rows), slug=slug, title="", desc="")
    sentences = []
    for i, (label, model, gpu, gpus, weight_dtype, kv_dtype, context) in enumerate(rows):
        r, total, weights, kv, rest = _parts(model, gpu, gpus, weight_dtype, kv_dtype, context)
        y = 4 + i * ROW
        drawing.text(LEFT, y + 13, f"{label}: {fmt_int(r.max_batch)} sequences fit", bold=True)
        scale = (RIGHT - LEFT) / total
        x = LEFT
        for name, size, fill in (("weights", weights, "weights"), ("KV cache", kv, "kv")):
            width = min(size * scale, RIGHT - x)
            drawing.rect(x, y + 20, width, 26, fill=fill)
            if width > 70:
                drawing.text(x + 5, y + 38, name, colour="white", size=SMALL)
            x += width
        drawing.rect(x, y + 20, RIGHT - x, 26)
        legend = (f"weights {_gib(weights)} · KV {_gib(kv)} · other and free {_gib(rest)}"
                  f" of {_gib(total)}")
        drawing.text(LEFT, y + 64, legend if r.fits or r.kv_budget_bytes else
                     f"weights {_gib(weights)} per GPU: no room for the cache", size=SMALL)
        sentences.append(f"{label}: weights {_gib(weights)}, KV cache {_gib(kv)} for {fmt_int(r.max_batch)} "
                         f"sequences, other and free {_gib(rest)}")
    first = rows[0]
    drawing.title = f"Memory of one {get_gpu(first[2]).name} serving {get_model(first[1]).name}"
    contexts = {row[6] for row in rows}
    where = f"Per GPU, sequences of {fmt_int(rows[0][6])} tokens: " if len(contexts) == 1 else "Per GPU: "
    drawing.desc = where + "; ".join(sentences) + "."
    return figure(drawing, caption=caption or (
        "One GPU's memory, to scale: the weights are "
        "fixed, the cache takes what is left within the engine's memory fraction, and the outlined "
        "end is the activation reserve, the fraction held back, and block rounding."))
