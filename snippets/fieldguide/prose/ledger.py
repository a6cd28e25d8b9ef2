"""Placeholders for the accuracy page's public ledger (:mod:`fieldguide.validation.ledger`).

The ledger is computed once per build (or per process) and shared by every
placeholder below.

>>> ledger_count("rows") == ledger_count("expressible")
False
>>> ledger_targets().strip().splitlines()[0]
'| Target | Bound | Entries | Median error | Leave one out | Met |'
"""

from __future__ import annotations

import math
from functools import lru_cache

from servecalc.units import fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice
from fieldguide.validation.ledger import TARGETS, Entry, build, by_source, predictor, targets
from fieldguide.validation.serving import KINDS, METRICS, load

#: How each metric is named in the tables, and its unit.
_METRIC = {
    "output_tokens_per_s_per_gpu": ("output tokens/s per GPU", "tok/s"),
    "tpot_ms_mean": ("mean TPOT", "ms"),
    "ttft_ms_mean": ("mean TTFT", "ms"),
    "interactivity_tokens_per_s_per_user": ("tokens/s per user (median)", "tok/s"),
}
_KIND = {"max_throughput": "max throughput", "fixed_concurrency": "fixed concurrency"}
_COUNTS = ("rows", "expressible", "entries", "predicted", "sources", "fixed_concurrency",
           "max_throughput")


@lru_cache(maxsize=1)
def _entries() -> tuple[Entry, ...]:
    predict, loo, _ = predictor()
    return build(predict, loo)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _value(value: float, unit: str) -> str:
    """Four significant figures, trailing zeros dropped, and the unit.

    >>> _value(28312.0, "tok/s"), _value(7.18345, "ms"), _value(0.5, "ms")
    ('28,312 tok/s', '7.183 ms', '0.5 ms')
    """
    digits = max(0, 3 - math.floor(math.log10(abs(value)))) if value else 0
    text = fmt_number(value, digits)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}"


def _pct(value: float | None) -> str:
    return "–" if value is None else fmt_percent(value)


def _setting(row: dict) -> str:
    """Model, GPUs and layout, precision, engine, lengths, concurrency, in one cell."""
    layout = f"TP{row['tp']}" + (f" EP{row['ep']}" if row["ep"] else "")
    if row.get("pp", 1) > 1:
        layout += f" PP{row['pp']}"
    precision = row["weight_precision"] + (f", KV {row['kv_precision']}" if row["kv_precision"] else "")
    text = (f"{row['model_name']}, {row['gpus']} × {row['gpu']} {layout}, {precision}, "
            f"{row['engine']}, {fmt_int(row['input_tokens'])} in / {fmt_int(row['output_tokens'])} out")
    if row["concurrency"]:
        n = row["concurrency"]
        text += f", {fmt_int(n)} client{'s' if n > 1 else ''}"
    return _cell(text)


def _source(row: dict) -> str:
    title = row["source"]["title"].split(" (")[0]
    return f"[{_cell(title)}]({row['source']['url']}), {row['source']['date']}"


def ledger_count(what: str = "rows") -> str:
    """How many published rows ('rows'), how many the library expresses ('expressible'),
    metric entries ('entries'), entries predicted ('predicted'), sources ('sources'), or
    rows of one kind ('max_throughput', 'fixed_concurrency').

    >>> int(ledger_count("rows").replace(",", "")) >= 100
    True
    """
    choice("what", what, _COUNTS)
    rows, entries = load(), _entries()
    count = {
        "rows": len(rows),
        "expressible": sum(r["expressible"] for r in rows),
        "entries": len(entries),
        "predicted": sum(e.error is not None for e in entries),
        "sources": len({r["source"]["title"] for r in rows}),
    }.get(what)
    if count is None:
        count = sum(r["kind"] == what for r in rows)
    return fmt_int(count)


def ledger_predictor() -> str:
    """What made the predictions: the engine presets, or today's single set of defaults.

    >>> len(ledger_predictor()) > 20
    True
    """
    return predictor()[2]


def ledger_targets() -> str:
    """The stated targets with the ledger's median errors, met or not (a table)."""
    lines = ["| Target | Bound | Entries | Median error | Leave one out | Met |",
             "| :-- | --: | --: | --: | --: | :-: |"]
    for s in targets(_entries()):
        lines.append(f"| {s.target.label} | {fmt_percent(s.target.bound, 0)} | "
                     f"{fmt_int(s.predicted)} | {_pct(s.median)} | {_pct(s.loo_median)} | "
                     f"{'yes' if s.met else '**no**'} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def ledger_by_source() -> str:
    """Median absolute error per source, kind of run and metric (a table).

    >>> "InferenceX" in ledger_by_source()
    True
    """
    urls = {r["source"]["title"]: r["source"]["url"] for r in load()}
    lines = ["| Source | Run | Metric | Entries | Median error |", "| :-- | :-- | :-- | --: | --: |"]
    for title, kind, metric, n, med in by_source(_entries()):
        lines.append(f"| [{_cell(title)}]({urls[title]}) | {_KIND[kind]} | {_METRIC[metric][0]} | "
                     f"{fmt_int(n)} | {_pct(med)} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def ledger_table(kind: str) -> str:
    """Every predicted entry of one kind of run: setting, source, metric, measured,
    predicted, error, and the error when the row was left out of the fit."""
    choice("kind", kind, KINDS)
    lines = ["| Setting | Source | Metric | Measured | Predicted | Error | Left out |",
             "| :-- | :-- | :-- | --: | --: | --: | --: |"]
    for e in _entries():
        if e.row["kind"] != kind or e.predicted is None:
            continue
        name, unit = _METRIC[e.metric]
        lines.append(f"| {_setting(e.row)} | {_source(e.row)} | {name} | "
                     f"{_value(e.measured, unit)} | {_value(e.predicted, unit)} | "
                     f"{_pct(e.error)} | {_pct(e.loo_error)} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def ledger_fit() -> str:
    """The fitted presets: per (engine, GPU generation, compute precision, architecture)
    the rows fitted, MBU, MFU, the multiplier on the documented per-layer costs, and the
    request overhead (per request, plus per request already outstanding when it is sent;
    the engine's pooled one where the group has no fixed-concurrency runs). A table;
    empty where nothing was fitted.

    >>> ledger_fit().strip().splitlines()[0]
    '| Engine | Generation | Precision | Model | Rows | MBU | MFU | Per-layer costs | Request overhead | Per outstanding request |'
    """
    fit = _fit()
    lines = ["| Engine | Generation | Precision | Model | Rows | MBU | MFU | Per-layer costs | "
             "Request overhead | Per outstanding request |",
             "| :-- | :-- | :-- | :-- | --: | --: | --: | --: | --: | --: |"]
    for g in (fit or {}).get("groups", []):
        request = g.get("request") or fit["request_s"].get(g["engine"])
        cells = (["–", "–"] if request is None else
                 [fmt_number(1000 * request["request_overhead_s"], 0) + " ms",
                  fmt_number(1000 * request["request_overhead_per_outstanding_s"], 1) + " ms"])
        if request is not None and "request" not in g:
            cells = [c + " (pooled)" for c in cells]
        lines.append(f"| {g['engine']} | {g['generation']} | {g['precision']} | "
                     f"{g['architecture']} | {fmt_int(len(g['rows']))} | "
                     f"{fmt_number(g['mbu'], 2)} | {fmt_number(g['mfu'], 2)} | "
                     f"{fmt_number(g['fixed'], 2)} × | {cells[0]} | {cells[1]} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def _fit() -> dict | None:
    import json
    from importlib import resources

    path = resources.files("servecalc.catalog").joinpath("engine_fit.json")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def ledger_unexpressed() -> str:
    """The rows the library does not predict, with what was measured and why (a table).

    >>> "pipeline parallelism" in ledger_unexpressed()
    True
    """
    lines = ["| Setting | Source | Measured | Why not predicted |", "| :-- | :-- | :-- | :-- |"]
    seen: dict[str, list[Entry]] = {}
    for e in _entries():
        if e.predicted is None:
            seen.setdefault(e.row["id"], []).append(e)
    for group in seen.values():
        row = group[0].row
        measured = "; ".join(f"{_METRIC[e.metric][0]} {_value(e.measured, _METRIC[e.metric][1])}"
                             for e in group)
        lines.append(f"| {_setting(row)} | {_source(row)} | {measured} | {_cell(group[0].reason)} |")
    return "\n\n" + "\n".join(lines) + "\n\n"


assert set(_METRIC) == set(METRICS)


#: The two panels of the ledger's chart: metrics measured in tokens per second, and in milliseconds.
_PANELS = {
    "throughput": ("tok/s", ("output_tokens_per_s_per_gpu", "interactivity_tokens_per_s_per_user")),
    "latency": ("ms", ("tpot_ms_mean", "ttft_ms_mean")),
}


def ledger_chart(panel: str) -> str:
    """Predicted against measured for every predicted ledger entry of ``panel`` ('throughput' or
    'latency'), log-log, with the loosest stated target of its metrics as the band (a figure).

    A fitted preset's entry is plotted at its leave-one-out prediction (a fit that never saw it).

    >>> html = ledger_chart("latency")
    >>> html.startswith("<figure"), "mean TPOT" in html
    (True, True)
    """
    from fieldguide.diagrams.scatter import predicted_vs_measured

    choice("panel", panel, tuple(_PANELS))
    unit, metrics = _PANELS[panel]
    series: dict[str, list[tuple[float, float]]] = {}
    errors: list[float] = []
    for e in _entries():
        if e.metric not in metrics or e.predicted is None:
            continue
        predicted = e.loo_predicted if e.loo_predicted is not None else e.predicted
        series.setdefault(_METRIC[e.metric][0], []).append((e.measured, predicted))
        errors.append(abs(predicted - e.measured) / e.measured)
    band = max(t.bound for t in TARGETS if t.metric in metrics)
    inside = sum(err <= band for err in errors)
    errors.sort()
    median = errors[len(errors) // 2] if len(errors) % 2 else (errors[len(errors) // 2 - 1] + errors[len(errors) // 2]) / 2
    names = " and ".join(series)
    return predicted_vs_measured(
        series, unit=unit, band=band, slug=f"ledger-{panel}",
        title=f"Predicted against measured: {names}",
        desc=(f"{fmt_int(len(errors))} published measurements of {names}, each plotted at the "
              f"library's prediction against the measured value, on log-log axes. "
              f"{fmt_int(inside)} lie within ±{fmt_percent(band, 0)} of the measurement; the median "
              f"error is {fmt_percent(median)}."),
        caption=(f"{names}: {fmt_int(inside)} of {fmt_int(len(errors))} published measurements within "
                 f"±{fmt_percent(band, 0)} (dashed), median error {fmt_percent(median)}. Dots above "
                 "the solid diagonal are over-predictions."))
