"""Errors after calibration: each measured case predicted by a calibration fitted,
with :func:`servecalc.calibration.fit_efficiencies`, on the *other* cases of its
group (leave one out: the case never sees its own number)."""

from __future__ import annotations

from functools import lru_cache

from servecalc.calibration import fit_efficiencies

from .core import ValidationCase

#: Stop the fit when the MBU step is below this (the errors are printed to 0.1 %).
FIT_TOLERANCE = 1e-4


def leave_one_out(cases: tuple[ValidationCase, ...]) -> dict[str, float]:
    """``{case id: value after calibrating on its group's other cases}`` for every
    measured case whose group has at least two other cases."""
    return dict(_leave_one_out(cases))


@lru_cache(maxsize=4)
def _leave_one_out(cases: tuple[ValidationCase, ...]) -> tuple[tuple[str, float], ...]:
    out = []
    for case in cases:
        if case.kind != "measured" or not case.group:
            continue
        others = [c for c in cases if c.group == case.group and c.id != case.id]
        if len(others) < 2:
            continue
        cal = fit_efficiencies([c.compute for c in others],
                               [float(c.published_value) for c in others],
                               tolerance=FIT_TOLERANCE)
        out.append((case.id, float(case.compute(cal))))
    return tuple(out)
