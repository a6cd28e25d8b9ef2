"""The throughput-interactivity frontier: tokens/s per GPU against tokens/s per user.

Serving benchmarks are now read as a curve: at each number of concurrent
clients a deployment delivers some output tokens per second per GPU (what
the hardware earns) and some output tokens per second to each user (how fast
the answer streams). More clients raise the first and lower the second.
:func:`frontier` sweeps the concurrency (closed loops,
:func:`servecalc.sim.workload.closed_workload`) for each tensor-parallel size
and each weight precision the GPU runs natively (bf16; fp8 where it has an
fp8 peak; FP4 where it has an FP4 peak), under an engine preset, and marks
the Pareto front: the points no other point beats on both axes. Where the
catalog has a price for the GPU (its first example price, the one ``plan``
uses), each point also gets dollars per million output tokens, ``price per GPU-hour / (tokens/s per GPU x 3600) x 10^6``.

>>> f = frontier("llama-3.1-8b", "h100-sxm", prompt=500, output=100, gpu_counts=[1],
...              weight_dtypes=["bf16"], concurrencies=[1, 8])
>>> [(p.concurrency, p.pareto) for p in f.points]
[(1, True), (8, True)]
>>> f.points[1].tokens_per_s_per_gpu > f.points[0].tokens_per_s_per_gpu
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .expert_parallel import expert_options
from .deployment import Deployment
from .engines import get_engine
from .gpus import GpuSpec, get_gpu
from .models import ModelSpec, get_model
from .prices import get_price, prices_for
from .speculation import Speculation
from .sim import Engine, simulate
from .sim.lengths import Lengths, as_lengths
from .sim.workload import closed_workload
from .precision import WEIGHT_DTYPES
from .validate import choice, items, positive_int

#: Concurrencies swept unless told otherwise.
DEFAULT_CONCURRENCIES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Tensor-parallel sizes tried unless told otherwise.
DEFAULT_GPU_COUNTS = (1, 2, 4, 8)
#: Requests each client sends in one point's run (the first ones warm the engine up).
REQUESTS_PER_CLIENT = 4


@dataclass(frozen=True, kw_only=True)
class FrontierPoint:
    """One (tensor-parallel size, precision, concurrency) run."""

    gpus: int
    weight_dtype: str
    concurrency: int
    tokens_per_s_per_gpu: float
    tokens_per_s_per_user: float
    ttft_p50_s: float
    usd_per_million_output_tokens: float | None
    pareto: bool


@dataclass(frozen=True, kw_only=True)
class Frontier:
    """Every point of the sweep, the GPU price used, and what did not fit."""

    model: str
    gpu: str
    engine: str
    price_usd_per_gpu_hour: float | None
    points: tuple[FrontierPoint, ...]
    skipped: tuple[tuple[str, str], ...]


def native_dtypes(gpu: str | GpuSpec) -> tuple[str, ...]:
    """Weight precisions a GPU runs in its own matmul format: bf16, fp8 with an fp8 peak,
    FP4 (NVIDIA's nvfp4, AMD's mxfp4) with an FP4 peak.

    >>> native_dtypes("a100-80gb"), native_dtypes("h100-sxm"), native_dtypes("b200")
    (('bf16',), ('bf16', 'fp8'), ('bf16', 'fp8', 'nvfp4'))
    >>> native_dtypes("mi355x")
    ('bf16', 'fp8', 'mxfp4')
    """
    spec = get_gpu(gpu)
    found = ["bf16"]
    if spec.fp8_flops_per_s:
        found.append("fp8")
    if spec.fp4_flops_per_s:
        found.append("nvfp4" if spec.name.startswith("NVIDIA") else "mxfp4")
    return tuple(found)


def _pareto(points: list[FrontierPoint]) -> list[FrontierPoint]:
    marked = []
    for p in points:
        beaten = any(q.tokens_per_s_per_gpu >= p.tokens_per_s_per_gpu
                     and q.tokens_per_s_per_user >= p.tokens_per_s_per_user
                     and (q.tokens_per_s_per_gpu, q.tokens_per_s_per_user)
                     != (p.tokens_per_s_per_gpu, p.tokens_per_s_per_user) for q in points)
        marked.append(FrontierPoint(**{**p.__dict__, "pareto": not beaten}))
    return marked


def frontier(model: str | ModelSpec, gpu: str | GpuSpec, *, prompt: int | str | Lengths,
             output: int | str | Lengths, engine: str | None = None,
             gpu_counts: Sequence[int] = DEFAULT_GPU_COUNTS,
             weight_dtypes: Sequence[str] | None = None,
             concurrencies: Sequence[int] = DEFAULT_CONCURRENCIES, seed: int = 0,
             progress: Callable[[float], object] | None = None,
             speculative: Speculation | None = None, ep: int = 1,
             dp_attention: bool = False) -> Frontier:
    """Sweep concurrency per tensor-parallel size and precision (see the module docstring).
    ``ep`` and ``dp_attention`` apply to every GPU count (:mod:`servecalc.expert_parallel`).
    ``weight_dtypes`` defaults to :func:`native_dtypes`; combinations that do not fit
    are listed in ``skipped``; ``progress`` gets the fraction of runs done; ``speculative``
    runs every point with speculative decoding."""
    spec, hardware = get_model(model), get_gpu(gpu)
    preset = get_engine(engine)
    expert = expert_options(spec, ep, dp_attention)
    prompt, output = as_lengths("prompt", prompt), as_lengths("output", output)
    counts = [positive_int("gpu_counts", n) for n in items("gpu_counts", gpu_counts)]
    levels = sorted({positive_int("concurrency", c) for c in items("concurrencies",
                                                                     concurrencies)})
    dtypes = list(native_dtypes(hardware) if weight_dtypes is None
                  else [choice("weight_dtypes", d, WEIGHT_DTYPES)
                        for d in items("weight_dtypes", weight_dtypes)])
    price = get_price(hardware).price_usd_per_hour if prices_for(hardware) else None
    points: list[FrontierPoint] = []
    skipped: list[tuple[str, str]] = []
    combos = [(n, d) for n in counts for d in dtypes]
    runs, done = len(combos) * len(levels), 0
    for n, dtype in combos:
        try:
            sim = Engine(Deployment(model=spec, gpu=hardware, gpus=n, weight_dtype=dtype,
                                    engine=preset.id, **expert), speculative=speculative)
        except ValueError as exc:
            skipped.append((f"{n} x {hardware.id} {dtype}", str(exc)))
            done += len(levels)
            continue
        for c in levels:
            work = closed_workload(c, REQUESTS_PER_CLIENT * c, prompt=prompt, output=output,
                                   seed=seed)
            r = simulate(sim, work, chart_points=1)
            per_gpu = r.output_throughput_tokens_per_s / n
            points.append(FrontierPoint(
                gpus=n, weight_dtype=dtype, concurrency=c, tokens_per_s_per_gpu=per_gpu,
                tokens_per_s_per_user=r.interactivity_tokens_per_s_per_user,
                ttft_p50_s=r.ttft_s.p50,
                usd_per_million_output_tokens=None if price is None
                else price / (per_gpu * 3600) * 1e6, pareto=False))
            done += 1
            if progress is not None:
                progress(done / runs)
    return Frontier(model=spec.id, gpu=hardware.id, engine=preset.id,
                    price_usd_per_gpu_hour=price, points=tuple(_pareto(points)),
                    skipped=tuple(skipped))
