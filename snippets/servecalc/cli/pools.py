"""``simulate``'s disaggregation and reasoning options: ``--prefill-replicas
--decode-replicas --prefill-gpus --decode-gpus --kv-link`` and ``--thinking``
(:mod:`servecalc.sim.disagg`, :mod:`servecalc.sim.reasoning`)."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_duration, fmt_int, fmt_number
from .checks import count
from .common import pairs, table

def _link(name: str) -> str:
    """A ``--kv-link`` value, checked while argparse reads the command line."""
    from ..kv_links import LINKS
    from ..validate import choice

    try:
        return choice("kv_link", name, tuple(LINKS))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_POOL_OPTIONS = ("prefill_replicas", "decode_replicas", "prefill_gpus", "decode_gpus", "kv_link")


def add_pool_options(p: argparse.ArgumentParser) -> None:
    """The disaggregation options and ``--thinking``."""
    from ..kv_links import DEFAULT_LINK, LINKS

    g = p.add_argument_group("disaggregated prefill and decode (give both replica counts)")
    g.add_argument("--prefill-replicas", type=count("prefill_replicas"), default=None,
                   metavar="X", help="replicas in the prefill pool")
    g.add_argument("--decode-replicas", type=count("decode_replicas"), default=None,
                   metavar="Y", help="replicas in the decode pool")
    g.add_argument("--prefill-gpus", type=count("prefill_gpus"), default=None, metavar="N",
                   help="tensor-parallel GPUs per prefill replica (default: --gpus)")
    g.add_argument("--decode-gpus", type=count("decode_gpus"), default=None, metavar="N",
                   help="tensor-parallel GPUs per decode replica (default: --gpus)")
    g.add_argument("--kv-link", type=_link, default=None, metavar="NAME",
                   help="link that carries each prompt's KV cache to the decode pool, per GPU: "
                   + ", ".join(LINKS) + f" (default: {DEFAULT_LINK}; scale-up is the GPU's "
                   "NVLink or PCIe figure from `servecalc gpus`)")
    p.add_argument("--thinking", default=None, metavar="T",
                   help="hidden thinking tokens before each visible answer (added to --output; "
                   "same forms, e.g. 2000 or lognormal:2000,1.0): reports the time to first "
                   "answer token (ttfat_s) beside TTFT")


def disaggregated(args: argparse.Namespace) -> bool:
    """Whether any disaggregation option was given (then both replica counts must be)."""
    given = [name for name in _POOL_OPTIONS if getattr(args, name, None) is not None]
    if not given:
        return False
    missing = [name for name in ("prefill_replicas", "decode_replicas")
               if getattr(args, name) is None]
    if missing:
        raise ValueError(f"{' and '.join(given + missing)} go together: disaggregated prefill "
                         f"and decode need both pools' replica counts ({', '.join(missing)} "
                         "missing)")
    if args.concurrency is not None:
        raise ValueError("concurrency and prefill_replicas do not go together (the "
                         "disaggregated pools take an open stream: --rate or --trace)")
    return True


def thinking_workload(args: argparse.Namespace, work: Any) -> tuple[Any, tuple[int, ...]]:
    """``work`` with ``--thinking`` tokens added to each output, and the counts."""
    from ..sim.reasoning import with_thinking

    return with_thinking(work, args.thinking, seed=args.seed)


def answer_latency(result: Any, work: Any, sends: Any, thinking: tuple[int, ...]) -> Any:
    """Percentiles of the time to first answer token (None without thinking)."""
    from ..sim.reasoning import answer_times
    from ..sim.stats import summarize

    if not any(thinking):
        return None
    return summarize(answer_times(sends, result.first_token_s, result.finish_s, work.outputs,
                                  thinking))


def run_disagg(args: argparse.Namespace, work: Any, deployment: Any) -> tuple[dict, Any]:
    """Simulate the two pools; (result, the decode engine) for the report."""
    from ..kv_links import DEFAULT_LINK
    from ..sim import Engine
    from ..sim.disagg import simulate_disagg

    link = args.kv_link or DEFAULT_LINK

    def pool(gpus: int | None) -> Any:
        return Engine(deployment.replace(gpus=gpus or deployment.gpus),
                      max_batch=args.max_batch, max_batched_tokens=args.max_batched_tokens,
                      memory_utilization=args.memory_utilization,
                      admission=getattr(args, "admission", None))

    return simulate_disagg(pool(args.prefill_gpus), pool(args.decode_gpus), work,
                           prefill_replicas=args.prefill_replicas,
                           decode_replicas=args.decode_replicas,
                           link=link, policy=args.policy, slo=args.slo)


def disagg_text(r: Any, work: Any, seed: int, ttfat: Any) -> str:
    """The human-readable report of a disaggregated run."""
    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        if s.count == 0:
            return (name, "n/a (no request produced more than one token)")
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    rows = [
        ("pools", f"{r.prefill_replicas} prefill x {r.prefill_gpus} GPU + {r.decode_replicas} "
                  f"decode x {r.decode_gpus} GPU = {r.gpus} GPUs; KV over {r.link} "
                  f"({fmt_number(r.link_bytes_per_s / 1e9, 1)} GB/s per GPU)"),
        row("time to first token", r.ttft_s, "ms", 1),
    ]
    if ttfat is not None:
        rows.append(row("first answer token", ttfat, "s", 3))
    rows += [
        row("KV transfer", r.transfer_s, "ms", 2),
        row("time per output token", r.tpot_s, "ms", 2),
        row("end to end", r.e2e_s, "s", 3),
        ("throughput", f"{fmt_number(r.throughput_tokens_per_s, 1)} output tokens/s, "
                       f"{fmt_number(r.requests_per_s, 3)} requests/s"),
        ("goodput", f"{fmt_number(r.goodput_requests_per_s, 3)} requests/s within {r.slo.name}"),
        ("decode pool KV", f"peak {fmt_number(100 * r.decode_peak_kv_utilization, 1)} % of "
                           "one replica's blocks"),
        ("preemptions", fmt_int(r.preemptions)),
    ]
    return f"{fmt_int(r.requests)} requests, {work.description}, seed {seed}\n" + pairs(rows)


def add_plan_disagg_options(p: argparse.ArgumentParser) -> None:
    """``plan --disagg --kv-link``."""
    from ..kv_links import DEFAULT_LINK, LINKS

    p.add_argument("--disagg", action="store_true",
                   help="also size disaggregated fleets (a prefill and a decode pool, each of "
                   "the --gpus sizes, the X:Y ratio found by simulating the fleet at the rate) "
                   "and list them beside the aggregated ones")
    p.add_argument("--kv-link", type=_link, default=DEFAULT_LINK, metavar="NAME",
                   help="with --disagg: the link carrying KV caches between the pools, per GPU: "
                   + ", ".join(LINKS) + " (default: %(default)s)")


def plan_disagg_report(args: argparse.Namespace, aggregated: Any, prompt: Any, output: Any,
                       dtypes: Any, slo: Any) -> tuple[dict, str]:
    """``plan --disagg``: aggregated and disaggregated fleets in one list, cheapest first."""
    from ..plan import PRICES
    from ..plan_disagg import disagg_options, verdict
    from ..units import fmt_usd

    if args.trace is not None:
        raise ValueError("trace does not go with disagg (the pools are sized on --prompt and "
                         "--output at --rate)")
    link = args.kv_link
    gpu_ids = args.gpu or list(dict.fromkeys(p.gpu for p in PRICES))
    options, skipped = disagg_options(
        args.model, rate=args.rate, prompt=prompt, output=output, slo=slo, gpu_ids=gpu_ids,
        gpu_counts=args.gpus, weight_dtypes=dtypes, kv_dtype=args.kv_dtype, link=link,
        headroom=args.headroom, seed=args.seed, engine=args.engine)
    listed = [_aggregated_dict(o) for o in aggregated.options] + [o.to_dict() for o in options]
    listed.sort(key=lambda o: (o["usd_per_hour"], o["total_gpus"], o["mode"]))
    rows = []
    for o in listed:
        if o["mode"] == "aggregated":
            shape = f"{o['replicas']} x TP{o['gpus']}"
        else:
            shape = (f"{o['prefill_replicas']} x TP{o['prefill_gpus']} : "
                     f"{o['decode_replicas']} x TP{o['decode_gpus']}")
        rows.append((o["mode"], o["gpu"], o["weight_dtype"], shape, str(o["total_gpus"]),
                     fmt_usd(o["usd_per_hour"]), fmt_usd(o["usd_per_million_output_tokens"])))
    why = verdict(aggregated, options, prompt.mean)
    text = (f"{args.model} at {fmt_number(args.rate, 2)} requests/s within {slo.name}; "
            f"KV over {link}\n")
    text += (table(["mode", "gpu", "weights", "replicas (prefill : decode)", "GPUs", "$/hour",
                    "$/M output"], rows, right={4, 5, 6}) if rows else "no fleet meets the SLO")
    text += "\n" + why
    left = list(aggregated.skipped) + skipped
    if left:
        text += "\nleft out: " + "; ".join(f"{c} ({r.split(':')[0]})" for c, r in left)
    data = aggregated.to_dict() | {
        "options": listed, "kv_link": link, "verdict": why,
        "skipped": [{"config": c, "reason": r} for c, r in left]}
    return data, text


def _aggregated_dict(option: Any) -> dict:
    """An aggregated fleet (:class:`~servecalc.plan.PlanOption`) as ``plan --disagg`` lists it."""
    return {"mode": "aggregated", "prefill_replicas": None, "decode_replicas": None,
            "total_gpus": option.replicas * option.gpus} | option.to_dict()
