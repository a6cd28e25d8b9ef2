"""``servecalc simulate``: one replica under Poisson, bursty or recorded load."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_duration, fmt_int, fmt_number
from .capacity import (add_engine_options, add_traffic_options, left_out_text, lengths_from_args,
                       policy_label)
from .checks import count, number, unit_share
from .common import Command, command, deployment_from_args, jsonable, pairs, table
from .progress import progress_line
from .pools import (add_pool_options, answer_latency, disagg_text, disaggregated, run_disagg,
                    thinking_workload)
from .speculative import add_speculative_options, speculation_from_args

COMMANDS: dict[str, Command] = {}


def _configure_simulate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=number("rate"), default=None, metavar="R",
                   help="arrivals per second (required unless --trace or --concurrency)")
    p.add_argument("--concurrency", type=count("concurrency"), default=None, metavar="C",
                   help="instead of a rate: C clients, each sending its next request when its "
                   "previous one completes (vllm bench serve --max-concurrency, InferenceMAX)")
    p.add_argument("--requests", type=count("requests"), default=None, metavar="N",
                   help="requests to run (required unless --trace; with it: the first N)")
    add_engine_options(p)
    add_traffic_options(p, rate_scale=True)
    p.add_argument("--slo", default="mlperf-llama2-70b-server", metavar="NAME",
                   help="SLO preset for goodput, from `servecalc slos` "
                   "(default: %(default)s)")
    add_pool_options(p)
    add_speculative_options(p)
    _add_prefix_options(p)


def _add_prefix_options(p: argparse.ArgumentParser) -> None:
    """Prefix caching, the synthetic workloads that reuse prefixes, and a routed fleet."""
    from ..sim.fleet import ROUTERS

    p.add_argument("--no-prefix-cache", action="store_true",
                   help="recompute every prompt (by default the KV pool keeps freed prompt "
                   "blocks and reuses matching prefixes, as vLLM's automatic prefix caching "
                   "does, for workloads that carry prefix hashes)")
    p.add_argument("--shared-prefix", type=count("shared_prefix", zero=True), default=0,
                   metavar="TOKENS", help="put the same TOKENS tokens (a system prompt) "
                   "before every prompt (default: 0; not with --trace)")
    p.add_argument("--turns", type=count("turns"), default=1, metavar="T",
                   help="multi-turn chats: each conversation sends T requests, each prompt "
                   "the conversation so far plus a new --prompt message; --rate counts "
                   "requests (default: 1, independent requests; not with --trace)")
    p.add_argument("--think-time", type=number("think_time", zero=True), default=5.0,
                   metavar="S", help="with --turns: seconds between a conversation's turns "
                   "(default: %(default)g; agent sessions: short)")
    p.add_argument("--replicas", type=count("replicas"), default=1, metavar="R",
                   help="R identical replicas behind a router (default: %(default)s)")
    p.add_argument("--router", default="round-robin", choices=ROUTERS,
                   help="with --replicas: %(choices)s (default: %(default)s; prefix-aware "
                   "sends a request to the replica holding its prefix, as llm-d, Dynamo and "
                   "SGLang's routers do)")


def _workload(args: argparse.Namespace) -> Any:
    from ..sim import gamma_workload
    from ..sim.traces import trace_workload
    from ..sim.workload import closed_workload

    if args.trace is not None:
        if args.rate is not None or args.concurrency is not None:
            raise ValueError("--rate and --concurrency do not go with --trace (its arrivals are "
                             "replayed; use --rate-scale X)")
        if getattr(args, "shared_prefix", 0) or getattr(args, "turns", 1) > 1:
            raise ValueError("--shared-prefix and --turns do not go with --trace (the trace "
                             "carries its own prefixes)")
        return trace_workload(args.trace, rate_scale=args.rate_scale, requests=args.requests)
    if args.rate_scale != 1.0:
        raise ValueError("--rate-scale goes with --trace; without it, set --rate")
    prompt, output = lengths_from_args(args)
    if args.concurrency is not None:
        if args.rate is not None or args.requests is None:
            raise ValueError("--concurrency takes --requests N and no --rate (clients send "
                             "when their previous request completes)")
        return closed_workload(args.concurrency, args.requests, prompt=prompt, output=output,
                               seed=args.seed)
    if args.rate is None or args.requests is None:
        raise ValueError("--rate and --requests (or --concurrency and --requests) are "
                         "required without --trace")
    if getattr(args, "turns", 1) > 1:
        from ..sim.sessions import chat_workload

        if args.arrival_cv != 1.0:
            raise ValueError("--arrival-cv does not go with --turns (conversations start as "
                             "a Poisson process)")
        return chat_workload(args.rate, args.requests, turns=args.turns,
                             think_s=args.think_time, prompt=prompt, output=output,
                             shared_prefix=args.shared_prefix, seed=args.seed)
    return gamma_workload(args.rate, args.requests, cv=args.arrival_cv, prompt=prompt,
                          output=output, seed=args.seed)


def _shared(args: argparse.Namespace, work: Any) -> Any:
    """``work`` with ``--shared-prefix`` put before every prompt (chats take it themselves)."""
    if not args.shared_prefix or args.turns > 1 or args.trace is not None:
        return work
    from ..sim.sessions import with_shared_prefix

    return with_shared_prefix(work, args.shared_prefix)


@command(COMMANDS, "simulate", "simulate a replica under Poisson, bursty or recorded load",
         options="deployment", configure=_configure_simulate)
def _run_simulate(args: argparse.Namespace) -> tuple[Any, str]:
    """Discrete-event simulation of one replica serving N requests arriving at R per second
    (Poisson, or gamma gaps with --arrival-cv), from C clients in a closed loop
    (--concurrency), or a recorded trace (--trace): TTFT (from the client's send), TPOT and
    end-to-end percentiles as vLLM's benchmark defines them, throughput, tokens/s per user
    and goodput, under the engine preset's scheduler and efficiencies (--engine). Prompts
    that share prefixes (--trace mooncake-conv-2025, --shared-prefix, --turns) are served
    partly from the prefix cache (its hit rate is reported); --replicas R puts R replicas
    behind a --router."""
    from ..sim import Engine, simulate

    work, thinking = thinking_workload(args, _shared(args, _workload(args)))
    _check_combinations(args)
    if disaggregated(args):
        d = run_disagg(args, work, deployment_from_args(args))
        ttfat = answer_latency(d, work, d.arrivals, thinking)
        data = d.to_dict() | ({} if ttfat is None else {"ttfat_s": ttfat.as_dict()})
        return jsonable(data), disagg_text(d, work, args.seed, ttfat)
    engine = Engine(deployment_from_args(args), max_batch=args.max_batch,
                    max_batched_tokens=args.max_batched_tokens,
                    memory_utilization=args.memory_utilization,
                    speculative=speculation_from_args(args),
                    prefix_cache=not args.no_prefix_cache, admission=args.admission)
    _check_growth(args, engine, work)
    if args.replicas > 1 or args.router != "round-robin":
        return _run_fleet(args, engine, work)
    with progress_line("simulate") as report:
        r = simulate(engine, work, policy=args.policy, slo=args.slo, progress=report)
    ttfat = answer_latency(r, work, r.arrivals, thinking)

    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        if s.count == 0:  # TPOT needs two tokens: every output here was one token long
            return (name, "n/a (no request produced more than one token)")
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    text = (
        f"{fmt_int(r.requests)} requests, {work.description}, {policy_label(args, engine)}, "
        f"seed {args.seed}\n"
        + pairs([
            row("time to first token", r.ttft_s, "ms", 1),
            *([] if ttfat is None else [row("first answer token", ttfat, "s", 3)]),
            row("time per output token", r.tpot_s, "ms", 2),
            row("end to end", r.e2e_s, "s", 3),
            ("throughput", f"{fmt_number(r.throughput_tokens_per_s, 1)} output tokens/s for "
                           f"the replica ({fmt_number(r.throughput_tokens_per_s / args.gpus, 1)}"
                           f" per GPU), {fmt_number(r.requests_per_s, 3)} requests/s"),
            ("per user", f"{fmt_number(r.interactivity_tokens_per_s_per_user, 1)} output "
                         "tokens/s (median request)"),
            ("goodput", f"{fmt_number(r.goodput_requests_per_s, 3)} requests/s within "
                        f"{r.slo.name}"),
            ("mean batch", f"{fmt_number(r.mean_batch, 1)} (peak {fmt_int(r.peak_batch)})"),
            ("peak KV use", f"{fmt_number(100 * r.peak_kv_utilization, 1)} % of "
                            f"{fmt_int(r.kv_blocks)} blocks"),
            ("preemptions", fmt_int(r.preemptions)),
            *([] if r.speculative is None else [
                ("speculative", f"{r.speculative}: {fmt_number(r.mean_accepted_tokens_per_step, 3)}"
                                " tokens per sequence per step (mean)")]),
        ] + _hit_row(r.prefix_hit_rate, work))
    )
    data = r.to_dict() | ({} if ttfat is None else {"ttfat_s": ttfat.as_dict()})
    return jsonable(data), text


def _check_combinations(args: argparse.Namespace) -> None:
    """Speculative decoding, disaggregated pools and a routed fleet are each simulated on
    their own: a command line that asks for two of them is refused, naming both."""
    asked = [name for name, on in (
        ("--speculative", speculation_from_args(args) is not None),
        ("--prefill-replicas/--decode-replicas", disaggregated(args)),
        ("--replicas/--router", args.replicas > 1 or args.router != "round-robin"),
        ("--thinking", bool(args.thinking) and (args.replicas > 1
                                                or args.router != "round-robin")),
    ) if on]
    if len(asked) > 1:
        raise ValueError(f"{' and '.join(asked)} are not simulated together: give one of them")


def _check_growth(args: argparse.Namespace, engine: Any, work: Any) -> None:
    """A shared prefix or many turns lengthen the prompts: say which option did it when the
    longest request no longer fits the KV cache alone."""
    grown = [name for name, on in (("shared_prefix", args.shared_prefix),
                                   ("turns", args.turns > 1)) if on and args.trace is None]
    if not grown:
        return
    need = max(p + o - 1 for p, o in zip(work.prompts, work.outputs))
    if need > engine.kv_tokens:
        raise ValueError(
            f"{' + '.join(grown)} + prompt + output make a request of {need:,} tokens of KV "
            f"cache but the engine holds {engine.kv_tokens:,}: lower them or add memory")


def _hit_row(rate: float | None, work: Any) -> list[tuple[str, str]]:
    if rate is None:
        return []
    return [("prefix cache", f"{fmt_number(100 * rate, 1)} % of prompt tokens served from "
                             f"cache ({work.hash_block_tokens}-token blocks)")]


def _run_fleet(args: argparse.Namespace, engine: Any, work: Any) -> tuple[Any, str]:
    """``simulate --replicas R --router NAME``: the fleet's percentiles and hit rate."""
    from ..sim.fleet import simulate_fleet

    r = simulate_fleet(engine, work, replicas=args.replicas, router=args.router,
                       policy=args.policy, slo=args.slo)

    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    text = (
        f"{fmt_int(r.requests)} requests, {work.description}, {fmt_int(r.replicas)} replicas "
        f"behind a {r.router} router, {policy_label(args, engine)}, seed {args.seed}\n"
        + pairs([
            ("requests per replica", " ".join(fmt_int(c) for c in r.requests_per_replica)),
            row("time to first token", r.ttft_s, "ms", 1),
            row("time per output token", r.tpot_s, "ms", 2),
            row("end to end", r.e2e_s, "s", 3),
            ("throughput", f"{fmt_number(r.throughput_tokens_per_s, 1)} output tokens/s"),
            ("goodput", f"{fmt_number(r.goodput_requests_per_s, 3)} requests/s within "
                        f"{r.slo.name}"),
            ("preemptions", fmt_int(r.preemptions)),
        ] + _hit_row(r.prefix_hit_rate, work))
    )
    return jsonable(r.to_dict()), text


def _configure_frontier(p: argparse.ArgumentParser) -> None:
    from .capacity import _int_list
    from .common import add_engine_choice, add_expert_options

    p.add_argument("--model", required=True, metavar="ID", help="model ID from `servecalc models`")
    p.add_argument("--gpu", required=True, metavar="ID", help="accelerator ID from `servecalc gpus`")
    add_engine_choice(p)
    add_expert_options(p, full=False)
    p.add_argument("--prompt", default="1024", metavar="P",
                   help="prompt tokens, forms as simulate's --prompt (default: 1024)")
    p.add_argument("--output", default="1024", metavar="O",
                   help="output tokens, same forms (default: 1024)")
    p.add_argument("--random-range-ratio", type=unit_share("random_range_ratio"), default=1.0,
                   metavar="R", help="draw N-token lengths uniformly between R x N and N "
                   "(default: 1)")
    p.add_argument("--gpus", type=_int_list, default=[1, 2, 4, 8], metavar="N,N,...",
                   help="tensor-parallel sizes (default: 1,2,4,8)")
    p.add_argument("--weight-dtype", default=None, metavar="D,D,...",
                   help="weight precisions (default: those the GPU runs natively)")
    p.add_argument("--concurrency", type=_int_list, default=[1, 2, 4, 8, 16, 32, 64, 128, 256],
                   metavar="C,C,...", help="concurrent clients to sweep (default: 1 to 256 "
                   "in powers of 2)")
    p.add_argument("--seed", type=count("seed", zero=True), default=0, metavar="S",
                   help="random seed (default: 0)")
    p.add_argument("--verbose", action="store_true",
                   help="list every configuration left out with its full reason")
    add_speculative_options(p)


@command(COMMANDS, "frontier", "tokens/s per GPU against tokens/s per user, by concurrency",
         configure=_configure_frontier)
def _run_frontier(args: argparse.Namespace) -> tuple[Any, str]:
    """For each tensor-parallel size and each weight precision the GPU runs natively, simulate
    C concurrent clients for each C swept and print output tokens/s per GPU against tokens/s per
    user, marking the Pareto front (*) and the dollars per million output tokens at the GPU's
    example price."""
    from ..frontier import frontier
    from ..precision import WEIGHT_DTYPES
    from ..sim.lengths import range_ratio
    from ..validate import choice

    dtypes = None if args.weight_dtype is None else [
        choice("weight_dtype", d.strip(), WEIGHT_DTYPES) for d in args.weight_dtype.split(",")]
    with progress_line("frontier") as report:
        f = frontier(args.model, args.gpu, engine=args.engine,
                     prompt=range_ratio("prompt", args.prompt, args.random_range_ratio),
                     output=range_ratio("output", args.output, args.random_range_ratio),
                     gpu_counts=args.gpus, weight_dtypes=dtypes,
                     concurrencies=args.concurrency, seed=args.seed,
                     speculative=speculation_from_args(args), ep=args.ep,
                     dp_attention=args.dp_attention, progress=report)
    rows = [("*" if p.pareto else "", str(p.gpus), p.weight_dtype, fmt_int(p.concurrency),
             fmt_number(p.tokens_per_s_per_gpu, 1), fmt_number(p.tokens_per_s_per_user, 1),
             fmt_duration(p.ttft_p50_s, "ms", 0),
             "-" if p.usd_per_million_output_tokens is None
             else f"${fmt_number(p.usd_per_million_output_tokens, 2)}") for p in f.points]
    price = ("no example price for this GPU" if f.price_usd_per_gpu_hour is None
             else f"${fmt_number(f.price_usd_per_gpu_hour, 2)} per GPU-hour (the catalog's "
             "example price)")
    text = (f"{f.model} on {f.gpu}, engine {f.engine}; {price}; * marks the Pareto front\n"
            + table(["", "gpus", "weights", "clients", "tok/s per GPU", "tok/s per user",
                     "p50 TTFT", "$/M output"], rows, right={1, 3, 4, 5, 6, 7}))
    if f.skipped:
        text += "\n" + left_out_text(f.skipped, verbose=args.verbose)
    return jsonable(f), text
