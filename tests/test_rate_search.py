"""The capacity search's branches on synthetic SLO curves (no simulation).

:mod:`servecalc.rate_search` searches a rate against a curve ``rate -> SLO
ratio``; here the curve is a plain function, so each branch is reached on
purpose and its answer is known by construction:

* a cliff (the ratio jumps past the cap at a rate): the search brackets it and
  the checks bisect the gap below it;
* a flat curve that meets the SLO everywhere: the answer is the saturation
  rate (the saturation edge);
* a curve that misses everywhere: the search halves down to 1/64 of
  saturation and reports the configuration infeasible;
* noisy checks that never pass: the checks step down and report the rate
  unconfirmed.
"""

from __future__ import annotations

import math

import pytest

from servecalc.rate_search import (
    _STEPS_DOWN,
    RATE_TOLERANCE,
    RATIO_TOLERANCE,
    Point,
    _confirm,
    _nudge,
    _search,
)
from servecalc.slo import make_slo

SLO = make_slo("synthetic", ttft_s=1.0, tpot_s=1.0)
N = 200                                   # requests per synthetic run


def point(rate: float, ratio: float) -> Point:
    """A run whose every request's TTFT is ``ratio`` x the limit (so its SLO ratio is
    ``ratio`` exactly, pooled or not)."""
    return Point(rate, ratio, (ratio * SLO.ttft_s,) * N, (0.0,) * N, 1.0)


def search(curve, saturation: float = 10.0):
    reports: list[int] = []
    best, tried = _search(lambda r: point(r, curve(r)), saturation, reports.append)
    assert reports == list(range(1, len(tried) + 1))      # progress once per point
    return best, tried


def test_a_smooth_curve_is_searched_to_its_crossing():
    """Ratio = rate / 6: the SLO is met up to 6 requests/s; the answer is within the
    stopping rules (bracket within RATE_TOLERANCE or ratio within RATIO_TOLERANCE)."""
    best, tried = search(lambda r: r / 6)
    assert best.ratio <= 1
    assert best.rate > 6 * (1 - max(RATE_TOLERANCE, RATIO_TOLERANCE)) - 1e-9
    assert best.rate <= 6


def test_a_cliff_is_bracketed():
    """Below 7 requests/s the ratio is 0.5; above, a queue that never drains (10).
    Regula falsi stalls on such a step; Illinois halving still closes the bracket."""
    best, tried = search(lambda r: 0.5 if r <= 7 else 10.0)
    assert best.rate <= 7
    above = min(p.rate for p in tried if p.ratio > 1)
    assert above - best.rate <= RATE_TOLERANCE * best.rate + 1e-9


def test_a_curve_that_meets_the_slo_everywhere_stops_at_saturation():
    """Past saturation a queue only grows, so a run that still meets the SLO there is
    too short to show it: the answer is the saturation rate itself."""
    best, tried = search(lambda r: 0.3, saturation=10.0)
    assert best.rate == 10.0
    assert [p.rate for p in tried] == [5.0, 12.0, 10.0]


def test_meeting_past_saturation_but_missing_at_it_searches_below():
    """The saturation edge the other way: 1.2 x saturation meets, saturation misses
    (a noisy run): the bracket is [half, saturation]."""
    best, tried = search(lambda r: 2.0 if 9.5 < r <= 10.0 else 0.3, saturation=10.0)
    assert 5.0 <= best.rate <= 9.5
    assert tried[2].rate == 10.0 and tried[2].ratio > 1


def test_a_curve_that_misses_everywhere_is_infeasible():
    """Every rate misses: halving from half saturation to below 1/64 of it, then None."""
    best, tried = search(lambda r: 1.5, saturation=64.0)
    assert best is None
    rates = [p.rate for p in tried]
    assert rates[0] == 32.0 and all(b == a / 2 for a, b in zip(rates, rates[1:]))
    assert rates[-1] < 1.0 <= rates[-2]


# --------------------------------------------------------------------------- the checks


def checks(curve, calls: list[float]):
    """The checks at a rate: two runs whose ratios are the curve's value (noise given
    by the curve itself, as a pair)."""
    def check(rate: float) -> list[Point]:
        calls.append(rate)
        low, high = curve(rate)
        return [point(rate, low), point(rate, high)]
    return check


def test_checks_that_pass_nudge_the_rate_up_to_the_aim():
    calls: list[float] = []
    rate, tried, passed = _confirm(checks(lambda r: (r / 10, r / 10), calls), 5.0, 0.1, SLO)
    assert calls == [5.0] and passed
    # Equal checks: zero spread, so the aim is 1 - RATIO_TOLERANCE; one Newton step,
    # capped at 10 % of the rate.
    assert rate == pytest.approx(5.5)


def test_checks_below_a_cliff_bisect_the_gap():
    """The search's answer (8) fails its checks (a cliff at 7.2: ratio 10 above, 0.5
    below). The checks step down by the largest step (to 6, which passes), then halve
    the gap to the failing rate three times (7 passes; 7.5 and 7.25 fail), and the
    rate stands at the last pass: below a cliff the ratio says nothing of its distance."""
    calls: list[float] = []
    curve = checks(lambda r: (0.5, 0.5) if r <= 7.2 else (10.0, 10.0), calls)
    rate, tried, passed = _confirm(curve, 8.0, 0.5, SLO)
    assert calls == [8.0, 6.0, 7.0, 7.5, 7.25]
    assert rate == 7.0
    assert [p.rate for p in passed] == [7.0, 7.0]
    assert len(tried) == 2 * len(calls)


def test_checks_above_a_smooth_curve_step_down_then_back_to_the_aim():
    """Ratio = rate / 6 and the answer 8 fails its checks (1.33, not a cliff): one step
    down to 6 (ratio 1.0, passes), no bisection, then a Newton step along the chord
    through the two checks to the aim, 0.99 (equal checks: no spread)."""
    calls: list[float] = []
    rate, tried, passed = _confirm(checks(lambda r: (r / 6, r / 6), calls), 8.0, 1 / 6, SLO)
    assert calls == [8.0, 6.0]
    assert rate == pytest.approx(6 * (1 - RATIO_TOLERANCE))


def test_noisy_checks_that_never_pass_leave_the_rate_unconfirmed():
    """One run of each pair always misses badly: the pooled ratio never meets the SLO,
    so after _STEPS_DOWN steps the rate is reported with no passing checks."""
    calls: list[float] = []
    rate, tried, passed = _confirm(checks(lambda r: (0.2, 5.0), calls), 8.0, 0.5, SLO)
    assert passed == []
    assert len(calls) == 1 + _STEPS_DOWN
    assert all(b < a for a, b in zip(calls, calls[1:]))
    assert rate == calls[-1]


@pytest.mark.parametrize("pooled,aim,slope,want", [
    (0.5, 0.9, 0.0, 10.0),            # no rising slope, below the aim: no step up
    (0.95, 0.9, 0.0, 9.7),            # no rising slope, above the aim: a 3 % step down
    (0.5, 0.9, 0.01, 11.0),           # a Newton step of +40, capped at +10 %
    (0.92, 0.9, 0.1, 9.8),            # a small Newton step down
])
def test_nudge(pooled, aim, slope, want):
    assert math.isclose(_nudge(10.0, pooled, aim, slope), want)
