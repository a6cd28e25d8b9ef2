"""A published number and how the library computes the same quantity (see
:mod:`fieldguide.validation`, which evaluates them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a published number comes from."""

    title: str
    url: str
    section: str


@dataclass(frozen=True, kw_only=True)
class ValidationCase:
    """One published number and how the library computes the same quantity.

    ``compute`` takes no arguments and returns the library's value in
    ``unit``. ``setup`` states the conditions (model, hardware, software,
    precision, lengths) as the source gives them, and any assumption made to
    map them onto the library.
    """

    id: str
    description: str
    source: Source
    kind: str
    published_value: float
    unit: str
    compute: Callable[[], float]
    rel_error_bound: float
    setup: str = ""
