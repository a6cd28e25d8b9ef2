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
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from servecalc.attention_kinds import kv_layout, layer_kind
from servecalc.gpus import GPUS, get_gpu
from servecalc.kv import kv_bytes_per_token, linear_state_bytes
from servecalc.models import MODELS, get_model
from servecalc.params import active_param_count, param_count
from servecalc.prices import PRICES, RESERVED_DISCOUNT, TIER_NAMES
from servecalc.units import fmt_percent, fmt_bytes, fmt_int, fmt_number, fmt_usd
from servecalc.calibration import MAX_DEPLOYMENTS, MAX_MEASUREMENTS
from servecalc.validate import (ANY_NUMBER, ENGINE_STEPS, MAX_JSON_CHARS, MAX_JSON_DEPTH,
                                limit_rows, show_number)


_URL = re.compile(r"https?://[^\s;,)]+")


def _cell(text: str) -> str:
    """One table cell: pipes escaped, URLs turned into links, no line breaks.

    >>> _cell("a | b https://example.org/x; c")
    'a \\\\| b [example.org/x](https://example.org/x); c'
    """
    text = " ".join(str(text).split()).replace("|", "\\|")
    return _URL.sub(lambda m: f"[{m.group(0).split('://', 1)[1]}]({m.group(0)})", text)


# One column of a table: its header, its alignment ("l", "r" or "c") and the cell of an entry.
_Column = tuple[str, str, Callable[[Any], str]]


def _table(columns: Sequence[_Column], entries: Iterable[Any]) -> str:
    """A Markdown table with one row per entry.

    >>> print(_table([("N", "r", str), ("Twice", "l", lambda n: str(2 * n))], [1, 2]).strip())
    | N | Twice |
    | --: | :-- |
    | 1 | 2 |
    | 2 | 4 |
    """
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [
        "| " + " | ".join(header for header, _, _ in columns) + " |",
        "| " + " | ".join(marks[align] for _, align, _ in columns) + " |",
    ]
    lines += ["| " + " | ".join(_cell(cell(e)) for _, _, cell in columns) + " |" for e in entries]
    return "\n\n" + "\n".join(lines) + "\n\n"


def _sources_table(kind: str, entries: Iterable[Any]) -> str:
    """Name, source, date and status of each catalog entry (models or GPUs)."""
    return _table([
        (kind, "l", lambda e: e.name),
        ("Source", "l", lambda e: e.source),
        ("Date", "l", lambda e: e.source_date),
        ("Status", "l", lambda e: e.status),
    ], entries)


def _attention(spec) -> str:
    """The attention kind and, for mixed models, what each layer type keeps.

    >>> _attention(get_model("gemma-3-27b"))
    'GQA, window 1,024 on 52/62 layers'
    >>> _attention(get_model("qwen3-next-80b-a3b"))
    'GQA on 12/48 layers; linear attention on 36/48 (state 37.69 MiB per sequence)'
    """
    total = spec.num_layers
    text = spec.attention.upper()
    stateful = []
    for name, layers in spec.layer_counts().items():
        kind = layer_kind(name)
        if kind.size_field:
            text += f", {kind.size_words} {fmt_int(kind.size(spec))} on {layers}/{total} layers"
        if not kind.keeps_kv:
            stateful.append(f"{kind.words} on {layers}/{total}")
    if stateful:
        state = fmt_bytes(linear_state_bytes(spec), "MiB")
        text += (f" on {spec.kv_layers}/{total} layers; {', '.join(stateful)} "
                 f"(state {state} per sequence)")
    return text


def _heads(spec) -> str:
    """Query heads / what the cache keeps per layer.

    >>> _heads(get_model("deepseek-v3")), _heads(get_model("llama-3.1-8b"))
    ('128 / latent 512', '32 / 8')
    """
    return f"{spec.num_attention_heads} / {kv_layout(spec).kv_heads(spec)}"


def _params(spec) -> str:
    total = param_count(spec)
    active = active_param_count(spec)
    return fmt_int(total) if active == total else f"{fmt_int(total)} ({fmt_int(active)} active)"


def model_table() -> str:
    """Architecture of every catalog model, with parameter counts and KV per token.

    >>> row = [r for r in model_table().splitlines() if "Llama-2-7B" in r][0]
    >>> row.split(" | ")[7:9]
    ['6,738,415,616', '512 KiB']
    """
    return _table([
        ("Model", "l", lambda m: m.name),
        ("ID", "l", lambda m: f"`{m.id}`"),
        ("Layers", "r", lambda m: fmt_int(m.num_layers)),
        ("Hidden", "r", lambda m: fmt_int(m.hidden_size)),
        ("Query / KV heads", "r", _heads),
        ("Head dim", "r", lambda m: fmt_int(m.head_dim)),
        ("Attention", "l", _attention),
        ("Parameters (active: per token, embeddings included)", "r", _params),
        ("KV per token (bf16)", "r",
         lambda m: fmt_bytes(kv_bytes_per_token(m, "bf16"), "KiB", digits=0)),
        ("Max context (tokens)", "r", lambda m: fmt_int(m.max_position_embeddings)),
    ], MODELS.values())


def model_sources_table() -> str:
    """Where each model's numbers come from, when, and how they were checked.

    >>> "arXiv:2407.21783" in model_sources_table()
    True
    """
    return _sources_table("Model", MODELS.values())


def _tflops(value: float) -> str:
    return fmt_number(value / 1e12, 1) if value > 0 else "none"


def gpu_table() -> str:
    """Every catalog accelerator: memory, bandwidth, dense peaks, ridge point.

    >>> row = [r for r in gpu_table().splitlines() if "H100 SXM5" in r][0]
    >>> "79.18 GiB" in row and "3.35" in row and "989.4" in row
    True
    """
    return _table([
        ("GPU", "l", lambda g: g.name),
        ("ID", "l", lambda g: f"`{g.id}`"),
        ("Memory (runtime total)", "r", lambda g: fmt_bytes(g.memory_bytes, "GiB")),
        ("Memory from", "l", lambda g: g.memory_source),
        ("Datasheet", "l", lambda g: g.datasheet_memory),
        ("Bandwidth (TB/s)", "r", lambda g: fmt_number(g.hbm_bandwidth_bytes_per_s / 1e12, 2)),
        ("BF16 dense (TFLOP/s)", "r", lambda g: _tflops(g.bf16_flops_per_s)),
        ("FP8 dense (TFLOP/s)", "r", lambda g: _tflops(g.fp8_flops_per_s)),
        ("FP4 dense (TFLOP/s)", "r", lambda g: _tflops(g.fp4_flops_per_s)),
        ("INT8 dense (TOP/s)", "r", lambda g: _tflops(g.int8_ops_per_s)),
        ("Interconnect, one way (GB/s)", "r",
         lambda g: fmt_number(g.interconnect_bytes_per_s / 1e9, 0)),
        ("Ridge point, BF16 (FLOP/byte)", "r", lambda g: fmt_number(g.ridge_point("bf16"), 0)),
    ], GPUS.values())


def gpu_sources_table() -> str:
    """Where each GPU's numbers come from, and their status.

    >>> "datasheet" in gpu_sources_table()
    True
    """
    return _sources_table("GPU", GPUS.values())


def price_table() -> str:
    """The catalog's prices, with their tier, provider, date and source.

    >>> "Lambda" in price_table() and "$3.78" in price_table()
    True
    """
    return _table([
        ("Provider", "l", lambda p: p.provider),
        ("Instance", "l", lambda p: p.instance),
        ("GPU", "l", lambda p: f"`{p.gpu}`"),
        ("Tier", "l", lambda p: TIER_NAMES[p.tier] + (f" (range, {p.range_end} end)"
                                                      if p.range_end else "")),
        ("Price per GPU-hour", "r", lambda p: fmt_usd(p.price_usd_per_hour)),
        ("Date", "l", lambda p: p.date),
        ("Source", "l", lambda p: p.source),
        ("Status", "l", lambda p: p.status),
    ], PRICES)


def price_reserved_discount() -> str:
    """The discount range a one-year estimate applies (servecalc.prices.RESERVED_DISCOUNT).

    >>> price_reserved_discount()
    '30 % to 50 %'
    """
    low, high = RESERVED_DISCOUNT
    return f"{fmt_percent(low, 0)} to {fmt_percent(high, 0)}"


def catalog_count(catalog: str) -> str:
    """How many entries a catalog holds: 'models', 'gpus' or 'prices'.

    >>> catalog_count("gpus")
    '20'
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
    rows = [(bounds, what, ", ".join(f"`{n}`" for n in names.split(", ")))
            for names, bounds, what in limit_rows()]
    rows.append((f"at most {show_number(ANY_NUMBER.high)}", "any other number (finite)", ""))
    return _table([
        ("Allowed", "r", lambda r: r[0]),
        ("What", "l", lambda r: r[1]),
        ("Arguments", "l", lambda r: r[2]),
    ], rows)


def input_limits_table() -> str:
    """What the library reads from a file or a pasted box, and how much of it, as a table.

    >>> "| 10,000,000 characters (a file: as many bytes) |" in input_limits_table()
    True
    """
    rows = [
        (f"{MAX_JSON_CHARS:,} characters (a file: as many bytes)",
         "JSON or JSON Lines text: measurements, a calibration, a vLLM result",
         "refused before it is read (a file by its size; a device or a pipe is refused too)"),
        (f"{MAX_JSON_DEPTH} levels", "nesting of JSON arrays and objects",
         "measured in one pass before parsing"),
        (f"{MAX_MEASUREMENTS:,} lines", "measured steps in one calibration",
         "the error names the first line past the limit"),
        (f"{MAX_DEPLOYMENTS}", "deployments (model, GPU, GPU count, precisions) in one calibration",
         ""),
        (f"{ENGINE_STEPS.high:,}", "engine steps in one simulation (a vLLM replay too)",
         "estimated before the run as output tokens over the sequences that fit at once; "
         "a run that records more stops"),
    ]
    return _table([
        ("Allowed", "r", lambda r: r[0]),
        ("What", "l", lambda r: r[1]),
        ("When", "l", lambda r: r[2]),
    ], rows)
