"""The records of the validation: a source, a case, an evaluated row, the tolerances."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KINDS = ("exact", "measured")

#: Tolerances with default efficiencies, stated before looking at the errors: what a
#: careful engineer would accept from a step model (the issue that re-derived it).
TOLERANCES = {"decode": 0.15, "prefill": 0.20, "speedup": 0.10}


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a published number comes from."""

    title: str
    url: str
    section: str


@dataclass(frozen=True, kw_only=True)
class ValidationCase:
    """One published number and how the library computes the same quantity.

    ``compute`` returns the library's value in ``unit``; a measured case's
    ``compute`` takes a calibration (``None``: the defaults). ``setup`` states
    the conditions as the source gives them and any assumption made to map them
    onto the library. A measured case has a ``quantity`` (decode, prefill or
    speedup: its tolerance), a calibration ``group`` (same engine and GPU family)
    and, where its bound is wider than the tolerance, the ``explained`` reason.
    """

    id: str
    description: str
    source: Source
    kind: str
    published_value: float
    unit: str
    compute: Callable[..., float]
    rel_error_bound: float
    setup: str = ""
    quantity: str = ""
    group: str = ""
    explained: str = ""


@dataclass(frozen=True, kw_only=True)
class ValidationRow:
    """A case evaluated: ``rel_error = (library - published) / published``;
    ``calibrated_rel_error`` is the error once the step model is calibrated on the
    other cases of its group (``None`` where there is no group)."""

    id: str
    description: str
    kind: str
    quantity: str
    published_value: float
    library_value: float
    unit: str
    rel_error: float
    rel_error_bound: float
    within_bound: bool
    calibrated_value: float | None
    calibrated_rel_error: float | None
    explained: str
    source_title: str
    source_url: str
    source_section: str
    setup: str
