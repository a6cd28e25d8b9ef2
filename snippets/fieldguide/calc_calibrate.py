"""Calculators: calibrate the step model on measured steps (``servecalc calibrate``) and
check it against a ``vllm bench serve`` run (``servecalc compare``), in the browser.

Both show what the command line prints, from the same functions
(:mod:`servecalc.cli.calibrate`, :mod:`servecalc.cli.compare`); the calibration
comes out as the JSON that ``servecalc calibrate --json`` writes, ready to paste
into the latency and roofline calculators (or to save for ``--calibration``).

>>> html = calibration_calc(**{f.name: f.default for f in CALIBRATION.fields})
>>> "median |error|" in html and "servecalc-calibration/1" in html
True
>>> calibration_calc(measurements='{"phase": "decode"}')
Traceback (most recent call last):
    ...
ValueError: measurements line 1: missing model, gpu, batch, context, seconds
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import json
from importlib import resources

from servecalc.calibration import calibrate, read_measurements
from servecalc.cli.calibrate import POINT_HEADERS, point_rows, summary_rows
from servecalc.cli.compare import METRIC_HEADERS, metric_rows, replay_summary
from servecalc.compare import compare_vllm
from servecalc.vllm_result import read_vllm_result

from .fields import (Calculator, deployment_fields, deployment_of, efficiency_fields,
                     policy_field, policy_of)
from .forms import Field
from .html import copy_box, key_values, note, table
from .validation.measured import MEASURED

#: kipply's four FasterTransformer steps (a 13B model of the OPT-13B shape, fp16, A100
#: 40GB; :mod:`fieldguide.validation.measured`): case ID -> (GPUs, phase, context). A
#: decode step after a 512-token context with 10 tokens generated attends to 517 on average.
KIPPLY_STEPS = {
    "kipply-13b-a100-decode-tp1": (1, "decode", 517),
    "kipply-13b-a100-decode-tp2": (2, "decode", 517),
    "kipply-13b-a100-prefill-tp1": (1, "prefill", 512),
    "kipply-13b-a100-prefill-tp2": (2, "prefill", 512),
}


def example_measurements() -> str:
    """kipply's measured steps as ``servecalc calibrate`` reads them (JSON Lines), the
    times taken from the validation cases (milliseconds there, seconds here).

    >>> example_measurements().splitlines()[0]
    '{"model": "opt-13b", "gpu": "a100-40gb", "gpus": 1, "phase": "decode", "batch": 1, "context": 517, "seconds": 0.022, "weight_dtype": "fp16", "kv_dtype": "fp16"}'
    """
    cases = {c.id: c for c in MEASURED}
    return "\n".join(
        json.dumps({"model": "opt-13b", "gpu": "a100-40gb", "gpus": gpus, "phase": phase,
                    "batch": 1, "context": context,
                    "seconds": round(cases[case].published_value / 1000, 9),
                    "weight_dtype": "fp16", "kv_dtype": "fp16"})
        for case, (gpus, phase, context) in KIPPLY_STEPS.items())


def example_vllm_result() -> str:
    """An illustrative result in the layout ``vllm bench serve --save-result`` writes
    (the file the test suite builds its results from; its "measured" values are made up)."""
    return resources.files(__package__).joinpath("examples", "vllm-bench-serve.json").read_text(
        encoding="utf-8")


def _pasted(name: str, label: str, default: str, limit: int, accept: str, help: str) -> Field:  # noqa: A002
    """A box for pasted text of at most ``limit`` characters, or a file of type ``accept``."""
    return Field(name=name, label=label, kind="text", default=default, max=limit,
                 upload=accept, help=help)


def calibration_calc(measurements: str) -> str:
    cal = calibrate(read_measurements(measurements, name="measurements"))
    return (key_values(summary_rows(cal))
            + table(POINT_HEADERS, point_rows(cal),
                    caption="Each step: measured, predicted after the fit, and the error "
                    "after the fit and with the default efficiencies")
            + note("The calibration (what `servecalc calibrate --json` prints): copy it into "
                   "the Calibration box of the latency or roofline calculator, or save it "
                   "for --calibration.")
            + copy_box(json.dumps(cal.to_dict(), indent=2, allow_nan=False), "Calibration JSON"))


CALIBRATION = Calculator(
    id="calibration",
    title="Calibrate the step model on your measurements",
    fields=[
        _pasted("measurements", "Measured steps (JSON Lines)", example_measurements(),
                1_000_000, ".jsonl,.json,.txt",
                "One JSON object per line: model, gpu, gpus, phase (decode or prefill), "
                "batch, context, seconds, optionally weight_dtype and kv_dtype"),
    ],
    compute=calibration_calc,
)


def compare_calc(progress: Callable[[float], object] | None = None, **v: Any) -> str:
    result = read_vllm_result(v["vllm_result"], name="vllm_result")
    c = compare_vllm(result, deployment_of(v), policy=policy_of(v), seed=v["seed"],
                     max_batch=v["max_batch"] or None, progress=progress)
    return note(replay_summary(c)) + table(METRIC_HEADERS, metric_rows(c))


COMPARE = Calculator(
    id="compare",
    title="A vLLM benchmark against the simulator",
    fields=[
        _pasted("vllm_result", "vllm bench serve --save-result JSON", example_vllm_result(),
                50_000_000, ".json", "The JSON file that `vllm bench serve --save-result` "
                "writes (add --save-detailed for per-request lengths)"),
        *deployment_fields("llama-3.1-8b", "h100-sxm", 1),
        policy_field(),
        Field(name="max_batch", label="Most sequences at once", kind="int", default=0,
              min=0, max=4096, help="vLLM's --max-num-seqs (0: the engine preset's)"),
        Field(name="seed", label="Seed of the arrival times", kind="int", default=0, min=0,
              max=2**31 - 1),
        *efficiency_fields(calibration=True),
    ],
    compute=compare_calc,
    long_running=True,
)
