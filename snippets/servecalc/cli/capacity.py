"""``servecalc capacity`` and ``servecalc plan``: load under an SLO, by simulation."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ..units import fmt_duration, fmt_int, fmt_number, fmt_usd
from .checks import count, number, share, unit_share
from .common import Command, add_engine_choice, add_expert_options, command, deployment_from_args, pairs, table
from .progress import progress_line
from .speculative import add_speculative_options, speculation_from_args

COMMANDS: dict[str, Command] = {}


def add_traffic_options(p: argparse.ArgumentParser, *, rate_scale: bool) -> None:
    """``--prompt --output --trace --arrival-cv --seed`` (and ``--rate-scale``)."""
    from ..sim.traces import TRACES

    p.add_argument("--prompt", default="512", metavar="P",
                   help="prompt tokens: N, uniform:LOW-HIGH, lognormal:MEAN,SIGMA or "
                   "list:A,B,... (default: %(default)s; ignored with --trace)")
    p.add_argument("--output", default="256", metavar="O",
                   help="output tokens, same forms as --prompt "
                   "(default: %(default)s; ignored with "
                   "--trace)")
    p.add_argument("--random-range-ratio", type=unit_share("random_range_ratio"), default=1.0,
                   metavar="R", help="draw --prompt N and --output N uniformly between R x N "
                   "and N, as vLLM's random dataset and InferenceMAX do (default: 1, fixed)")
    p.add_argument("--trace", default=None, metavar="NAME",
                   help="replay recorded traffic instead: " + ", ".join(TRACES))
    if rate_scale:
        p.add_argument("--rate-scale", type=number("rate_scale"), default=1.0, metavar="X",
                       help="with --trace: replay X times as fast (default: %(default)g)")
    p.add_argument("--arrival-cv", type=number("arrival_cv"), default=1.0, metavar="CV",
                   help="coefficient of variation of the gaps between arrivals: 1 is Poisson "
                   "(default), above 1 bursty (gamma gaps; vLLM's --burstiness is 1/CV^2)")
    p.add_argument("--seed", type=count("seed", zero=True), default=0, metavar="S",
                   help="random seed (default: %(default)s)")


def lengths_from_args(args: argparse.Namespace) -> tuple[Any, Any]:
    """(prompt, output) length distributions of ``--prompt --output --random-range-ratio``."""
    from ..sim.lengths import range_ratio

    return (range_ratio("prompt", args.prompt, args.random_range_ratio),
            range_ratio("output", args.output, args.random_range_ratio))


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """``--policy --max-batch --max-batched-tokens --memory-utilization`` (each left out:
    the engine preset's)."""
    from ..engines import ADMISSIONS

    p.add_argument("--policy", default=None, choices=("static", "continuous", "chunked"),
                   help="batching policy: %(choices)s (default: the engine preset's; vllm "
                   "chunks, ideal is continuous)")
    p.add_argument("--max-batch", type=count("max_batch"), default=None, metavar="B",
                   help="most sequences in the engine at once (default: the engine preset's "
                   "max_num_seqs for the GPU)")
    p.add_argument("--max-batched-tokens", type=count("max_batched_tokens"), default=None,
                   metavar="T",
                   help="token budget per step: prompt tokens per prefill step for continuous, "
                   "all tokens per step for chunked (default: the engine preset's)")
    p.add_argument("--memory-utilization", type=share("memory_utilization"), default=None,
                   metavar="F", help="fraction of GPU memory the engine may use, in (0, 1] "
                   "(default: the engine preset's, 0.9 for vllm)")
    p.add_argument("--admission", default=None, choices=ADMISSIONS,
                   help="when a waiting request may start: grow (its prompt's KV blocks are "
                   "free; preempt later if the cache runs out, as vLLM and SGLang) or reserve "
                   "(its prompt and whole output fit, never preempted, as TensorRT-LLM's "
                   "GUARANTEED_NO_EVICT); default: the engine preset's")


def policy_label(args: argparse.Namespace, engine: Any) -> str:
    """``chunked batching (vllm)``: the policy a run used and the engine preset."""
    label = f"{args.policy or engine.policy} batching ({engine.preset.id})"
    spec = getattr(engine, "speculation", None)
    if spec is not None:
        label += f", {spec.name} speculation (K = {spec.spec_tokens})"
    return label


def _add_slo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--slo", default=None, metavar="NAME",
                   help="SLO preset from servecalc.slo.PRESETS, e.g. mlperf-llama2-70b-interactive")
    p.add_argument("--ttft-p99", type=float, default=None, metavar="S",
                   help="or a custom SLO: p99 time to first token limit in seconds")
    p.add_argument("--tpot-p99", type=float, default=None, metavar="S",
                   help="... and p99 time per output token limit in seconds")


def slo_from_args(args: argparse.Namespace) -> Any:
    """The preset named by ``--slo``, or the custom one of ``--ttft-p99 --tpot-p99``."""
    from ..slo import get_slo, make_slo

    custom = (args.ttft_p99, args.tpot_p99)
    if args.slo is not None:
        if custom != (None, None):
            raise ValueError("give --slo NAME or --ttft-p99 and --tpot-p99, not both")
        return get_slo(args.slo)
    if None in custom:
        raise ValueError("an SLO is required: --slo NAME, or both --ttft-p99 S and --tpot-p99 S")
    return make_slo("custom", args.ttft_p99, args.tpot_p99)


def _configure_capacity(p: argparse.ArgumentParser) -> None:
    from ..slo_capacity import DEFAULT_REQUESTS

    add_engine_options(p)
    add_traffic_options(p, rate_scale=False)
    _add_slo(p)
    p.add_argument("--requests", type=count("requests"), default=None, metavar="N",
                   help=f"requests simulated at each rate tried (default: {DEFAULT_REQUESTS})")
    add_speculative_options(p)


def _latency_rows(r: Any) -> list[tuple[str, str]]:
    def row(name: str, s: Any, unit: str, digits: int) -> tuple[str, str]:
        return (name, "  ".join(f"{k} {fmt_duration(getattr(s, k), unit, digits)}"
                                for k in ("p50", "p90", "p99")))

    return [row("time to first token", r.ttft_s, "ms", 1),
            row("time per output token", r.tpot_s, "ms", 2)]


@command(COMMANDS, "capacity", "highest request rate one replica serves within an SLO",
         options="deployment", configure=_configure_capacity)
def _run_capacity(args: argparse.Namespace) -> tuple[Any, str]:
    """Search the arrival rate, simulating each, for the highest one at which the SLO's percentile
    of TTFT and TPOT stays within its limits; report it with its uncertainty and the latencies
    there."""
    from ..slo_capacity import DEFAULT_REQUESTS, max_rate_under_slo

    from ..sim import Engine

    engine = Engine(deployment_from_args(args), max_batch=args.max_batch,
                    max_batched_tokens=args.max_batched_tokens,
                    memory_utilization=args.memory_utilization,
                    speculative=speculation_from_args(args), admission=args.admission)
    prompt, output = lengths_from_args(args)
    with progress_line("capacity") as report:
        r = max_rate_under_slo(
            engine, slo=slo_from_args(args), policy=args.policy,
            prompt=prompt, output=output, trace=args.trace, arrival_cv=args.arrival_cv,
            requests=args.requests or DEFAULT_REQUESTS, seed=args.seed, progress=report)
    low, high = r.rate_interval_requests_per_s
    head = (f"{args.model} on {args.gpus} x {args.gpu}, {policy_label(args, engine)}, "
            f"{r.workload}; "
            f"SLO {r.slo.name}: p{r.slo.percentile:g} TTFT <= {fmt_number(r.slo.ttft_s, 3)} s, "
            f"TPOT <= {fmt_number(r.slo.tpot_s * 1000, 1)} ms\n")
    data = r.to_dict()
    if engine.speculation is not None:
        s = engine.speculation
        data["speculative"] = {"method": s.name, "spec_tokens": s.spec_tokens,
                               "acceptance": list(s.acceptance),
                               "expected_tokens_per_step": s.expected_tokens_per_step}
    if not r.feasible:
        return data, head + "no rate meets the SLO: " + r.reason
    text = head + pairs([
        ("max rate", f"{fmt_number(r.max_rate_requests_per_s, 3)} requests/s "
                     f"(95 % interval {fmt_number(low, 3)}-{fmt_number(high, 3)})"),
        ("output tokens", f"{fmt_number(r.output_tokens_per_s, 1)} per second"),
        *_latency_rows(r),
        ("mean batch", fmt_number(r.mean_batch, 1)),
        ("saturation", f"{fmt_number(r.saturation_requests_per_s, 3)} requests/s (always busy)"),
        ("simulated", f"{fmt_int(r.requests_simulated)} requests at {r.rates_tried} rates"),
        ("at that rate", r.reason),
    ])
    return data, text


def _int_list(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 1,2,4,8, got {text!r}") from None


def _configure_plan(p: argparse.ArgumentParser) -> None:
    from ..plan import DEFAULT_GPU_COUNTS
    from ..precision import BITS

    p.add_argument("--model", required=True, metavar="ID", help="model ID from `servecalc models`")
    p.add_argument("--rate", type=number("rate"), required=True, metavar="R",
                   help="requests per second the fleet must serve")
    p.add_argument("--gpu", action="append", default=None, metavar="ID",
                   help="accelerator to consider (repeat; default: every GPU with a price)")
    p.add_argument("--gpus", type=_int_list, default=list(DEFAULT_GPU_COUNTS), metavar="N,N,...",
                   help="tensor-parallel sizes to try (default: "
                   f"{','.join(map(str, DEFAULT_GPU_COUNTS))})")
    p.add_argument("--weight-dtype", default="native", metavar="D,D,...",
                   help=f"weight precisions to try, of {', '.join(BITS)}, or 'native' (default): "
                   "each GPU's native ones (bf16; fp8 on Hopper, Ada, MI300-class and later; "
                   "nvfp4 on Blackwell, mxfp4 on MI355X)")
    p.add_argument("--kv-dtype", default="bf16", choices=tuple(BITS), metavar="D",
                   help="KV-cache precision (default: %(default)s)")
    p.add_argument("--headroom", type=float, default=0.0, metavar="F",
                   help="load each replica to at most 1 - F of its capacity "
                   "(default: %(default)g)")
    add_engine_choice(p)
    add_expert_options(p, full=False)
    add_engine_options(p)
    add_traffic_options(p, rate_scale=False)
    _add_slo(p)
    p.add_argument("--verbose", action="store_true",
                   help="list every configuration left out with its full reason")
    from .pools import add_plan_disagg_options

    add_plan_disagg_options(p)
    add_speculative_options(p)


@command(COMMANDS, "plan", "cheapest fleet for a request rate within an SLO",
         configure=_configure_plan)
def _run_plan(args: argparse.Namespace) -> tuple[Any, str]:
    """Try every GPU, GPU count and weight precision that fits, find each replica's capacity under
    the SLO by simulation, and list fleets by cost."""
    from ..plan import plan
    from ..precision import BITS
    from ..validate import choice

    dtypes = (None if args.weight_dtype.strip() == "native" else
              [choice("weight_dtype", d.strip(), tuple(BITS) + ("native",))
               for d in args.weight_dtype.split(",")])
    if dtypes is not None and "native" in dtypes:
        raise ValueError("weight_dtype 'native' cannot be combined with other precisions, "
                         f"got {args.weight_dtype!r}")
    prompt, output = lengths_from_args(args)
    with progress_line("plan") as report:
        result = plan(args.model, rate=args.rate, prompt=prompt, output=output,
                      slo=slo_from_args(args), gpu_ids=args.gpu, gpu_counts=args.gpus,
                      weight_dtypes=dtypes, kv_dtype=args.kv_dtype, trace=args.trace,
                      headroom=args.headroom, policy=args.policy, seed=args.seed,
                      engine=args.engine, memory_utilization=args.memory_utilization,
                      speculative=speculation_from_args(args), ep=args.ep,
                      admission=args.admission,
                      dp_attention=args.dp_attention, progress=report)
    if args.disagg:
        from .pools import plan_disagg_report

        return plan_disagg_report(args, result, prompt, output, dtypes, slo_from_args(args))
    cheapest = min((o.usd_per_hour for o in result.options), default=0.0)
    rows = [(o.gpu, str(o.gpus), o.weight_dtype, fmt_number(o.max_rate_per_replica, 2),
             str(o.replicas), fmt_usd(o.usd_per_hour), fmt_usd(o.usd_per_million_output_tokens),
             _times_cheapest(o.usd_per_hour, cheapest)) for o in result.options]
    text = (f"{args.model} at {fmt_number(args.rate, 2)} requests/s within {result.slo.name}, "
            f"headroom {fmt_number(100 * result.headroom, 0)} %\n")
    if rows:
        text += table(["gpu", "gpus", "weights", "req/s per replica", "replicas", "$/hour",
                       "$/M output", "x cheapest"], rows, right={1, 3, 4, 5, 6, 7})
        if any(o.usd_per_hour >= FAR_ABOVE * cheapest for o in result.options):
            text += (f"\n! costs at least {FAR_ABOVE:g} x the cheapest fleet: listed for "
                     "comparison, not as a choice")
    else:
        text += "no combination meets the SLO"
    if rows:
        bands = dict.fromkeys(o.gpu for o in result.options)
        text += "\nprices (the point used, and each GPU's band):\n" + "\n".join(
            f"  {gpu}: {next(o.price_band for o in result.options if o.gpu == gpu)}" for gpu in bands)
    if result.skipped:
        text += "\n" + left_out_text(result.skipped, verbose=args.verbose)
    return result.to_dict(), text


#: ``plan`` marks a fleet that costs at least this many times the cheapest one.
FAR_ABOVE = 2.0


def _times_cheapest(usd_per_hour: float, cheapest: float) -> str:
    """``1.0 x``, ``3.4 x !`` (``!``: at least :data:`FAR_ABOVE` times the cheapest)."""
    ratio = usd_per_hour / cheapest if cheapest > 0 else 1.0
    return f"{fmt_number(ratio, 1)} x" + (" !" if ratio >= FAR_ABOVE else "")


def left_out_text(skipped: Sequence[tuple[str, str]], *, verbose: bool) -> str:
    """What ``plan`` and ``frontier`` left out: a short table of reasons with a count and the
    first few configurations each, or every configuration with its full reason (``verbose``).

    >>> print(left_out_text([("a x1 bf16", "does not fit: 9 GB over"),
    ...                      ("a x2 bf16", "does not fit: 1 GB over"),
    ...                      ("b x1 fp8", "no price: ask")], verbose=False))
    left out (--verbose lists each with its reason):
    reason        count  for example
    ------------  -----  --------------------
    does not fit      2  a x1 bf16, a x2 bf16
    no price          1  b x1 fp8
    """
    if verbose:
        return "left out:\n" + "\n".join(f"  {c}: {r}" for c, r in skipped)
    groups: dict[str, list[str]] = {}
    for config, reason in skipped:
        groups.setdefault(reason.split(":")[0], []).append(config)
    rows = [(reason, fmt_int(len(configs)),
             ", ".join(configs[:3]) + (", ..." if len(configs) > 3 else ""))
            for reason, configs in groups.items()]
    return ("left out (--verbose lists each with its reason):\n"
            + table(["reason", "count", "for example"], rows, right={1}))
