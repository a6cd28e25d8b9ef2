"""``simulate``'s disaggregation and reasoning options: ``--prefill-replicas
--decode-replicas --prefill-gpus --decode-gpus --kv-link`` and ``--thinking``
(:mod:`servecalc.sim.disagg`, :mod:`servecalc.sim.reasoning`)."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_duration, fmt_int, fmt_number
from .checks import count
from .common import pairs

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
    g.add_argument("--kv-link", default=None, metavar="NAME",
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
    for name in ("prefill_replicas", "decode_replicas"):
        if getattr(args, name) is None:
            raise ValueError(f"{name} is required with {', '.join(given)} (disaggregated "
                             "prefill and decode need both pools' replica counts)")
    if args.concurrency is not None:
        raise ValueError("concurrency does not go with prefill_replicas (the disaggregated "
                         "pools take an open stream: --rate or --trace)")
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
    from ..kv_links import DEFAULT_LINK, LINKS
    from ..sim import Engine
    from ..sim.disagg import simulate_disagg
    from ..validate import choice

    link = DEFAULT_LINK if args.kv_link is None else choice("kv_link", args.kv_link, tuple(LINKS))

    def pool(gpus: int | None) -> Any:
        return Engine(deployment.replace(gpus=gpus or deployment.gpus),
                      max_batch=args.max_batch, max_batched_tokens=args.max_batched_tokens,
                      memory_utilization=args.memory_utilization)

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
        rows.append(row("first answer token", ttfat, "ms", 1))
    rows += [
        row("KV transfer", r.transfer_s, "ms", 2),
        row("time per output token", r.tpot_s, "ms", 2),
        row("end to end", r.e2e_s, "s", 3),
        ("throughput", f"{fmt_number(r.throughput_tokens_per_s, 1)} output tokens/s, "
                       f"{fmt_number(r.requests_per_s, 3)} requests/s"),
        ("goodput", f"{fmt_number(r.goodput_requests_per_s, 3)} requests/s within {r.slo.name}"),
        ("preemptions", fmt_int(r.preemptions)),
    ]
    return f"{fmt_int(r.requests)} requests, {work.description}, seed {seed}\n" + pairs(rows)
