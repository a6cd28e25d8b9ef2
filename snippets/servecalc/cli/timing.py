"""``servecalc step``, ``latency`` and ``cost``: times and dollars of a deployment."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_usd
from .checks import count, number, share
from .common import Command, command, deployment_from_args, jsonable, pairs

COMMANDS: dict[str, Command] = {}


def _configure_step(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phase", required=True, choices=("decode", "prefill"),
                   help="decode (one token per sequence) or prefill (the whole prompt)")
    p.add_argument("--batch", type=count("batch"), required=True,
                   metavar="B", help="sequences in the step")
    p.add_argument("--context", type=count("context"), required=True, metavar="T",
                   help="tokens per sequence (prompt length for prefill)")


@command(COMMANDS, "step", "roofline time of one prefill or decode step", options="deployment",
         configure=_configure_step)
def _run_step(args: argparse.Namespace) -> tuple[Any, str]:
    """FLOPs, bytes and time of one forward step, and whether compute or memory bandwidth bounds
    it."""
    from ..step import step

    d = deployment_from_args(args)
    r = step(d, phase=args.phase, batch=args.batch, context=args.context)
    data = jsonable(r)
    expert = d.ep > 1 or d.dp_attention
    if not expert:   # the expert-parallel keys only where they apply
        for key in ("ep", "expert_s", "a2a_dispatch_s", "a2a_combine_s"):
            data.pop(key, None)
    text = pairs([
        ("time", fmt_duration(r.seconds, "ms", 3)),
        ("  linear layers", f"{fmt_duration(r.linear_s, 'ms', 3)} ({r.linear_bound}-bound)"),
    ] + ([
        ("    routed experts", f"{fmt_duration(r.expert_s, 'ms', 3)} (busiest of {r.ep} "
         f"expert-parallel GPUs)"),
    ] if expert else []) + [
        ("  attention", f"{fmt_duration(r.attention_s, 'ms', 3)} ({r.attention_bound}-bound)"),
        ("  KV writes", fmt_duration(r.kv_write_s, "ms", 3)),
        ("  logits, embeddings", fmt_duration(r.logits_s, "ms", 3)),
        ("  all-reduces", fmt_duration(r.comm_s, "ms", 3)),
    ] + ([
        ("  all-to-all dispatch", fmt_duration(r.a2a_dispatch_s, "ms", 3)),
        ("  all-to-all combine", fmt_duration(r.a2a_combine_s, "ms", 3)),
    ] if expert else []) + [
        ("  overhead", fmt_duration(r.overhead_s, "ms", 3)),
        ("FLOPs", f"{fmt_number(r.flops / 1e12, 3)} TFLOP"),
        ("bytes moved", fmt_bytes(r.bytes, "GB", 3)),
        ("bound by", r.bound),
    ])
    return data, text


def _configure_latency(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prompt", type=count("prompt"), required=True,
                   metavar="P", help="prompt tokens")
    p.add_argument("--output", type=count("output"), required=True,
                   metavar="O", help="generated tokens")
    p.add_argument("--batch", type=count("batch"), default=1, metavar="B",
                   help="sequences decoded together (default: %(default)s)")


@command(COMMANDS, "latency", "time to first token, per token and end to end",
         options="deployment", configure=_configure_latency)
def _run_latency(args: argparse.Namespace) -> tuple[Any, str]:
    """Latency of one request of PROMPT input and OUTPUT generated tokens."""
    from ..latency import request_latency

    r = request_latency(deployment_from_args(args), prompt=args.prompt, output=args.output,
                        batch=args.batch)
    text = pairs([
        ("time to first token", fmt_duration(r.ttft_s, "ms")),
        ("time per output token", fmt_duration(r.tpot_s, "ms", 2)),
        ("end to end", fmt_duration(r.e2e_s, "s", 3)),
        ("tokens per second", fmt_number(r.tokens_per_s, 1)),
    ])
    return jsonable(r), text


def _configure_cost(p: argparse.ArgumentParser) -> None:
    p.add_argument("--price-per-hour", type=number("price_usd_per_hour"), required=True,
                   metavar="P",
                   help="US dollars per GPU-hour (dated examples: servecalc.prices)")
    p.add_argument("--batch", type=count("batch"), default=32, metavar="B",
                   help="concurrent sequences (default: %(default)s)")
    p.add_argument("--prompt", type=count("prompt"), default=1024, metavar="P",
                   help="prompt tokens per request (default: %(default)s)")
    p.add_argument("--output", type=count("output"), default=256, metavar="O",
                   help="generated tokens per request (default: %(default)s)")
    p.add_argument("--utilization", type=share("utilization"), default=1.0, metavar="U",
                   help="fraction of paid hours spent serving (default: %(default)s)")


@command(COMMANDS, "cost", "dollars per million tokens", options="deployment",
         configure=_configure_cost)
def _run_cost(args: argparse.Namespace) -> tuple[Any, str]:
    """Cost per million input and output tokens at a given price per GPU-hour."""
    from ..cost import cost_per_million_tokens

    d = deployment_from_args(args)
    r = cost_per_million_tokens(d, price_usd_per_hour=args.price_per_hour, batch=args.batch,
                                prompt=args.prompt, output=args.output,
                                utilization=args.utilization)
    text = (
        f"{fmt_usd(args.price_per_hour)} per GPU-hour x {d.gpus} GPU(s), batch "
        f"{fmt_int(args.batch)}, {fmt_int(args.prompt)} prompt + {fmt_int(args.output)} "
        f"output tokens per request\n"
        + pairs([
            ("per million output tokens", fmt_usd(r.usd_per_million_output_tokens)),
            ("per million input tokens", fmt_usd(r.usd_per_million_input_tokens, 4)),
        ])
    )
    return jsonable(r), text
