"""Placeholders for the simulator chapter: capacities, policy ratios, latencies.

Each function runs the simulator (:mod:`servecalc.sim`) on the page's
scenarios; results are cached, so a page that quotes the same run several
times simulates it once. Lengths are given as in the CLI: ``512``,
``"uniform:16-1024"``, ``"lognormal:256,1.0"`` (log-normal draws are clipped
to 4,096 tokens here, as on the page).

>>> sim_capacity("llama-3.1-8b", "h100-sxm", policy="static", output=256)  # doctest: +ELLIPSIS
'... requests/s'
>>> sim_capacity_ratio("llama-3.1-8b", "h100-sxm", output="uniform:16-1024")
'1.5x'
"""

from __future__ import annotations

from functools import lru_cache

from servecalc.paging import DEFAULT_BLOCK_SIZE
from servecalc.step import StepModel
from servecalc.sim import Engine, Lengths, LogNormal, as_lengths, poisson_workload, saturation_rate, simulate
from servecalc.units import fmt_duration, fmt_number
from servecalc.validate import choice, positive_int


_METRICS = ("ttft", "tpot", "e2e", "queue")
_STATS = ("p50", "p90", "p99", "mean")


def _lengths(name: str, value: int | str) -> Lengths:
    spec = as_lengths(name, value)
    if isinstance(spec, LogNormal):
        spec = LogNormal(spec.mean_tokens, spec.sigma, high=4096)
    return spec


@lru_cache(maxsize=32)
def _engine(model: str, gpu: str, max_batch: int | None) -> Engine:
    return Engine(model, gpu, max_batch=max_batch)


@lru_cache(maxsize=64)
def _capacity(model: str, gpu: str, policy: str, prompt: int | str, output: int | str,
              seed: int, max_batch: int | None) -> float:
    return saturation_rate(_engine(model, gpu, max_batch), policy=policy,
                           prompt=_lengths("prompt", prompt), output=_lengths("output", output),
                           seed=seed)


@lru_cache(maxsize=64)
def _run(model: str, gpu: str, policy: str, prompt: int | str, output: int | str, load: float,
         load_of: str, requests: int, seed: int, max_batch: int | None):
    rate = load * _capacity(model, gpu, load_of, prompt, output, seed, max_batch)
    work = poisson_workload(rate, requests, prompt=_lengths("prompt", prompt),
                            output=_lengths("output", output), seed=seed)
    return simulate(_engine(model, gpu, max_batch), work, policy=policy, chart_points=1)


def sim_capacity(model: str, gpu: str, *, policy: str = "continuous", prompt: int | str = 512,
                 output: int | str = 256, seed: int = 1,
                 max_batch: int | None = None) -> str:
    """Requests per second the policy sustains with a backlog (its capacity).

    >>> sim_capacity("llama-3.1-8b", "h100-sxm", policy="static", output=256)  # doctest: +ELLIPSIS
    '... requests/s'
    """
    return f"{fmt_number(_capacity(model, gpu, policy, prompt, output, seed, max_batch), 2)} requests/s"


def sim_capacity_ratio(model: str, gpu: str, *, prompt: int | str = 512,
                       output: int | str = 256, policy: str = "continuous",
                       over: str = "static", seed: int = 1,
                       max_batch: int | None = None) -> str:
    """Capacity of ``policy`` over that of ``over``, e.g. '1.9x'.

    >>> sim_capacity_ratio("llama-3.1-8b", "h100-sxm",
    ...                    output="lognormal:256,1.0")  # doctest: +ELLIPSIS
    '...x'
    """
    ratio = (_capacity(model, gpu, policy, prompt, output, seed, max_batch)
             / _capacity(model, gpu, over, prompt, output, seed, max_batch))
    return f"{fmt_number(ratio, 1)}x"


def _stat(model: str, gpu: str, policy: str, metric: str, stat: str, prompt: int | str,
          output: int | str, load: float, load_of: str, requests: int, seed: int,
          max_batch: int | None) -> float:
    choice("metric", metric, _METRICS)
    choice("stat", stat, _STATS)
    positive_int("requests", requests)
    if not isinstance(load, (int, float)) or isinstance(load, bool) or not 0 < load < 1:
        raise ValueError(f"load must be a fraction of capacity in (0, 1), got {load!r}")
    result = _run(model, gpu, policy, prompt, output, float(load), load_of, requests, seed,
                  max_batch)
    return getattr(getattr(result, f"{metric}_s"), stat)


def sim_latency(model: str, gpu: str, *, policy: str, metric: str = "e2e", stat: str = "p99",
                prompt: int | str = 512, output: int | str = 256, load: float = 0.8,
                load_of: str = "static", requests: int = 400, seed: int = 1,
                max_batch: int | None = None) -> str:
    """A latency statistic of one run at ``load`` x the capacity of ``load_of``.

    Durations under a second print in ms, longer ones in s.

    >>> sim_latency("llama-3.1-8b", "h100-sxm", policy="continuous", metric="tpot", stat="p99",
    ...             output="lognormal:256,1.0", load=0.8, load_of="continuous", requests=500,
    ...             seed=0)  # doctest: +ELLIPSIS
    '... ms'
    >>> sim_latency("llama-3.1-8b", "h100-sxm", policy="continuous", metric="speed")
    Traceback (most recent call last):
        ...
    ValueError: metric must be one of 'ttft', 'tpot', 'e2e', 'queue', got 'speed'
    """
    value = _stat(model, gpu, policy, metric, stat, prompt, output, load, load_of, requests,
                  seed, max_batch)
    return fmt_duration(value, "ms") if value < 1 else fmt_duration(value, "s", 2)


def sim_latency_ratio(model: str, gpu: str, *, metric: str = "e2e", stat: str = "p99",
                      policy: str = "static", over: str = "continuous",
                      prompt: int | str = 512, output: int | str = 256, load: float = 0.8,
                      load_of: str = "static", requests: int = 400, seed: int = 1,
                      max_batch: int | None = None) -> str:
    """How many times longer ``policy``'s statistic is than ``over``'s, same arrivals.

    >>> sim_latency_ratio("llama-3.1-8b", "h100-sxm",
    ...                   output="uniform:16-1024")  # doctest: +ELLIPSIS
    '...x'
    """
    a = _stat(model, gpu, policy, metric, stat, prompt, output, load, load_of, requests, seed,
              max_batch)
    b = _stat(model, gpu, over, metric, stat, prompt, output, load, load_of, requests, seed,
              max_batch)
    return f"{fmt_number(a / b, 1)}x"


def sim_service_time(model: str, gpu: str, *, prompt: int = 512, output: int = 64) -> str:
    """Time one request occupies the engine alone: prefill plus ``output - 1`` decode steps.

    >>> sim_service_time("llama-3.1-8b", "h100-sxm", prompt=512, output=64)  # doctest: +ELLIPSIS
    '... ms'
    """
    import math

    positive_int("prompt", prompt)
    positive_int("output", output)
    sm = StepModel(model, gpu)
    steps = [sm.prefill_time_s(prompt)] + [sm.decode_time_s(1, prompt + j)
                                           for j in range(1, output)]
    return fmt_duration(math.fsum(steps), "ms")


def sim_kv_blocks(model: str, gpu: str, *, block_size: int = DEFAULT_BLOCK_SIZE) -> str:
    """KV blocks the engine's memory budget holds, e.g. '28,059 blocks of 16 tokens'.

    >>> sim_kv_blocks("llama-3.1-8b", "h100-sxm")
    '28,059 blocks of 16 tokens'
    """
    engine = Engine(model, gpu, block_size=block_size)
    return f"{engine.kv_blocks:,} blocks of {engine.block_size} tokens"
