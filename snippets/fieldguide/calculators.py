"""The guide's interactive calculators.

Each calculator is a list of form fields and a function from typed field
values to result HTML (tables and charts made by our own code). At build time
``fieldguide.build.fences`` renders the form and the result for the defaults; in the
browser, the worker calls :func:`render_json` with the form's (or the URL's)
raw values whenever a control changes.

>>> html = render("kv_fit", {"model": "llama-3.1-8b", "context": "8192"})
>>> "KV cache per token" in html and "<svg" in html
True
>>> render("kv_fit", {"context": "-1"})
Traceback (most recent call last):
    ...
ValueError: context must be a whole number from 1 to 1,048,576, got '-1'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from .calc_calibrate import CALIBRATION, COMPARE
from .calc_capacity import CAPACITY, PLAN
from .calc_cost import COST
from .calc_kv import KV_FIT
from .calc_latency import LATENCY
from .calc_quant import QUANTIZATION
from .calc_roofline import ROOFLINE
from .calc_sim import FRONTIER, SIMULATOR
from .fields import Calculator
from .forms import parse_values, render_form

CALCULATORS: dict[str, Calculator] = {c.id: c for c in [KV_FIT, LATENCY, COST, QUANTIZATION, ROOFLINE, SIMULATOR, CAPACITY, PLAN,
                                                         CALIBRATION, COMPARE, FRONTIER]}


# ----------------------------------------------------------------- entry points

def get_calculator(name: str) -> Calculator:
    if name not in CALCULATORS:
        raise ValueError(f"calculator must be one of {', '.join(sorted(CALCULATORS))}, got {name!r}")
    return CALCULATORS[name]


def render(name: str, raw: Mapping[str, object], progress: Callable | None = None) -> str:
    """Result HTML of calculator ``name`` for raw (string) field values."""
    calc = get_calculator(name)
    values = parse_values(calc.fields, raw)
    if calc.long_running:
        values["progress"] = progress
    return calc.compute(**values)


def render_form_html(name: str) -> str:
    """The form of calculator ``name`` with its defaults (build time)."""
    calc = get_calculator(name)
    return render_form(calc.id, calc.title, calc.fields)


def render_json(name: str, raw_json: str, progress: Callable | None = None) -> str:
    """:func:`render` for the browser worker: JSON with ``html`` or ``error``.

    >>> json.loads(render_json("kv_fit", '{"gpu": "h100"}'))["error"].startswith(
    ...     "ValueError: gpu must be one of")
    True
    """
    try:
        raw = json.loads(raw_json)
        if not isinstance(raw, dict):
            raise ValueError("values must be a JSON object")
        return json.dumps({"html": render(name, raw, progress), "error": None})
    except Exception as exc:  # noqa: BLE001 - shown to the reader under the calculator
        return json.dumps({"html": None, "error": f"{type(exc).__name__}: {exc}"})
