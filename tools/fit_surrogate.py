"""Per-row surrogate of the simulator for tools/fit_engines.py: each ledger row simulated
on a grid of (MBU, MFU, fixed-cost multiplier), with no request overhead.

A fit then evaluates thousands of parameter choices, and a leave-one-out refit for
every row, by interpolating these grids (log of each metric, multilinear in log MBU,
log MFU and the fixed-cost multiplier); the predictions the ledger prints are fresh
simulations at the fitted values, never the interpolation.
"""

from __future__ import annotations

import bisect
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets"))

from servecalc.benchmarks import predict, replica  # noqa: E402
from servecalc.engines import get_engine  # noqa: E402

#: Grid of absolute MBU and MFU values, and of multipliers on the engine's documented
#: per-layer and per-MoE-layer costs (its ("*", "*") efficiency row).
MBU = (0.2, 0.3, 0.45, 0.67, 1.0)
MFU = (0.1, 0.18, 0.32, 0.56, 1.0)
FIXED = (0.0, 1.0, 2.5, 5.0)
#: A max-throughput run keeps hundreds of sequences in each step, so per-layer costs
#: move it little (and nearly linearly): two values suffice, and its simulations are the
#: expensive ones. Interpolation reads the grid with four values; a row's two values
#: are spread over the four by :func:`grid` (linear in the multiplier).
FIXED_SATURATED = (0.0, 5.0)
#: Metrics fitted (interactivity is 1 / TPOT of the median request: not fitted twice).
FITTED = ("output_tokens_per_s_per_gpu", "tpot_ms_mean", "ttft_ms_mean")


def base_row(engine: str) -> Any:
    """The engine's documented ("*", "*", "*") efficiency row: what fixed multiplies."""
    return next(r for r in get_engine(engine).efficiency_rows
                if (r.generation, r.precision, r.architecture) == ("*", "*", "*"))


def overrides(row: Mapping[str, Any], mbu: float, mfu: float, fixed: float,
              request: tuple[float, float]) -> dict[str, float]:
    """The Deployment/Engine overrides of one parameter choice for ``row``; ``request``:
    seconds per request and per request outstanding when it is sent."""
    sim, _ = replica(row)
    d = sim.step_model.deployment
    base = base_row(d.engine)
    spec = d.model
    moe_layers = spec.num_layers - spec.first_dense_layers if spec.num_experts else 0
    overhead = base.step_s + fixed * (base.layer_s * spec.num_layers
                                      + base.moe_layer_s * moe_layers)
    return {"mbu": min(1.0, mbu), "mfu": min(1.0, mfu), "overhead_s": overhead,
            "request_overhead_s": request[0],
            "request_overhead_per_outstanding_s": request[1]}


def grid(row: Mapping[str, Any]) -> tuple[str, dict | None]:
    """(row id, {metric: flat list of predictions over MBU x MFU x FIXED}) or None
    when the row cannot be simulated."""
    out: dict[str, list[float]] = {m: [] for m in FITTED if m in row["measured"]}
    saturated = row["kind"] == "max_throughput"
    try:
        for b in MBU:
            for f in MFU:
                if saturated:   # log-linear between the two ends
                    lo, hi = (predict(row, **overrides(row, b, f, x, (0.0, 0.0)))
                              for x in FIXED_SATURATED)
                    span = FIXED_SATURATED[1] - FIXED_SATURATED[0]
                    for m in out:
                        for x in FIXED:
                            t = (x - FIXED_SATURATED[0]) / span
                            out[m].append(math.exp((1 - t) * math.log(lo[m])
                                                   + t * math.log(hi[m])))
                    continue
                for x in FIXED:
                    p = predict(row, **overrides(row, b, f, x, (0.0, 0.0)))
                    for m in out:
                        out[m].append(p[m])
    except ValueError:
        return row["id"], None
    return row["id"], out


def _bracket(axis: Sequence[float], value: float) -> tuple[int, float]:
    i = min(max(bisect.bisect_right(axis, value) - 1, 0), len(axis) - 2)
    lo, hi = axis[i], axis[i + 1]
    return i, min(1.0, max(0.0, (value - lo) / (hi - lo)))


LOG_MBU = tuple(math.log(v) for v in MBU)
LOG_MFU = tuple(math.log(v) for v in MFU)


def corners(mbu: float, mfu: float, fixed: float) -> list[tuple[int, float]]:
    """(flat grid index, weight) of the 8 corners around a point (clamped to the grid)."""
    i, a = _bracket(LOG_MBU, math.log(mbu))
    j, b = _bracket(LOG_MFU, math.log(mfu))
    k, c = _bracket(FIXED, fixed)
    nf, nx = len(MFU), len(FIXED)
    out = []
    for di, wa in ((0, 1 - a), (1, a)):
        for dj, wb in ((0, 1 - b), (1, b)):
            for dk, wc in ((0, 1 - c), (1, c)):
                w = wa * wb * wc
                if w:
                    out.append((((i + di) * nf + j + dj) * nx + k + dk, w))
    return out


def interpolate(log_values: Sequence[float], where: list[tuple[int, float]]) -> float:
    """exp of the weighted log values at the corners."""
    total = 0.0
    for i, w in where:
        total += log_values[i] * w
    return math.exp(total)
