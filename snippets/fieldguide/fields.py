"""Form fields every calculator shares, and the Calculator record.

>>> resolve_model({"model": "llama-2-7b"})
'llama-2-7b'
>>> resolve_model({"model": "custom", "layers": 2, "hidden_size": 64, "heads": 4,
...                "kv_heads": 3, "head_dim": 16, "intermediate_size": 128, "vocab_size": 10})
Traceback (most recent call last):
    ...
ValueError: kv_heads must divide heads (4), got 3
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from servecalc.calibration import load_calibration
from servecalc.deployment import Deployment
from servecalc.gpus import GPUS
from servecalc.models import MODELS, ModelSpec
from servecalc.validate import MAX_JSON_CHARS

from .forms import Field

CUSTOM = "custom"


@dataclass(frozen=True, kw_only=True)
class Calculator:
    """A form (``fields``) and a function from typed values to result HTML.

    A ``long_running`` calculator receives a ``progress`` callable, has no
    time limit in the browser and ends with Stop. Its ``work`` estimates what
    typed values ask for, in simulated tokens (:func:`simulated_tokens`): a
    link asking for more than :data:`LINK_WORK_BUDGET` is not run until the
    reader presses Run.
    """

    id: str
    title: str
    fields: Sequence[Field]
    compute: Callable[..., str]
    long_running: bool = False
    work: Callable[[Mapping[str, object]], float] | None = None


#: The most work a link starts by itself, in simulated tokens (requests times
#: prompt plus output tokens, per fleet tried): about 10 s in the browser.
LINK_WORK_BUDGET = 10_000_000


def simulated_tokens(values: Mapping[str, object], fleets: int = 1) -> float:
    """Requests times (prompt + output) tokens, times the fleets tried.

    >>> simulated_tokens({"requests": 1000, "prompt": 512, "output": 256})
    768000
    >>> simulated_tokens({"requests": 200_000, "prompt": 131_072, "output": 32_768}) > LINK_WORK_BUDGET
    True
    """
    return values["requests"] * (values["prompt"] + values["output"]) * fleets  # type: ignore[operator]


def model_field(default: str = "llama-3.1-70b", custom: bool = True) -> Field:
    options = [(m.id, m.name) for m in MODELS.values()]
    if custom:
        options.append((CUSTOM, "Custom…"))
    return Field(name="model", label="Model", kind="select", default=default, options=options)


def custom_model_fields() -> list[Field]:
    """Architecture fields shown when the model picker says 'custom' (Llama-3.1-8B's shape)."""
    when = ("model", CUSTOM)
    spec = [
        ("layers", "Layers", 32, 1, 512),
        ("hidden_size", "Hidden size", 4096, 64, 65536),
        ("heads", "Query heads", 32, 1, 1024),
        ("kv_heads", "KV heads", 8, 1, 1024),
        ("head_dim", "Head dim", 128, 8, 1024),
        ("intermediate_size", "MLP size", 14336, 64, 262144),
        ("vocab_size", "Vocabulary", 128256, 1, 1_000_000),
    ]
    return [
        Field(name=name, label=label, kind="int", default=default, min=lo, max=hi, show_when=when)
        for name, label, default, lo, hi in spec
    ]


def gpu_field(default: str = "h100-sxm") -> Field:
    return Field(
        name="gpu", label="GPU", kind="select", default=default,
        options=[(g.id, g.name) for g in GPUS.values()],
    )


def gpus_field(default: int) -> Field:
    """GPUs in one tensor-parallel group (1 to 64)."""
    return Field(name="gpus", label="GPUs (tensor parallel)", kind="int", default=default,
                 min=1, max=512)


#: Attention layouts a form offers: tensor-parallel, or data-parallel (issue 20).
ATTENTION_OPTIONS = [("tp", "tensor-parallel"), ("dp", "data-parallel (per-GPU sequences)")]


def expert_fields() -> list[Field]:
    """Expert-parallel size and the attention layout (mixture-of-experts models)."""
    return [
        Field(name="ep", label="Expert parallel (EP)", kind="int", default=1, min=1, max=512,
              help="GPUs the routed experts are split over; must divide the GPUs "
              "(1: experts sharded like tensor parallelism; mixture-of-experts models only)"),
        Field(name="attention", label="Attention", kind="select", default="tp",
              options=ATTENTION_OPTIONS,
              help="Data-parallel: each GPU holds the attention weights whole and its own "
              "sequences (SGLang's DP attention); mixture-of-experts models only"),
    ]


def context_field(default: int, slider: bool = False) -> Field:
    """Tokens per sequence (1 to 1,048,576)."""
    return Field(name="context", label="Context", kind="int", default=default, min=1,
                 max=1_048_576, unit="tokens", slider=slider)


def batch_field(default: int, slider: bool = False) -> Field:
    """Sequences in one batch (1 to 4,096)."""
    return Field(name="batch", label="Batch", kind="int", default=default, min=1, max=4096,
                 unit="sequences", slider=slider)


def dtype_field(name: str, label: str, default: str, options: Sequence[str]) -> Field:
    return Field(name=name, label=label, kind="select", default=default,
                 options=[(o, o) for o in options])


def resolve_model(values: Mapping[str, object]) -> ModelSpec | str:
    """The catalog ID, or a ModelSpec built from the custom fields."""
    if values["model"] != CUSTOM:
        return values["model"]  # type: ignore[return-value]
    if values["heads"] % values["kv_heads"]:
        raise ValueError(
            f"kv_heads must divide heads ({values['heads']}), got {values['kv_heads']}"
        )
    return ModelSpec(
        id="custom", name="Custom model", num_layers=values["layers"],
        hidden_size=values["hidden_size"], num_attention_heads=values["heads"],
        num_kv_heads=values["kv_heads"], head_dim=values["head_dim"],
        intermediate_size=values["intermediate_size"], vocab_size=values["vocab_size"],
        source="entered by the reader", source_date="",
    )


def engine_field(default: str | None = None) -> Field:
    """The serving-engine preset (servecalc.engines): scheduler, memory fraction and
    efficiencies; the library's default engine unless told otherwise."""
    from servecalc.engines import DEFAULT_ENGINE, list_engines

    return Field(name="engine", label="Engine", kind="select",
                 default=default or DEFAULT_ENGINE,
                 options=[(e.id, e.name) for e in list_engines()],
                 help="Serving engine preset: its scheduler, memory fraction and efficiencies "
                 "by GPU generation and precision (`servecalc engines`)")


#: Policy select options: the engine preset's scheduler, or one forced.
POLICY_OPTIONS = [("engine", "the engine's"), ("static", "static"), ("continuous", "continuous"),
                  ("chunked", "chunked prefill")]


def policy_field() -> Field:
    """Batching policy: the engine preset's (default) or a forced one."""
    return Field(name="policy", label="Batching policy", kind="select", default="engine",
                 options=POLICY_OPTIONS,
                 help="The engine preset's scheduler (vLLM chunks prefills), or force one")


def policy_of(values: Mapping[str, object]) -> str | None:
    """The policy a form asks for (None: the engine preset's)."""
    chosen = values.get("policy", "engine")
    return None if chosen == "engine" else str(chosen)


def efficiency_fields(calibration: bool = False) -> list[Field]:
    """MBU and MFU, 0 meaning the engine preset's (servecalc.engines); with
    ``calibration``, also the per-step overhead and a box for a pasted calibration."""
    fields = [
        Field(name="mbu", label="MBU", kind="float", default=0.0, min=0.0, max=1.0,
              step=0.01, help="Model bandwidth utilization: achieved / peak memory bandwidth "
              "(0: the engine preset's)"),
        Field(name="mfu", label="MFU", kind="float", default=0.0, min=0.0, max=1.0,
              step=0.01, help="Model FLOPs utilization: achieved / peak dense FLOP/s "
              "(0: the engine preset's)"),
    ]
    if calibration:
        fields += [
            Field(name="overhead_ms", label="Overhead per step", kind="float",
                  default=0.0, min=0.0, max=50.0, step=0.01, unit="ms",
                  help="Fixed time per step outside the kernels (scheduling, sampling, "
                  "launches; 0: the engine preset's)"),
            Field(name="calibration", label="Calibration (JSON)", kind="text", default="",
                  max=MAX_JSON_CHARS, upload=".json", help="Paste the output of `servecalc calibrate --json`; its MBU, MFU "
                  "and overhead replace the three fields above"),
        ]
    return fields


def hardware_fields(model: str = "llama-3.1-70b", gpu: str = "h100-sxm",
                    gpus: int = 4) -> list[Field]:
    """Model (or a custom one), GPU and GPU count."""
    return [model_field(model), *custom_model_fields(), gpu_field(gpu), gpus_field(gpus)]


def deployment_fields(model: str = "llama-3.1-70b", gpu: str = "h100-sxm", gpus: int = 4) -> list[Field]:
    """The :func:`hardware_fields`, the precisions, the engine preset and the
    expert-parallel fields."""
    return [*hardware_fields(model, gpu, gpus), *precision_fields(), engine_field(),
            *expert_fields()]


def precision_fields() -> list[Field]:
    """Weight and KV-cache precision selects (the common formats of each)."""
    return [
        dtype_field("weight_dtype", "Weights", "bf16",
                    ["bf16", "fp8", "int8", "int4", "nvfp4", "mxfp4"]),
        dtype_field("kv_dtype", "KV cache", "bf16", ["bf16", "fp8", "int8", "int4"]),
    ]


def deployment_of(values: dict[str, object]) -> Deployment:
    """The :class:`~servecalc.deployment.Deployment` a calculator's form describes
    (precisions and efficiencies the form lacks keep their defaults; an efficiency of 0
    is the engine preset's)."""
    given = {k: values[k] for k in ("gpus", "weight_dtype", "kv_dtype", "mbu", "mfu", "engine")
             if k in values and values[k] != 0}
    if "quantize" in values:  # a select of QUANTIZE_CHOICES: parts joined by "+"
        given["quantize"] = tuple(str(values["quantize"]).split("+"))
    if values.get("ep", 1) != 1:
        given["ep"] = values["ep"]
    if values.get("attention") == "dp":
        given["dp_attention"] = True
    if values.get("overhead_ms"):
        given["overhead_s"] = values["overhead_ms"] / 1000
    pasted = values.get("calibration") or ""
    if pasted:
        for k in ("mbu", "mfu", "overhead_s"):
            given.pop(k, None)
        given["calibration"] = load_calibration(str(pasted), name="calibration")
    return Deployment(model=resolve_model(values), gpu=values["gpu"], **given)


BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def calibration_note(d: Deployment) -> str:
    """A note naming the pasted calibration's values ('' without one), so the reader can
    type them into the MBU, MFU and overhead fields and keep them in the page's link."""
    from .html import note

    cal = d.calibration
    if cal is None:
        return ""
    return note(
        f"Calibrated: MBU {cal.mbu:.3f}, MFU {cal.mfu:.3f}, overhead "
        f"{cal.overhead_s * 1000:.3f} ms per step. Type these into the fields above to keep "
        "them in this page's link.")
