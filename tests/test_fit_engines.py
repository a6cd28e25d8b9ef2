"""The engine fit (tools/fit_engines.py): leave-one-out never lets a row predict itself.

The fit's functions are exercised on synthetic rows whose "simulation" is a known
formula on the surrogate grid (no simulator runs), so the tests are fast and their
expected values come from the formula, not from the fit's output.
"""

from __future__ import annotations

import json
import math

import pytest

from tools import fit_engines as F
from tools import fit_surrogate as S


def _point(rid: str, tokens_per_byte: float, measured: float, kind: str = "max_throughput"):
    """A row whose predicted throughput is ``tokens_per_byte x mbu`` (bandwidth-bound)."""
    grid = {"output_tokens_per_s_per_gpu": [tokens_per_byte * b for b in S.MBU
                                            for _ in S.MFU for _ in S.FIXED]}
    row = {"id": rid, "kind": kind, "output_tokens": 100,
           "measured": {"output_tokens_per_s_per_gpu": measured}}
    return F.Point(row, grid)


def _group(measured_mbus):
    """Rows of one group, each measured as if the kernels ran at the given MBU."""
    points = [_point(f"r{i}", 1000.0 * (i + 1), 1000.0 * (i + 1) * m)
              for i, m in enumerate(measured_mbus)]
    groups = {p.id: ("e", "gen", "fp8", "dense") for p in points}
    settings = {p.id: (p.id,) for p in points}
    return points, groups, settings


def test_the_fit_recovers_a_known_bandwidth_utilisation():
    points, groups, _ = _group([0.6, 0.6, 0.6, 0.6])
    params, _, _ = F.fit_engine(points, groups, rounds=1)
    assert params[("e", "gen", "fp8", "dense")][0] == pytest.approx(0.6, rel=1e-3)


def test_the_robust_loss_lands_on_the_median():
    # the absolute-log loss is minimised at the median implied MBU, not pulled by the outlier
    points, groups, _ = _group([0.5, 0.55, 0.6, 0.95, 0.3])
    params, _, _ = F.fit_engine(points, groups, rounds=1)
    assert params[("e", "gen", "fp8", "dense")][0] == pytest.approx(0.55, rel=1e-2)


def test_leave_one_out_does_not_see_the_row_it_predicts():
    """A row's leave-one-out parameters are the same whatever the row itself measured."""
    outcomes = []
    for outlier in (0.25, 0.95):
        points, groups, settings = _group([0.5, 0.55, 0.6, outlier])
        fitted, _, _ = F.fit_engine(points, groups, rounds=1)
        job = ("r3", points, groups, settings, fitted)
        rid, loo = F.leave_one_out(job)
        assert rid == "r3"
        outcomes.append(loo["params"][0])
    assert outcomes[0] == pytest.approx(outcomes[1], rel=1e-6)
    # and it is the fit of the other three (their median, 0.55), not the full fit's
    assert outcomes[0] == pytest.approx(0.55, rel=1e-2)


def test_reruns_of_a_setting_are_left_out_together():
    points, groups, settings = _group([0.5, 0.55, 0.6, 0.9, 0.9])
    settings["r4"] = settings["r3"]         # r4 is r3 measured again on another day
    fitted, _, _ = F.fit_engine(points, groups, rounds=1)
    _, loo = F.leave_one_out(("r3", points, groups, settings, fitted))
    assert loo["params"][0] == pytest.approx(0.55, rel=1e-2)


ENGINE_SIDE = {"output_tokens_per_s_per_gpu": 100.0, "tpot_ms_mean": 10.0, "ttft_ms_mean": 90.0}


def _timed(rid: str, clients: int, measured: dict[str, float]) -> "F.Point":
    """A fixed-concurrency row whose engine-side metrics are :data:`ENGINE_SIDE` wherever
    on the grid: 90 ms to first token, 10 ms per output token, 100 tokens/s per GPU."""
    grid = {m: [ENGINE_SIDE[m] for _ in S.MBU for _ in S.MFU for _ in S.FIXED]
            for m in measured}
    row = {"id": rid, "kind": "fixed_concurrency", "output_tokens": 101, "concurrency": clients,
           "measured": measured}
    return F.Point(row, grid)


def test_request_overhead_adds_to_ttft_and_slows_the_closed_loop():
    row = _timed("c", 11, {m: 1.0 for m in ENGINE_SIDE})
    # 0.41 s per request and 0.05 s for each of the 10 others outstanding: 0.91 s
    p = row.predict((0.5, 0.3, 1.0), (0.41, 0.05))
    # a request's cycle was 0.09 + 100 x 0.01 = 1.09 s; with 0.91 s more it is 2 s
    assert p["ttft_ms_mean"] == pytest.approx(1000.0)
    assert p["output_tokens_per_s_per_gpu"] == pytest.approx(100.0 * 1.09 / 2.0)
    assert p["tpot_ms_mean"] == pytest.approx(10.0)


def test_the_request_fit_recovers_a_fixed_part_and_a_part_per_outstanding_request():
    # measured TTFT = 90 ms in the engine + 150 ms + 8 ms per other client
    points = [_timed(f"c{c}", c, {"ttft_ms_mean": 90.0 + 150.0 + 8.0 * (c - 1)}) for c in (1, 4, 16, 64)]
    groups = {p.id: ("e", "gen", "fp8", "moe") for p in points}
    fixed, per = F.fit_request(points, {("e", "gen", "fp8", "moe"): (0.5, 0.3, 1.0)}, groups)
    assert fixed == pytest.approx(0.150, abs=1e-3)
    assert per == pytest.approx(0.008, abs=1e-4)


def test_leave_one_out_refits_the_request_overhead_without_the_row():
    outcomes = []
    for own in (100.0, 5000.0):
        points = [_timed(f"c{c}", c, {"ttft_ms_mean": 90.0 + 150.0 + 8.0 * (c - 1)}) for c in (1, 4, 16, 64)]
        points.append(_timed("x", 32, {"ttft_ms_mean": own}))
        groups = {p.id: ("e", "gen", "fp8", "moe") for p in points}
        settings = {p.id: (p.id,) for p in points}
        fitted, _, _ = F.fit_engine(points, groups, rounds=1)
        _, loo = F.leave_one_out(("x", points, groups, settings, fitted))
        outcomes.append(loo["request"])
    assert outcomes[0] == pytest.approx(outcomes[1], rel=1e-6)
    assert outcomes[0] == pytest.approx((0.150, 0.008), abs=1e-3)


def test_the_published_fit_holds_a_held_out_fit_for_every_fitted_row():
    from importlib import resources

    fit = json.loads(resources.files("servecalc.catalog").joinpath("engine_fit.json")
                     .read_text(encoding="utf-8"))
    members = {rid for g in fit["groups"] for rid in g["rows"]}
    assert members == set(fit["leave_one_out"])
    for g in fit["groups"]:
        for rid in g["rows"]:
            loo = fit["leave_one_out"][rid]
            assert 0 < loo["mbu"] <= 1 and 0 < loo["mfu"] <= 1 and loo["overhead_s"] >= 0
            assert math.isfinite(loo["request_overhead_s"])
            assert loo["request_overhead_per_outstanding_s"] >= 0
