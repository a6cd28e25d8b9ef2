"""Placeholders for the reference pages: tables generated from the catalogs.

Each function returns a whole Markdown table. Put the placeholder on a line of
its own, with a blank line before and after, so the table renders. The string
starts and ends with blank lines so that it stays a block of its own even
when the number hook wraps it in a ``span``.

>>> table = model_table()
>>> table.strip().splitlines()[0].startswith("| Model |")
True
>>> "Llama-3.1-70B" in table and "| 80 |" in table
True
>>> "NVIDIA H100 SXM5 80GB" in gpu_table()
True
"""

from __future__ import annotations

import re

from servecalc.gpus import GPUS, get_gpu
from servecalc.kv import kv_bytes_per_token, linear_state_bytes
from servecalc.models import MODELS, get_model
from servecalc.params import active_param_count, param_count
from servecalc.prices import PRICES
from servecalc.units import fmt_bytes, fmt_int, fmt_number, fmt_usd
from servecalc.validate import ANY_NUMBER, limit_rows, show_number

__all__ = [
    "model_table",
    "model_sources_table",
    "gpu_table",
    "gpu_sources_table",
    "price_table",
    "catalog_count",
    "gpu_datasheet_memory",
    "limits_table",
]

_URL = re.compile(r"https?://[^\s;,)]+")


def _cell(text: str) -> str:
    """One table cell: pipes escaped, URLs turned into links, no line breaks.

    >>> _cell("a | b https://example.org/x; c")
    'a \\\\| b [example.org/x](https://example.org/x); c'
    """
    text = " ".join(str(text).split()).replace("|", "\\|")
    return _URL.sub(lambda m: f"[{m.group(0).split('://', 1)[1]}]({m.group(0)})", text)


def _table(header: list[str], align: list[str], rows: list[list[str]]) -> str:
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n\n" + "\n".join(lines) + "\n\n"


def _attention(spec) -> str:
    """The attention kind and, for mixed models, what each layer type keeps.

    >>> _attention(get_model("gemma-3-27b"))
    'GQA, window 1,024 on 52/62 layers'
    >>> _attention(get_model("qwen3-next-80b-a3b"))
    'GQA on 12/48 layers; linear attention on 36/48 (state 37.69 MiB per sequence)'
    """
    counts = spec.layer_counts()
    kind = spec.attention.upper()
    layers = f"/{spec.num_layers} layers"
    if "sliding_attention" in counts:
        kind += f", window {fmt_int(spec.sliding_window)} on {counts['sliding_attention']}{layers}"
    if "chunked_attention" in counts:
        kind += (f", chunks of {fmt_int(spec.attention_chunk_size)} on "
                 f"{counts['chunked_attention']}{layers}")
    if "linear_attention" in counts:
        state = fmt_bytes(linear_state_bytes(spec), "MiB")
        kind += (f" on {spec.kv_layers}/{spec.num_layers} layers; linear attention on "
                 f"{counts['linear_attention']}/{spec.num_layers} (state {state} per sequence)")
    return kind


def model_table() -> str:
    """Architecture of every catalog model, with parameter counts and KV per token.

    >>> row = [r for r in model_table().splitlines() if "Llama-2-7B" in r][0]
    >>> row.split(" | ")[7:9]
    ['6,738,415,616', '512 KiB']
    """
    rows = []
    for spec in MODELS.values():
        heads = f"{spec.num_attention_heads} / {spec.num_kv_heads}"
        if spec.attention == "mla":
            heads = f"{spec.num_attention_heads} / latent {spec.kv_lora_rank}"
        total = param_count(spec)
        active = active_param_count(spec)
        params = fmt_int(total) if active == total else f"{fmt_int(total)} ({fmt_int(active)} active)"
        rows.append([
            spec.name,
            f"`{spec.id}`",
            fmt_int(spec.num_layers),
            fmt_int(spec.hidden_size),
            heads,
            fmt_int(spec.head_dim),
            _attention(spec),
            params,
            fmt_bytes(kv_bytes_per_token(spec, "bf16"), "KiB", digits=0),
            fmt_int(spec.max_position_embeddings),
        ])
    return _table(
        ["Model", "ID", "Layers", "Hidden", "Query / KV heads", "Head dim", "Attention",
         "Parameters (active: per token, embeddings included)", "KV per token (bf16)", "Max context (tokens)"],
        ["l", "l", "r", "r", "r", "r", "l", "r", "r", "r"],
        rows,
    )


def model_sources_table() -> str:
    """Where each model's numbers come from, when, and how they were checked.

    >>> "arXiv:2407.21783" in model_sources_table()
    True
    """
    rows = [[spec.name, spec.source, spec.source_date, spec.status] for spec in MODELS.values()]
    return _table(["Model", "Source", "Date", "Status"], ["l", "l", "l", "l"], rows)


def _tflops(value: float) -> str:
    return fmt_number(value / 1e12, 1) if value > 0 else "none"


def gpu_table() -> str:
    """Every catalog accelerator: memory, bandwidth, dense peaks, ridge point.

    >>> row = [r for r in gpu_table().splitlines() if "H100 SXM5" in r][0]
    >>> "79.18 GiB" in row and "3.35" in row and "989.4" in row
    True
    """
    rows = []
    for gpu in GPUS.values():
        rows.append([
            gpu.name,
            f"`{gpu.id}`",
            fmt_bytes(gpu.memory_bytes, "GiB"),
            gpu.memory_source,
            gpu.datasheet_memory,
            fmt_number(gpu.hbm_bandwidth_bytes_per_s / 1e12, 2),
            _tflops(gpu.bf16_flops_per_s),
            _tflops(gpu.fp8_flops_per_s),
            _tflops(gpu.fp4_flops_per_s),
            _tflops(gpu.int8_ops_per_s),
            fmt_number(gpu.interconnect_bytes_per_s / 1e9, 0),
            fmt_number(gpu.ridge_point("bf16"), 0),
        ])
    return _table(
        ["GPU", "ID", "Memory (runtime total)", "Memory from", "Datasheet", "Bandwidth (TB/s)",
         "BF16 dense (TFLOP/s)", "FP8 dense (TFLOP/s)", "FP4 dense (TFLOP/s)",
         "INT8 dense (TOP/s)", "Interconnect, one way (GB/s)", "Ridge point, BF16 (FLOP/byte)"],
        ["l", "l", "r", "l", "l", "r", "r", "r", "r", "r", "r", "r"],
        rows,
    )


def gpu_sources_table() -> str:
    """Where each GPU's numbers come from, and their status.

    >>> "datasheet" in gpu_sources_table()
    True
    """
    rows = [[g.name, g.source, g.source_date, g.status] for g in GPUS.values()]
    return _table(["GPU", "Source", "Date", "Status"], ["l", "l", "l", "l"], rows)


def price_table() -> str:
    """The example on-demand prices, with provider, date and source.

    >>> "Lambda" in price_table() and "$3.78" in price_table()
    True
    """
    rows = [
        [p.provider, p.instance, f"`{p.gpu}`", fmt_usd(p.price_usd_per_hour), p.date, p.source,
         p.status]
        for p in PRICES
    ]
    return _table(
        ["Provider", "Instance", "GPU", "Price per GPU-hour", "Date", "Source", "Status"],
        ["l", "l", "l", "r", "l", "l", "l"],
        rows,
    )


def catalog_count(catalog: str) -> str:
    """How many entries a catalog holds: 'models', 'gpus' or 'prices'.

    >>> catalog_count("gpus")
    '18'
    >>> catalog_count("cars")
    Traceback (most recent call last):
        ...
    ValueError: catalog must be one of 'models', 'gpus', 'prices', got 'cars'
    """
    sizes = {"models": len(MODELS), "gpus": len(GPUS), "prices": len(PRICES)}
    if catalog not in sizes:
        allowed = ", ".join(repr(k) for k in sizes)
        raise ValueError(f"catalog must be one of {allowed}, got {catalog!r}")
    return fmt_int(sizes[catalog])


def gpu_datasheet_memory(gpu: str) -> str:
    """A GPU's memory as its datasheet labels it (a product label, not a computed size).

    >>> gpu_datasheet_memory("h100-sxm")
    '80 GB HBM3'
    """
    return get_gpu(gpu).datasheet_memory


def limits_table() -> str:
    """The documented input limits of :mod:`servecalc.validate`, as a Markdown table.

    >>> "| 1 ... 1,000,000 | requests in one simulation or workload |" in limits_table()
    True
    """
    rows = [[bounds, what, ", ".join(f"`{n}`" for n in names.split(", "))]
            for names, bounds, what in limit_rows()]
    rows.append([f"at most {show_number(ANY_NUMBER.high)}", "any other number (finite)", ""])
    return _table(["Allowed", "What", "Arguments"], ["r", "l", "l"], rows)
