"""The catalogs as data: models, GPUs and example prices, one JSON file each.

Each file holds ``{"note": ..., "entries": [...]}``; every entry is the
keyword arguments of one spec (:class:`~servecalc.models.ModelSpec`,
:class:`~servecalc.gpus.GpuSpec`, :class:`~servecalc.prices.PriceSpec`) with
its ``source``, date and ``status``. Keys that start with ``_`` are comments.
Adding a model, a GPU or a price is an edit to a data file (and a test), not
to code. The files ship inside the wheel, so the browser's worker reads the
same ones.

>>> [e["id"] for e in entries("models")][:2]
['llama-2-7b', 'llama-3.1-8b']
>>> entries("cars")
Traceback (most recent call last):
    ...
ValueError: catalog must be one of 'models', 'gpus', 'prices', got 'cars'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TypeVar

from ..validate import choice

NAMES = ("models", "gpus", "prices")

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Sourced:
    """Where a catalog entry's numbers come from: ``source``, its date, and
    ``status`` ("confirmed", or how the values were checked where they are not)."""

    source: str
    source_date: str
    status: str = "confirmed"


def entries(name: str) -> list[dict]:
    """The entries of catalog ``name`` as dicts, in file order, comments removed."""
    choice("catalog", name, NAMES)
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return [{k: v for k, v in e.items() if not k.startswith("_")}
            for e in json.loads(text)["entries"]]


def build(name: str, spec: Callable[..., T]) -> list[T]:
    """One ``spec(**entry)`` per entry; a bad entry raises ``ValueError`` naming it.

    >>> from servecalc.prices import PriceSpec
    >>> build("prices", PriceSpec)[0].provider
    'Lambda'
    """
    built = []
    for index, fields in enumerate(entries(name)):
        label = fields.get("id") or fields.get("instance") or index
        try:
            built.append(spec(**fields))
        except TypeError as exc:  # an unknown or missing key
            raise ValueError(f"catalog {name}.json entry {label!r}: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"catalog {name}.json entry {label!r}: {exc}") from None
    return built
