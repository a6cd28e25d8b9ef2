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

from .gpus import GpuSpec, get_gpu
from .validate import positive_number, text

_VIA_TECHBYTES = (
    "not read from the vendor page here: as listed in techbytes.app's 'Serverless GPU Pricing "
    "Matrix', which states the prices were verified from official vendor pages on 2026-05-07"
)


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


PRICES: tuple[PriceSpec, ...] = (
    PriceSpec(
        provider="Lambda",
        instance="1x H100 SXM (on-demand)",
        gpu="h100-sxm",
        price_usd_per_hour=3.78,
        date="2026-05-07",
        source="https://lambda.ai/pricing",
        status=_VIA_TECHBYTES,
    ),
    PriceSpec(
        provider="Modal",
        instance="H100 (serverless, billed per second)",
        gpu="h100-sxm",
        price_usd_per_hour=3.9492,
        date="2026-05-07",
        source="https://modal.com/pricing",
        status=_VIA_TECHBYTES,
    ),
    PriceSpec(
        provider="Lambda",
        instance="1x H100 PCIe (on-demand)",
        gpu="h100-pcie",
        price_usd_per_hour=2.86,
        date="2026-05-07",
        source="https://lambda.ai/pricing",
        status=_VIA_TECHBYTES,
    ),
    PriceSpec(
        provider="Lambda",
        instance="1x A100 40GB (on-demand)",
        gpu="a100-40gb",
        price_usd_per_hour=1.48,
        date="2026-05-07",
        source="https://lambda.ai/pricing",
        status=_VIA_TECHBYTES,
    ),
    PriceSpec(
        provider="Modal",
        instance="A100 80GB (serverless, billed per second)",
        gpu="a100-80gb",
        price_usd_per_hour=2.4984,
        date="2026-05-07",
        source="https://modal.com/pricing",
        status=_VIA_TECHBYTES,
    ),
    PriceSpec(
        provider="Modal",
        instance="L40S (serverless, billed per second)",
        gpu="l40s",
        price_usd_per_hour=1.9512,
        date="2026-05-07",
        source="https://modal.com/pricing",
        status=_VIA_TECHBYTES,
    ),
    PriceSpec(
        provider="Modal",
        instance="L4 (serverless, billed per second)",
        gpu="l4",
        price_usd_per_hour=0.7992,
        date="2026-05-07",
        source="https://modal.com/pricing",
        status=_VIA_TECHBYTES,
    ),
)


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

