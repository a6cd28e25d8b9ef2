"""``servecalc layouts``, ``moe``, ``offload`` and ``own``: fleet-shape questions.

``layouts`` compares replicas against tensor parallelism on one node, ``moe``
sizes expert-parallel all-to-all traffic and the attention layout's cache,
``offload`` compares reloading a cached prefix from each tier with
recomputing it, and ``own`` prices an owned GPU per hour.

>>> from servecalc.cli import main
>>> main(["moe", "--model", "deepseek-v3", "--tokens-per-gpu", "128", "--ep", "32",
...       "--link-gbps", "400"])
sent per GPU per MoE layer  21.33 MB
MoE layers                  58
all-to-all per step         25.9 ms
0
"""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_bytes, fmt_duration, fmt_int, fmt_percent, fmt_usd
from .checks import count, number
from .common import Command, command, deployment_from_args, jsonable, pairs, table

COMMANDS: dict[str, Command] = {}


def _configure_layouts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--total-gpus", type=count("total_gpus"), default=8, metavar="N",
                   help="GPUs to split into replicas (default: %(default)s)")
    p.add_argument("--context", type=count("context"), required=True, metavar="T",
                   help="tokens each running sequence attends to")
    p.add_argument("--batch", type=count("batch"), default=None, metavar="B",
                   help="sequences per replica (default: the largest each layout holds)")


@command(COMMANDS, "layouts", "replicas against tensor parallelism on one node",
         options="deployment", configure=_configure_layouts)
def _run_layouts(args: argparse.Namespace) -> tuple[Any, str]:
    """Decode throughput of every TP degree that divides TOTAL_GPUS, at the largest batch each
    layout holds or at a given batch (--gpus is not used: every degree is tried)."""
    from ..layouts import best_layout, compare_layouts

    d = deployment_from_args(args)
    tps = [t for t in (1, 2, 4, 8, 16) if t <= args.total_gpus and args.total_gpus % t == 0
           and d.model.num_attention_heads % t == 0]
    rows = compare_layouts(d, total_gpus=args.total_gpus, tps=tps, context=args.context,
                           batch=args.batch)
    best = best_layout(rows)
    text = table(
        ["layout", "batch/replica", "TPOT", "tokens/s, all replicas"],
        [[f"{r.replicas} x TP{r.tp}", fmt_int(r.batch) if r.fits else "does not fit",
          fmt_duration(r.step_s, "ms") if r.fits else "-",
          fmt_int(round(r.fleet_tokens_per_s)) if r.fits else "-"] for r in rows],
        right={1, 2, 3},
    ) + f"\nmost tokens per second: {best.replicas} x TP{best.tp}"
    return {"rows": jsonable(list(rows)), "best_tp": best.tp}, text


def _configure_moe(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="ID", help="a mixture-of-experts model ID")
    p.add_argument("--tokens-per-gpu", type=count("tokens_per_gpu", zero=True), required=True, metavar="N",
                   help="tokens each GPU holds in one step")
    p.add_argument("--ep", type=count("ep"), required=True, metavar="N",
                   help="GPUs the routed experts are spread over")
    p.add_argument("--link-gbps", type=number("link_gbps"), required=True, metavar="G",
                   help="what one GPU sends per second, in gigabits (400 for one NDR NIC; "
                   "7200 for NVLink 5)")


@command(COMMANDS, "moe", "expert-parallel all-to-all traffic per step", configure=_configure_moe)
def _run_moe(args: argparse.Namespace) -> tuple[Any, str]:
    """Bytes one GPU sends per MoE layer (FP8 dispatch, BF16 combine, every (token, expert) pair
    counted) and the time per step over a given link."""
    from ..moe import all_to_all

    t = all_to_all(args.model, tokens_per_gpu=args.tokens_per_gpu, ep=args.ep,
                   link_bytes_per_s=args.link_gbps * 1e9 / 8)
    text = pairs([
        ("sent per GPU per MoE layer", fmt_bytes(t.bytes_per_gpu_per_layer, "MB")),
        ("MoE layers", fmt_int(t.moe_layers)),
        ("all-to-all per step", fmt_duration(t.seconds_per_step, "ms")),
    ])
    return jsonable(t), text


def _configure_offload(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tokens", type=count("tokens"), required=True, metavar="T",
                   help="tokens of cached prefix to bring back")


@command(COMMANDS, "offload", "reload a cached prefix from each offload tier, or recompute it",
         options="deployment", configure=_configure_offload)
def _run_offload(args: argparse.Namespace) -> tuple[Any, str]:
    """Time to bring TOKENS tokens of KV cache back from host memory, NVMe or a remote node,
    against recomputing them by prefill."""
    from ..offload import TIERS, reload_or_recompute

    d = deployment_from_args(args)
    rows = [reload_or_recompute(d, tokens=args.tokens, tier=t) for t in TIERS]
    text = table(
        ["tier", "reload", "recompute", "faster"],
        [[TIERS[r.tier].name, fmt_duration(r.reload_s, "ms"), fmt_duration(r.recompute_s, "ms"),
          "reload" if r.reload_wins else "recompute"] for r in rows],
        right={1, 2},
    )
    return jsonable(rows), text


def _configure_own(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server-usd", type=number("server_usd", zero=True), required=True, metavar="USD",
                   help="purchase price of one server")
    p.add_argument("--gpus-per-server", type=count("gpus_per_server"), default=8, metavar="N",
                   help="(default: %(default)s)")
    p.add_argument("--years", type=number("years"), default=4, metavar="Y",
                   help="straight-line depreciation period (default: %(default)s)")
    p.add_argument("--power-kw", type=number("power_kw", zero=True), required=True, metavar="KW",
                   help="server power draw at the wall")
    p.add_argument("--pue", type=number("pue"), default=1.3, metavar="X",
                   help="facility power usage effectiveness (default: %(default)s)")
    p.add_argument("--usd-per-kwh", type=number("usd_per_kwh", zero=True), required=True, metavar="USD")
    p.add_argument("--other-usd-per-year", type=number("other_usd_per_year", zero=True), default=0.0, metavar="USD",
                   help="space, support and network per server-year (default: %(default)g)")
    p.add_argument("--rented-usd-per-gpu-hour", type=number("rented_usd_per_gpu_hour"), default=None, metavar="USD",
                   help="a rental price to compare with")


@command(COMMANDS, "own", "cost of an owned GPU per hour", configure=_configure_own)
def _run_own(args: argparse.Namespace) -> tuple[Any, str]:
    """Depreciation, power with the facility's PUE, and running costs per GPU-hour, and the busy
    share above which owning beats a rental price."""
    from ..ownership import owned_usd_per_gpu_hour, owning_break_even_utilization

    owned = owned_usd_per_gpu_hour(
        server_usd=args.server_usd, gpus_per_server=args.gpus_per_server, years=args.years,
        power_kw=args.power_kw, pue=args.pue, usd_per_kwh=args.usd_per_kwh,
        other_usd_per_year=args.other_usd_per_year)
    data: dict[str, Any] = {"owned_usd_per_gpu_hour": owned}
    rows = [("owned, per GPU-hour", fmt_usd(owned, 3))]
    if args.rented_usd_per_gpu_hour is not None:
        share = owning_break_even_utilization(owned, args.rented_usd_per_gpu_hour)
        data["break_even_utilization"] = share
        rows.append(("owning wins above", f"{fmt_percent(share)} of hours busy"))
    return data, pairs(rows)


__all__ = ["COMMANDS"]
