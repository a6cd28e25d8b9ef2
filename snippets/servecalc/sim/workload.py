"""Request streams for the serving simulator: arrival times and token counts.

A :class:`Workload` is a list of requests, each with an arrival time, a prompt
length and an output length, in arrival order. Lengths come from a
distribution of :mod:`servecalc.sim.lengths`; arrivals from one of:

* :func:`poisson_workload` -- a Poisson process: independent exponential gaps
  of mean ``1 / rate``;
* :func:`gamma_workload` -- bursty (or smoother) traffic: gamma-distributed
  gaps of mean ``1 / rate`` and coefficient of variation ``cv`` (vLLM's
  ``--burstiness`` is the gamma shape, ``1 / cv**2``); ``cv=1`` is Poisson;
* :func:`burst_workload` -- everything waiting at time zero (an offline job);
* :mod:`servecalc.sim.traces` -- recorded production traffic, replayed.

Arrival gaps, prompts and outputs use three separate generators, seeded
``3 * seed``, ``3 * seed + 1`` and ``3 * seed + 2``, so changing the output
distribution leaves the arrival times alone, and every draw uses
``random()`` only (see :mod:`servecalc.sim.lengths`), so a seed gives the same
workload on every Python.

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

from ..validate import DURATION, describe, is_number, items, non_negative_int, positive_int, positive_number
from .lengths import Fixed, Lengths, Uniform, as_lengths, gamma


@dataclass(frozen=True)
class Workload:
    """Requests in arrival order: ``arrivals[i]`` (seconds), ``prompts[i]``, ``outputs[i]``.

    ``concurrency`` set (see :func:`closed_workload`) makes it a closed loop:
    that many clients, each sending its next request the moment its previous
    one completes; ``arrivals`` are then ignored (all zero).

    ``prefix_hashes`` set gives each request one ID per block of
    ``hash_block_tokens`` prompt tokens, for the engine's prefix cache
    (:mod:`servecalc.sim.prefix`; :mod:`servecalc.sim.sessions` builds such workloads).
    """

    arrivals: tuple[float, ...]
    prompts: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str = ""
    concurrency: int | None = None
    prefix_hashes: tuple[tuple[int, ...], ...] | None = None
    hash_block_tokens: int = 16

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
    >>> round(len(w) / w.arrivals[-1], 2)
    10.0
    >>> poisson_workload(0, 10)
    Traceback (most recent call last):
        ...
    ValueError: rate must be a finite number > 0, got 0
    """
    return gamma_workload(rate, requests, cv=1.0, prompt=prompt, output=output, seed=seed)


def _unit_gaps(n: int, seed: int, cv: float) -> list[float]:
    """``n`` arrival gaps of mean 1 and coefficient of variation ``cv``."""
    rng = random.Random(3 * seed)
    if cv == 1:
        return [-math.log(1.0 - rng.random()) for _ in range(n)]
    shape = 1.0 / (cv * cv)
    return [gamma(rng, shape) / shape for _ in range(n)]


def gamma_workload(
    rate: float,
    requests: int,
    *,
    cv: float,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    seed: int = 0,
) -> Workload:
    """``requests`` requests whose gaps are gamma-distributed: mean ``1 / rate``,
    coefficient of variation ``cv`` (standard deviation over mean).

    ``cv > 1`` is burstier than Poisson (requests come in clumps with long
    quiet gaps between), ``cv < 1`` smoother, ``cv = 1`` is exactly
    :func:`poisson_workload`. vLLM's benchmark calls the gamma shape
    ``1 / cv**2`` "burstiness" (``vllm bench serve --burstiness``).

    >>> w = gamma_workload(5.0, 20000, cv=2.0, prompt=100, output=10, seed=2)
    >>> gaps = [b - a for a, b in zip((0.0,) + w.arrivals, w.arrivals)]
    >>> mean = math.fsum(gaps) / len(gaps)
    >>> sd = math.sqrt(math.fsum((g - mean) ** 2 for g in gaps) / len(gaps))
    >>> round(mean, 3), round(sd / mean, 2)      # a sample of 20,000 gaps
    (0.204, 1.97)
    >>> gamma_workload(2.0, 3, cv=1.0, seed=4) == poisson_workload(2.0, 3, seed=4)
    True
    >>> gamma_workload(2.0, 3, cv=0)
    Traceback (most recent call last):
        ...
    ValueError: cv must be a finite number > 0, got 0
    >>> gamma_workload(2.0, 3, cv=50)
    Traceback (most recent call last):
        ...
    ValueError: cv must be a number from 0.05 to 20, got 50
    """
    lam = positive_number("rate", rate)
    n = positive_int("requests", requests)
    spread = positive_number("cv", cv)
    if not 0.05 <= spread <= 20:
        raise ValueError(f"cv must be a number from 0.05 to 20, got {describe(cv)}")
    seed = non_negative_int("seed", seed)
    prompts_spec = as_lengths("prompt", prompt)
    outputs_spec = as_lengths("output", output)
    t = 0.0
    arrivals = []
    for gap in _unit_gaps(n, seed, spread):
        t += gap / lam
        arrivals.append(t)
    kind = f"Poisson {lam:g}/s" if spread == 1 else f"gamma arrivals {lam:g}/s, CV {spread:g}"
    return Workload(
        tuple(arrivals),
        _draw(prompts_spec, random.Random(3 * seed + 1), n),
        _draw(outputs_spec, random.Random(3 * seed + 2), n),
        f"{kind}, prompt {prompts_spec.describe()}, output {outputs_spec.describe()}",
    )


def closed_workload(
    concurrency: int,
    requests: int,
    *,
    prompt: int | str | Lengths = 512,
    output: int | str | Lengths = 256,
    seed: int = 0,
) -> Workload:
    """``requests`` requests from ``concurrency`` clients in a closed loop: each client
    sends its next request when its previous one completes, with no think time, as
    ``vllm bench serve --max-concurrency C`` (with an unlimited request rate),
    genai-perf's concurrency mode and InferenceMAX drive a server. Lengths are drawn
    exactly as :func:`burst_workload` draws them.

    >>> w = closed_workload(4, 10, prompt=100, output=20, seed=1)
    >>> w.concurrency, len(w), w.description
    (4, 10, '4 concurrent clients, prompt 100, output 20')
    >>> closed_workload(0, 10)
    Traceback (most recent call last):
        ...
    ValueError: concurrency must be an integer >= 1, got 0
    """
    c = positive_int("concurrency", concurrency)
    burst = burst_workload(requests, prompt=prompt, output=output, seed=seed)
    kinds = burst.description.split(", ", 1)[1]
    return Workload(burst.arrivals, burst.prompts, burst.outputs,
                    f"{c} concurrent clients, {kinds}", c)


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
