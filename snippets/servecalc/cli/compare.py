"""``servecalc compare``: a ``vllm bench serve`` result against the simulator's replay."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from ..units import fmt_int, fmt_number, fmt_percent
from .checks import count
from .common import Command, command, deployment_from_args, read_file, table

COMMANDS: dict[str, Command] = {}

if TYPE_CHECKING:  # the library loads when the command runs
    from ..compare import Comparison


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vllm-result", required=True, metavar="FILE",
                   help="JSON written by `vllm bench serve --save-result` (add --save-detailed "
                   "for per-request lengths)")
    p.add_argument("--policy", default=None, choices=("static", "continuous", "chunked"),
                   help="batching policy of the replay (default: the engine preset's)")
    p.add_argument("--seed", type=count("seed", zero=True), default=0, metavar="S",
                   help="seed of the replayed arrival times (default: 0)")
    p.add_argument("--max-batch", type=count("max_batch"), default=None, metavar="B",
                   help="most sequences in the engine at once (vLLM's --max-num-seqs, "
                   "default: the engine preset's for the GPU)")


def _fmt(metric: str, value: float) -> str:
    return fmt_number(value, 2) + (" ms" if metric.endswith("_ms") else "/s")


def replay_summary(c: Comparison) -> str:
    """One line: how many requests were replayed, at what rate, how."""
    rate = "all at once" if math.isinf(c.request_rate) else f"{fmt_number(c.request_rate, 2)}/s"
    return (f"{fmt_int(c.requests)} requests at {rate} (burstiness "
            f"{fmt_number(c.burstiness, 2)}), {c.policy} batching, seed {c.seed}"
            + ("" if c.detailed else "; lengths spread evenly from the totals "
               "(save with --save-detailed for per-request lengths)"))


#: Columns of :func:`metric_rows`.
METRIC_HEADERS = ("metric", "measured", "predicted", "error")


def metric_rows(c: Comparison) -> list[list[str]]:
    """One row per metric vLLM measured (:data:`METRIC_HEADERS`)."""
    return [[r.metric, _fmt(r.metric, r.measured), _fmt(r.metric, r.predicted),
             fmt_percent(r.rel_error, 1)] for r in c.rows]


@command(COMMANDS, "compare", "a vllm bench serve result against the simulator",
         options="deployment", configure=_configure)
def _run(args: argparse.Namespace) -> tuple[Any, str]:
    """Replay the requests of a `vllm bench serve --save-result` JSON (same lengths, same rate and
    burstiness) through the simulator on this deployment and print each measured metric next to the
    prediction. The guide's accuracy page runs the same replay in the browser."""
    from ..compare import compare_vllm
    from ..vllm_result import read_vllm_result

    result = read_vllm_result(read_file(args.vllm_result, "--vllm-result"),
                              name=args.vllm_result)
    c = compare_vllm(result, deployment_from_args(args), policy=args.policy, seed=args.seed,
                     max_batch=args.max_batch)
    text = replay_summary(c) + "\n" + table(METRIC_HEADERS, metric_rows(c), right={1, 2, 3})
    data = {
        "requests": c.requests, "request_rate": None if math.isinf(c.request_rate)
        else c.request_rate, "burstiness": c.burstiness, "policy": c.policy, "seed": c.seed,
        "detailed_lengths": c.detailed,
        "metrics": [{"metric": r.metric, "measured": r.measured, "predicted": r.predicted,
                     "rel_error": r.rel_error} for r in c.rows],
    }
    return data, text
