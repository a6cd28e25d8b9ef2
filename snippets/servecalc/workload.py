"""Request streams for the serving simulator: arrival times and token counts.

A :class:`Workload` is a list of requests, each with an arrival time, a prompt
length and an output length, in arrival order. :func:`poisson_workload` draws
one: arrivals form a Poisson process (independent exponential gaps of mean
``1 / rate``) and lengths come from a length distribution:

* :class:`Fixed` -- every request the same (an ``int`` means this);
* :class:`Uniform` -- integers from ``low`` to ``high``, inclusive;
* :class:`LogNormal` -- a right-skewed spread with a given mean, as chat output
  lengths tend to be; clipped to ``[low, high]``;
* :class:`Choice` -- one of a list of values, equally likely (repeat a value
  to weight it).

Same seed, same workload, on every Python
-----------------------------------------

Python guarantees only that :meth:`random.Random.random` gives the same
sequence for the same integer seed across versions; ``randint``,
``expovariate`` or ``lognormvariate`` may change. So every draw here is built
from ``random()`` alone with the textbook formulas (inverse transform for the
exponential, Kinderman-Monahan ratio of uniforms for the normal). Arrival
gaps, prompts and outputs use three separate generators, seeded
``3 * seed``, ``3 * seed + 1`` and ``3 * seed + 2``, so changing the output
distribution leaves the arrival times alone.

>>> w = poisson_workload(rate=2.0, requests=4, prompt=512, output=Uniform(16, 256), seed=1)
>>> len(w), w.prompts
(4, (512, 512, 512, 512))
>>> w.outputs
(166, 194, 207, 243)
>>> [round(t, 3) for t in w.arrivals]
[0.136, 0.529, 0.76, 1.223]
>>> poisson_workload(rate=2.0, requests=4, prompt=512, output=64, seed=1).arrivals == w.arrivals
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .validate import (
    ANY_NUMBER,
    DURATION,
    describe,
    is_number,
    items,
    non_negative_int,
    non_negative_number,
    positive_int,
    positive_number,
)

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


@dataclass(frozen=True)
class Workload:
    """Requests in arrival order: ``arrivals[i]`` (seconds), ``prompts[i]``, ``outputs[i]``."""

    arrivals: tuple[float, ...]
    prompts: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str = ""

    def __len__(self) -> int:
        return len(self.arrivals)

    @property
    def output_tokens(self) -> int:
        return sum(self.outputs)

    @property
    def mean_prompt(self) -> float:
        return sum(self.prompts) / len(self.prompts)

    @property
    def mean_output(self) -> float:
        return sum(self.outputs) / len(self.outputs)


def make_workload(
    arrivals: Sequence[float], prompts: Sequence[int], outputs: Sequence[int], description: str = ""
) -> Workload:
    """A workload from explicit lists (checked: same length, sorted arrivals).

    >>> make_workload([0.0, 0.5], [100, 200], [10, 20]).output_tokens
    30
    >>> make_workload([1.0, 0.5], [100, 200], [10, 20])
    Traceback (most recent call last):
        ...
    ValueError: arrivals must be finite, >= 0 and sorted, got 0.5 after 1.0 at index 1
    """
    arrivals, prompts, outputs = (items("arrivals", arrivals), items("prompts", prompts),
                                  items("outputs", outputs))
    if not (len(arrivals) == len(prompts) == len(outputs)) or not arrivals:
        raise ValueError(
            "arrivals, prompts and outputs must be non-empty and of equal length, got "
            f"{len(arrivals)}, {len(prompts)} and {len(outputs)}"
        )
    last = 0.0
    for index, t in enumerate(arrivals):
        if not is_number(t) or t < last or t > DURATION.high:
            raise ValueError(
                f"arrivals must be finite, >= 0 and sorted, got {describe(t)} after {last!r} at "
                f"index {index}"
            )
        last = t
    for index, (p, o) in enumerate(zip(prompts, outputs)):
        positive_int(f"prompts[{index}]", p)
        positive_int(f"outputs[{index}]", o)
    return Workload(tuple(float(t) for t in arrivals), tuple(prompts), tuple(outputs), description)


def _draw(spec: Lengths, rng: random.Random, n: int) -> tuple[int, ...]:
    if isinstance(spec, Fixed):
        return (spec.value,) * n
    return tuple(spec.sample(rng) for _ in range(n))


def poisson_workload(
    rate: float,
    requests: int,
    *,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    seed: int = 0,
) -> Workload:
    """``requests`` requests arriving as a Poisson process of ``rate`` per second.

    The first request arrives after one exponential gap, not at time zero.

    >>> w = poisson_workload(10.0, 2000, prompt=100, output=10, seed=3)
    >>> 9.0 < len(w) / w.arrivals[-1] < 11.0
    True
    >>> poisson_workload(0, 10)
    Traceback (most recent call last):
        ...
    ValueError: rate must be a finite number > 0, got 0
    """
    lam = positive_number("rate", rate)
    n = positive_int("requests", requests)
    seed = non_negative_int("seed", seed)
    prompts_spec = as_lengths("prompt", prompt)
    outputs_spec = as_lengths("output", output)
    gaps = random.Random(3 * seed)
    t = 0.0
    arrivals = []
    for _ in range(n):
        t += -math.log(1.0 - gaps.random()) / lam
        arrivals.append(t)
    return Workload(
        tuple(arrivals),
        _draw(prompts_spec, random.Random(3 * seed + 1), n),
        _draw(outputs_spec, random.Random(3 * seed + 2), n),
        f"Poisson {lam:g}/s, prompt {prompts_spec.describe()}, output {outputs_spec.describe()}",
    )


def burst_workload(
    requests: int,
    *,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    seed: int = 0,
) -> Workload:
    """``requests`` requests all waiting at time zero (an offline batch job).

    Lengths are drawn exactly as :func:`poisson_workload` draws them for the
    same seed.

    >>> w = burst_workload(3, prompt=100, output=Uniform(1, 9), seed=1)
    >>> w.arrivals, w.outputs == poisson_workload(1.0, 3, prompt=100, output=Uniform(1, 9), seed=1).outputs
    ((0.0, 0.0, 0.0), True)
    """
    n = positive_int("requests", requests)
    seed = non_negative_int("seed", seed)
    prompts_spec = as_lengths("prompt", prompt)
    outputs_spec = as_lengths("output", output)
    return Workload(
        (0.0,) * n,
        _draw(prompts_spec, random.Random(3 * seed + 1), n),
        _draw(outputs_spec, random.Random(3 * seed + 2), n),
        f"burst of {n}, prompt {prompts_spec.describe()}, output {outputs_spec.describe()}",
    )
