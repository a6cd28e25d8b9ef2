"""Serving-engine presets: what an engine does by default, and how efficiently.

The step model alone is a roofline: it knows the bytes and FLOPs of a step,
not how close a given engine gets to the hardware, how long its scheduler
and kernel launches take, or how it batches. A preset
(``catalog/engines.json``) names those for one engine:

* the **scheduler**: policy (``chunked`` for vLLM's V1 engine, which always
  chunks prefills; ``continuous`` for prefill-first engines), the most
  sequences per step (``max_num_seqs``), the token budget per step
  (``max_num_batched_tokens``), and preemption (by recompute); engines pick
  larger defaults on large GPUs, so both are given twice;
* the default **GPU-memory fraction** and the largest **CUDA-graph capture size**;
* a **request overhead**: seconds a request spends outside the engine's
  steps (tokenisation, scheduling into the engine, the HTTP path), which a
  client's time to first token contains: a fixed part, and a part per request
  already outstanding when it is sent (the server's front end streams every
  running request's tokens, and a new request waits behind that work);
* **efficiencies** by GPU generation and compute precision: bandwidth and
  FLOP utilisation of the kernels (``mbu``, ``mfu``), a fixed cost per step
  (``step_s``), per layer (``layer_s``: kernel launches and small kernels)
  and extra per MoE layer (``moe_layer_s``: routing, grouped GEMMs), and a
  latency added to each tensor-parallel all-reduce (``allreduce_s``); a row
  may also carry its own request overhead (the front end runs on the host
  the GPUs came with, and engines ship different builds per platform).

Each scheduler block and efficiency row carries its source. ``ideal`` is the
pure roofline the guide taught with before presets existed.

>>> p = get_engine("vllm")
>>> p.policy, p.max_num_seqs("h100-sxm"), p.max_num_batched_tokens("h100-sxm")
('chunked', 1024, 8192)
>>> p.max_num_seqs("a100-80gb"), p.max_num_batched_tokens("l4")
(256, 2048)
>>> capture_sizes(48)[-3:]
(80, 88, 96)
>>> get_engine("ideal").efficiency("h100-sxm", "bf16").mbu
0.62
>>> get_engine("tgi")
Traceback (most recent call last):
    ...
ValueError: engine must be one of 'ideal', 'vllm', 'sglang', 'trtllm', got 'tgi'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .gpus import GpuSpec, get_gpu
from .validate import choice, fraction, non_negative_number, positive_int, text

#: How a scheduler admits a waiting request. ``grow``: when its prompt's blocks are
#: free; later blocks come as it grows, and a step that finds none free preempts
#: (vLLM, SGLang). ``reserve``: only when its prompt and its whole output fit beside
#: the bookings of everything running, so nothing is ever preempted (TensorRT-LLM's
#: default capacity policy, ``GUARANTEED_NO_EVICT``).
ADMISSIONS = ("grow", "reserve")

#: The engine every load-dependent number assumes unless told otherwise.
DEFAULT_ENGINE = "vllm"
#: GPUs with at least this much memory (and not A100) get vLLM's larger batch defaults.
LARGE_GPU_BYTES = 70 * 2**30
#: Model architectures an efficiency row may be specific to ("*": any).
ARCHITECTURES = ("*", "dense", "moe")
#: Fields of an efficiency row that are seconds (the rest are fractions).
SECONDS_FIELDS = ("step_s", "layer_s", "moe_layer_s", "allreduce_s")
#: The request overhead's two parts: seconds per request, and seconds per request already
#: outstanding at the front end when it is sent.
REQUEST_FIELDS = ("request_overhead_s", "request_overhead_per_outstanding_s")


@dataclass(frozen=True, kw_only=True)
class Efficiency:
    """One (generation, precision) row of a preset: kernel efficiencies and fixed costs."""

    generation: str
    precision: str
    mbu: float
    mfu: float
    step_s: float
    layer_s: float
    moe_layer_s: float
    allreduce_s: float
    source: str
    source_date: str
    architecture: str = "*"
    #: The row's own request overhead (``None``: the preset's), as on :class:`EnginePreset`.
    request_overhead_s: float | None = None
    request_overhead_per_outstanding_s: float | None = None

    def __post_init__(self) -> None:
        from .precision import COMPUTE_DTYPES

        choice("generation", self.generation, ("*", "other", *_document()["generations"]))
        choice("precision", self.precision, ("*", *COMPUTE_DTYPES))
        choice("architecture", self.architecture, ARCHITECTURES)
        fraction("mbu", self.mbu)
        fraction("mfu", self.mfu)
        for name in SECONDS_FIELDS:
            non_negative_number(name, getattr(self, name))
        for name in REQUEST_FIELDS:
            if getattr(self, name) is not None:
                non_negative_number(name, getattr(self, name))
        if not text("source", self.source) or not text("source_date", self.source_date):
            raise ValueError(f"efficiency row {self.generation}/{self.precision} needs a "
                             "source and a source_date")


@dataclass(frozen=True, kw_only=True)
class EnginePreset:
    """One serving engine's defaults and efficiencies (see the module docstring)."""

    id: str
    name: str
    description: str
    scheduler: dict
    memory_utilization: float
    memory_source: str
    capture: dict
    request_overhead_s: float
    request_source: str
    efficiency_rows: tuple[Efficiency, ...]
    quantized_kv_dtype: str | None = None
    quantized_kv_source: str = ""
    request_overhead_per_outstanding_s: float = 0.0

    def request_overheads(self, gpu: str | GpuSpec, precision: str,
                          architecture: str = "*") -> tuple[float, float]:
        """``(seconds per request, seconds per request already outstanding)`` outside the
        engine's steps on ``gpu`` at compute ``precision``: the efficiency row's own values
        where it has them (:meth:`efficiency`), else the preset's.

        >>> get_engine("ideal").request_overheads("h100-sxm", "bf16")
        (0.0, 0.0)
        """
        return self.row_request_overheads(self.efficiency(gpu, precision, architecture))

    def row_request_overheads(self, row: Efficiency) -> tuple[float, float]:
        """:meth:`request_overheads` of one of the preset's efficiency rows: its own
        values, else the preset's.

        >>> p = get_engine("ideal")
        >>> p.row_request_overheads(p.efficiency_rows[0])
        (0.0, 0.0)
        """
        fixed, per = row.request_overhead_s, row.request_overhead_per_outstanding_s
        return (self.request_overhead_s if fixed is None else fixed,
                self.request_overhead_per_outstanding_s if per is None else per)

    def kv_dtype_for(self, weight_dtype: str) -> str:
        """The KV-cache precision a benchmark of ``weight_dtype`` weights runs when it does
        not say: the preset's ``quantized_kv_dtype`` for fp8 and nvfp4 checkpoints, else bf16.

        >>> get_engine("trtllm").kv_dtype_for("nvfp4"), get_engine("vllm").kv_dtype_for("fp8")
        ('fp8', 'bf16')
        """
        if self.quantized_kv_dtype and weight_dtype in ("fp8", "nvfp4"):
            return self.quantized_kv_dtype
        return "bf16"

    @property
    def policy(self) -> str:
        """The simulator policy the engine's scheduler follows."""
        return self.scheduler["policy"]

    @property
    def admission(self) -> str:
        """How the scheduler admits a request (:data:`ADMISSIONS`):
        ``"grow"`` (blocks as the sequence grows, preempting under pressure) or
        ``"reserve"`` (its prompt plus its whole output booked up front).

        >>> get_engine("vllm").admission, get_engine("trtllm").admission
        ('grow', 'grow')
        """
        return self.scheduler["admission"]

    def _large(self, gpu: str | GpuSpec) -> bool:
        spec = get_gpu(gpu)
        return spec.memory_bytes >= LARGE_GPU_BYTES and not spec.id.startswith("a100")

    def max_num_seqs(self, gpu: str | GpuSpec) -> int:
        """Most sequences per step on ``gpu``."""
        key = "large_gpu_max_num_seqs" if self._large(gpu) else "max_num_seqs"
        return self.scheduler[key]

    def max_num_batched_tokens(self, gpu: str | GpuSpec) -> int | None:
        """Token budget per step on ``gpu`` (None: no limit on a prefill step)."""
        key = ("large_gpu_max_num_batched_tokens" if self._large(gpu)
               else "max_num_batched_tokens")
        return self.scheduler[key]

    def capture_sizes(self, gpu: str | GpuSpec) -> tuple[int, ...]:
        """Captured decode batch sizes on ``gpu`` (vLLM's rule, capped at the preset's max)."""
        return capture_sizes(self.max_num_seqs(gpu), self.capture["max_size"])

    def efficiency(self, gpu: str | GpuSpec, precision: str,
                   architecture: str = "*") -> Efficiency:
        """The most specific row for ``gpu``'s generation, compute ``precision`` and the
        model's ``architecture`` (``"dense"`` or ``"moe"``: MoE layers' grouped GEMMs
        reach less of the GPU than dense ones)."""
        generation = generation_of(gpu)
        rows = {(r.generation, r.precision, r.architecture): r for r in self.efficiency_rows}
        for gen, prec in ((generation, precision), (generation, "*"), ("*", precision),
                          ("*", "*")):
            for arch in (architecture, "*"):
                if (gen, prec, arch) in rows:
                    return rows[gen, prec, arch]
        raise ValueError(f"engine {self.id!r} has no efficiency row for {generation}/{precision}")


def capture_sizes(max_num_seqs: int, cap: int = 512) -> tuple[int, ...]:
    """vLLM's default CUDA-graph capture sizes: 1, 2, 4, steps of 8 below 256, then
    steps of 16 up to ``min(2 x max_num_seqs, cap)``.

    >>> capture_sizes(4)
    (1, 2, 4, 8)
    >>> capture_sizes(1024)[-2:], len(capture_sizes(1024))
    ((496, 512), 51)
    """
    top = min(2 * positive_int("max_num_seqs", max_num_seqs), positive_int("cap", cap))
    sizes = [1, 2, 4] + list(range(8, min(top + 1, 256), 8)) + list(range(256, top + 1, 16))
    return tuple(s for s in sizes if s <= top)


@lru_cache(maxsize=1)
def _document() -> dict:
    text = resources.files("servecalc.catalog").joinpath("engines.json").read_text(
        encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _generations() -> dict[str, str]:
    return {gpu: gen for gen, gpus in _document()["generations"].items() for gpu in gpus}


def architecture_of(model: object) -> str:
    """``"moe"`` for a mixture-of-experts model spec, else ``"dense"``."""
    return "moe" if getattr(model, "num_experts", 0) else "dense"


def generation_of(gpu: str | GpuSpec) -> str:
    """The GPU generation the presets key efficiencies by (``"other"`` if unlisted).

    >>> generation_of("h200"), generation_of("b200"), generation_of("mi355x")
    ('hopper', 'blackwell', 'cdna4')
    """
    return _generations().get(get_gpu(gpu).id, "other")


def _build(entry: dict) -> EnginePreset:
    fields = {k: v for k, v in entry.items() if not k.startswith("_")}
    rows = tuple(Efficiency(**{k: v for k, v in r.items() if not k.startswith("_")})
                 for r in fields.pop("efficiency"))
    preset = EnginePreset(efficiency_rows=rows, **fields)
    fraction("memory_utilization", preset.memory_utilization)
    choice("admission", preset.admission, ADMISSIONS)
    for name in REQUEST_FIELDS:
        non_negative_number(name, getattr(preset, name))
    return preset


@lru_cache(maxsize=1)
def _presets() -> dict[str, EnginePreset]:
    return {e["id"]: _build(e) for e in _document()["entries"]}


#: Engine IDs, in catalog order.
ENGINES: tuple[str, ...] = tuple(e["id"] for e in _document()["entries"])


def list_engines() -> list[EnginePreset]:
    """Every preset, in catalog order."""
    return list(_presets().values())


def get_engine(engine: str | EnginePreset | None = None) -> EnginePreset:
    """The preset ``engine`` names (``None``: :data:`DEFAULT_ENGINE`)."""
    if isinstance(engine, EnginePreset):
        return engine
    return _presets()[choice("engine", DEFAULT_ENGINE if engine is None else engine, ENGINES)]
