"""Placeholders for disaggregated prefill and decode (topology and cost chapters) and
reasoning latency: pools sized by simulation, set against aggregated fleets.

Every number comes from :func:`servecalc.plan_disagg.disagg_options` (the whole
fleet simulated at the load) and :func:`servecalc.plan.plan` (one replica's
capacity under the SLO, simulated), with the ``vllm`` engine preset; each
comparison is computed once per build.

>>> disagg_fleet(500, 300, "kind")
'aggregated'
"""

from __future__ import annotations

from functools import lru_cache

from servecalc.deployment import Deployment
from servecalc.plan import Plan, plan
from servecalc.plan_disagg import DisaggOption, disagg_options
from servecalc.sim import Engine, simulate
from servecalc.sim.reasoning import answer_times, with_thinking
from servecalc.sim.stats import percentile
from servecalc.sim.workload import poisson_workload
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_usd
from servecalc.validate import choice

#: The chapters' example: Llama-3.1-8B on H100s at 8 requests/s within a fast-streaming
#: SLO, MLPerf's DeepSeek-R1 interactive limits (p99 TTFT 1.5 s, p99 TPOT 15 ms).
MODEL, GPU, RATE, SLO, ENGINE = ("llama-3.1-8b", "h100-sxm", 8.0,
                                 "mlperf-deepseek-r1-interactive", "vllm")


@lru_cache(maxsize=None)
def _compare(prompt: int, output: int) -> tuple[Plan, DisaggOption | None]:
    common = dict(rate=RATE, prompt=prompt, output=output, slo=SLO, gpu_ids=[GPU],
                  gpu_counts=[1], weight_dtypes=["bf16"], engine=ENGINE)
    aggregated = plan(MODEL, **common)
    options, _ = disagg_options(MODEL, **common)
    return aggregated, (options[0] if options else None)


def disagg_fleet(prompt: int, output: int, field: str) -> str:
    """One number of the aggregated-against-disaggregated comparison for ``prompt`` and
    ``output`` tokens. ``field``: 'ratio' (prefill:decode replicas), 'prefill' and
    'decode' (replicas), 'gpus', 'usd_per_hour', 'usd_per_m' (per million output
    tokens), 'ttft' and 'tpot' (p99 at the load), the same with 'agg_' for the
    cheapest aggregated fleet ('agg_gpus', 'agg_usd_per_hour', 'agg_usd_per_m',
    'agg_rate' per replica), or 'kind' (which is cheaper; a tie goes to aggregated).
    """
    choice("field", field, ["ratio", "prefill", "decode", "gpus", "usd_per_hour", "usd_per_m",
                            "ttft", "tpot", "agg_gpus", "agg_usd_per_hour", "agg_usd_per_m",
                            "agg_rate", "kind"])
    aggregated, best = _compare(prompt, output)
    agg = aggregated.options[0] if aggregated.options else None
    if field.startswith("agg_") or field == "kind":
        if agg is None:
            raise ValueError(f"no aggregated fleet meets {SLO} for {prompt}/{output} tokens")
        if field == "kind":
            return ("disaggregated" if best is not None and best.usd_per_hour < agg.usd_per_hour
                    else "aggregated")
        return {"agg_gpus": fmt_int(agg.replicas * agg.gpus),
                "agg_usd_per_hour": fmt_usd(agg.usd_per_hour),
                "agg_usd_per_m": fmt_usd(agg.usd_per_million_output_tokens),
                "agg_rate": f"{fmt_number(agg.max_rate_per_replica, 2)} requests/s"}[field]
    if best is None:
        raise ValueError(f"no disaggregated fleet meets {SLO} for {prompt}/{output} tokens")
    return {"ratio": f"{best.prefill_replicas}:{best.decode_replicas}",
            "prefill": fmt_int(best.prefill_replicas), "decode": fmt_int(best.decode_replicas),
            "gpus": fmt_int(best.gpus), "usd_per_hour": fmt_usd(best.usd_per_hour),
            "usd_per_m": fmt_usd(best.usd_per_million_output_tokens),
            "ttft": fmt_duration(best.ttft_s, "ms", 0),
            "tpot": fmt_duration(best.tpot_s, "ms", 1)}[field]


@lru_cache(maxsize=None)
def _reasoning(thinking: int, answer: int, rate: float) -> tuple[float, float, float]:
    work, drawn = with_thinking(poisson_workload(rate, 600, prompt=1000, output=answer, seed=0),
                                thinking)
    r = simulate(Engine(Deployment(model=MODEL, gpu=GPU, engine=ENGINE)), work)
    ttfat = answer_times(r.arrivals, r.first_token_s, r.finish_s, work.outputs, drawn)
    return r.ttft_s.p99, percentile(ttfat, 99), r.tpot_s.p99


def reasoning_latency(thinking: int, answer: int, field: str, rate: float = 2.0) -> str:
    """p99 'ttft', 'ttfat' (time to first answer token) or 'tpot' of Llama-3.1-8B on one
    H100 (``vllm`` preset) serving 1,000-token prompts at ``rate`` requests/s, each with
    ``thinking`` hidden tokens before an ``answer``-token reply, simulated.

    >>> reasoning_latency(2000, 300, "ttfat").endswith(" s")
    True
    """
    choice("field", field, ["ttft", "ttfat", "tpot"])
    ttft, ttfat, tpot = _reasoning(thinking, answer, rate)
    if field == "tpot":
        return fmt_duration(tpot, "ms", 1)
    return fmt_duration(ttft if field == "ttft" else ttfat, "s" if field == "ttfat" else "ms")
