"""Example on-demand prices, in US dollars per GPU-hour.

Prices change often and differ by provider, region and commitment; these are
dated examples to start from, never a default that hides in a result. Every
function that turns time into money takes the price as an argument, so a
reader always passes their own.

>>> from servecalc.units import fmt_usd
>>> p = get_price("h100-sxm")
>>> p.provider, fmt_usd(p.price_usd_per_hour)
('Lambda', '$3.78')
>>> [p.provider for p in prices_for("l4")]
['Modal']
>>> get_price("h100")  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: gpu 'h100' is not in the catalog; closest: ...
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import build
from .gpus import GpuSpec, get_gpu
from .validate import positive_number, text


@dataclass(frozen=True, kw_only=True)
class PriceSpec:
    """One provider's on-demand price for one GPU of ``gpu`` (a catalog ID)."""

    provider: str
    instance: str
    gpu: str
    price_usd_per_hour: float
    date: str
    source: str
    status: str = "confirmed"

    def __post_init__(self) -> None:
        positive_number("price_usd_per_hour", self.price_usd_per_hour)
        for name in ("provider", "instance", "date", "source", "status"):
            text(name, getattr(self, name))
        get_gpu(self.gpu)  # unknown IDs raise, naming the closest


#: The example prices, from ``catalog/prices.json``.
PRICES: tuple[PriceSpec, ...] = tuple(build("prices", PriceSpec))


def prices_for(gpu: str | GpuSpec) -> tuple[PriceSpec, ...]:
    """Every example price for ``gpu``, in catalog order (may be empty).

    >>> len(prices_for("h100-sxm"))
    2
    >>> prices_for("mi300x")
    ()
    """
    spec = get_gpu(gpu)
    return tuple(p for p in PRICES if p.gpu == spec.id)


def get_price(gpu: str | GpuSpec) -> PriceSpec:
    """The first example price for ``gpu``; ``ValueError`` if there is none.

    >>> get_price("mi300x")
    Traceback (most recent call last):
        ...
    ValueError: gpu 'mi300x' has no example price; pass price_usd_per_hour yourself (priced: 'h100-sxm', 'h100-pcie', 'a100-40gb', 'a100-80gb', 'l40s', 'l4')
    """
    found = prices_for(gpu)
    if not found:
        priced = ", ".join(repr(g) for g in dict.fromkeys(p.gpu for p in PRICES))
        raise ValueError(
            f"gpu {get_gpu(gpu).id!r} has no example price; pass price_usd_per_hour "
            f"yourself (priced: {priced})"
        )
    return found[0]

