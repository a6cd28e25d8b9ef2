"""Fit the engine presets' few parameters to the accuracy ledger's measurements.

Usage, from the repository root:

* ``python tools/fit_engines.py LEDGER.json [WORKERS]`` (the ledger is
  ``snippets/fieldguide/validation/serving_benchmarks.json``) simulates every
  expressible row on a grid of parameters (``tools/fit_surrogate.py``; about
  30 000 simulations, 10-20 minutes of CPU, kept in ``build/fit_grid.json``;
  ``--grid=FILE`` reuses a saved grid),
  fits, and writes ``snippets/servecalc/catalog/engine_fit.json``;
* ``python tools/fit_engines.py --apply LEDGER.json`` writes the fitted rows
  into ``catalog/engines.json``.

What is fitted, per (engine, GPU generation, compute precision, dense or MoE)
group: three numbers -- the kernels' bandwidth utilisation ``mbu``, their FLOP
utilisation ``mfu`` (separately: a prefill-heavy run is bound by the second,
a long decode by the first), and ``fixed``, a multiplier on the engine's
documented per-layer and per-MoE-layer step costs. Per group with fixed-concurrency
rows, and pooled per engine for the others: the request overhead (seconds outside
the engine's steps in every request's TTFT), a fixed part and a part per request
already outstanding when it is sent (in a closed loop of C clients, C - 1).

How: the parameters minimise the sum over the group's rows and metrics (output
tokens/s per GPU, mean TPOT, mean TTFT) of ``|log(predicted / measured)|``, a
robust loss whose minimiser is a median-like compromise, plus a small pull of
``fixed`` towards 1 (it is barely identified by max-throughput rows). A group's
step parameters and its request overhead are fitted in turn. Predictions during the fit
interpolate the row's grid; the ledger's own predictions are fresh simulations.

Leave-one-out: for every row, every row with the same settings (engine,
model, GPU, layout, precisions, lengths, concurrency; a rerun on another date)
is dropped too; its group is refitted from the rest (from the grid, not from
the full fit), then its group's request overhead from the group's other rows;
the engine's other groups keep their full fit. The row is predicted with those values. A row alone in
its group takes the fit of its engine's other rows of the same architecture,
pooled.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent / "snippets"))
sys.path.insert(0, str(_HERE))

import fit_surrogate as S  # noqa: E402
from servecalc.benchmarks import engine_id, replica  # noqa: E402
from servecalc.engines import architecture_of, generation_of  # noqa: E402

#: The pull of ``fixed`` towards the documented costs (loss per unit of |fixed - 1|), and
#: of MBU and MFU towards the engine's documented values (per unit of |log ratio|): it
#: only decides what the rows leave open (an MFU no prefill-bound row constrains).
FIXED_PULL = 0.02
#: Bounds of the fitted values, so that a fitted value stays a plausible utilisation: MBU
#: at most 0.92 (streaming copies reach about 90 % of peak bandwidth: stas00/ml-engineering,
#: compute/accelerator), MFU between 0.15 and 0.85 (the largest well-shaped GEMMs reach
#: 80-86 % of peak: ibid., "Maximum Achievable Matmul FLOPS"); fixed costs at most five
#: times the documented ones; request overheads at most half a second, plus at most 50 ms
#: per outstanding request (a front end that slow would be all a benchmark measured).
BOUNDS = {"mbu": (0.2, 0.92), "mfu": (0.15, 0.85), "fixed": (0.0, 5.0),
          "request_s": (0.0, 0.5), "per_outstanding_s": (0.0, 0.05)}

Params = tuple[float, float, float]   # (mbu, mfu, fixed)
Request = tuple[float, float]         # (seconds per request, per outstanding request)
NO_REQUEST: Request = (0.0, 0.0)
#: Where the alternation of step parameters and request overhead starts (50 ms, a typical
#: tokenise-and-schedule time; the fit moves it), and how many turns a leave-one-out
#: refit takes (the full fit takes three; two settle within the fit's tolerance).
START_REQUEST: Request = (0.05, 0.0)
LOO_ROUNDS = 2


def group_of(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(engine, GPU generation, compute precision, architecture) of a row."""
    sim, _ = replica(row)
    d = sim.step_model.deployment
    return (d.engine, generation_of(d.gpu), d.compute_dtype, architecture_of(d.model))


def setting_of(row: Mapping[str, Any]) -> tuple:
    """What makes two rows the same measurement taken twice."""
    return tuple(row.get(k) for k in ("kind", "engine", "model", "gpu", "gpus", "tp",
                                      "weight_precision", "kv_precision", "input_tokens",
                                      "output_tokens", "concurrency", "random_range_ratio"))


class Point:
    """One row prepared for the fit: its measured metrics and the log of its grid."""

    def __init__(self, row: Mapping[str, Any], grid: Mapping[str, list[float]]) -> None:
        self.id = row["id"]
        self.fixed_concurrency = row["kind"] == "fixed_concurrency"
        # requests already outstanding when one is sent, in the steady closed loop
        self.outstanding = (row["concurrency"] - 1) if self.fixed_concurrency else 0
        ratio = row.get("random_range_ratio") or 1.0
        self.output = (1 + ratio) / 2 * row["output_tokens"]
        self.measured = {m: row["measured"][m] for m in grid}
        self.logs = {m: [math.log(v) for v in values] for m, values in grid.items()}

    def predict(self, params: Params, request: Request) -> dict[str, float]:
        """Interpolated metrics; a request overhead adds to TTFT and, in a closed loop,
        to each request's cycle (throughput falls by cycle / (cycle + overhead))."""
        return self.predict_at(S.corners(*params), request)

    def predict_at(self, where: list[tuple[int, float]], request: Request) -> dict[str, float]:
        """:meth:`predict` at a point's grid corners (:func:`fit_surrogate.corners`)."""
        out = {m: S.interpolate(v, where) for m, v in self.logs.items()}
        request_s = request[0] + request[1] * self.outstanding
        if self.fixed_concurrency and request_s:
            tpot = out.get("tpot_ms_mean", 0.0) / 1000
            cycle = out.get("ttft_ms_mean", 0.0) / 1000 + (self.output - 1) * tpot
            if "output_tokens_per_s_per_gpu" in out and cycle > 0:
                out["output_tokens_per_s_per_gpu"] *= cycle / (cycle + request_s)
            if "ttft_ms_mean" in out:
                out["ttft_ms_mean"] += 1000 * request_s
        return out

    def loss(self, params: Params, request: Request) -> float:
        return self.loss_at(S.corners(*params), request)

    def loss_at(self, where: list[tuple[int, float]], request: Request) -> float:
        """Summed |log(predicted / measured)| over the row's metrics."""
        p = self.predict_at(where, request)
        total = 0.0
        for m, v in self.measured.items():
            total += abs(math.log(p[m] / v))
        return total


def _clamp(name: str, value: float) -> float:
    lo, hi = BOUNDS[name]
    return min(hi, max(lo, value))


def _params(x: Sequence[float]) -> Params:
    return (_clamp("mbu", math.exp(x[0])), _clamp("mfu", math.exp(x[1])),
            _clamp("fixed", x[2]))


def nelder_mead(f: Callable[[Sequence[float]], float], start: Sequence[float],
                steps: Sequence[float], iterations: int = 200) -> list[float]:
    """Minimise ``f`` from ``start`` (the textbook simplex; no derivatives: the loss is
    piecewise smooth)."""
    n = len(start)
    simplex = [list(start)] + [[s + (steps[i] if i == j else 0.0) for j, s in enumerate(start)]
                               for i in range(n)]
    values = [f(p) for p in simplex]
    for _ in range(iterations):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centroid = [math.fsum(p[i] for p in simplex[:-1]) / n for i in range(n)]
        worst = simplex[-1]
        reflect = [c + (c - w) for c, w in zip(centroid, worst)]
        fr = f(reflect)
        if fr < values[0]:
            expand = [c + 2 * (c - w) for c, w in zip(centroid, worst)]
            fe = f(expand)
            simplex[-1], values[-1] = (expand, fe) if fe < fr else (reflect, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflect, fr
        else:
            contract = [c + 0.5 * (w - c) for c, w in zip(centroid, worst)]
            fc = f(contract)
            if fc < values[-1]:
                simplex[-1], values[-1] = contract, fc
            else:
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (p - b) for b, p in zip(best, q)]
                                    for q in simplex[1:]]
                values = [values[0]] + [f(p) for p in simplex[1:]]
        if max(values) - min(values) < 1e-7:
            break
    return simplex[min(range(n + 1), key=values.__getitem__)]


def fit_group(points: Sequence[Point], request: Request,
              start: Params | None = None, prior: tuple[float, float] = (0.72, 0.5)) -> Params:
    """The group's (mbu, mfu, fixed) at a given request overhead. ``prior``: the engine's
    documented (mbu, mfu), which a value the rows do not pin down stays near."""
    def loss(x: Sequence[float]) -> float:
        p = _params(x)
        where = S.corners(*p)
        total = FIXED_PULL * (abs(p[2] - 1) + abs(math.log(p[0] / prior[0]))
                              + abs(math.log(p[1] / prior[1])))
        for pt in points:
            total += pt.loss_at(where, request)
        return total

    if start is None:   # best grid point, then the simplex from there
        candidates = [(math.log(b), math.log(f), x) for b in S.MBU for f in S.MFU
                      for x in S.FIXED]
        x0 = min(candidates, key=loss)
    else:
        x0 = (math.log(start[0]), math.log(start[1]), start[2])
    if start is None:
        x0 = nelder_mead(loss, x0, (0.2, 0.2, 0.5))
    return _params(nelder_mead(loss, x0, (0.05, 0.05, 0.1)))


def timed(points: Sequence[Point]) -> list[Point]:
    """The points with a measured mean TTFT (the ones a request overhead is fitted to)."""
    return [p for p in points if "ttft_ms_mean" in p.measured]


def fit_request(points: Sequence[Point], params: Mapping[tuple, Params],
                groups: Mapping[str, tuple]) -> Request:
    """The request overhead (fixed, per outstanding request) that best fits ``points``
    given their groups' parameters: the best of a coarse grid, then the simplex."""
    points = timed(points)
    if not points:
        return NO_REQUEST
    where = {p.id: S.corners(*params[groups[p.id]]) for p in points}

    def clamp(x: Sequence[float]) -> Request:
        return (_clamp("request_s", x[0]), _clamp("per_outstanding_s", x[1]))

    def loss(x: Sequence[float]) -> float:
        r = clamp(x)
        return math.fsum(p.loss_at(where[p.id], r) for p in points)

    lo, hi = BOUNDS["request_s"]
    plo, phi = BOUNDS["per_outstanding_s"]
    coarse = [(lo + (hi - lo) * i / 10, plo + (phi - plo) * j / 20)
              for i in range(11) for j in range(21)]
    x0 = min(coarse, key=loss)
    return clamp(nelder_mead(loss, x0, ((hi - lo) / 20, (phi - plo) / 40)))


def fit_engine(points: Sequence[Point], groups: Mapping[str, tuple],
               start: Mapping[tuple, Params] | None = None,
               rounds: int = 3) -> tuple[dict[tuple, Params], dict[tuple, Request], Request]:
    """Every group of one engine, its request overhead (a group without timed rows takes
    the engine's pooled one), fitted in turn; and the engine's pooled request overhead."""
    members: dict[tuple, list[Point]] = defaultdict(list)
    for p in points:
        members[groups[p.id]].append(p)
    params = dict(start or {})
    pooled = START_REQUEST
    request = {g: pooled for g in members}
    for _ in range(rounds):
        params = {g: fit_group(pts, request[g], params.get(g), _prior(g))
                  for g, pts in members.items()}
        pooled = fit_request(points, params, groups)
        request = {g: fit_request(pts, params, groups) if timed(pts) else pooled
                   for g, pts in members.items()}
    return params, request, pooled


def _prior(g: tuple) -> tuple[float, float]:
    try:
        base = S.base_row(g[0])
    except (ValueError, StopIteration):   # an engine outside the catalog (tests)
        return (0.72, 0.5)
    return (base.mbu, base.mfu)


def pooled_key(g: tuple) -> tuple:
    return (g[0], "*", "*", g[3])


def leave_one_out(job: tuple) -> tuple[str, dict]:
    """One row's parameters from a fit without every row of its setting: its group
    refitted from the others (the other groups keep their fit), then its group's
    request overhead from the group's other timed rows (the engine's other timed rows,
    pooled, where it has none)."""
    rid, points, groups, settings, fitted = job
    mine = groups[rid]
    rest = [p for p in points if settings[p.id] != settings[rid]]
    same = [p for p in rest if groups[p.id] == mine]
    local, key = dict(groups), mine
    if not same:   # alone in its group: its engine's other rows of its architecture, pooled
        same = [p for p in rest if groups[p.id][3] == mine[3]]
        key = pooled_key(mine)
        local.update({p.id: key for p in same})
    params = dict(fitted)
    # from the grid, not from the full fit: nothing of the row, not even a starting point
    # or the request overhead the full fit found with it; the two in turn, as fit_engine
    r = START_REQUEST
    for _ in range(LOO_ROUNDS):
        params[key] = fit_group(same, r, prior=_prior(key))
        r = fit_request(same if timed(same) else rest, params, local)
    return rid, {"params": params[key], "request": r}


def load_rows(path: str) -> list[dict]:
    return [r for r in json.load(open(path)) if r["expressible"]]


def main(path: str, workers: int, grid_path: str | None) -> None:
    rows = load_rows(path)
    if grid_path:
        grids = json.load(open(grid_path))["grids"]
    else:
        with ProcessPoolExecutor(workers) as pool:
            grids = dict(pool.map(S.grid, rows, chunksize=2))
        # kept, so that a change to the fit alone reruns in seconds (--grid=build/fit_grid.json)
        Path("build").mkdir(exist_ok=True)
        with open("build/fit_grid.json", "w") as f:
            json.dump({"grids": grids}, f)
    rows = [r for r in rows if grids.get(r["id"])]
    by_id = {r["id"]: r for r in rows}
    groups = {r["id"]: group_of(r) for r in rows}
    settings = {r["id"]: setting_of(r) for r in rows}
    points = [Point(r, grids[r["id"]]) for r in rows]
    fitted: dict[tuple, Params] = {}
    request: dict[tuple, Request] = {}
    pooled: dict[str, Request] = {}
    for engine in sorted({g[0] for g in groups.values()}):
        mine = [p for p in points if groups[p.id][0] == engine]
        params, mine_request, pooled[engine] = fit_engine(mine, groups)
        fitted.update(params)
        request.update(mine_request)
        print(engine, "request", pooled[engine], file=sys.stderr)
    jobs = [(p.id, [q for q in points if groups[q.id][0] == groups[p.id][0]], groups, settings,
             fitted) for p in points]
    with ProcessPoolExecutor(workers) as pool:
        loo = dict(pool.map(leave_one_out, jobs, chunksize=4))
    write(by_id, groups, fitted, request, pooled, loo)
    report(points, by_id, groups, fitted, request, loo)


def report(points: Sequence[Point], by_id: Mapping[str, dict], groups: Mapping[str, tuple],
           fitted: Mapping[tuple, Params], request: Mapping[tuple, Request],
           loo: Mapping[str, dict]) -> None:
    """Median |error| per kind and metric as the surrogate sees it (fitted, held out):
    a quick look before tools/ledger_predictions.py simulates the rows."""
    errors: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    for p in points:
        fit = p.predict(fitted[groups[p.id]], request[groups[p.id]])
        held = p.predict(loo[p.id]["params"], loo[p.id]["request"])
        for m, v in p.measured.items():
            errors[by_id[p.id]["kind"], m].append((abs(fit[m] / v - 1), abs(held[m] / v - 1)))
    for key, pairs in sorted(errors.items()):
        a = sorted(x for x, _ in pairs)
        b = sorted(y for _, y in pairs)
        print(*key, len(a), f"fitted {a[len(a) // 2]:.3f}", f"held out {b[len(b) // 2]:.3f}",
              file=sys.stderr)


def _rounded(r: Request) -> dict[str, float]:
    return {"request_overhead_s": round(r[0], 4),
            "request_overhead_per_outstanding_s": round(r[1], 5)}


def write(by_id: Mapping[str, dict], groups: Mapping[str, tuple], fitted: Mapping[tuple, Params],
          request: Mapping[tuple, Request], pooled: Mapping[str, Request],
          loo: Mapping[str, dict]) -> None:
    out = {
        "note": "Written by tools/fit_engines.py from the accuracy ledger "
                "(snippets/fieldguide/validation/serving_benchmarks.json): per group "
                "(engine, generation, compute precision, architecture) the fitted MBU, MFU "
                "and fixed-cost multiplier (on the engine's documented per-layer costs), and "
                "for a group with fixed-concurrency rows its request overhead (seconds per "
                "request, and per request outstanding when it is sent); per engine the "
                "request overhead pooled over its groups (request_s), for the others; "
                "leave_one_out holds each row's overrides from a refit without it (and "
                "without reruns of its setting).",
        "groups": [],
        "request_s": {e: _rounded(v) for e, v in sorted(pooled.items())},
        "leave_one_out": {},
    }
    for g in sorted(fitted):
        mbu, mfu, fixed = fitted[g]
        base = S.base_row(g[0])
        members = sorted(rid for rid in groups if groups[rid] == g)
        own = ({"request": _rounded(request[g])}
               if any("ttft_ms_mean" in by_id[rid]["measured"] for rid in members) else {})
        out["groups"].append({**own,
            "engine": g[0], "generation": g[1], "precision": g[2], "architecture": g[3],
            "mbu": round(mbu, 3), "mfu": round(mfu, 3), "fixed": round(fixed, 3),
            "rows": members,
            "preset_row": {"mbu": round(mbu, 3), "mfu": round(mfu, 3),
                           "layer_s": float(f"{base.layer_s * round(fixed, 3):.3g}"),
                           "moe_layer_s": float(f"{base.moe_layer_s * round(fixed, 3):.3g}")}})
    for rid in sorted(loo):
        mbu, mfu, fixed = loo[rid]["params"]
        r0, r1 = loo[rid]["request"]
        out["leave_one_out"][rid] = S.overrides(by_id[rid], round(mbu, 4), round(mfu, 4),
                                                round(fixed, 4), (round(r0, 4), round(r1, 5)))
    with open("snippets/servecalc/catalog/engine_fit.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    for g in out["groups"]:
        print(g["engine"], g["generation"], g["precision"], g["architecture"], g["mbu"], g["mfu"],
              g["fixed"], len(g["rows"]))
    print("request_s", out["request_s"])


def apply(ledger_path: str) -> None:
    """Write the fitted groups into catalog/engines.json as efficiency rows (and the
    engines' request overheads), each naming the rows it was fitted to."""
    fit = json.load(open("snippets/servecalc/catalog/engine_fit.json"))
    rows = {r["id"]: r for r in json.load(open(ledger_path))}
    path = "snippets/servecalc/catalog/engines.json"
    doc = json.load(open(path))
    presets = {e["id"]: e for e in doc["entries"]}
    for preset in presets.values():   # rows of an earlier fit go; the new ones replace them
        preset["efficiency"][:] = [r for r in preset["efficiency"]
                                   if not r["source"].startswith("fitted")]
    for g in fit["groups"]:
        members = [rows[i] for i in g["rows"]]
        titles = sorted({m["source"]["title"].split(" (")[0] for m in members})
        dates = sorted({m["source"]["date"] for m in members})
        base = S.base_row(g["engine"])
        row = {"generation": g["generation"], "precision": g["precision"],
               "architecture": g["architecture"],
               **g["preset_row"], "step_s": base.step_s, "allreduce_s": base.allreduce_s,
               **g.get("request", {}),
               "source": f"fitted to {len(members)} measurements ({'; '.join(titles)}; "
                         f"{dates[0]} to {dates[-1]}) in the accuracy ledger: MBU, MFU and a "
                         f"multiplier ({g['fixed']}) on the documented per-layer costs"
                         + (", then the request overhead (per request and per request "
                            "outstanding when it is sent)" if "request" in g else "")
                         + ", minimising the summed absolute log error of throughput, TPOT "
                         "and TTFT (tools/fit_engines.py)",
               "source_date": dates[-1]}
        effs = presets[g["engine"]]["efficiency"]
        effs[:] = [r for r in effs if (r["generation"], r["precision"],
                                       r.get("architecture", "*"))
                   != (g["generation"], g["precision"], g["architecture"])] + [row]
    for engine, pooled in fit["request_s"].items():
        members = [rows[i] for i in fit["leave_one_out"] if rows[i]["engine"] == engine
                   and "ttft_ms_mean" in rows[i]["measured"]]
        if not members:
            continue
        dates = sorted({m["source"]["date"] for m in members})
        presets[engine].update(pooled)
        presets[engine]["request_source"] = (
            f"fitted with the efficiencies to the {len(members)} fixed-concurrency runs with a "
            f"mean TTFT in the accuracy ledger ({dates[0]} to {dates[-1]}), pooled over the "
            "engine's groups (a group with such runs has its own, in its efficiency row): "
            "the seconds outside the engine's steps, per request and per request "
            "outstanding when it is sent, that minimise the summed absolute log error "
            "(tools/fit_engines.py)")
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    if sys.argv[1] == "--apply":
        apply(sys.argv[2])
    else:
        args = [a for a in sys.argv[1:] if not a.startswith("--grid")]
        grid = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--grid=")), None)
        main(args[0], int(args[1]) if len(args) > 1 else 1, grid)
