"""``servecalc calibrate``: fit MBU, MFU and per-step overhead to measured steps."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..units import fmt_duration, fmt_int, fmt_percent
from .common import Command, command, pairs, read_file, table

COMMANDS: dict[str, Command] = {}

if TYPE_CHECKING:  # the library loads when the command runs
    from ..calibration import Calibration


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--measurements", required=True, metavar="FILE",
                   help="JSON Lines, one measured step per line: model, gpu, gpus, phase "
                   "(decode|prefill), batch, context, seconds [, weight_dtype, kv_dtype]")


#: Columns of :func:`point_rows`.
POINT_HEADERS = ("line", "phase", "batch", "context", "measured", "predicted", "error",
                 "with defaults")


def summary_rows(cal: Calibration) -> list[tuple[str, str]]:
    """The fitted values and the median error, as the command prints them."""
    return [
        ("mbu", f"{cal.mbu:.3f}"),
        ("mfu", f"{cal.mfu:.3f}"),
        ("overhead per step", fmt_duration(cal.overhead_s, "ms", 3)),
        ("median |error|", fmt_percent(cal.median_abs_error, 1)),
    ]


def point_rows(cal: Calibration) -> list[list[str]]:
    """One row per measured step (:data:`POINT_HEADERS`): measured against predicted,
    the error after the fit and with the default efficiencies."""
    return [[str(p.line), p.phase, fmt_int(p.batch), fmt_int(p.context),
             fmt_duration(p.measured_s, "ms", 2), fmt_duration(p.predicted_s, "ms", 2),
             fmt_percent(p.rel_error, 1), fmt_percent(p.default_rel_error, 1)]
            for p in cal.points]


@command(COMMANDS, "calibrate", "fit MBU, MFU and per-step overhead to measured steps",
         configure=_configure)
def _run(args: argparse.Namespace) -> tuple[Any, str]:
    """Fit the step model's three named efficiencies (bounded) to measured step times in a JSON
    Lines file; prints the calibration (--json: the file that --calibration reads) and each point's
    relative error. The guide's accuracy page runs the same fit in the browser."""
    from ..calibration import calibrate, read_measurements

    points = read_measurements(read_file(args.measurements, "--measurements"),
                               name=args.measurements)
    cal = calibrate(points)
    text = pairs(summary_rows(cal)) + "\n\n" + table(
        POINT_HEADERS, point_rows(cal), right={0, 2, 3, 4, 5, 6, 7})
    return cal.to_dict(), text
