"""Calculator: the serving simulator (queues, bursts and tails), with progress.

>>> html = simulator(**{f.name: f.default for f in SIMULATOR.fields} | {"requests": 50})
>>> "TTFT" in html and html.count("<svg") == 2
True
>>> html = simulator(**{f.name: f.default for f in SIMULATOR.fields} | {"requests": 50,
...                  "prefill_replicas": 2, "decode_replicas": 1, "thinking": 64})
>>> "KV transfer" in html and "First answer token" in html
True
>>> spec = {f.name: f.default for f in SIMULATOR.fields} | {"requests": 50, "speculative": "mtp"}
>>> "tokens per sequence per step" in simulator(**spec)
True
>>> fleet = simulator(**{f.name: f.default for f in SIMULATOR.fields} | {
...     "requests": 60, "traffic": "chats", "replicas": 2, "router": "prefix-aware"})
>>> "Prefix cache" in fleet and "Requests per replica" in fleet
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from servecalc.kv_links import DEFAULT_LINK, LINKS
from servecalc.deployment import Deployment
from servecalc.sim import Engine, simulate, simulate_poisson
from servecalc.sim.disagg import DisaggResult, simulate_disagg
from servecalc.sim.reasoning import answer_times, with_thinking
from servecalc.sim.stats import summarize
from servecalc.speculation import MAX_SPEC_TOKENS, speculation
from servecalc.sim.fleet import ROUTERS, simulate_fleet
from servecalc.sim.sessions import chat_workload, with_shared_prefix
from servecalc.sim.traces import trace_workload
from servecalc.sim.workload import closed_workload, poisson_workload
from servecalc.slo import PRESETS, Slo, slo_for_model
from servecalc.units import fmt_duration, fmt_number, fmt_percent

from . import charts
from .fields import (Calculator, engine_field, expert_fields, gpu_field, model_field, policy_field,
                     policy_of, simulated_tokens)
from .forms import Field
from .html import key_values, table

OUTPUT_SHAPES = [
    ("fixed", "fixed"),
    ("uniform", "uniform from 1/16 to 4x the mean"),
    ("lognormal", "log-normal (sigma 1)"),
]


def _output_lengths(shape: str, mean: int) -> int | str:
    if shape == "fixed":
        return mean
    if shape == "uniform":
        return f"uniform:{max(1, mean // 16)}-{mean * 4}"
    return f"lognormal:{mean},1.0"


SPECULATIVE_METHODS = [
    ("none", "none"),
    ("eagle3", "EAGLE-3 head"),
    ("mtp", "MTP head (one token)"),
    ("ngram", "n-gram (prompt lookup)"),
    ("draft:llama-3.1-8b", "draft model Llama-3.1-8B"),
]


def _speculation(v: dict[str, Any]) -> Any:
    """The form's speculative decoding: None for 'none'; 0 keeps a method's default."""
    method = v.get("speculative", "none")
    if method == "none":
        return None
    return speculation(method, spec_tokens=v.get("spec_tokens") or None,
                       acceptance=v.get("acceptance") or None, seed=v["seed"])


TRAFFIC = [
    ("poisson", "independent requests (Poisson)"),
    ("chats", "multi-turn chats (growing prefixes)"),
    ("mooncake-conv-2025", "Mooncake chat trace, 2025 (real prefixes)"),
]


def _prefix_run(progress: Callable[[float], object] | None, v: dict[str, Any]) -> Any:
    """Traffic that carries prefix hashes, or a fleet: one replica or ``replicas``."""
    output = _output_lengths(v["output_shape"], v["output"])
    if v.get("concurrency"):
        raise ValueError("concurrent clients go with independent requests on one replica; "
                         "set Concurrent clients to 0 for chats, the trace or a fleet")
    for name in ("thinking", "prefill_replicas"):
        if v.get(name):
            raise ValueError(f"{name} must be 0 with chats, the trace, a shared prompt or a "
                             "fleet (they are not simulated together)")
    if v.get("ep", 1) != 1 or v.get("attention", "tp") == "dp":
        raise ValueError("ep must be 1 and attention tensor-parallel with chats, the trace, a "
                         "shared prompt or a fleet (they are not simulated together)")
    if v.get("speculative", "none") != "none":
        raise ValueError("speculative must be 'none' with chats, the trace, a shared prompt or "
                         "a fleet (they are not simulated together)")
    if v["traffic"] == "chats":
        work = chat_workload(v["rate"], v["requests"], turns=v["turns"], prompt=v["prompt"],
                             output=output, shared_prefix=v["shared_prefix"], seed=v["seed"])
    elif v["traffic"] == "poisson":
        work = poisson_workload(v["rate"], v["requests"], prompt=v["prompt"], output=output,
                                seed=v["seed"])
        if v["shared_prefix"]:
            work = with_shared_prefix(work, v["shared_prefix"])
    else:
        work = trace_workload(v["traffic"], requests=v["requests"])
    engine = Engine(v["model"], v["gpu"], gpus=v["gpus"], engine=v["engine"],
                    prefix_cache=v["prefix_cache"] == "on")
    if v["replicas"] > 1:
        return simulate_fleet(engine, work, replicas=v["replicas"], router=v["router"],
                              policy=policy_of(v), progress=progress, slo=slo_of(v))
    return simulate(engine, work, policy=policy_of(v), progress=progress, slo=slo_of(v))


#: The SLO select: the MLPerf limits of the model's size class (default), or a preset.
SLO_OPTIONS = [("model", "MLPerf, for the model's size")] + [(key, key) for key in PRESETS]


def slo_of(v: dict[str, Any]) -> Slo:
    """The SLO the form asks for: "model" means :func:`~servecalc.slo.slo_for_model`."""
    chosen = v.get("slo", "model")
    return slo_for_model(v["model"]) if chosen == "model" else PRESETS[chosen]


def _run(progress: Callable[[float], object] | None, v: dict[str, Any]) -> Any:
    """Poisson arrivals at the form's rate, or a closed loop of its concurrency (each
    output lengthened by the thinking tokens); the result and the thinking counts."""
    if (v.get("traffic", "poisson") != "poisson" or v.get("shared_prefix")
            or v.get("replicas", 1) > 1):
        return _prefix_run(progress, v), None
    output = _output_lengths(v["output_shape"], v["output"])
    spec = _speculation(v)
    expert = {"ep": v.get("ep", 1), "dp_attention": v.get("attention") == "dp"}
    if expert["ep"] != 1 or expert["dp_attention"]:   # a Deployment carries them
        where: Any = Deployment(model=v["model"], gpu=v["gpu"], gpus=v["gpus"],
                                engine=v["engine"], **expert)
        hardware, options = None, {}
    else:
        where, hardware, options = v["model"], v["gpu"], {"gpus": v["gpus"],
                                                          "engine": v["engine"]}
    if not v.get("concurrency") and not v.get("thinking") and not v.get("prefill_replicas"):
        return simulate_poisson(
            where, hardware, rate=v["rate"], requests=v["requests"],
            prompt=v["prompt"], output=output, policy=policy_of(v), seed=v["seed"],
            progress=progress, speculative=spec, slo=slo_of(v), **options), None
    if spec is not None and v.get("prefill_replicas"):
        raise ValueError("speculative must be 'none' with disaggregated pools (prefill_replicas "
                         f"{v['prefill_replicas']}): the two are not simulated together")
    engine = Engine(where, hardware, speculative=spec, **options)
    if v.get("concurrency") and not v.get("prefill_replicas"):
        work = closed_workload(v["concurrency"], v["requests"], prompt=v["prompt"],
                               output=output, seed=v["seed"])
    else:
        work = poisson_workload(v["rate"], v["requests"], prompt=v["prompt"], output=output,
                                seed=v["seed"])
    work, thinking = with_thinking(work, v.get("thinking") or None, seed=v["seed"])
    if v.get("prefill_replicas"):
        result = simulate_disagg(engine, engine, work, prefill_replicas=v["prefill_replicas"],
                                 decode_replicas=v.get("decode_replicas") or 1,
                                 link=v.get("kv_link") or DEFAULT_LINK, policy=policy_of(v),
                                 slo=slo_of(v))
        if progress is not None:
            progress(1.0)
    else:
        result = simulate(engine, work, policy=policy_of(v), progress=progress, slo=slo_of(v))
    if not any(thinking):
        return result, None
    return result, summarize(answer_times(result.arrivals, result.first_token_s,
                                          result.finish_s, work.outputs, thinking))


def simulator(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    result, ttfat = _run(progress, v)
    ms = lambda s: fmt_duration(s, "ms")  # noqa: E731
    extra = []
    if ttfat is not None:
        sec = lambda s: fmt_duration(s, "s", 2)  # noqa: E731
        extra.append(("First answer token", sec(ttfat.p50), sec(ttfat.p90), sec(ttfat.p99)))
    if isinstance(result, DisaggResult):
        t = result.transfer_s
        extra.append(("KV transfer", ms(t.p50), ms(t.p90), ms(t.p99)))
    latency = table(
        ["", "p50", "p90", "p99"],
        [
            ("TTFT", ms(result.ttft_s.p50), ms(result.ttft_s.p90), ms(result.ttft_s.p99)),
            *extra,
            ("TPOT", ms(result.tpot_s.p50), ms(result.tpot_s.p90), ms(result.tpot_s.p99)),
            ("End to end", fmt_duration(result.e2e_s.p50, "s", 2),
             fmt_duration(result.e2e_s.p90, "s", 2), fmt_duration(result.e2e_s.p99, "s", 2)),
        ],
    )
    if isinstance(result, DisaggResult):
        return key_values([
            ("Pools", f"{result.prefill_replicas} prefill + {result.decode_replicas} decode "
                      f"replicas of {result.prefill_gpus} GPU(s): {result.gpus} GPUs; KV over "
                      f"{result.link}"),
            ("Throughput", f"{fmt_number(result.throughput_tokens_per_s, 0)} output tokens/s"),
            ("Goodput", f"{fmt_number(result.goodput_requests_per_s, 2)} requests/s meeting "
                        f"the {result.slo.name} SLO ({fmt_percent(result.slo_attainment)} of "
                        "requests)"),
            ("Preemptions", f"{result.preemptions:,}"),
        ]) + latency
    rows = [
        ("Throughput", f"{fmt_number(result.throughput_tokens_per_s, 0)} output tokens/s"),
        ("Goodput", f"{fmt_number(result.goodput_requests_per_s, 2)} requests/s meeting "
                    f"the {result.slo.name} SLO ({fmt_percent(result.slo_attainment)} of requests)"),
    ]
    if result.prefix_hit_rate is not None:
        rows.append(("Prefix cache", f"{fmt_percent(result.prefix_hit_rate)} of prompt tokens "
                                     "served from cache"))
    if hasattr(result, "router"):             # a fleet: per-replica counts, no timeline
        rows += [("Router", f"{result.router}, {result.replicas} replicas"),
                 ("Requests per replica", ", ".join(f"{c:,}" for c in
                                                   result.requests_per_replica)),
                 ("Preemptions", f"{result.preemptions:,}")]
        return key_values(rows) + latency
    rows += [
        ("Mean / peak batch", f"{fmt_number(result.mean_batch, 1)} / {result.peak_batch}"),
        ("Peak KV cache use", fmt_percent(result.peak_kv_utilization)),
        ("Preemptions", f"{result.preemptions:,}"),
    ]
    if result.speculative is not None:
        rows.append(("Speculative decoding",
                     f"{result.speculative}: {fmt_number(result.mean_accepted_tokens_per_step, 2)}"
                     " tokens per sequence per step (mean)"))
    points = result.timeline
    batch = charts.line_chart(
        title="Sequences in the batch and waiting, over time",
        x_title="time since the first arrival (s)", y_title="sequences", dots=False,
        series={"in the batch": [(p.t_s, p.batch) for p in points],
                "waiting": [(p.t_s, p.waiting) for p in points]},
    )
    kv = charts.line_chart(
        title="KV cache in use, over time",
        x_title="time since the first arrival (s)", y_title="share of KV blocks (%)", dots=False,
        series={"KV blocks in use": [(p.t_s, p.kv_utilization * 100) for p in points]},
    )
    lead = [("Goodput", f"{fmt_number(result.goodput_requests_per_s, 2)} requests/s"),
            ("p99 TTFT", ms(result.ttft_s.p99)), ("p99 TPOT", ms(result.tpot_s.p99))]
    return key_values(rows, lead) + latency + batch + kv


SIMULATOR = Calculator(
    id="simulator",
    title="Serving simulator",
    fields=[
        model_field("llama-3.1-8b", custom=False),
        gpu_field(),
        Field(name="gpus", label="GPUs (tensor parallel)", kind="int", default=1, min=1, max=512),
        engine_field(),
        *expert_fields(),
        policy_field(),
        Field(name="concurrency", label="Concurrent clients", kind="int", default=0, min=0,
              max=4096, help="0: arrivals at the rate above; C: C clients, each sending its "
              "next request when the previous one completes (the rate is then ignored)"),
        Field(name="rate", label="Arrival rate", kind="float", default=20.0, min=0.01,
              max=10_000, step=0.1, unit="requests/s", slider=True),
        Field(name="requests", label="Requests", kind="int", default=1000, min=1,
              max=200_000),
        Field(name="prompt", label="Prompt", kind="int", default=512, min=1, max=131_072,
              unit="tokens"),
        Field(name="output", label="Output (mean)", kind="int", default=256, min=1,
              max=32_768, unit="tokens"),
        Field(name="output_shape", label="Output lengths", kind="select", default="lognormal",
              options=OUTPUT_SHAPES),
        Field(name="speculative", label="Speculative decoding", kind="select", default="none",
              options=SPECULATIVE_METHODS),
        Field(name="spec_tokens", label="Drafted tokens per step (K)", kind="int", default=0,
              min=0, max=MAX_SPEC_TOKENS, help="0: the method's default (servecalc.speculation)"),
        Field(name="acceptance", label="Acceptance per drafted token", kind="float",
              default=0.0, min=0.0, max=1.0, step=0.01, slider=False,
              help="0: the method's published default"),
        Field(name="seed", label="Seed", kind="int", default=0, min=0, max=2**31 - 1),
        Field(name="thinking", label="Thinking tokens", kind="int", default=0, min=0,
              max=32_768, unit="tokens", help="hidden reasoning tokens before each answer "
              "(added to the output): shows the time to first answer token"),
        Field(name="prefill_replicas", label="Prefill replicas", kind="int", default=0, min=0,
              max=64, help="0: one aggregated replica; X: disaggregated, X prefill replicas "
              "and the decode replicas below, each of the GPUs above (arrival rate only)"),
        Field(name="decode_replicas", label="Decode replicas", kind="int", default=1, min=1,
              max=64),
        Field(name="kv_link", label="KV transfer link", kind="select", default=DEFAULT_LINK,
              options=[(name, name) for name in LINKS]),
        Field(name="traffic", label="Traffic", kind="select", default="poisson",
              options=TRAFFIC, help="chats: each conversation sends Turns requests, each "
              "prompt the conversation so far plus a new Prompt-sized message; the trace "
              "replays its first Requests requests at the recorded rate (about 3.4/s, "
              "12,000-token prompts: give it replicas)"),
        Field(name="turns", label="Turns per chat", kind="int", default=4, min=1, max=64,
              show_when=("traffic", "chats")),
        Field(name="shared_prefix", label="Shared system prompt", kind="int", default=0,
              min=0, max=32_768, unit="tokens", help="the same tokens before every prompt "
              "(not with the trace)"),
        Field(name="prefix_cache", label="Prefix cache", kind="select", default="on",
              options=[("on", "on (reuse cached prompt blocks)"), ("off", "off")]),
        Field(name="replicas", label="Replicas", kind="int", default=1, min=1, max=32,
              help="identical replicas behind the router"),
        Field(name="router", label="Router", kind="select", default="round-robin",
              options=[(r, r) for r in ROUTERS]),
        Field(name="slo", label="SLO for goodput", kind="select", default="model",
              options=SLO_OPTIONS, help="The latency limits goodput counts against: by default "
              "MLPerf's server limits for the benchmarked model nearest in size (Llama-3.1-8B "
              "for an 8B model, Llama-2-70B for a 70B one)"),
    ],
    compute=simulator,
    long_running=True,
    work=lambda v: simulated_tokens(dict(v) | {"output": v["output"] + (v.get("thinking") or 0)}),
)


_FRONTIER_CONCURRENCIES = [("1,4,16,64", "1, 4, 16, 64"), ("1,2,4,8,16,32,64,128",
                           "1 to 128"), ("1,2,4,8,16,32,64,128,256", "1 to 256")]


def frontier_calc(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    from servecalc.frontier import frontier

    f = frontier(v["model"], v["gpu"], engine=v["engine"], prompt=v["prompt"],
                 output=v["output"], gpu_counts=[int(n) for n in v["gpu_counts"].split(",")],
                 concurrencies=[int(c) for c in v["concurrencies"].split(",")],
                 progress=progress, ep=v.get("ep", 1), dp_attention=v.get("attention") == "dp")
    series: dict[str, list[tuple[float, float]]] = {}
    for p in f.points:
        series.setdefault(f"TP{p.gpus} {p.weight_dtype}", []).append(
            (p.tokens_per_s_per_user, p.tokens_per_s_per_gpu))
    front = sorted((p.tokens_per_s_per_user, p.tokens_per_s_per_gpu) for p in f.points
                   if p.pareto)
    series["Pareto front"] = front
    chart = charts.line_chart(title="Throughput against interactivity",
                              x_title="output tokens/s per user", y_title="output tokens/s per GPU",
                              series=series)
    rows = [(f"TP{p.gpus} {p.weight_dtype}", f"{p.concurrency:,}",
             fmt_number(p.tokens_per_s_per_gpu, 0), fmt_number(p.tokens_per_s_per_user, 1),
             "-" if p.usd_per_million_output_tokens is None
             else f"${fmt_number(p.usd_per_million_output_tokens, 2)}")
            for p in f.points if p.pareto]
    price = ("no example price for this GPU" if f.price_usd_per_gpu_hour is None else
             f"${fmt_number(f.price_usd_per_gpu_hour, 2)} per GPU-hour (the catalog's example "
             "price)")
    left = "; ".join(f"{c} ({r.split(':')[0]})" for c, r in f.skipped)
    return (chart + key_values([("Engine", f.engine), ("Price", price)]
                               + ([("Left out", left)] if left else []))
            + table(["Pareto point", "clients", "tok/s per GPU", "tok/s per user", "$/M output"],
                    rows))


def frontier_tokens(values: Mapping[str, Any]) -> float:
    """Tokens the frontier calculator simulates: every client's requests at every level,
    for each GPU count and each of the GPU's native precisions (the link budget's measure).

    >>> frontier_tokens({"gpu": "h100-sxm", "gpu_counts": "1,2", "concurrencies": "1,4",
    ...                  "prompt": 1000, "output": 200})
    96000
    """
    from servecalc.frontier import REQUESTS_PER_CLIENT, native_dtypes

    clients = sum(int(c) for c in str(values["concurrencies"]).split(","))
    fleets = len(str(values["gpu_counts"]).split(",")) * len(native_dtypes(values["gpu"]))
    return (REQUESTS_PER_CLIENT * clients * fleets
            * (values["prompt"] + values["output"]))  # type: ignore[operator]


FRONTIER = Calculator(
    id="frontier",
    title="Throughput against interactivity (simulated)",
    fields=[
        model_field("llama-3.1-8b", custom=False),
        gpu_field(),
        engine_field(),
        Field(name="gpu_counts", label="GPUs per replica to try", kind="select", default="1,2",
              options=[("1", "1"), ("1,2", "1, 2"), ("1,2,4", "1, 2, 4"),
                       ("1,2,4,8", "1, 2, 4, 8"), ("8,16,32,72", "8, 16, 32, 72 (multi-node)")]),
        *expert_fields(),
        Field(name="prompt", label="Prompt", kind="int", default=1024, min=1, max=131_072,
              unit="tokens"),
        Field(name="output", label="Output", kind="int", default=256, min=2, max=32_768,
              unit="tokens"),
        Field(name="concurrencies", label="Concurrent clients", kind="select",
              default="1,4,16,64", options=_FRONTIER_CONCURRENCIES),
    ],
    compute=frontier_calc,
    work=frontier_tokens,
    long_running=True,
)
