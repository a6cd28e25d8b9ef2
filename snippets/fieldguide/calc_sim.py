"""Calculator: the serving simulator (queues, bursts and tails), with progress.

>>> html = simulator(**{f.name: f.default for f in SIMULATOR.fields} | {"requests": 50})
>>> "TTFT" in html and html.count("<svg") == 2
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from servecalc.sim import Engine, simulate, simulate_poisson
from servecalc.sim.workload import closed_workload
from servecalc.slo import PRESETS, Slo, slo_for_model
from servecalc.units import fmt_duration, fmt_number, fmt_percent

from . import charts
from .fields import (Calculator, engine_field, gpu_field, model_field, policy_field, policy_of,
                     simulated_tokens)
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


#: The SLO select: the MLPerf limits of the model's size class (default), or a preset.
SLO_OPTIONS = [("model", "MLPerf, for the model's size")] + [(key, key) for key in PRESETS]


def slo_of(v: dict[str, Any]) -> Slo:
    """The SLO the form asks for: "model" means :func:`~servecalc.slo.slo_for_model`."""
    chosen = v.get("slo", "model")
    return slo_for_model(v["model"]) if chosen == "model" else PRESETS[chosen]


def _run(progress: Callable[[float], object] | None, v: dict[str, Any]) -> Any:
    """Poisson arrivals at the form's rate, or a closed loop of its concurrency."""
    output = _output_lengths(v["output_shape"], v["output"])
    slo = slo_of(v)
    if not v.get("concurrency"):
        return simulate_poisson(
            v["model"], v["gpu"], gpus=v["gpus"], rate=v["rate"], requests=v["requests"],
            prompt=v["prompt"], output=output, policy=policy_of(v), seed=v["seed"],
            progress=progress, engine=v["engine"], slo=slo)
    engine = Engine(v["model"], v["gpu"], gpus=v["gpus"], engine=v["engine"])
    work = closed_workload(v["concurrency"], v["requests"], prompt=v["prompt"], output=output,
                           seed=v["seed"])
    return simulate(engine, work, policy=policy_of(v), progress=progress, slo=slo)


def simulator(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    result = _run(progress, v)
    ms = lambda s: fmt_duration(s, "ms")  # noqa: E731
    latency = table(
        ["", "p50", "p90", "p99"],
        [
            ("TTFT", ms(result.ttft_s.p50), ms(result.ttft_s.p90), ms(result.ttft_s.p99)),
            ("TPOT", ms(result.tpot_s.p50), ms(result.tpot_s.p90), ms(result.tpot_s.p99)),
            ("End to end", fmt_duration(result.e2e_s.p50, "s", 2),
             fmt_duration(result.e2e_s.p90, "s", 2), fmt_duration(result.e2e_s.p99, "s", 2)),
        ],
    )
    rows = [
        ("Throughput", f"{fmt_number(result.throughput_tokens_per_s, 0)} output tokens/s"),
        ("Goodput", f"{fmt_number(result.goodput_requests_per_s, 2)} requests/s meeting "
                    f"the {result.slo.name} SLO ({fmt_percent(result.slo_attainment)} of requests)"),
        ("Mean / peak batch", f"{fmt_number(result.mean_batch, 1)} / {result.peak_batch}"),
        ("Peak KV cache use", fmt_percent(result.peak_kv_utilization)),
        ("Preemptions", f"{result.preemptions:,}"),
    ]
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
        Field(name="gpus", label="GPUs (tensor parallel)", kind="int", default=1, min=1, max=64),
        engine_field(),
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
        Field(name="seed", label="Seed", kind="int", default=0, min=0, max=2**31 - 1),
        Field(name="slo", label="SLO for goodput", kind="select", default="model",
              options=SLO_OPTIONS, help="The latency limits goodput counts against: by default "
              "MLPerf's server limits for the benchmarked model nearest in size (Llama-3.1-8B "
              "for an 8B model, Llama-2-70B for a 70B one)"),
    ],
    compute=simulator,
    long_running=True,
    work=simulated_tokens,
)


_FRONTIER_CONCURRENCIES = [("1,4,16,64", "1, 4, 16, 64"), ("1,2,4,8,16,32,64,128",
                           "1 to 128"), ("1,2,4,8,16,32,64,128,256", "1 to 256")]


def frontier_calc(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    from servecalc.frontier import frontier

    f = frontier(v["model"], v["gpu"], engine=v["engine"], prompt=v["prompt"],
                 output=v["output"], gpu_counts=[int(n) for n in v["gpu_counts"].split(",")],
                 concurrencies=[int(c) for c in v["concurrencies"].split(",")],
                 progress=progress)
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


FRONTIER = Calculator(
    id="frontier",
    title="Throughput against interactivity (simulated)",
    fields=[
        model_field("llama-3.1-8b", custom=False),
        gpu_field(),
        engine_field(),
        Field(name="gpu_counts", label="GPUs per replica to try", kind="select", default="1,2",
              options=[("1", "1"), ("1,2", "1, 2"), ("1,2,4", "1, 2, 4"),
                       ("1,2,4,8", "1, 2, 4, 8")]),
        Field(name="prompt", label="Prompt", kind="int", default=1024, min=1, max=131_072,
              unit="tokens"),
        Field(name="output", label="Output", kind="int", default=256, min=2, max=32_768,
              unit="tokens"),
        Field(name="concurrencies", label="Concurrent clients", kind="select",
              default="1,4,16,64", options=_FRONTIER_CONCURRENCIES),
    ],
    compute=frontier_calc,
    long_running=True,
)
