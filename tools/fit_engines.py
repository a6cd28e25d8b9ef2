"""Fit the engine presets' few parameters to the accuracy ledger's measurements.

Usage: ``python tools/fit_engines.py LEDGER.json [--workers N]`` (the ledger is
``snippets/fieldguide/validation/serving_benchmarks.json``). Writes
``snippets/servecalc/catalog/engine_fit.json`` and prints the fitted values to
copy into ``catalog/engines.json``.

The fit is a median of implied values, so that leaving a row out is free:

1. per (engine, GPU generation, compute precision) group, each row with a
   measured output throughput implies the ``speed`` (a multiplier on the preset's
   MBU and MFU) at which the simulation matches it (a secant in log-log space);
   the group's speed
   is the median of its rows';
2. at that speed, each row with a measured mean TPOT implies ``fixed`` (a
   multiplier on the per-layer and per-MoE-layer costs: TPOT is close to a line in
   it, so two simulations give it); the group's is the median;
3. per engine, each row with a measured mean TTFT implies a request overhead
   (measured minus predicted without one); the engine's is the median (>= 0).

A row's leave-one-out parameters are the same medians over the *other* rows
(its group's, or its engine's when it is alone in its group).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, "snippets")

from servecalc.benchmarks import engine_id, predict, replica, scaled_overrides  # noqa: E402
from servecalc.engines import generation_of  # noqa: E402

LOW = {"speed": (0.25, 1.6), "fixed": (0.0, 40.0)}


def group_of(row: dict) -> tuple[str, str, str]:
    sim, _ = replica(row)
    d = sim.step_model.deployment
    return (d.engine, generation_of(d.gpu), d.compute_dtype)


def _predict(row: dict, speed: float, fixed: float, request_s: float | None) -> dict:
    return predict(row, **scaled_overrides(row, speed=speed, fixed=fixed, request_s=request_s))


def implied(job: tuple) -> tuple[str, float | None]:
    """The parameter value at which the row's metric matches. ``speed``: a secant in
    log-log space (throughput is near a power of the speed), three simulations;
    ``fixed``: TPOT is near a line in the fixed costs, two simulations."""
    row, name, metric, speed, fixed = job
    target = row["measured"][metric]
    low, high = LOW[name]
    try:
        if name == "fixed":
            a = _predict(row, speed, 0.0, 0.0)[metric]
            b = _predict(row, speed, 1.0, 0.0)[metric]
            value = (target - a) / (b - a) if b > a else 1.0
        else:
            s1, g1 = 1.0, _predict(row, 1.0, fixed, 0.0)[metric]
            s2 = min(high, max(low, target / g1))
            g2 = _predict(row, s2, fixed, 0.0)[metric]
            value = s2
            if s2 != s1 and g2 != g1:
                slope = math.log(g2 / g1) / math.log(s2 / s1)
                if slope > 0.05:
                    value = s2 * (target / g2) ** (1 / slope)
        return row["id"], min(high, max(low, value))
    except ValueError:
        return row["id"], None


def medians(values: dict[str, float], groups: dict[str, tuple], fallback: dict[str, str]
            ) -> tuple[dict, dict]:
    """Per-group medians, and per-row medians of the other rows (group, else engine)."""
    by_group: dict[tuple, list[tuple[str, float]]] = defaultdict(list)
    by_engine: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for rid, v in values.items():
        by_group[groups[rid]].append((rid, v))
        by_engine[fallback[rid]].append((rid, v))
    fitted = {g: statistics.median(v for _, v in items) for g, items in by_group.items()}
    loo = {}
    for rid in groups:
        others = [v for r, v in by_group[groups[rid]] if r != rid]
        if not others:
            others = [v for r, v in by_engine[fallback[rid]] if r != rid]
        loo[rid] = statistics.median(others) if others else None
    return fitted, loo


def main(path: str, workers: int) -> None:
    rows = [r for r in json.load(open(path)) if r["expressible"]]
    usable = []
    for r in rows:
        try:
            replica(r)
            usable.append(r)
        except ValueError as exc:
            print("skip", r["id"], exc, file=sys.stderr)
    groups = {r["id"]: group_of(r) for r in usable}
    engines = {r["id"]: engine_id(r) for r in usable}
    by_id = {r["id"]: r for r in usable}
    pool = ProcessPoolExecutor(workers)
    jobs = [(r, "speed", "output_tokens_per_s_per_gpu", 1.0, 1.0) for r in usable
            if "output_tokens_per_s_per_gpu" in r["measured"]]
    speeds = {k: v for k, v in pool.map(implied, jobs, chunksize=1) if v is not None}
    speed_fit, speed_loo = medians(speeds, groups, engines)
    default_speed = {e: statistics.median(v for g, v in speed_fit.items() if g[0] == e)
                     for e in set(engines.values())}

    def speed_of(rid: str, loo: bool) -> float:
        v = speed_loo.get(rid) if loo else speed_fit.get(groups[rid])
        return v if v is not None else default_speed[engines[rid]]

    jobs = [(r, "fixed", "tpot_ms_mean", speed_of(r["id"], False), 1.0) for r in usable
            if "tpot_ms_mean" in r["measured"]]
    fixeds = {k: v for k, v in pool.map(implied, jobs, chunksize=1) if v is not None}
    fixed_fit, fixed_loo = medians(fixeds, groups, engines)

    def fixed_of(rid: str, loo: bool) -> float:
        v = fixed_loo.get(rid) if loo else fixed_fit.get(groups[rid])
        return v if v is not None else 1.0

    ttft_rows = [r for r in usable if "ttft_ms_mean" in r["measured"]]
    preds = pool.map(_ttft_job, [(r, speed_of(r["id"], False), fixed_of(r["id"], False))
                                 for r in ttft_rows])
    requests = {r["id"]: max(0.0, (r["measured"]["ttft_ms_mean"] - p) / 1000)
                for r, p in zip(ttft_rows, preds)}
    by_engine = {rid: engines[rid] for rid in groups}
    request_fit, request_loo = medians(requests, by_engine, by_engine)
    out = {
        "note": "Written by tools/fit_engines.py from the accuracy ledger "
                "(snippets/fieldguide/validation/serving_benchmarks.json): per group "
                "(engine, generation, compute precision) the median implied speed (x MBU and "
                "MFU) and fixed-cost multiplier, per engine the median request overhead; "
                "leave_one_out holds each row's values from the other rows only.",
        "groups": [{"engine": g[0], "generation": g[1], "precision": g[2],
                    "speed": speed_fit.get(g), "fixed": fixed_fit.get(g),
                    "rows": sorted(rid for rid in groups if groups[rid] == g)}
                   for g in sorted(set(groups.values()))],
        "request_s": request_fit,
        "leave_one_out": {rid: scaled_overrides(
            by_id[rid], speed=speed_of(rid, True), fixed=fixed_of(rid, True),
            request_s=request_loo.get(rid) if request_loo.get(rid) is not None
            else request_fit.get(engines[rid], 0.0)) for rid in sorted(groups)},
    }
    for g in out["groups"]:
        first = by_id[g["rows"][0]]
        sim, _ = replica(first)
        d = sim.step_model.deployment
        from servecalc.engines import get_engine
        base = get_engine(d.engine).efficiency(d.gpu, d.compute_dtype)
        speed = g["speed"] if g["speed"] is not None else default_speed[g["engine"]]
        fixed = g["fixed"] if g["fixed"] is not None else 1.0
        g["preset_row"] = {"mbu": round(min(1.0, base.mbu * speed), 3),
                           "mfu": round(min(1.0, base.mfu * speed), 3),
                           "layer_s": float(f"{base.layer_s * fixed:.3g}"),
                           "moe_layer_s": float(f"{base.moe_layer_s * fixed:.3g}")}
    with open("snippets/servecalc/catalog/engine_fit.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    for g in out["groups"]:
        print(g["engine"], g["generation"], g["precision"], g["speed"], g["fixed"], len(g["rows"]),
              g["preset_row"])
    print("request_s", request_fit)


def _ttft_job(job: tuple) -> float:
    row, speed, fixed = job
    try:
        return _predict(row, speed, fixed, 0.0)["ttft_ms_mean"]
    except ValueError:
        return row["measured"]["ttft_ms_mean"]


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
