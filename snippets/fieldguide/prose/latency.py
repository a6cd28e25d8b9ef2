"""Placeholders for the latency chapter: TTFT, TPOT, SLO presets, Little's law.

>>> ttft("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)  # doctest: +ELLIPSIS
'... ms'
>>> slo_limit("mlperf-llama2-70b-interactive", "tpot")
'40 ms'
"""

from __future__ import annotations

from servecalc.batching import littles_law_concurrency, littles_law_throughput
from servecalc.latency import request_latency
from servecalc.slo import get_slo, operating_point
from servecalc.tail_bounds import prob_any_stage_slow, stage_quantile_for_total
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice
from servecalc.deployment import Deployment

from ..capacity_cache import capacity, steady_state_bound


def _latency(model, gpu, prompt, output, gpus, batch, weight_dtype):
    return request_latency(Deployment(model=model, gpu=gpu, gpus=gpus, weight_dtype=weight_dtype),
                           prompt=prompt, output=output, batch=batch)


def ttft(model: str, gpu: str, prompt: int, output: int = 1, gpus: int = 1, batch: int = 1,
         weight_dtype: str = "bf16", unit: str = "ms") -> str:
    """Time to first token of a request (prefill, no queueing).

    >>> ttft("llama-3.1-70b", "h100-sxm", prompt=16384, output=256, gpus=4,
    ...      unit="s")  # doctest: +ELLIPSIS
    '... s'
    """
    return fmt_duration(_latency(model, gpu, prompt, output, gpus, batch, weight_dtype).ttft_s,
                        unit)


def tpot(model: str, gpu: str, prompt: int, output: int, gpus: int = 1, batch: int = 1,
         weight_dtype: str = "bf16", digits: int = 1) -> str:
    """Time per output token (one decode step at the average context).

    >>> tpot("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)  # doctest: +ELLIPSIS
    '... ms'
    """
    r = _latency(model, gpu, prompt, output, gpus, batch, weight_dtype)
    return fmt_duration(r.tpot_s, "ms", digits)


def e2e(model: str, gpu: str, prompt: int, output: int, gpus: int = 1, batch: int = 1,
        weight_dtype: str = "bf16") -> str:
    """End-to-end latency: TTFT + (output - 1) x TPOT.

    >>> e2e("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)  # doctest: +ELLIPSIS
    '... s'
    """
    r = _latency(model, gpu, prompt, output, gpus, batch, weight_dtype)
    return fmt_duration(r.e2e_s, "s", 2)


def decode_share(model: str, gpu: str, prompt: int, output: int, gpus: int = 1,
                 batch: int = 1) -> str:
    """Share of end-to-end latency spent decoding (after the first token).

    >>> decode_share("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)
    '97.9 %'
    """
    r = _latency(model, gpu, prompt, output, gpus, batch, "bf16")
    return fmt_percent((r.e2e_s - r.ttft_s) / r.e2e_s)


def user_tokens_per_s(model: str, gpu: str, prompt: int, output: int, gpus: int = 1,
                      batch: int = 1) -> str:
    """Tokens per second one user sees while their answer streams (1 / TPOT).

    >>> user_tokens_per_s("llama-3.1-8b", "h100-sxm", prompt=1000, output=200)  # doctest: +ELLIPSIS
    '... tok/s'
    """
    r = _latency(model, gpu, prompt, output, gpus, batch, "bf16")
    return f"{fmt_number(1 / r.tpot_s, 0)} tok/s"


def slo_limit(slo: str, which: str) -> str:
    """One limit of an SLO preset: ``which`` is 'ttft' or 'tpot'.

    >>> slo_limit("mlperf-llama2-70b-server", "ttft")
    '2,000 ms'
    """
    choice("which", which, ["ttft", "tpot"])
    target = get_slo(slo)
    return fmt_duration(target.ttft_s if which == "ttft" else target.tpot_s, "ms", 0)


def slo_percentile(slo: str) -> str:
    """The percentile an SLO preset is checked at, e.g. 'p99'.

    >>> slo_percentile("mlperf-llama2-70b-server")
    'p99'
    """
    return f"p{fmt_number(get_slo(slo).percentile, 0)}"


def slo_capacity_rate(model: str, gpu: str, gpus: int, prompt: int, output: int,
                      slo: str) -> str:
    """Requests per second one replica sustains with ``slo`` met at its percentile
    (simulated, :func:`servecalc.slo_capacity.max_rate_under_slo`).

    >>> slo_capacity_rate("llama-3.1-70b", "h100-sxm", 4, 1024, 256,
    ...                   "mlperf-llama2-70b-interactive")  # doctest: +ELLIPSIS
    '... requests/s'
    """
    r = capacity(model, gpu, gpus, prompt, output, slo)
    return f"{fmt_number(r.max_rate_requests_per_s, 2)} requests/s"


def slo_capacity_tokens(model: str, gpu: str, gpus: int, prompt: int, output: int,
                        slo: str) -> str:
    """Output tokens per second at that rate.

    >>> slo_capacity_tokens("llama-3.1-70b", "h100-sxm", 4, 1024, 256,
    ...                     "mlperf-llama2-70b-server")  # doctest: +ELLIPSIS
    '... tok/s'
    """
    r = capacity(model, gpu, gpus, prompt, output, slo)
    return f"{fmt_number(r.output_tokens_per_s, 0)} tok/s"


def slo_capacity_batch(model: str, gpu: str, gpus: int, prompt: int, output: int,
                       slo: str) -> str:
    """Mean number of sequences in the engine at that rate (time-weighted, simulated).

    >>> slo_capacity_batch("llama-3.1-70b", "h100-sxm", 4, 1024, 256,
    ...                    "mlperf-llama2-70b-interactive")  # doctest: +ELLIPSIS
    '...'
    """
    return fmt_number(capacity(model, gpu, gpus, prompt, output, slo).mean_batch, 0)


def slo_capacity_ratio(model: str, gpu: str, gpus: int, prompt: int, output: int,
                       strict: str, loose: str) -> str:
    """Simulated capacity under the ``strict`` SLO as a share of that under ``loose``.

    >>> slo_capacity_ratio("llama-3.1-70b", "h100-sxm", 4, 1024, 256,  # doctest: +ELLIPSIS
    ...                    "mlperf-llama2-70b-interactive", "mlperf-llama2-70b-server")
    '... %'
    """
    a = capacity(model, gpu, gpus, prompt, output, strict).max_rate_requests_per_s
    b = capacity(model, gpu, gpus, prompt, output, loose).max_rate_requests_per_s
    return fmt_percent(a / b)


def slo_bound_gap(model: str, gpu: str, gpus: int, prompt: int, output: int, slo: str) -> str:
    """How far the steady-state formula (every slot full, no queue, mean latencies)
    overstates the simulated capacity, as a share of the simulated one.

    >>> slo_bound_gap("llama-3.1-70b", "h100-sxm", 4, 1024, 256,
    ...               "mlperf-llama2-70b-interactive")  # doctest: +ELLIPSIS
    '... %'
    """
    simulated = capacity(model, gpu, gpus, prompt, output, slo).max_rate_requests_per_s
    bound = steady_state_bound(model, gpu, gpus, prompt, output, slo)
    return fmt_percent(bound / simulated - 1)


def slo_bound_rate(model: str, gpu: str, gpus: int, prompt: int, output: int, slo: str) -> str:
    """The steady-state formula's requests per second (an upper bound).

    >>> slo_bound_rate("llama-3.1-70b", "h100-sxm", 4, 1024, 256,
    ...                "mlperf-llama2-70b-interactive")  # doctest: +ELLIPSIS
    '... requests/s'
    """
    return f"{fmt_number(steady_state_bound(model, gpu, gpus, prompt, output, slo), 2)} requests/s"


def point_tpot(model: str, gpu: str, batch: int, prompt: int, output: int,
               gpus: int = 1) -> str:
    """TPOT at a steady continuous-batching operating point of ``batch`` sequences.

    >>> point_tpot("llama-3.1-70b", "h100-sxm", 1, 1024, 256, gpus=4)  # doctest: +ELLIPSIS
    '... ms'
    """
    p = operating_point(Deployment(model=model, gpu=gpu, gpus=gpus),
                        batch=batch, prompt=prompt, output=output)
    return fmt_duration(p.tpot_s, "ms")


def point_throughput(model: str, gpu: str, batch: int, prompt: int, output: int,
                     gpus: int = 1) -> str:
    """Output tokens per second at that operating point.

    >>> point_throughput("llama-3.1-70b", "h100-sxm", 1, 1024, 256, gpus=4)  # doctest: +ELLIPSIS
    '... tok/s'
    """
    p = operating_point(Deployment(model=model, gpu=gpu, gpus=gpus),
                        batch=batch, prompt=prompt, output=output)
    return f"{fmt_number(p.output_tokens_per_s, 0)} tok/s"


def inflight(arrival_rate_per_s: float, latency_s: float) -> str:
    """Requests in the system by Little's law, L = lambda x W (rounded).

    >>> inflight(10, 2.5)
    '25'
    """
    return fmt_number(littles_law_concurrency(arrival_rate_per_s, latency_s), 0)


def completion_rate(concurrency: float, latency_s: float) -> str:
    """Requests completed per second with ``concurrency`` in flight (lambda = L / W).

    >>> completion_rate(64, 8.0)
    '8.0 requests/s'
    """
    return f"{fmt_number(littles_law_throughput(concurrency, latency_s), 1)} requests/s"


def rag_prefill(passages: int, tokens_per_passage: int = 300, system_tokens: int = 400,
                question_tokens: int = 60, model: str = "llama-3.1-70b", gpu: str = "h100-sxm",
                gpus: int = 4) -> str:
    """Prefill time of a RAG prompt: system prompt, question and ``passages`` passages.

    The defaults are the scenario of the latency chapter's budget cell.

    >>> rag_prefill(8)  # doctest: +ELLIPSIS
    '... ms'
    """
    if isinstance(passages, bool) or not isinstance(passages, int) or passages < 0:
        raise ValueError(f"passages must be an integer >= 0, got {passages!r}")
    prompt = system_tokens + question_tokens + passages * tokens_per_passage
    return ttft(model, gpu, prompt=prompt, gpus=gpus)


# --------------------------------------------------------------------------- review fixes, 2026


def seconds(value_s: float, digits: int = 1) -> str:
    """A duration given in seconds, as text (for example inputs in sentences).

    >>> seconds(2.5)
    '2.5 s'
    """
    if isinstance(value_s, bool) or not isinstance(value_s, (int, float)) or value_s < 0:
        raise ValueError(f"value_s must be a number >= 0, got {value_s!r}")
    return fmt_duration(value_s, "s", digits)


def ttft_growth(model: str, gpu: str, prompt_a: int, prompt_b: int, gpus: int = 1) -> str:
    """How many times TTFT grows from a ``prompt_a``-token to a ``prompt_b``-token prompt.

    >>> ttft_growth("llama-3.1-8b", "h100-sxm", 2048, 4096)
    '2.05×'
    """
    d = Deployment(model=model, gpu=gpu, gpus=gpus)
    a = request_latency(d, prompt=prompt_a, output=1).ttft_s
    b = request_latency(d, prompt=prompt_b, output=1).ttft_s
    return f"{fmt_number(b / a, 2)}×"


def stage_quantile(quantile: float, stages: int) -> str:
    """The per-stage percentile whose sum over ``stages`` stages bounds the total's.

    >>> stage_quantile(0.99, 2)
    'p99.5'
    """
    q = stage_quantile_for_total(quantile, stages) * 100
    return f"p{fmt_number(q, 3).rstrip('0').rstrip('.')}"


def any_stage_slow(probability: float, stages: int) -> str:
    """Chance that at least one of ``stages`` independent stages is slow.

    >>> any_stage_slow(0.009, 2)
    '1.79 %'
    """
    return fmt_percent(prob_any_stage_slow([probability] * stages), 2)

