"""Published numbers the library is checked against ("How accurate is this?").

Each :class:`ValidationCase` pairs a number from a public source with the
library's own value for the same setting. :func:`evaluate` computes every
case and its relative error; the site's accuracy page is generated from its
rows at build time, and ``tests/test_validation.py`` runs them all.

Two kinds of case:

``exact`` (:mod:`~fieldguide.validation.exact`)
    A number the source computes from the architecture (cache bytes per
    token, parameter counts) or a constant it publishes (SLO limits). The
    library must reproduce it; ``rel_error_bound`` is only the source's own
    rounding (half a unit of its last printed digit), 0 when it prints the
    exact value.
``measured`` (:mod:`~fieldguide.validation.measured`)
    A latency or throughput measured on real hardware. The library predicts it
    with its default efficiencies (:mod:`servecalc.step.constants`), which come
    from other measurements, not from these cases. The tolerance is stated in
    advance, one per quantity (:data:`TOLERANCES`): 15 % for decode-dominated
    quantities (TPOT, inter-token latency, static-batching throughput, latency
    ratios), 20 % for prefill (TTFT), 10 % for the speculative-decoding
    speed-up. A case whose published number cannot be matched by any one set
    of efficiencies together with its neighbours (the same engine measured
    faster on one GPU than on two, a server's fixed per-request time) carries a
    wider bound and the ``explained`` reason, shown on the accuracy page.

    Each measured case is also predicted after calibration: the three
    efficiencies fitted on the other cases of its group (same engine and GPU
    family, leave one out, :mod:`~fieldguide.validation.calibrated`).

>>> rows = evaluate()
>>> len(rows) >= 20, all(r.within_bound for r in rows)
(True, True)
>>> row = next(r for r in rows if r.id == "nvidia-llama2-7b-kv-per-token")
>>> row.published_value, row.library_value, row.rel_error
(524288.0, 524288.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from servecalc.validate import choice

from .calibrated import leave_one_out
from .cards import CARD_CASES
from .core import KINDS, TOLERANCES, Source, ValidationCase, ValidationRow
from .exact import EXACT
from .measured import MEASURED
from .sources import MPT_7B

CASES: tuple[ValidationCase, ...] = EXACT + MEASURED + CARD_CASES  # cards: the 2025 models

__all__ = ["CASES", "KINDS", "MPT_7B", "TOLERANCES", "Source", "ValidationCase",
           "ValidationRow", "evaluate"]


def _finite(case: ValidationCase, value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"case {case.id!r} computed a non-finite value: {value!r}")
    return value


def evaluate(cases: Iterable[ValidationCase] = CASES, *, calibrated: bool = True
             ) -> list[ValidationRow]:
    """Compute every case: library value, signed relative error, within bound, and
    (unless ``calibrated=False``, which skips the fits and is much faster) the value
    after a leave-one-out calibration on its group.

    >>> rows = evaluate(CASES[:1])
    >>> rows[0].within_bound, rows[0].calibrated_rel_error
    (True, None)
    """
    cases = tuple(cases)
    after_fit = leave_one_out(cases) if calibrated else {}
    rows = []
    for case in cases:
        choice("kind", case.kind, KINDS)
        value = _finite(case, float(case.compute()))
        published = float(case.published_value)
        error = (value - published) / published
        after = after_fit.get(case.id)
        rows.append(
            ValidationRow(
                id=case.id, description=case.description, kind=case.kind,
                quantity=case.quantity, published_value=published, library_value=value,
                unit=case.unit, rel_error=error, rel_error_bound=case.rel_error_bound,
                # 1e-12 absorbs the last bit of binary rounding in the quotients.
                within_bound=abs(error) <= case.rel_error_bound + 1e-12,
                calibrated_value=after,
                calibrated_rel_error=None if after is None else (after - published) / published,
                explained=case.explained, source_title=case.source.title,
                source_url=case.source.url, source_section=case.source.section,
                setup=case.setup,
            )
        )
    return rows
