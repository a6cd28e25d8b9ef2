"""``servecalc models`` and ``servecalc gpus``: the catalogs."""

from __future__ import annotations

import argparse
from typing import Any

from ..units import fmt_bytes, fmt_duration, fmt_number
from ..validate import limit_rows
from .checks import limits_text
from .common import Command, billions, command, jsonable, table

COMMANDS: dict[str, Command] = {}


@command(COMMANDS, "models", "list the model catalog")
def _run_models(args: argparse.Namespace) -> tuple[Any, str]:
    """List every model in the catalog with its parameter count and attention layout. --json gives
    all architecture fields and sources."""
    from ..models import MODELS
    from ..params import active_param_count, param_count

    data, rows = [], []
    for spec in MODELS.values():
        total, active = param_count(spec), active_param_count(spec)
        data.append({**jsonable(spec), "attention": spec.attention, "params": total,
                     "active_params": active})
        rows.append([
            spec.id, spec.name, billions(total), billions(active), str(spec.num_layers),
            str(spec.hidden_size), f"{spec.num_attention_heads}/{spec.num_kv_heads}",
            str(spec.head_dim), spec.attention,
            "confirmed" if spec.status == "confirmed" else "see status",
        ])
    text = table(
        ["id", "name", "params", "active", "layers", "hidden", "heads/kv", "head_dim",
         "attention", "source check"],
        rows, right={2, 3, 4, 5, 7},
    )
    return data, text


@command(COMMANDS, "gpus", "list the accelerator catalog")
def _run_gpus(args: argparse.Namespace) -> tuple[Any, str]:
    """List every accelerator with memory (as the runtime reports it), bandwidth and dense peak
    FLOP/s. --json gives sources and status."""
    from ..gpus import GPUS

    data, rows = [], []
    for g in GPUS.values():
        data.append({**jsonable(g), "ridge_point_bf16": g.ridge_point("bf16")})
        rows.append([
            g.id, g.name, fmt_bytes(g.memory_bytes, "GiB", 1),
            f"{fmt_number(g.hbm_bandwidth_bytes_per_s / 1e12, 2)} TB/s",
            f"{fmt_number(g.bf16_flops_per_s / 1e12, 0)} TFLOP/s",
            *(f"{fmt_number(peak / 1e12, 0)} TFLOP/s" if peak else "-"
              for peak in (g.fp8_flops_per_s, g.fp4_flops_per_s)),
            "confirmed" if g.status == "confirmed" else "see status",
        ])
    text = table(["id", "name", "memory", "bandwidth", "bf16 dense", "fp8 dense", "fp4 dense",
                  "source check"], rows, right={2, 3, 4, 5, 6})
    return data, text


@command(COMMANDS, "engines", "list the serving-engine presets for --engine")
def _run_engines(args: argparse.Namespace) -> tuple[Any, str]:
    """List the serving-engine presets that --engine accepts: each one's scheduler, memory
    fraction and, per GPU generation and compute precision, its request overhead (per request,
    plus per request outstanding when it is sent), kernel efficiencies and fixed costs.
    --json gives every value with its source."""
    from ..engines import DEFAULT_ENGINE, list_engines

    data, rows = [], []
    for e in list_engines():
        data.append({**jsonable(e), "default": e.id == DEFAULT_ENGINE})
        s = e.scheduler
        budget = s["large_gpu_max_num_batched_tokens"]
        for r in e.efficiency_rows:
            rows.append([
                e.id + (" (default)" if e.id == DEFAULT_ENGINE else ""), s["policy"],
                e.admission,
                f"{s['large_gpu_max_num_seqs']}", "-" if budget is None else f"{budget}",
                fmt_number(e.memory_utilization, 2),
                _request_cell(e, r),
                f"{r.generation}/{r.precision}" + ("" if r.architecture == "*"
                                                   else f"/{r.architecture}"),
                fmt_number(r.mbu, 2), fmt_number(r.mfu, 2), fmt_duration(r.step_s, "us", 0),
                fmt_duration(r.layer_s, "us", 1), fmt_duration(r.moe_layer_s, "us", 1),
                fmt_duration(r.allreduce_s, "us", 1),
            ])
    text = table(["engine", "policy", "admission", "max seqs", "tokens/step", "memory",
                  "request (+ per outstanding)",
                  "gpu/precision/model", "mbu", "mfu", "per step", "per layer", "per MoE layer",
                  "per all-reduce"], rows, right=set(range(3, 14)) - {7})
    return data, text + ("\n(max seqs and tokens/step on GPUs of 70 GiB or more; smaller GPUs "
                         "get smaller defaults, see --json; request: seconds outside the "
                         "engine's steps per request, plus per request already outstanding "
                         "when it is sent, in closed loops)")


def _request_cell(e: Any, r: Any) -> str:
    """An efficiency row's request overhead (the preset's where the row has none)."""
    fixed, per = e.row_request_overheads(r)
    text = fmt_duration(fixed, "ms", 0)
    return text if not per else f"{text} + {fmt_duration(per, 'ms', 1)}"


@command(COMMANDS, "slos", "list the SLO presets for --slo")
def _run_slos(args: argparse.Namespace) -> tuple[Any, str]:
    """List the latency targets (TTFT, TPOT, percentile) that `simulate --slo` accepts, with their
    sources in --json."""
    from ..slo import PRESETS

    data = [{"id": key, **jsonable(slo)} for key, slo in PRESETS.items()]
    rows = [[key, fmt_duration(slo.ttft_s, "ms", 0), fmt_duration(slo.tpot_s, "ms", 0),
             f"p{fmt_number(slo.percentile, 0)}", slo.name] for key, slo in PRESETS.items()]
    return data, table(["id", "TTFT", "TPOT", "percentile", "name"], rows, right={1, 2})


@command(COMMANDS, "limits", "list the documented input limits")
def _run_limits(args: argparse.Namespace) -> tuple[Any, str]:
    """The largest (and smallest) values each argument accepts: sizes no deployment reaches are
    refused before any work starts."""
    data = [{"arguments": names.split(", "), "range": bounds, "what": what}
            for names, bounds, what in limit_rows()]
    return data, limits_text()
