"""Placeholders for expert parallelism on the accuracy page: the wide-EP cases and
the ledger rows run with expert parallelism (the topology chapter's are in
:mod:`fieldguide.prose.topology`).

>>> wide_ep_table().strip().splitlines()[0].startswith("| Case |")
True
"""

from __future__ import annotations

import math
import statistics
from functools import lru_cache

from servecalc.units import fmt_int, fmt_number
from servecalc.validate import choice
from fieldguide.validation.wide_ep import CASES, WideEpCase, error, predict

_PHASES = ("decode", "prefill")


def _sig(value: float, figures: int = 2) -> str:
    """``value`` to ``figures`` significant figures, with thousands separators."""
    if value == 0:
        return "0"
    digits = figures - 1 - math.floor(math.log10(abs(value)))
    return fmt_number(round(value, digits), max(0, digits))


def _pct(ratio: float) -> str:
    return f"{'+' if ratio >= 0 else '−'}{_sig(abs(ratio) * 100)} %"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _unit(case: WideEpCase) -> str:
    return "tok/s per GPU" if case.per_gpu else "tok/s per node"


def wide_ep_table() -> str:
    """Every wide-EP case: published, predicted, error, setup, source (a Markdown table)."""
    lines = ["| Case | Phase | Published | Predicted | Error | Setup and assumptions | Source |",
             "| :-- | :-- | --: | --: | --: | :-- | :-- |"]
    for c in CASES:
        title, url = c.source
        lines.append(
            f"| {_cell(c.description)} | {c.phase} | {fmt_int(round(c.measured))} {_unit(c)} | "
            f"{fmt_int(round(predict(c)))} {_unit(c)} | {_pct(error(c))} | {_cell(c.setup)} | "
            f"[{_cell(title)}]({url}) |")
    return "\n\n" + "\n".join(lines) + "\n\n"


def wide_ep_error(case_id: str) -> str:
    """One case's error, signed, two significant figures (e.g. '+8.0 %')."""
    ids = {c.id: c for c in CASES}
    choice("case_id", case_id, tuple(ids))
    return _pct(error(ids[case_id]))


def wide_ep_median_error(phase: str) -> str:
    """Median absolute error of the decode or prefill cases."""
    choice("phase", phase, _PHASES)
    return _pct(statistics.median(abs(error(c)) for c in CASES if c.phase == phase)).lstrip("+")


@lru_cache(maxsize=1)
def _ledger_ep() -> dict[str, list[float]]:
    from fieldguide.validation.ledger import build, predictor

    predict_row, loo, _ = predictor()
    out: dict[str, list[float]] = {}
    for e in build(predict_row, loo):
        if e.row.get("expert_parallel") and e.error is not None:
            out.setdefault(f"{e.row['kind']}:{e.metric}", []).append(e.error)
    return out


def ledger_ep_rows() -> str:
    """How many ledger rows run attention data-parallel with expert parallelism."""
    from fieldguide.validation.serving import load

    return fmt_int(sum(bool(r.get("expert_parallel")) for r in load()))


def ledger_ep_median(kind: str, metric: str) -> str:
    """Median absolute error of the expert-parallel ledger rows for one kind and metric."""
    key = f"{kind}:{metric}"
    values = _ledger_ep().get(key)
    if not values:
        raise ValueError(f"kind and metric must name expert-parallel ledger entries, got {key!r}")
    return _pct(statistics.median(abs(v) for v in values)).lstrip("+")
