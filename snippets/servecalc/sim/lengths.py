"""Token-count distributions and random draws that agree on every Python.

Python guarantees only that :meth:`random.Random.random` gives the same
sequence for the same integer seed across versions; ``randint``,
``expovariate``, ``gammavariate`` or ``lognormvariate`` may change. So every
draw here is built from ``random()`` alone with the textbook formulas
(inverse transform for the exponential, Kinderman-Monahan ratio of uniforms
for the normal, Marsaglia-Tsang for the gamma).

Length distributions:

* :class:`Fixed` -- every request the same (an ``int`` means this);
* :class:`Uniform` -- integers from ``low`` to ``high``, inclusive;
* :class:`LogNormal` -- a right-skewed spread with a given mean, as chat output
  lengths tend to be; clipped to ``[low, high]``;
* :class:`Choice` -- one of a list of values, equally likely (repeat a value
  to weight it).

>>> Uniform(16, 256).sample(random.Random(2)), Fixed(256).sample(random.Random(2))
(246, 256)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ..validate import (ANY_NUMBER, describe, is_number, non_negative_number, positive_int,
                        positive_number)

#: 4 exp(-1/2) / sqrt(2), the constant of the Kinderman-Monahan normal sampler.
_NV_MAGICCONST = 4 * math.exp(-0.5) / math.sqrt(2.0)


def exponential(rng: random.Random, rate: float) -> float:
    """One exponential gap of mean ``1 / rate`` (inverse transform of ``random()``).

    >>> exponential(random.Random(0), 2.0) > 0
    True
    >>> exponential(random.Random(0), 0)
    Traceback (most recent call last):
        ...
    ValueError: rate must be a finite number > 0, got 0
    """
    _check_rng(rng)
    return -math.log(1.0 - rng.random()) / positive_number("rate", rate)


def _check_rng(rng: object) -> None:
    if not isinstance(rng, random.Random):
        raise ValueError(f"rng must be a random.Random, got {rng!r}")


def normal(rng: random.Random, mu: float = 0.0, sigma: float = 1.0) -> float:
    """One normal draw (Kinderman-Monahan ratio of uniforms, from ``random()`` only).

    >>> xs = [normal(random.Random(7), 10.0, 2.0) for _ in range(3)]
    >>> len(set(xs))          # same generator state each time: same value
    1
    """
    _check_rng(rng)
    if not is_number(mu) or abs(mu) > ANY_NUMBER.high:
        raise ValueError(f"mu must be a finite number, got {describe(mu)}")
    sigma = non_negative_number("sigma", sigma)
    while True:
        u1 = rng.random()
        u2 = 1.0 - rng.random()
        z = _NV_MAGICCONST * (u1 - 0.5) / u2
        if z * z / 4.0 <= -math.log(u2):
            return mu + z * sigma


def gamma(rng: random.Random, shape: float) -> float:
    """One gamma draw of unit scale (mean ``shape``): Marsaglia and Tsang's method,
    with ``U ** (1 / shape)`` boosting for ``shape < 1``; ``random()`` only.

    >>> rng = random.Random(5)
    >>> draws = [gamma(rng, 0.25) for _ in range(20000)]
    >>> round(math.fsum(draws) / len(draws), 2)      # mean = shape
    0.25
    >>> gamma(rng, 0)
    Traceback (most recent call last):
        ...
    ValueError: shape must be a finite number > 0, got 0
    """
    _check_rng(rng)
    k = positive_number("shape", shape)
    boost = 1.0
    if k < 1:
        boost = (1.0 - rng.random()) ** (1.0 / k)
        k += 1.0
    d = k - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(rng)
        v = 1.0 + c * x
        if v <= 0:
            continue
        v = v * v * v
        u = 1.0 - rng.random()
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost


@dataclass(frozen=True)
class Fixed:
    """Every request has ``value`` tokens.

    >>> Fixed(256).sample(random.Random(0)), Fixed(256).mean
    (256, 256.0)
    """

    value: int

    def __post_init__(self) -> None:
        positive_int("value", self.value)

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def maximum(self) -> int:
        return self.value

    def sample(self, rng: random.Random) -> int:
        return self.value

    def describe(self) -> str:
        return f"{self.value}"


@dataclass(frozen=True)
class Uniform:
    """Integers from ``low`` to ``high`` inclusive, equally likely.

    >>> Uniform(1, 100).mean
    50.5
    >>> Uniform(10, 5)
    Traceback (most recent call last):
        ...
    ValueError: high must be an integer >= low (10), got 5
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        positive_int("low", self.low)
        if positive_int("high", self.high) < self.low:
            raise ValueError(f"high must be an integer >= low ({self.low}), got {self.high!r}")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def maximum(self) -> int:
        return self.high

    def sample(self, rng: random.Random) -> int:
        return self.low + int(rng.random() * (self.high - self.low + 1))

    def describe(self) -> str:
        return f"uniform {self.low}-{self.high}"


@dataclass(frozen=True)
class LogNormal:
    """A log-normal length with mean ``mean`` (before clipping) and shape ``sigma``.

    ``sigma`` is the standard deviation of the logarithm: 0.5 is a moderate
    spread, 1.0 a heavy tail (a few requests ten times the median). Draws are
    rounded and clipped to ``[low, high]``.

    >>> d = LogNormal(256, 1.0, high=4096)
    >>> round(d.median, 1)
    155.3
    >>> LogNormal(256, 0)
    Traceback (most recent call last):
        ...
    ValueError: sigma must be a finite number > 0, got 0
    """

    mean_tokens: float
    sigma: float
    low: int = 1
    high: int = 32768

    def __post_init__(self) -> None:
        positive_number("mean_tokens", self.mean_tokens)
        positive_number("sigma", self.sigma)
        positive_int("low", self.low)
        if positive_int("high", self.high) < self.low:
            raise ValueError(f"high must be an integer >= low ({self.low}), got {self.high!r}")

    @property
    def mu(self) -> float:
        """Mean of the logarithm: ``ln(mean) - sigma^2 / 2``."""
        return math.log(self.mean_tokens) - self.sigma * self.sigma / 2

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    @property
    def mean(self) -> float:
        return float(self.mean_tokens)

    @property
    def maximum(self) -> int:
        return self.high

    def sample(self, rng: random.Random) -> int:
        value = round(math.exp(normal(rng, self.mu, self.sigma)))
        return min(max(value, self.low), self.high)

    def describe(self) -> str:
        return f"log-normal mean {self.mean_tokens:g}, sigma {self.sigma:g}"


@dataclass(frozen=True)
class Choice:
    """One of ``values``, each equally likely.

    >>> Choice((128, 512, 2048)).mean
    896.0
    >>> Choice(())
    Traceback (most recent call last):
        ...
    ValueError: values must hold at least one token count, got ()
    """

    values: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.values, (tuple, list)) or not self.values:
            raise ValueError(f"values must hold at least one token count, got {self.values!r}")
        for index, value in enumerate(self.values):
            positive_int(f"values[{index}]", value)
        object.__setattr__(self, "values", tuple(self.values))

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

    @property
    def maximum(self) -> int:
        return max(self.values)

    def sample(self, rng: random.Random) -> int:
        return self.values[int(rng.random() * len(self.values))]

    def describe(self) -> str:
        return "one of " + ", ".join(str(v) for v in self.values)


Lengths = Fixed | Uniform | LogNormal | Choice


def as_lengths(name: str, value: int | str | Lengths) -> Lengths:
    """A length distribution from an ``int`` (fixed), a distribution, or CLI text.

    Text forms: ``512``, ``uniform:64-1024``, ``lognormal:256,1.0`` (mean,
    sigma), ``list:128,512,2048``.

    >>> as_lengths("output", 256)
    Fixed(value=256)
    >>> as_lengths("output", "uniform:64-1024")
    Uniform(low=64, high=1024)
    >>> as_lengths("output", "lognormal:256,1.0")
    LogNormal(mean_tokens=256.0, sigma=1.0, low=1, high=32768)
    >>> as_lengths("prompt", "list:128,512")
    Choice(values=(128, 512))
    >>> as_lengths("prompt", "normal:5")
    Traceback (most recent call last):
        ...
    ValueError: prompt must be a token count or one of 'N', 'uniform:LOW-HIGH', 'lognormal:MEAN,SIGMA', 'list:A,B,...', got 'normal:5'
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be the argument's name, got {describe(name)}")
    if isinstance(value, (Fixed, Uniform, LogNormal, Choice)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fixed(positive_int(name, value))
    forms = "'N', 'uniform:LOW-HIGH', 'lognormal:MEAN,SIGMA', 'list:A,B,...'"
    error = ValueError(f"{name} must be a token count or one of {forms}, got {value!r}")
    if not isinstance(value, str):
        raise error
    text = value.strip().lower()
    try:
        if text.isdigit():
            return Fixed(positive_int(name, int(text)))
        kind, _, rest = text.partition(":")
        if kind == "uniform":
            low, high = rest.split("-")
            return Uniform(int(low), int(high))
        if kind == "lognormal":
            mean, sigma = rest.split(",")
            return LogNormal(float(mean), float(sigma))
        if kind == "list":
            return Choice(tuple(int(v) for v in rest.split(",")))
    except ValueError as exc:
        if "must" in str(exc):
            raise ValueError(f"{name}: {exc}") from None
        raise error from None
    raise error


def range_ratio(name: str, value: int | str | Lengths, ratio: float) -> Lengths:
    """``value`` tokens drawn as vLLM's random dataset draws them with
    ``--random-range-ratio``: integers uniform between ``int(ratio x N)`` and ``N``
    (the form ``benchmark_serving.py`` and InferenceMAX use; at least 1). A ratio of 1
    keeps ``N`` fixed; only a fixed count takes a ratio below 1.

    >>> range_ratio("prompt", 1000, 0.8)
    Uniform(low=800, high=1000)
    >>> range_ratio("output", "256", 1.0)
    Fixed(value=256)
    >>> range_ratio("prompt", "uniform:10-20", 0.5)
    Traceback (most recent call last):
        ...
    ValueError: random_range_ratio applies to a fixed prompt (N tokens), got Uniform(low=10, high=20)
    >>> range_ratio("prompt", 1000, 1.5)
    Traceback (most recent call last):
        ...
    ValueError: random_range_ratio must be a number in [0, 1], got 1.5
    """
    lengths = as_lengths(name, value)
    if not is_number(ratio) or not 0 <= ratio <= 1:
        raise ValueError(f"random_range_ratio must be a number in [0, 1], got {describe(ratio)}")
    if ratio == 1:
        return lengths
    if not isinstance(lengths, Fixed):
        raise ValueError(f"random_range_ratio applies to a fixed {name} (N tokens), "
                         f"got {lengths!r}")
    return Uniform(max(1, int(ratio * lengths.value)), lengths.value)
