"""Placeholders for the day-of checklist: SLO limits, error budgets, burn rates, capacity.

Error budgets follow Google's SRE books: a target of ``target`` (0.999) over a
window leaves ``1 - target`` of the window (or of the requests) to fail. A
burn rate is how fast that budget goes: at burn rate 1 it lasts exactly the
window; an alert that fires when ``fraction`` of a ``period_days`` budget
burns within ``window_hours`` has threshold ``fraction x period / window``
(SRE Workbook, chapter 5, "Alerting on SLOs").

>>> dayof_error_budget(0.999)
'43.2 min'
>>> dayof_burn_rate(0.02, 1)
'14.4×'
>>> dayof_slo_limit("mlperf-llama2-70b-interactive", "tpot")
'40 ms'
"""

from __future__ import annotations

import math

from servecalc.admission import max_queue_requests, max_queued_prompt_tokens
from servecalc.capacity import fit_deployment
from servecalc.slo import get_slo
from servecalc.step import StepModel
from servecalc.units import fmt_duration, fmt_int, fmt_number, fmt_percent
from servecalc.validate import choice, fraction, positive_int, positive_number, unit_interval
from servecalc.deployment import Deployment

from ..capacity_cache import capacity


#: Multiwindow, multi-burn-rate alerts recommended as starting points by the SRE
#: Workbook (Beyer et al., 2018), chapter 5 "Alerting on SLOs": (share of a 30-day
#: budget spent, long window in hours, what to do).
SRE_WORKBOOK_ALERTS = ((0.02, 1, "page"), (0.05, 6, "page"), (0.10, 72, "ticket"))


def _target(target: float) -> float:
    value = fraction("target", target)
    if value >= 1:
        raise ValueError(f"target must be a number in (0, 1), got {target!r}")
    return value


def dayof_error_budget(target: float, days: int = 30, unit: str = "min") -> str:
    """Time a service may be out of its SLO in ``days`` days: 'min', 'h' or 's'.

    >>> dayof_error_budget(0.99, unit="h")
    '7.2 h'
    """
    choice("unit", unit, ["s", "min", "h"])
    seconds = (1 - _target(target)) * positive_int("days", days) * 86_400
    scale = {"s": 1, "min": 60, "h": 3600}[unit]
    return f"{fmt_number(seconds / scale, 1)} {unit}"


def dayof_error_budget_requests(target: float, requests_per_s: float, days: int = 30) -> str:
    """Requests that may miss the SLO in ``days`` days at a steady rate.

    >>> dayof_error_budget_requests(0.999, 20)
    '51,840'
    """
    total = positive_number("requests_per_s", requests_per_s) * positive_int("days", days) * 86_400
    return fmt_int(round((1 - _target(target)) * total))


def dayof_burn_rate(budget_fraction: float, window_hours: float, days: int = 30) -> str:
    """Burn-rate threshold that spends ``budget_fraction`` of a ``days``-day budget in
    ``window_hours`` hours.

    >>> dayof_burn_rate(0.05, 6)
    '6.0×'
    """
    rate = fraction("budget_fraction", budget_fraction) * positive_int("days", days) * 24 \
        / positive_number("window_hours", window_hours)
    return f"{fmt_number(rate, 1)}×"


def dayof_exhaustion(burn_rate: float, days: int = 30, unit: str = "h") -> str:
    """How long a whole budget lasts at ``burn_rate``: 'h' or 'days'.

    >>> dayof_exhaustion(14.4)
    '50.0 h'
    """
    choice("unit", unit, ["h", "days"])
    hours = positive_int("days", days) * 24 / positive_number("burn_rate", burn_rate)
    return f"{fmt_number(hours if unit == 'h' else hours / 24, 1)} {unit}"


def dayof_slo_limit(slo: str, which: str) -> str:
    """One limit of an SLO preset: 'ttft', 'tpot' or 'percentile'.

    >>> dayof_slo_limit("mlperf-llama2-70b-server", "ttft")
    '2,000 ms'
    >>> dayof_slo_limit("mlperf-llama2-70b-server", "percentile")
    '99th'
    """
    choice("which", which, ["ttft", "tpot", "percentile"])
    s = get_slo(slo)
    if which == "percentile":
        return f"{fmt_number(s.percentile, 0)}th"
    return fmt_duration(s.ttft_s if which == "ttft" else s.tpot_s, "ms", 0)


def dayof_capacity(model: str, gpu: str, prompt: int, output: int, slo: str, field: str,
                   gpus: int = 1, weight_dtype: str = "bf16") -> str:
    """One replica under ``slo``, simulated (:func:`servecalc.slo_capacity.max_rate_under_slo`):
    'requests_per_s' (the highest rate meeting it), 'tokens_per_s', 'batch' (mean batch
    there), 'tpot' and 'ttft' (p99 there); 'max_fit' is the largest batch memory allows.

    >>> dayof_capacity("llama-3.1-70b", "h100-sxm", 1024, 256, "mlperf-llama2-70b-interactive",
    ...                "requests_per_s", gpus=4)  # doctest: +ELLIPSIS
    '... requests/s'
    """
    choice("field", field, ["batch", "requests_per_s", "tokens_per_s", "tpot", "ttft",
                            "max_fit"])
    if field == "max_fit":
        return fmt_int(fit_deployment(Deployment(model=model, gpu=gpu, gpus=gpus,
                                                 weight_dtype=weight_dtype),
                                      context=prompt + output).max_batch)
    r = capacity(model, gpu, gpus, prompt, output, slo, weight_dtype=weight_dtype)
    if field == "batch":
        return fmt_number(r.mean_batch, 0)
    if field == "requests_per_s":
        return f"{fmt_number(r.max_rate_requests_per_s, 2)} requests/s"
    if field == "tokens_per_s":
        return f"{fmt_int(round(r.output_tokens_per_s))} tokens/s"
    return fmt_duration(r.tpot_s.p99 if field == "tpot" else r.ttft_s.p99, "ms")


def dayof_replicas(model: str, gpu: str, prompt: int, output: int, slo: str,
                   peak_requests_per_s: float, headroom: float = 0.3, gpus: int = 1,
                   weight_dtype: str = "bf16") -> str:
    """Replicas needed for ``peak_requests_per_s`` with ``headroom`` spare capacity,
    each replica loaded to at most ``1 - headroom`` of its simulated capacity under ``slo``.

    >>> dayof_replicas("llama-3.1-70b", "h100-sxm", 1024, 256, "mlperf-llama2-70b-interactive",
    ...                20, gpus=4)  # doctest: +ELLIPSIS
    '...'
    """
    peak = positive_number("peak_requests_per_s", peak_requests_per_s)
    spare = unit_interval("headroom", headroom)
    if spare >= 1:
        raise ValueError(f"headroom must be a number in [0, 1), got {headroom!r}")
    r = capacity(model, gpu, gpus, prompt, output, slo, weight_dtype=weight_dtype)
    return fmt_int(math.ceil(peak / (r.max_rate_requests_per_s * (1 - spare))))


def dayof_canary_time(requests_per_s: float, share: float, samples: int = 1000,
                      unit: str = "min") -> str:
    """How long a canary taking ``share`` of ``requests_per_s`` needs to see
    ``samples`` requests: 'min' or 'h'.

    >>> dayof_canary_time(20, 0.01)
    '83.3 min'
    """
    choice("unit", unit, ["min", "h"])
    rate = positive_number("requests_per_s", requests_per_s) * fraction("share", share)
    if rate == 0:
        raise ValueError(f"share must be > 0, got {share!r}")
    seconds = positive_int("samples", samples) / rate
    return f"{fmt_number(seconds / (60 if unit == 'min' else 3600), 1)} {unit}"


def dayof_burn_table(days: int = 30) -> str:
    """The SRE Workbook's starting burn-rate alerts as a Markdown table.

    >>> print(dayof_burn_table().strip().splitlines()[2])
    | 2 % | 1 h | 14.4× | 50.0 h | page |
    """
    lines = [
        "| Budget spent | Long window | Burn-rate threshold | Budget gone after | Action |",
        "| --: | --: | --: | --: | :-- |",
    ]
    for spent, hours, action in SRE_WORKBOOK_ALERTS:
        rate = spent * days * 24 / hours
        lines.append(
            f"| {fmt_percent(spent, 0)} | {fmt_number(hours, 0)} h | {fmt_number(rate, 1)}× | "
            f"{dayof_exhaustion(rate, days)} | {action} |"
        )
    return "\n\n" + "\n".join(lines) + "\n\n"


# --------------------------------------------------------------------------- shedding, shadow (2026)


def _prefill(model: str, gpu: str, gpus: int, prompt: int) -> float:
    return StepModel(Deployment(model=model, gpu=gpu, gpus=gpus)).prefill_time_s(prompt)


def shed_prompt_tokens(model: str, gpu: str, gpus: int, prompt: int, ttft_slo_s: float) -> str:
    """Queued prompt tokens above which a replica should refuse new requests: the work
    ahead of a ``prompt``-token arrival that still lets it meet ``ttft_slo_s``.

    >>> shed_prompt_tokens("llama-3.1-70b", "h100-sxm", 4, 2000, 2.0)  # doctest: +ELLIPSIS
    '...'
    """
    own = _prefill(model, gpu, gpus, prompt)
    return fmt_int(max_queued_prompt_tokens(ttft_slo_s=ttft_slo_s, prefill_s=own,
                                            prefill_tokens_per_s=prompt / own))


def shed_queue_requests(model: str, gpu: str, gpus: int, prompt: int, ttft_slo_s: float) -> str:
    """The same bound in requests of ``prompt`` tokens each.

    >>> shed_queue_requests("llama-3.1-70b", "h100-sxm", 4, 2000, 2.0)  # doctest: +ELLIPSIS
    '...'
    """
    own = _prefill(model, gpu, gpus, prompt)
    return fmt_int(max_queue_requests(ttft_slo_s=ttft_slo_s, prefill_s=own,
                                      requests_per_s=1 / own))

