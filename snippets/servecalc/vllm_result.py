"""Read the JSON that ``vllm bench serve --save-result`` writes.

The file (vLLM's ``vllm/benchmarks/serve.py``) holds the run's settings --
``request_rate`` (a number, or ``"inf"`` when every request is sent at
once), ``burstiness`` (the gamma shape of the gaps between requests; 1 is
Poisson), ``max_concurrency`` (``null`` or a cap) -- and its results:
``duration`` (s), ``completed``, ``request_throughput`` (req/s),
``output_throughput`` (tok/s), and ``mean_``/``median_``/``p99_``
``ttft_ms``, ``tpot_ms`` and ``itl_ms``. With ``--save-detailed`` it also
keeps the per-request lists ``input_lens``, ``output_lens``, ``ttfts`` (s),
``itls`` (s, one list per request) and ``errors``; without it, only the
totals ``total_input_tokens`` and ``total_output_tokens`` say how long the
requests were, and :func:`read_vllm_result` spreads them evenly.

>>> r = read_vllm_result('{"request_rate": 4.0, "burstiness": 1.0, "completed": 2, '
...                      '"input_lens": [100, 300], "output_lens": [10, 30], '
...                      '"errors": ["", ""], "mean_ttft_ms": 25.0}')
>>> r.request_rate, r.prompts, r.outputs, r.metrics["mean_ttft_ms"], r.detailed
(4.0, (100, 300), (10, 30), 25.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .validate import REQUESTS, SEQUENCE_TOKENS, describe, json_value, positive_int, positive_number

#: The summary metrics compared, as vLLM names them (milliseconds or per second).
METRICS = tuple(f"{stat}_{name}_ms" for name in ("ttft", "tpot", "itl")
                for stat in ("mean", "median", "p99")) + (
    "request_throughput", "output_throughput")


@dataclass(frozen=True, kw_only=True)
class VllmResult:
    """One ``vllm bench serve`` run: its traffic, its requests, its measured metrics."""

    request_rate: float  # requests per second; math.inf: all sent at once
    burstiness: float
    max_concurrency: int | None
    prompts: tuple[int, ...]
    outputs: tuple[int, ...]
    detailed: bool  # per-request lengths (--save-detailed), not totals spread evenly
    metrics: dict[str, float] = field(default_factory=dict)
    model_id: str = ""


def _rate(value: object) -> float:
    if value == "inf" or value == math.inf:
        return math.inf
    return positive_number("request_rate", value)


def _lengths(data: dict[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    """Per-request (prompt, output) lengths of the successful requests.

    Every count is checked against the limits (``servecalc limits``) before
    anything is built from it: a file cannot make the replay allocate more
    than :data:`~servecalc.validate.REQUESTS` requests.
    """
    if "input_lens" in data and "output_lens" in data:
        ins, outs = data["input_lens"], data["output_lens"]
        if not isinstance(ins, list) or not isinstance(outs, list) or len(ins) != len(outs):
            raise ValueError("input_lens and output_lens must be lists of the same length")
        if len(ins) > REQUESTS.high:
            raise ValueError(f"input_lens must hold at most {REQUESTS.high:,} requests "
                             f"({REQUESTS.what}; see `servecalc limits`), got {len(ins):,}")
        errors = data.get("errors") or [""] * len(ins)
        if not isinstance(errors, list) or len(errors) != len(ins):
            raise ValueError("errors must be a list as long as input_lens")
        kept = [(positive_int(f"input_lens[{k}]", i), positive_int(f"output_lens[{k}]", o))
                for k, (i, o, e) in enumerate(zip(ins, outs, errors)) if not e and o]
        if not kept:
            raise ValueError("the result holds no successful request")
        return tuple(p for p, _ in kept), tuple(o for _, o in kept), True
    totals = ("completed", "total_input_tokens", "total_output_tokens")
    missing = [k for k in totals if k not in data]
    if missing:
        raise ValueError("needs input_lens and output_lens (vllm bench serve --save-detailed) "
                         f"or {', '.join(totals)}; missing {', '.join(missing)}")
    n = positive_int("completed", data.get("completed"))
    total_in = positive_int("total_input_tokens", data.get("total_input_tokens"))
    total_out = positive_int("total_output_tokens", data.get("total_output_tokens"))
    prompt, output = max(1, round(total_in / n)), max(1, round(total_out / n))
    for total, mean in (("total_input_tokens", prompt), ("total_output_tokens", output)):
        if mean > SEQUENCE_TOKENS.high:
            raise ValueError(f"{total} / completed must be at most {SEQUENCE_TOKENS.high:,} "
                             f"({SEQUENCE_TOKENS.what}; see `servecalc limits`), got {mean:,}")
    return (prompt,) * n, (output,) * n, False


def read_vllm_result(text: str, *, name: str = "vllm result") -> VllmResult:
    """Parse the JSON of ``vllm bench serve --save-result`` (see the module docstring)."""
    data = json_value(name, text)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: must be a JSON object, got {describe(data)}")
    try:
        rate = _rate(data.get("request_rate", "inf"))
        burstiness = positive_number("burstiness", data.get("burstiness", 1.0))
        cap = data.get("max_concurrency")
        cap = None if cap is None else positive_int("max_concurrency", cap)
        prompts, outputs, detailed = _lengths(data)
        metrics = {}
        for key in METRICS:
            if data.get(key) is not None:
                metrics[key] = float(positive_number(key, data[key]))
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if not metrics:
        raise ValueError(f"{name}: no measured metrics (expected some of "
                         f"{', '.join(METRICS[:3])}, ...)")
    return VllmResult(request_rate=rate, burstiness=burstiness, max_concurrency=cap,
                      prompts=prompts, outputs=outputs, detailed=detailed, metrics=metrics,
                      model_id=str(data.get("model_id", "")))
