"""``servecalc simulate``: one replica under Poisson, bursty or recorded load."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_duration, fmt_int, fmt_number
from .capacity import add_engine_options, add_traffic_options
from .checks import count, number
from .common import Command, command, deployment_from_args, jsonable, pairs

COMMANDS: dict[str, Command] = {}


def _configure_simulate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=number("rate"), default=None, metavar="R",
                   help="arrivals per second (required unless --trace)")
    p.add_argument("--requests", type=count("requests"), default=None, metavar="N",
                   help="requests to run (required unless --trace; with it: the first N)")
    add_engine_options(p)
    add_traffic_options(p, rate_scale=True)
    p.add_argument("--slo", default="mlperf-llama2-70b-server", metavar="NAME",
                   help="SLO preset for goodput, from `servecalc slos` "
                   "(default: %(default)s)")


def _workload(args: argparse.Namespace) -> Any:
    from ..sim import gamma_workload
    from ..sim.traces import trace_workload

    if args.trace is not None:
        if args.rate is not None:
            raise ValueError("--rate does not go with --trace (its arrivals are replayed; "
                             "use --rate-scale X)")
        return trace_workload(args.trace, rate_scale=args.rate_scale, requests=args.requests)
    if args.rate is None or args.requests is None:
        raise ValueError("--rate and --requests are required without --trace")
    if args.rate_scale != 1.0:
        raise ValueError("--rate-scale goes with --trace; without it, set --rate")
    return gamma_workload(args.rate, args.requests, cv=args.arrival_cv, prompt=args.prompt,
                          output=args.output, seed=args.seed)


@command(COMMANDS, "simulate", "simulate a replica under Poisson, bursty or recorded load",
         options="deployment", configure=_configure_simulate)
def _run_simulate(args: argparse.Namespace) -> tuple[Any, str]:
    """Discrete-event simulation of one replica serving N requests arriving at R per second
    (Poisson, or gamma gaps with --arrival-cv), or a recorded trace (--trace): TTFT, TPOT and
    end-to-end percentiles, throughput and goodput."""
    from ..sim import Engine, simulate

    work = _workload(args)
    engine = Engine(deployment_from_args(args), max_batch=args.max_batch,
                    max_batched_tokens=args.max_batched_tokens)
    r = simulate(engine, work, policy=args.policy, slo=args.slo)

    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        if s.count == 0:  # TPOT needs two tokens: every output here was one token long
            return (name, "n/a (no request produced more than one token)")
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    text = (
        f"{fmt_int(r.requests)} requests, {work.description}, {args.policy} batching, "
        f"seed {args.seed}\n"
        + pairs([
            row("time to first token", r.ttft_s, "ms", 1),
            row("time per output token", r.tpot_s, "ms", 2),
            row("end to end", r.e2e_s, "s", 3),
            ("throughput", f"{fmt_number(r.throughput_tokens_per_s, 1)} output tokens/s, "
                           f"{fmt_number(r.requests_per_s, 3)} requests/s"),
            ("goodput", f"{fmt_number(r.goodput_requests_per_s, 3)} requests/s within "
                        f"{r.slo.name}"),
            ("mean batch", f"{fmt_number(r.mean_batch, 1)} (peak {fmt_int(r.peak_batch)})"),
            ("peak KV use", f"{fmt_number(100 * r.peak_kv_utilization, 1)} % of "
                            f"{fmt_int(r.kv_blocks)} blocks"),
            ("preemptions", fmt_int(r.preemptions)),
        ])
    )
    return jsonable(r.to_dict()), text
