"""``servecalc simulate``: one replica under Poisson load."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_duration, fmt_int, fmt_number
from .checks import count, number
from .common import Command, deployment_from_args, jsonable, pairs


def _configure_simulate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=number("rate"), required=True, metavar="R",
                   help="arrivals per second (Poisson)")
    p.add_argument("--requests", type=count("requests"), required=True,
                   metavar="N", help="requests to run")
    p.add_argument("--policy", default="continuous", choices=("static", "continuous", "chunked"),
                   help="batching policy: %(choices)s (default: continuous)")
    p.add_argument("--prompt", default="512", metavar="P",
                   help="prompt tokens: N, uniform:LOW-HIGH, lognormal:MEAN,SIGMA or "
                   "list:A,B,... (default: 512)")
    p.add_argument("--output", default="256", metavar="O",
                   help="output tokens, same forms as --prompt (default: 256)")
    p.add_argument("--seed", type=count("seed", zero=True), default=0,
                   metavar="S", help="random seed (default: 0)")
    p.add_argument("--max-batch", type=count("max_batch"), default=256, metavar="B",
                   help="most sequences in the engine at once (default: 256)")
    p.add_argument("--max-batched-tokens", type=count("max_batched_tokens"), default=None,
                   metavar="T",
                   help="token budget per step: prompt tokens per prefill step for continuous "
                   "(default: no limit), all tokens per step for chunked (default: 2048)")
    p.add_argument("--slo", default="mlperf-llama2-70b-server", metavar="NAME",
                   help="SLO preset for goodput, from `servecalc slos` "
                   "(default: mlperf-llama2-70b-server)")


def _run_simulate(args: argparse.Namespace) -> tuple[Any, str]:
    from ..simulate import simulate_poisson

    r = simulate_poisson(deployment_from_args(args), rate=args.rate, requests=args.requests,
                         prompt=args.prompt, output=args.output, policy=args.policy,
                         seed=args.seed, slo=args.slo, max_batch=args.max_batch,
                         max_batched_tokens=args.max_batched_tokens)

    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        if s.count == 0:  # TPOT needs two tokens: every output here was one token long
            return (name, "n/a (no request produced more than one token)")
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    text = (
        f"{fmt_int(r.requests)} requests at {fmt_number(args.rate, 2)}/s, {args.policy} "
        f"batching, prompt {args.prompt}, output {args.output}, seed {args.seed}\n"
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


COMMANDS = {
    "simulate": Command(
        help="simulate a replica under Poisson load",
        description="Discrete-event simulation of one replica serving N requests arriving at "
        "R per second: TTFT, TPOT and end-to-end percentiles, throughput and goodput.",
        options="deployment", configure=_configure_simulate, run=_run_simulate),
}
