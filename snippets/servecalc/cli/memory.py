"""``servecalc memory`` and ``servecalc fit``: bytes, and what fits."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_bytes, fmt_int
from .checks import count, share
from .common import Command, billions, command, jsonable, pairs

COMMANDS: dict[str, Command] = {}


def _add_context(p: argparse.ArgumentParser) -> None:
    """``--context``, the same for ``memory`` and ``fit``."""
    p.add_argument("--context", type=count("context"), default=4096, metavar="N",
                   help="tokens per sequence (default: %(default)s)")


def _configure_memory(p: argparse.ArgumentParser) -> None:
    _add_context(p)
    p.add_argument("--batch", type=count("batch"), default=1, metavar="B",
                   help="concurrent sequences (default: %(default)s)")


@command(COMMANDS, "memory", "weights + KV cache of a model", options="model",
         configure=_configure_memory)
def _run_memory(args: argparse.Namespace) -> tuple[Any, str]:
    """Parameters, weight bytes and KV-cache bytes for BATCH sequences of CONTEXT tokens."""
    from ..kv import kv_bytes_per_batch, kv_bytes_per_token
    from ..models import get_model
    from ..params import active_param_count, param_count, weight_bytes

    spec = get_model(args.model)
    weights = weight_bytes(spec, args.weight_dtype)
    kv = kv_bytes_per_batch(spec, args.context, args.batch, args.kv_dtype)
    data = {
        "model": spec.id,
        "context": args.context,
        "batch": args.batch,
        "weight_dtype": args.weight_dtype,
        "kv_dtype": args.kv_dtype,
        "params": param_count(spec),
        "active_params": active_param_count(spec),
        "weight_bytes": weights,
        "kv_bytes_per_token": kv_bytes_per_token(spec, args.kv_dtype),
        "kv_bytes": kv,
        "total_bytes": weights + kv,
    }
    text = (
        f"{spec.name}: {fmt_int(args.batch)} x {fmt_int(args.context)} tokens, weights "
        f"{args.weight_dtype}, KV {args.kv_dtype}\n"
        + pairs([
            ("parameters", f"{fmt_int(data['params'])} ({billions(data['params'])})"),
            ("active per token", f"{fmt_int(data['active_params'])} "
                                 f"({billions(data['active_params'])})"),
            ("weights", f"{fmt_bytes(weights, 'GiB')} ({fmt_bytes(weights, 'GB')})"),
            ("KV per token", f"{fmt_bytes(data['kv_bytes_per_token'], 'KiB')} "
                             "(all layers, no window)"),
            ("KV cache", f"{fmt_bytes(kv, 'GiB')} ({fmt_bytes(kv, 'GB')})"),
            ("total", f"{fmt_bytes(weights + kv, 'GiB')} ({fmt_bytes(weights + kv, 'GB')})"),
        ])
    )
    return data, text


def _configure_fit(p: argparse.ArgumentParser) -> None:
    from ..capacity import DEFAULT_BLOCK_SIZE, DEFAULT_MEMORY_UTILIZATION, DEFAULT_RESERVE_BYTES
    from ..units import GiB

    _add_context(p)
    p.add_argument("--memory-utilization", type=share("memory_utilization"),
                   default=DEFAULT_MEMORY_UTILIZATION,
                   metavar="U",
                   help="fraction of GPU memory the server may use (default: %(default)s)")
    p.add_argument("--reserve-bytes", type=count("reserve_bytes", zero=True), default=None,
                   metavar="BYTES",
                   help="per-GPU reserve for activations and runtime (default: "
                   f"{DEFAULT_RESERVE_BYTES / GiB:g} GiB)")
    p.add_argument("--block-size", type=count("block_size"), default=DEFAULT_BLOCK_SIZE,
                   metavar="T",
                   help="tokens per KV block (default: %(default)s)")


@command(COMMANDS, "fit", "how many sequences fit on N GPUs", options="hardware",
         configure=_configure_fit)
def _run_fit(args: argparse.Namespace) -> tuple[Any, str]:
    """KV budget, KV token capacity and the largest batch of CONTEXT-token sequences that fit on N
    tensor-parallel GPUs."""
    from ..capacity import fit

    r = fit(args.model, args.gpu, gpus=args.gpus, context=args.context,
            weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
            memory_utilization=args.memory_utilization, reserve_bytes=args.reserve_bytes,
            block_size=args.block_size)
    data = {**jsonable(r), "fits": r.fits}
    text = pairs([
        ("usable memory", fmt_bytes(r.usable_bytes, "GiB")),
        ("weights", fmt_bytes(r.weight_bytes, "GiB")),
        ("reserve per GPU", fmt_bytes(r.reserve_bytes_per_gpu, "GiB")),
        ("KV budget", fmt_bytes(r.kv_budget_bytes, "GiB")),
        ("KV token capacity", fmt_int(r.kv_token_capacity)),
        ("max batch", fmt_int(r.max_batch)),
    ]) + "\n" + r.reason
    return data, text
