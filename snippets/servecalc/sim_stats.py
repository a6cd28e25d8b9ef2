"""Statistics for the serving simulator: percentiles, summaries, chart series.

Everything here is plain arithmetic in a fixed order (sorting, interpolation,
:func:`math.fsum`), so CPython 3.11 and Pyodide's Python 3.14 return the same
floats bit for bit.

Percentiles interpolate linearly between the two nearest ranks (NumPy's
default, ``statistics.quantiles(..., method="inclusive")``): the p-th
percentile of ``n`` sorted values sits at position ``(n - 1) p / 100``.

>>> percentile([1.0, 2.0, 3.0, 4.0], 50)
2.5
>>> s = summarize([0.1, 0.2, 0.3, 0.4, 10.0])
>>> s.p50, s.p99
(0.3, 9.616)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .slo import Slo, get_slo
from .validate import describe, is_number, numbers, positive_int, positive_number


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of ``values``, linear interpolation.

    >>> import statistics
    >>> data = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6]
    >>> percentile(data, 90) == statistics.quantiles(data, n=10, method="inclusive")[-1]
    True
    >>> percentile([], 50)
    Traceback (most recent call last):
        ...
    ValueError: values must hold at least one number, got none
    >>> percentile([1.0], 101)
    Traceback (most recent call last):
        ...
    ValueError: p must be a number in [0, 100], got 101
    """
    if not is_number(p) or not 0 <= p <= 100:
        raise ValueError(f"p must be a number in [0, 100], got {describe(p)}")
    checked = numbers("values", values)
    if not checked:
        raise ValueError("values must hold at least one number, got none")
    ordered = sorted(checked)
    return _interpolate(ordered, p)


def _interpolate(ordered: Sequence[float], p: float) -> float:
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    if fraction == 0 or low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


@dataclass(frozen=True, kw_only=True)
class Percentiles:
    """p50, p90 and p99 (linear interpolation), mean and maximum of a sample."""

    p50: float
    p90: float
    p99: float
    mean: float
    max: float
    count: int

    def as_dict(self) -> dict[str, float | int]:
        """``{"p50": ..., "p90": ..., "p99": ..., "mean": ..., "max": ..., "count": ...}``."""
        return {"p50": self.p50, "p90": self.p90, "p99": self.p99, "mean": self.mean,
                "max": self.max, "count": self.count}


#: What :func:`summarize` returns for an empty sample (e.g. TPOT when every
#: request produced a single token).
EMPTY = Percentiles(p50=0.0, p90=0.0, p99=0.0, mean=0.0, max=0.0, count=0)


def summarize(values: Sequence[float]) -> Percentiles:
    """Percentiles, mean (:func:`math.fsum`) and maximum of ``values``.

    An empty sample gives :data:`EMPTY` (all zeros, ``count=0``).

    >>> summarize([2.0, 4.0]).mean
    3.0
    >>> summarize([]).count
    0
    """
    checked = numbers("values", values)
    if not checked:
        return EMPTY
    ordered = sorted(checked)
    return Percentiles(
        p50=_interpolate(ordered, 50),
        p90=_interpolate(ordered, 90),
        p99=_interpolate(ordered, 99),
        mean=math.fsum(ordered) / len(ordered),
        max=float(ordered[-1]),
        count=len(ordered),
    )


@dataclass(frozen=True, kw_only=True)
class TimelinePoint:
    """Engine state averaged over one time bin starting at ``t_s``.

    ``batch`` is the time-weighted mean number of sequences holding a slot
    (idle time counts as 0), ``kv_utilization`` the mean share of KV blocks
    allocated, ``waiting`` the mean queue length.
    """

    t_s: float
    batch: float
    kv_utilization: float
    waiting: float


def timeline(
    starts: Sequence[float],
    durations: Sequence[float],
    batches: Sequence[int],
    kv_blocks_used: Sequence[int],
    waiting: Sequence[int],
    *,
    kv_blocks: int,
    end_s: float,
    points: int = 300,
) -> tuple[TimelinePoint, ...]:
    """Down-sample per-step records to at most ``points`` equal time bins over [0, ``end_s``].

    Step ``i`` runs from ``starts[i]`` for ``durations[i]`` seconds with
    ``batches[i]`` sequences, ``kv_blocks_used[i]`` blocks and ``waiting[i]``
    queued requests; gaps between steps are idle (all zero). A step that
    straddles a bin boundary is split between the bins by time.

    >>> pts = timeline([0.0, 1.0], [1.0, 1.0], [2, 4], [10, 20], [0, 3], kv_blocks=40,
    ...                end_s=4.0, points=2)
    >>> [(p.t_s, p.batch, p.kv_utilization, p.waiting) for p in pts]
    [(0.0, 3.0, 0.375, 1.5), (2.0, 0.0, 0.0, 0.0)]
    """
    n = positive_int("points", points)
    positive_int("kv_blocks", kv_blocks)
    width = positive_number("end_s", end_s) / n
    starts, durations = numbers("starts", starts), numbers("durations", durations)
    batches, kv_blocks_used = numbers("batches", batches), numbers("kv_blocks_used", kv_blocks_used)
    waiting = numbers("waiting", waiting)
    batch_sum = [0.0] * n
    kv_sum = [0.0] * n
    wait_sum = [0.0] * n
    last = n - 1
    for start, length, batch, blocks, queued in zip(starts, durations, batches, kv_blocks_used,
                                                    waiting):
        index = int(start / width)
        if index > last:
            index = last
        stop = start + length
        edge = (index + 1) * width
        if stop <= edge or index == last:      # the common case: the step fits in its bin
            batch_sum[index] += batch * length
            kv_sum[index] += blocks * length
            wait_sum[index] += queued * length
            continue
        t = start
        while t < stop:
            edge = (index + 1) * width if index < last else stop
            piece = min(stop, edge) - t
            if piece <= 0:
                break
            batch_sum[index] += batch * piece
            kv_sum[index] += blocks * piece
            wait_sum[index] += queued * piece
            t += piece
            index += 1
    return tuple(
        TimelinePoint(
            t_s=i * width,
            batch=batch_sum[i] / width,
            kv_utilization=kv_sum[i] / width / kv_blocks,
            waiting=wait_sum[i] / width,
        )
        for i in range(n)
    )



def within_slo(ttfts: Sequence[float], tpots: Sequence[float], slo: str | Slo) -> int:
    """How many requests have TTFT and TPOT both within ``slo`` (a preset name of
    :mod:`servecalc.slo` or a :class:`~servecalc.slo.Slo`).

    Goodput is this count over the run's duration
    (:func:`servecalc.slo.goodput_requests_per_s`); attainment is it over the
    number of requests.

    >>> within_slo([0.3, 0.5, 0.2], [0.03, 0.03, 0.05], "mlperf-llama2-70b-interactive")
    1
    """
    target = get_slo(slo)
    ttfts, tpots = numbers("ttfts", ttfts), numbers("tpots", tpots)
    if len(ttfts) != len(tpots) or not ttfts:
        raise ValueError(
            f"ttfts and tpots must be non-empty and of equal length, got {len(ttfts)} and {len(tpots)}"
        )
    limit_ttft, limit_tpot = target.ttft_s, target.tpot_s
    met = 0
    for ttft, tpot in zip(ttfts, tpots):
        if ttft <= limit_ttft and tpot <= limit_tpot:
            met += 1
    return met
