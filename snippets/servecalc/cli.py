"""The ``servecalc`` command line: the library's numbers from a shell.

Every command takes ``--help`` and ``--json``. Human output goes through
:mod:`servecalc.units`; JSON keeps byte counts as integers. A bad argument
prints one line on stderr and exits with status 2.

>>> main(["memory", "--model", "llama-2-7b", "--context", "4096", "--json"])  # doctest: +ELLIPSIS
{
  "model": "llama-2-7b",
  ...
  "kv_bytes_per_token": 524288,
  "kv_bytes": 2147483648,
  ...
0
>>> import contextlib, sys
>>> with contextlib.redirect_stderr(sys.stdout):
...     main(["fit", "--model", "llama-3.1-70b", "--gpu", "h100"])
servecalc: error: gpu 'h100' is not in the catalog; closest: 'h100-sxm', 'h100-pcie', 'h200' (list them all with `servecalc gpus`)
2

Adding a command: write ``_configure_<name>(parser)`` and
``_run_<name>(args) -> (data, text)`` and add one line to :data:`COMMANDS`, or
call :func:`register_command` from another module before :func:`main` runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .units import fmt_bytes, fmt_duration, fmt_int, fmt_number, fmt_usd
from .precision import KV_DTYPES as _KV_DTYPES, WEIGHT_DTYPES as _DTYPES

Run = Callable[[argparse.Namespace], "tuple[Any, str]"]
Configure = Callable[[argparse.ArgumentParser], None]


class _Parser(argparse.ArgumentParser):
    """Argument errors: one line on stderr, exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"servecalc: error: {message} (see `{self.prog} --help`)\n")


# --------------------------------------------------------------------------- helpers

def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _pairs(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def _billions(n: int) -> str:
    return f"{fmt_number(n / 1e9, 2)} B"


def _jsonable(obj: Any) -> Any:
    """Dataclass or mapping -> plain JSON types (scalars only)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"a result is not a finite number ({obj!r}); check the inputs")
    return obj


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="ID",
                   help="model ID from `servecalc models`, e.g. llama-3.1-70b")


def _add_gpu(p: argparse.ArgumentParser, gpus: bool = True) -> None:
    p.add_argument("--gpu", required=True, metavar="ID",
                   help="accelerator ID from `servecalc gpus`, e.g. h100-sxm")
    if gpus:
        p.add_argument("--gpus", type=int, default=1, metavar="N",
                       help="GPUs in one tensor-parallel group (default: 1)")


def _add_dtypes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weight-dtype", default="bf16", choices=_DTYPES, metavar="D",
                   help="weight precision: %(choices)s (default: bf16)")
    p.add_argument("--kv-dtype", default="bf16", choices=_KV_DTYPES, metavar="D",
                   help="KV-cache precision (default: bf16)")


# --------------------------------------------------------------------------- commands


def _configure_models(p: argparse.ArgumentParser) -> None:
    pass


def _run_models(args: argparse.Namespace) -> tuple[Any, str]:
    from .models import MODELS
    from .params import active_param_count, param_count

    data, rows = [], []
    for spec in MODELS.values():
        total, active = param_count(spec), active_param_count(spec)
        data.append({**_jsonable(spec), "attention": spec.attention, "params": total,
                     "active_params": active})
        rows.append([
            spec.id, spec.name, _billions(total), _billions(active), str(spec.num_layers),
            str(spec.hidden_size), f"{spec.num_attention_heads}/{spec.num_kv_heads}",
            str(spec.head_dim), spec.attention,
            "confirmed" if spec.status == "confirmed" else "see status",
        ])
    text = _table(
        ["id", "name", "params", "active", "layers", "hidden", "heads/kv", "head_dim",
         "attention", "source check"],
        rows, right={2, 3, 4, 5, 7},
    )
    return data, text


def _configure_gpus(p: argparse.ArgumentParser) -> None:
    pass


def _run_gpus(args: argparse.Namespace) -> tuple[Any, str]:
    from .gpus import GPUS

    data, rows = [], []
    for g in GPUS.values():
        data.append({**_jsonable(g), "ridge_point_bf16": g.ridge_point("bf16")})
        rows.append([
            g.id, g.name, fmt_bytes(g.memory_bytes, "GiB", 1),
            f"{fmt_number(g.hbm_bandwidth_bytes_per_s / 1e12, 2)} TB/s",
            f"{fmt_number(g.bf16_flops_per_s / 1e12, 0)} TFLOP/s",
            f"{fmt_number(g.fp8_flops_per_s / 1e12, 0)} TFLOP/s" if g.fp8_flops_per_s else "-",
            "confirmed" if g.status == "confirmed" else "see status",
        ])
    text = _table(["id", "name", "memory", "bandwidth", "bf16 dense", "fp8 dense",
                   "source check"], rows, right={2, 3, 4, 5})
    return data, text


def _configure_memory(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    p.add_argument("--context", type=int, default=4096, metavar="N",
                   help="tokens per sequence (default: 4096)")
    p.add_argument("--batch", type=int, default=1, metavar="B",
                   help="concurrent sequences (default: 1)")
    _add_dtypes(p)


def _run_memory(args: argparse.Namespace) -> tuple[Any, str]:
    from .kv import kv_bytes_per_batch, kv_bytes_per_token
    from .models import get_model
    from .params import active_param_count, param_count, weight_bytes

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
        + _pairs([
            ("parameters", f"{fmt_int(data['params'])} ({_billions(data['params'])})"),
            ("active per token", f"{fmt_int(data['active_params'])} "
                                 f"({_billions(data['active_params'])})"),
            ("weights", f"{fmt_bytes(weights, 'GiB')} ({fmt_bytes(weights, 'GB')})"),
            ("KV per token", f"{fmt_bytes(data['kv_bytes_per_token'], 'KiB')} "
                             "(all layers, no window)"),
            ("KV cache", f"{fmt_bytes(kv, 'GiB')} ({fmt_bytes(kv, 'GB')})"),
            ("total", f"{fmt_bytes(weights + kv, 'GiB')} ({fmt_bytes(weights + kv, 'GB')})"),
        ])
    )
    return data, text


def _configure_fit(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    _add_gpu(p)
    p.add_argument("--context", type=int, default=4096, metavar="N",
                   help="tokens per sequence (default: 4096)")
    _add_dtypes(p)
    p.add_argument("--memory-utilization", type=float, default=0.9, metavar="U",
                   help="fraction of GPU memory the server may use (default: 0.9)")
    p.add_argument("--reserve-bytes", type=int, default=None, metavar="BYTES",
                   help="per-GPU reserve for activations and runtime (default: 1.5 GiB)")
    p.add_argument("--block-size", type=int, default=16, metavar="T",
                   help="tokens per KV block (default: 16)")


def _run_fit(args: argparse.Namespace) -> tuple[Any, str]:
    from .capacity import fit

    r = fit(args.model, args.gpu, gpus=args.gpus, context=args.context,
            weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
            memory_utilization=args.memory_utilization, reserve_bytes=args.reserve_bytes,
            block_size=args.block_size)
    data = {**_jsonable(r), "fits": r.fits}
    text = _pairs([
        ("usable memory", fmt_bytes(r.usable_bytes, "GiB")),
        ("weights", fmt_bytes(r.weight_bytes, "GiB")),
        ("reserve per GPU", fmt_bytes(r.reserve_bytes_per_gpu, "GiB")),
        ("KV budget", fmt_bytes(r.kv_budget_bytes, "GiB")),
        ("KV token capacity", fmt_int(r.kv_token_capacity)),
        ("max batch", fmt_int(r.max_batch)),
    ]) + "\n" + r.reason
    return data, text


def _configure_step(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    _add_gpu(p)
    p.add_argument("--phase", required=True, choices=("decode", "prefill"),
                   help="decode (one token per sequence) or prefill (the whole prompt)")
    p.add_argument("--batch", type=int, required=True, metavar="B", help="sequences in the step")
    p.add_argument("--context", type=int, required=True, metavar="T",
                   help="tokens per sequence (prompt length for prefill)")
    _add_dtypes(p)
    p.add_argument("--mbu", type=float, default=None, metavar="X",
                   help="memory-bandwidth utilization in (0, 1] (default: the model's)")
    p.add_argument("--mfu", type=float, default=None, metavar="Y",
                   help="FLOP utilization in (0, 1] (default: the model's)")


def _run_step(args: argparse.Namespace) -> tuple[Any, str]:
    from .roofline import step

    r = step(args.model, args.gpu, phase=args.phase, batch=args.batch, context=args.context,
             gpus=args.gpus, weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
             mbu=args.mbu, mfu=args.mfu)
    data = _jsonable(r) if dataclasses.is_dataclass(r) else {}
    data.update(seconds=r.seconds, flops=r.flops, bytes=r.bytes, bound=r.bound)
    data = _jsonable(data)
    text = _pairs([
        ("time", fmt_duration(r.seconds, "ms", 3)),
        ("FLOPs", f"{fmt_number(r.flops / 1e12, 3)} TFLOP"),
        ("bytes moved", fmt_bytes(r.bytes, "GB", 3)),
        ("bound by", r.bound),
    ])
    return data, text


def _configure_latency(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    _add_gpu(p)
    p.add_argument("--prompt", type=int, required=True, metavar="P", help="prompt tokens")
    p.add_argument("--output", type=int, required=True, metavar="O", help="generated tokens")
    p.add_argument("--batch", type=int, default=1, metavar="B",
                   help="sequences decoded together (default: 1)")
    _add_dtypes(p)


def _run_latency(args: argparse.Namespace) -> tuple[Any, str]:
    from .latency import request_latency

    r = request_latency(args.model, args.gpu, prompt=args.prompt, output=args.output,
                        batch=args.batch, gpus=args.gpus, weight_dtype=args.weight_dtype,
                        kv_dtype=args.kv_dtype)
    data = _jsonable(r) if dataclasses.is_dataclass(r) else {}
    data.update(ttft_s=r.ttft_s, tpot_s=r.tpot_s, e2e_s=r.e2e_s, tokens_per_s=r.tokens_per_s)
    data = _jsonable(data)
    text = _pairs([
        ("time to first token", fmt_duration(r.ttft_s, "ms")),
        ("time per output token", fmt_duration(r.tpot_s, "ms", 2)),
        ("end to end", fmt_duration(r.e2e_s, "s", 3)),
        ("tokens per second", fmt_number(r.tokens_per_s, 1)),
    ])
    return data, text


def _configure_cost(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    _add_gpu(p)
    p.add_argument("--price-per-hour", type=float, required=True, metavar="P",
                   help="US dollars per GPU-hour (dated examples: servecalc.prices)")
    p.add_argument("--batch", type=int, default=32, metavar="B",
                   help="concurrent sequences (default: 32)")
    p.add_argument("--prompt", type=int, default=1024, metavar="P",
                   help="prompt tokens per request (default: 1024)")
    p.add_argument("--output", type=int, default=256, metavar="O",
                   help="generated tokens per request (default: 256)")
    p.add_argument("--utilization", type=float, default=1.0, metavar="U",
                   help="fraction of paid hours spent serving (default: 1.0)")
    _add_dtypes(p)


def _run_cost(args: argparse.Namespace) -> tuple[Any, str]:
    from .cost import cost_per_million_tokens

    r = cost_per_million_tokens(args.model, args.gpu, price_usd_per_hour=args.price_per_hour,
                                gpus=args.gpus, batch=args.batch, prompt=args.prompt,
                                output=args.output, utilization=args.utilization,
                                weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype)
    data = _jsonable(r) if dataclasses.is_dataclass(r) else {}
    data.update(usd_per_million_output_tokens=r.usd_per_million_output_tokens,
                usd_per_million_input_tokens=r.usd_per_million_input_tokens)
    data = _jsonable(data)
    text = (
        f"{fmt_usd(args.price_per_hour)} per GPU-hour x {args.gpus} GPU(s), batch "
        f"{fmt_int(args.batch)}, {fmt_int(args.prompt)} prompt + {fmt_int(args.output)} "
        f"output tokens per request\n"
        + _pairs([
            ("per million output tokens", fmt_usd(r.usd_per_million_output_tokens)),
            ("per million input tokens", fmt_usd(r.usd_per_million_input_tokens, 4)),
        ])
    )
    return data, text


def _configure_simulate(p: argparse.ArgumentParser) -> None:
    _add_model(p)
    _add_gpu(p)
    p.add_argument("--rate", type=float, required=True, metavar="R",
                   help="arrivals per second (Poisson)")
    p.add_argument("--requests", type=int, required=True, metavar="N", help="requests to run")
    p.add_argument("--policy", default="continuous", choices=("static", "continuous", "chunked"),
                   help="batching policy: %(choices)s (default: continuous)")
    p.add_argument("--prompt", default="512", metavar="P",
                   help="prompt tokens: N, uniform:LOW-HIGH, lognormal:MEAN,SIGMA or "
                   "list:A,B,... (default: 512)")
    p.add_argument("--output", default="256", metavar="O",
                   help="output tokens, same forms as --prompt (default: 256)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: 0)")
    p.add_argument("--max-batch", type=int, default=256, metavar="B",
                   help="most sequences in the engine at once (default: 256)")
    p.add_argument("--max-batched-tokens", type=int, default=None, metavar="T",
                   help="token budget per step: prompt tokens per prefill step for continuous "
                   "(default: no limit), all tokens per step for chunked (default: 2048)")
    p.add_argument("--slo", default="mlperf-llama2-70b-server", metavar="NAME",
                   help="SLO preset for goodput, from servecalc.slo.PRESETS "
                   "(default: mlperf-llama2-70b-server)")
    _add_dtypes(p)


def _run_simulate(args: argparse.Namespace) -> tuple[Any, str]:
    from .simulate import simulate_poisson

    r = simulate_poisson(args.model, args.gpu, rate=args.rate, requests=args.requests,
                         prompt=args.prompt, output=args.output, policy=args.policy,
                         seed=args.seed, slo=args.slo, gpus=args.gpus,
                         weight_dtype=args.weight_dtype, kv_dtype=args.kv_dtype,
                         max_batch=args.max_batch, max_batched_tokens=args.max_batched_tokens)
    data = _jsonable(r.to_dict())

    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    text = (
        f"{fmt_int(r.requests)} requests at {fmt_number(args.rate, 2)}/s, {args.policy} "
        f"batching, prompt {args.prompt}, output {args.output}, seed {args.seed}\n"
        + _pairs([
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
    return data, text


@dataclasses.dataclass(frozen=True, kw_only=True)
class Command:
    """One subcommand: its help line, description and two functions."""

    help: str
    description: str
    configure: Configure
    run: Run


COMMANDS: dict[str, Command] = {
    "models": Command(
        help="list the model catalog",
        description="List every model in the catalog with its parameter count and attention "
        "layout. --json gives all architecture fields and sources.",
        configure=_configure_models, run=_run_models),
    "gpus": Command(
        help="list the accelerator catalog",
        description="List every accelerator with memory (as the runtime reports it), "
        "bandwidth and dense peak FLOP/s. --json gives sources and status.",
        configure=_configure_gpus, run=_run_gpus),
    "memory": Command(
        help="weights + KV cache of a model",
        description="Parameters, weight bytes and KV-cache bytes for BATCH sequences of "
        "CONTEXT tokens.",
        configure=_configure_memory, run=_run_memory),
    "fit": Command(
        help="how many sequences fit on N GPUs",
        description="KV budget, KV token capacity and the largest batch of CONTEXT-token "
        "sequences that fit on N tensor-parallel GPUs.",
        configure=_configure_fit, run=_run_fit),
    "step": Command(
        help="roofline time of one prefill or decode step",
        description="FLOPs, bytes and time of one forward step, and whether compute or "
        "memory bandwidth bounds it.",
        configure=_configure_step, run=_run_step),
    "latency": Command(
        help="time to first token, per token and end to end",
        description="Latency of one request of PROMPT input and OUTPUT generated tokens.",
        configure=_configure_latency, run=_run_latency),
    "cost": Command(
        help="dollars per million tokens",
        description="Cost per million input and output tokens at a given price per GPU-hour.",
        configure=_configure_cost, run=_run_cost),
    "simulate": Command(
        help="simulate a replica under Poisson load",
        description="Discrete-event simulation of one replica serving N requests arriving at "
        "R per second: TTFT, TPOT and end-to-end percentiles, throughput and goodput.",
        configure=_configure_simulate, run=_run_simulate),
}


def register_command(
    name: str, *, help: str, description: str, configure: Configure, run: Run  # noqa: A002
) -> None:
    """Add (or replace) a subcommand; ``run(args)`` returns ``(data, text)``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a command word, got {name!r}")
    COMMANDS[name] = Command(help=help, description=description, configure=configure, run=run)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for all registered commands."""
    parser = _Parser(
        prog="servecalc",
        description="Serving math for large language models: memory, capacity, roofline "
        "latency and cost, from the servecalc library behind the LLM Serving Field Guide.",
    )
    parser.add_argument("--version", action="version", version=f"servecalc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.description)
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version and argument errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        data, text = args._run(args)
        out = json.dumps(data, indent=2, allow_nan=False) if args.json else text
    except ValueError as exc:
        print(f"servecalc: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # a model module not present in this build
        print(f"servecalc: error: {args.command} is not available: {exc}", file=sys.stderr)
        return 1
    try:
        print(out)
        sys.stdout.flush()
    except BrokenPipeError:  # `servecalc models | head`: the reader stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
