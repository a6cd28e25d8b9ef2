"""Rental prices, in US dollars per GPU-hour, as bands.

Prices change often and differ by provider, region and commitment; these are
dated examples to start from, never a default that hides in a result. Every
function that turns time into money takes the price as an argument, so a
reader always passes their own.

Each catalog price sits in one *tier* (:data:`TIERS`): a hyperscaler's
on-demand price, a specialist GPU cloud's on-demand price, or a one-year
reservation. :func:`price_band` gathers a GPU's prices per tier. Where one
number is needed, :func:`get_price` gives the band's *point*: the median
specialist-cloud on-demand quote (the lower middle one of an even count; a
range's ends count only where there is no single quote), which a result
always names. A GPU with no one-year quote gets an estimate: 30 % to 50 % off
the point, the discount Mercatus's May 2026 guide gives for reserved capacity
(:data:`RESERVED_DISCOUNT`).

>>> from servecalc.units import fmt_usd
>>> p = get_price("h100-sxm")
>>> p.provider, fmt_usd(p.price_usd_per_hour)
('Lambda', '$3.78')
>>> [p.provider for p in prices_for("l4")]
['Modal']
>>> b = price_band("h100-sxm")
>>> fmt_usd(b.low), fmt_usd(b.high), b.point.provider
('$2.35', '$5.00', 'Lambda')
>>> get_price("h100")  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ValueError: gpu 'h100' is not in the catalog; closest: ...
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import build
from .gpus import GpuSpec, get_gpu
from .validate import choice, positive_number, text

#: The tiers a price belongs to, cheapest commitment last.
TIERS = ("hyperscaler_on_demand", "specialist_on_demand", "reserved_1y")
#: How each tier reads in a sentence.
TIER_NAMES = {"hyperscaler_on_demand": "hyperscaler on-demand",
              "specialist_on_demand": "GPU-cloud on-demand", "reserved_1y": "1-year reserved"}
#: Discount of a one-year reservation on on-demand, low and high: "Reservation cuts
#: 30-50% off the hourly rate" (Mercatus, "Cloud GPU pricing", May 2026,
#: https://www.mercatus-ai.com/blog/cloud-gpu-pricing). Used only where the catalog
#: has no one-year quote for a GPU.
RESERVED_DISCOUNT = (0.30, 0.50)


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
    tier: str = "specialist_on_demand"
    range_end: str = ""   # "low"/"high": one end of a published range, not a single quote

    def __post_init__(self) -> None:
        positive_number("price_usd_per_hour", self.price_usd_per_hour)
        for name in ("provider", "instance", "date", "source", "status"):
            text(name, getattr(self, name))
        choice("tier", self.tier, TIERS)
        choice("range_end", self.range_end, ("", "low", "high"))
        get_gpu(self.gpu)  # unknown IDs raise, naming the closest


#: The example prices, from ``catalog/prices.json``.
PRICES: tuple[PriceSpec, ...] = tuple(build("prices", PriceSpec))


def prices_for(gpu: str | GpuSpec) -> tuple[PriceSpec, ...]:
    """Every example price for ``gpu``, in catalog order (may be empty).

    >>> len(prices_for("h100-sxm"))
    6
    >>> prices_for("tpu-v5e")
    ()
    """
    spec = get_gpu(gpu)
    return tuple(p for p in PRICES if p.gpu == spec.id)


def get_price(gpu: str | GpuSpec) -> PriceSpec:
    """The point of ``gpu``'s price band (:func:`price_band`); ``ValueError`` if there is none.

    >>> get_price("tpu-v5e")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: gpu 'tpu-v5e' has no example price; pass price_usd_per_hour yourself (priced: 'h100-sxm', 'h100-pcie', ...)
    """
    return price_band(gpu).point


def _point(found: tuple[PriceSpec, ...]) -> PriceSpec:
    for tier in ("specialist_on_demand", "hyperscaler_on_demand", "reserved_1y"):
        mine = [p for p in found if p.tier == tier]
        quotes = [p for p in mine if not p.range_end] or mine
        if quotes:
            ordered = sorted(quotes, key=lambda p: p.price_usd_per_hour)
            return ordered[(len(ordered) - 1) // 2]
    raise AssertionError("a band has at least one price")


@dataclass(frozen=True, kw_only=True)
class TierBand:
    """The lowest and highest price of one tier, the prices it comes from, and whether
    it is an estimate (a one-year band derived from :data:`RESERVED_DISCOUNT`)."""

    tier: str
    low: float
    high: float
    prices: tuple[PriceSpec, ...]
    estimated: bool = False


@dataclass(frozen=True, kw_only=True)
class PriceBand:
    """Every catalog price of one GPU, per tier, and the point a single number uses."""

    gpu: str
    point: PriceSpec
    tiers: tuple[TierBand, ...]

    @property
    def low(self) -> float:
        return min(t.low for t in self.tiers)

    @property
    def high(self) -> float:
        return max(t.high for t in self.tiers)

    def tier(self, name: str) -> TierBand | None:
        """The band of tier ``name`` (None if the catalog has no such price)."""
        choice("tier", name, TIERS)
        return next((t for t in self.tiers if t.tier == name), None)

    def describe(self) -> str:
        """The band in one line: each tier's range, then the point and where it is from.

        >>> print(price_band("mi300x").describe())
        $0.75-$6.00 per GPU-hour: hyperscaler on-demand $6.00; GPU-cloud on-demand $1.50-$1.85; 1-year reserved $0.75-$1.05 (estimate); point $1.50 (TensorWave, 2026-05-18)
        """
        parts = []
        for t in self.tiers:
            span = _usd(t.low) if t.low == t.high else f"{_usd(t.low)}-{_usd(t.high)}"
            parts.append(f"{TIER_NAMES[t.tier]} {span}" + (" (estimate)" if t.estimated else ""))
        return (f"{_usd(self.low)}-{_usd(self.high)} per GPU-hour: {'; '.join(parts)}; point "
                f"{_usd(self.point.price_usd_per_hour)} ({self.point.provider}, {self.point.date})")


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def price_band(gpu: str | GpuSpec) -> PriceBand:
    """Every catalog price of ``gpu`` as a band (see the module docstring); ``ValueError``
    if it has none.

    >>> b = price_band("b200")
    >>> [(t.tier, t.low, t.high) for t in b.tiers]
    [('hyperscaler_on_demand', 7.0, 14.24), ('specialist_on_demand', 3.75, 6.03), ('reserved_1y', 2.65, 2.65)]
    >>> b.point.provider, b.point.price_usd_per_hour
    ('Ornn GPU rental benchmark (neoclouds)', 4.5)
    """
    found = prices_for(gpu)
    if not found:
        priced = ", ".join(repr(g) for g in dict.fromkeys(p.gpu for p in PRICES))
        raise ValueError(
            f"gpu {get_gpu(gpu).id!r} has no example price; pass price_usd_per_hour "
            f"yourself (priced: {priced})"
        )
    point = _point(found)
    tiers = []
    for tier in TIERS:
        mine = tuple(p for p in found if p.tier == tier)
        if mine:
            values = [p.price_usd_per_hour for p in mine]
            tiers.append(TierBand(tier=tier, low=min(values), high=max(values), prices=mine))
        elif tier == "reserved_1y":
            base = point.price_usd_per_hour
            tiers.append(TierBand(tier=tier, low=base * (1 - RESERVED_DISCOUNT[1]),
                                  high=base * (1 - RESERVED_DISCOUNT[0]), prices=(),
                                  estimated=True))
    return PriceBand(gpu=get_gpu(gpu).id, point=point, tiers=tuple(tiers))

