"""Calibration: fit the step model's efficiencies to your own measured steps.

A :class:`Calibration` holds three named, bounded parameters -- ``mbu``
(achieved fraction of HBM bandwidth in memory-bound kernels), ``mfu``
(achieved fraction of peak FLOP/s in compute-bound ones) and ``overhead_s``
(fixed time per step) -- and replaces the step model's defaults wherever a
:class:`~servecalc.deployment.Deployment` carries it (an explicit ``mbu=`` on
the deployment still wins). Everything else (FLOPs, bytes, communication)
stays as :mod:`servecalc.step` counts it: this is not a black box.

Measurements are JSON Lines, one measured step per line::

    {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1, "phase": "decode",
     "batch": 1, "context": 1024, "seconds": 0.0071}

with optional ``weight_dtype`` and ``kv_dtype`` (default ``bf16``). A decode
step is ``batch`` sequences attending to ``context`` tokens each; a prefill
step is ``batch`` prompts of ``context`` tokens. :func:`calibrate` minimises
the squared log error of the predicted step times over the three
parameters, each kept inside :data:`BOUNDS`, with a small pull towards the
defaults so that a parameter the points say nothing about (``mfu`` with
decode points only) stays where it was. Three points -- a small-batch
decode, a large-batch decode and one prefill -- pin all three.

Steps timed by a known calibration come back to it:

>>> truth = Calibration(mbu=0.70, mfu=0.55, overhead_s=0.0005)
>>> shapes = [("decode", 1, 1024), ("decode", 256, 1024), ("prefill", 1, 4096)]
>>> points = [measurement(phase=ph, batch=b, context=t, seconds=1.0) for ph, b, t in shapes]
>>> points = [dataclasses.replace(p, seconds=p.predict_s(truth)) for p in points]
>>> cal = calibrate(points)
>>> round(cal.mbu, 3), round(cal.mfu, 3), round(cal.overhead_s * 1e3, 2)
(0.7, 0.55, 0.5)
>>> [f"{abs(p.rel_error):.1%}" for p in cal.points]
['0.0%', '0.0%', '0.0%']
>>> Calibration.from_dict(cal.to_dict()) == cal
True
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from typing import Any

from .deployment import Deployment
from .step import DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S, StepModel
from .validate import (choice, describe, instance, is_number, items, json_value, positive_int,
                       positive_number)
from .validate import text as validate_text  # "text" is a parameter name below

#: Allowed range of each fitted parameter (inclusive).
BOUNDS: dict[str, tuple[float, float]] = {
    "mbu": (0.05, 1.0),
    "mfu": (0.05, 1.0),
    "overhead_s": (0.0, 0.05),
}
#: Weight of the pull towards the defaults (squared log errors of 1 % are 1e-4).
PRIOR_WEIGHT = 1e-6
FORMAT = "servecalc-calibration/1"
#: Most measured steps one calibration fits (a sweep is tens of points; the fit
#: predicts every point a few hundred times, so this keeps it within seconds).
MAX_MEASUREMENTS = 1_000
#: Most distinct deployments (model, GPU, GPU count, precisions) among the points.
MAX_DEPLOYMENTS = 16


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One measured step (see the module docstring)."""

    model: str
    gpu: str
    gpus: int = 1
    phase: str
    batch: int
    context: int
    seconds: float
    weight_dtype: str = "bf16"
    kv_dtype: str = "bf16"

    def __post_init__(self) -> None:
        choice("phase", self.phase, ("decode", "prefill"))
        positive_int("gpus", self.gpus)
        positive_int("batch", self.batch)
        positive_int("context", self.context)
        positive_number("seconds", self.seconds)
        self.deployment()  # model, GPU and precisions are checked here

    def deployment(self, calibration: Calibration | None = None) -> Deployment:
        """The deployment this step ran on, with ``calibration`` if given."""
        return Deployment(model=self.model, gpu=self.gpu, gpus=self.gpus,
                          weight_dtype=self.weight_dtype, kv_dtype=self.kv_dtype,
                          calibration=calibration)

    def predict_s(self, calibration: Calibration | None = None) -> float:
        """The step model's time for this step."""
        sm = StepModel(self.deployment(calibration))
        if self.phase == "decode":
            return sm.decode_time_s(self.batch, self.batch * self.context)
        return sm.prefill_time_s(self.context, 0, self.batch)


def measurement(*, phase: str, batch: int, context: int, seconds: float,
                model: str = "llama-3.1-8b", gpu: str = "h100-sxm", gpus: int = 1,
                weight_dtype: str = "bf16", kv_dtype: str = "bf16") -> Measurement:
    """A :class:`Measurement` with a default model and GPU (for examples and tests).

    >>> measurement(phase="decode", batch=1, context=512, seconds=0.007).deployment().gpus
    1
    """
    return Measurement(model=model, gpu=gpu, gpus=gpus, phase=phase, batch=batch,
                       context=context, seconds=seconds, weight_dtype=weight_dtype,
                       kv_dtype=kv_dtype)


@dataclass(frozen=True, kw_only=True)
class PointError:
    """One measurement against the calibrated (and the default) prediction."""

    line: int
    phase: str
    batch: int
    context: int
    measured_s: float
    predicted_s: float
    rel_error: float
    default_rel_error: float


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """Fitted efficiencies; ``points`` are the measurements' errors after the fit."""

    mbu: float
    mfu: float
    overhead_s: float
    points: tuple[PointError, ...] = ()
    gpus: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if not is_number(value) or not low <= value <= high:
                raise ValueError(f"calibration {name} must be a number in [{low}, {high}], "
                                 f"got {describe(value)}")
        for gpu in items("gpus", self.gpus, empty=True):
            validate_text("gpus", gpu)

    @property
    def median_abs_error(self) -> float:
        """Median |relative error| over the points (0 without points)."""
        errors = sorted(abs(p.rel_error) for p in self.points)
        if not errors:
            return 0.0
        mid = len(errors) // 2
        return errors[mid] if len(errors) % 2 else (errors[mid - 1] + errors[mid]) / 2

    def to_dict(self) -> dict[str, Any]:
        """The JSON form that ``servecalc calibrate`` prints and ``--calibration`` reads."""
        return {
            "format": FORMAT,
            "parameters": {"mbu": self.mbu, "mfu": self.mfu, "overhead_s": self.overhead_s},
            "bounds": {k: list(v) for k, v in BOUNDS.items()},
            "gpus": list(self.gpus),
            "median_abs_rel_error": self.median_abs_error,
            "points": [dataclasses.asdict(p) for p in self.points],
        }

    @classmethod
    def from_dict(cls, data: object) -> Calibration:
        """Read the JSON form; a missing or out-of-range parameter is a ValueError."""
        if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict):
            raise ValueError("calibration must be a JSON object with a 'parameters' object "
                             "(as `servecalc calibrate --json` prints)")
        params = data["parameters"]
        missing = [k for k in BOUNDS if k not in params]
        if missing:
            raise ValueError(f"calibration parameters must include {', '.join(BOUNDS)}; "
                             f"missing {', '.join(missing)}")
        points = tuple(PointError(**p) for p in data.get("points", ()) if isinstance(p, dict))
        return cls(mbu=params["mbu"], mfu=params["mfu"], overhead_s=params["overhead_s"],
                   points=points, gpus=tuple(str(g) for g in data.get("gpus", ())))


def load_calibration(text: str, *, name: str = "calibration") -> Calibration:
    """A :class:`Calibration` from JSON text (``name`` labels errors, e.g. a file name).

    >>> load_calibration('{"parameters": {"mbu": 0.7}}', name="cal.json")
    Traceback (most recent call last):
        ...
    ValueError: cal.json: calibration parameters must include mbu, mfu, overhead_s; missing mfu, overhead_s
    """
    data = json_value(name, text)
    try:
        return Calibration.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None


_FIELDS = set(Measurement.__dataclass_fields__)


def read_measurements(text: str, *, name: str = "measurements") -> list[Measurement]:
    """Measurements from JSON Lines text; errors name the line.

    >>> read_measurements('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", '
    ...                   '"batch": 1, "context": 512, "seconds": 0.007}')[0].batch
    1
    >>> read_measurements('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", '
    ...                   '"batch": 0, "context": 512, "seconds": 0.007}', name="m.jsonl")
    Traceback (most recent call last):
        ...
    ValueError: m.jsonl line 1: batch must be an integer >= 1, got 0
    """
    points: list[Measurement] = []
    for number, line in enumerate(validate_text(name, text).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        if len(points) == MAX_MEASUREMENTS:
            raise ValueError(f"{where}: at most {MAX_MEASUREMENTS:,} measured steps are fitted "
                             "(one per line); keep a representative sample")
        record = json_value(where, line)
        if not isinstance(record, dict):
            raise ValueError(f"{where}: must be a JSON object, got {type(record).__name__}")
        unknown = sorted(set(record) - _FIELDS)
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}; allowed: "
                             f"{', '.join(sorted(_FIELDS))}")
        try:
            points.append(Measurement(**record))
        except TypeError:
            needed = ("model", "gpu", "phase", "batch", "context", "seconds")
            absent = [k for k in needed if k not in record]
            raise ValueError(f"{where}: missing {', '.join(absent)}") from None
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if not points:
        raise ValueError(f"{name}: no measurements (one JSON object per line expected)")
    return points


Predict = Callable[["Calibration"], float]


def _objective(predict: Sequence[Predict], measured: Sequence[float],
               params: tuple[float, float, float]) -> float:
    cal = Calibration(mbu=params[0], mfu=params[1], overhead_s=params[2])
    error = math.fsum(math.log(f(cal) / m) ** 2 for f, m in zip(predict, measured))
    prior = (math.log(params[0] / DEFAULT_MBU) ** 2 + math.log(params[1] / DEFAULT_MFU) ** 2
             + ((params[2] - DEFAULT_OVERHEAD_S) / 1e-3) ** 2)
    return error + PRIOR_WEIGHT * prior


def _clip(name: str, value: float) -> float:
    low, high = BOUNDS[name]
    return min(high, max(low, value))


def fit_efficiencies(predict: Sequence[Predict], measured: Sequence[float], *,
                     tolerance: float = 1e-6) -> Calibration:
    """The bounded ``mbu``, ``mfu``, ``overhead_s`` that best match ``measured``, where
    ``predict[i](calibration)`` is the library's value for ``measured[i]`` (any
    quantity that scales with step time: seconds, a latency, a throughput).

    A coordinate search on a shrinking grid (deterministic, standard library),
    minimising squared log errors plus a small pull towards the defaults; it
    stops when the mbu step falls below ``tolerance``.
    """
    predict, measured = items("predict", predict), items("measured", measured)
    for function in predict:
        if not callable(function):
            raise ValueError(f"predict must hold functions of a calibration, got {describe(function)}")
    if len(predict) != len(measured):
        raise ValueError(f"predict and measured must be equally long and non-empty, got "
                         f"{len(predict)} and {len(measured)}")
    for value in measured:
        positive_number("measured", value)
    names = ("mbu", "mfu", "overhead_s")
    best = (DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S)
    steps = [0.2, 0.2, 0.005]
    score = _objective(predict, measured, best)
    while steps[0] >= tolerance:
        improved = False
        for i, name in enumerate(names):
            for sign in (-1, 1):
                trial = list(best)
                trial[i] = _clip(name, trial[i] + sign * steps[i])
                value = _objective(predict, measured, (trial[0], trial[1], trial[2]))
                if value < score:
                    best, score, improved = (trial[0], trial[1], trial[2]), value, True
        if not improved:
            steps = [s / 2 for s in steps]
    return Calibration(mbu=best[0], mfu=best[1], overhead_s=best[2])


class _SharedModels:
    """The step models of the points' deployments under one calibration at a time: a
    fit tries a few hundred calibrations, each predicting every point, so each
    deployment's model is built once per calibration, not once per point."""

    def __init__(self) -> None:
        self._calibration: Calibration | None = None
        self._models: dict[tuple, StepModel] = {}

    def predict(self, point: Measurement, calibration: Calibration) -> float:
        """``point.predict_s(calibration)``, from the shared model."""
        if calibration is not self._calibration:
            self._calibration, self._models = calibration, {}
        key = _deployment_key(point)
        sm = self._models.get(key)
        if sm is None:
            sm = self._models[key] = StepModel(point.deployment(calibration))
        if point.phase == "decode":
            return sm.decode_time_s(point.batch, point.batch * point.context)
        return sm.prefill_time_s(point.context, 0, point.batch)


def _deployment_key(p: Measurement) -> tuple:
    return (p.model, p.gpu, p.gpus, p.weight_dtype, p.kv_dtype)


def calibrate(points: list[Measurement]) -> Calibration:
    """Fit ``mbu``, ``mfu`` and ``overhead_s`` to measured steps (module docstring).

    At most :data:`MAX_MEASUREMENTS` points on at most :data:`MAX_DEPLOYMENTS`
    deployments.
    """
    points = [instance("points", p, Measurement) for p in items("points", points)]
    if len(points) > MAX_MEASUREMENTS:
        raise ValueError(f"points must hold at most {MAX_MEASUREMENTS:,} measured steps, "
                         f"got {len(points):,}")
    deployments = {_deployment_key(p) for p in points}
    if len(deployments) > MAX_DEPLOYMENTS:
        raise ValueError(f"points must come from at most {MAX_DEPLOYMENTS} deployments (model, "
                         f"gpu, gpus, weight_dtype, kv_dtype), got {len(deployments):,}")
    shared = _SharedModels()
    fitted = fit_efficiencies([functools.partial(shared.predict, p) for p in points],
                              [p.seconds for p in points])
    mbu, mfu, overhead = fitted.mbu, fitted.mfu, fitted.overhead_s
    errors = tuple(
        PointError(line=i, phase=p.phase, batch=p.batch, context=p.context, measured_s=p.seconds,
                   predicted_s=p.predict_s(fitted),
                   rel_error=p.predict_s(fitted) / p.seconds - 1,
                   default_rel_error=p.predict_s() / p.seconds - 1)
        for i, p in enumerate(points, start=1)
    )
    gpus = tuple(sorted({p.gpu for p in points}))
    return Calibration(mbu=mbu, mfu=mfu, overhead_s=overhead, points=errors, gpus=gpus)
