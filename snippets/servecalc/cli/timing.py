"""``servecalc step``, ``latency`` and ``cost``: times and dollars of a deployment."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_usd
from .checks import count, number, share
from .common import Command, command, deployment_from_args, jsonable, pairs
from .speculative import add_speculative_options, speculation_from_args

COMMANDS: dict[str, Command] = {}


def _configure_step(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phase", required=True, choices=("decode", "prefill"),
                   help="decode (one token per sequence) or prefill (the whole prompt)")
    p.add_argument("--batch", type=count("batch"), required=True,
                   metavar="B", help="sequences in the step")
    p.add_argument("--context", type=count("context"), required=True, metavar="T",
                   help="tokens per sequence (prompt length for prefill)")
    add_speculative_options(p)


@command(COMMANDS, "step", "roofline time of one prefill or decode step", options="deployment",
         configure=_configure_step)
def _run_step(args: argparse.Namespace) -> tuple[Any, str]:
    """FLOPs, bytes and time of one forward step, and whether compute or memory bandwidth bounds
    it."""
    from ..step import step

    spec = speculation_from_args(args)
    if spec is not None:
        if args.phase != "decode":
            raise ValueError("speculative decoding goes with --phase decode (it drafts and "
                             "verifies decode tokens)")
        return _speculative_step(args, spec)
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


def _speculative_step(args: argparse.Namespace, spec: Any) -> tuple[Any, str]:
    """``step --speculative``: the draft (or head) and the K + 1-token verification step."""
    from ..speculation import SpecTimer

    timer = SpecTimer(deployment_from_args(args), spec)
    sm, b = timer.step_model, args.batch
    total = b * args.context
    v = sm.verify_terms(b, total, spec.spec_tokens)
    draft = timer.draft_time_s(b, total)
    plain = sm.decode_time_s(b, total)
    tokens = spec.expected_tokens_per_step
    seconds = draft + v.seconds
    data = {
        "speculative": spec.name, "spec_tokens": spec.spec_tokens,
        "acceptance": list(spec.acceptance), "batch": b, "context": args.context,
        "draft_s": draft, "verify_s": v.seconds, "seconds": seconds,
        "verify_terms": jsonable(v), "plain_decode_s": plain,
        "mean_accepted_tokens_per_step": tokens, "tpot_s": seconds / tokens,
        "speedup": plain * tokens / seconds,
    }
    text = pairs([
        ("speculative", f"{spec.name}, K = {spec.spec_tokens}, acceptance "
                        f"{', '.join(fmt_number(a, 2) for a in spec.acceptance)}"),
        ("draft", fmt_duration(draft, "ms", 3)),
        (f"verify ({spec.spec_tokens + 1} tokens/seq)", fmt_duration(v.seconds, "ms", 3)),
        ("  linear layers", fmt_duration(v.linear_s, "ms", 3)),
        ("  attention", fmt_duration(v.attention_s, "ms", 3)),
        ("  logits, embeddings", fmt_duration(v.logits_s, "ms", 3)),
        ("speculative step", fmt_duration(seconds, "ms", 3)),
        ("tokens per step", fmt_number(tokens, 3)),
        ("TPOT", f"{fmt_duration(seconds / tokens, 'ms', 3)} (plain decode "
                 f"{fmt_duration(plain, 'ms', 3)}, {fmt_number(plain * tokens / seconds, 2)}x)"),
    ])
    return data, text


def _configure_latency(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prompt", type=count("prompt"), required=True,
                   metavar="P", help="prompt tokens")
    p.add_argument("--output", type=count("output"), required=True,
                   metavar="O", help="generated tokens")
    p.add_argument("--batch", type=count("batch"), default=1, metavar="B",
                   help="sequences decoded together (default: %(default)s)")
    add_speculative_options(p)


@command(COMMANDS, "latency", "time to first token, per token and end to end",
         options="deployment", configure=_configure_latency)
def _run_latency(args: argparse.Namespace) -> tuple[Any, str]:
    """Latency of one request of PROMPT input and OUTPUT generated tokens."""
    from ..latency import request_latency

    spec = speculation_from_args(args)
    if spec is not None:
        from ..speculation import speculative_latency

        s = speculative_latency(deployment_from_args(args), spec, prompt=args.prompt,
                                output=args.output, batch=args.batch)
        text = pairs([
            ("time to first token", fmt_duration(s.ttft_s, "ms")),
            ("time per output token", f"{fmt_duration(s.tpot_s, 'ms', 2)} (plain "
                                      f"{fmt_duration(s.plain_tpot_s, 'ms', 2)}, "
                                      f"{fmt_number(s.speedup, 2)}x, {s.speculative})"),
            ("tokens per step", fmt_number(s.mean_accepted_tokens_per_step, 3)),
            ("end to end", fmt_duration(s.e2e_s, "s", 3)),
            ("tokens per second", fmt_number(s.tokens_per_s, 1)),
        ])
        return jsonable(s), text
    r = request_latency(deployment_from_args(args), prompt=args.prompt, output=args.output,
                        batch=args.batch)
    text = pairs([
        ("time to first token", fmt_duration(r.ttft_s, "ms")),
        ("time per output token", fmt_duration(r.tpot_s, "ms", 2)),
        ("end to end", fmt_duration(r.e2e_s, "s", 3)),
        ("decode tokens/s, whole batch", f"{fmt_number(r.tokens_per_s, 1)} "
         f"({fmt_int(r.batch)} sequence{'s' if r.batch > 1 else ''})"),
        ("decode tokens/s, per sequence", fmt_number(r.tokens_per_s / r.batch, 1)),
        ("decode tokens/s, per GPU", fmt_number(r.tokens_per_s / args.gpus, 1)),
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
