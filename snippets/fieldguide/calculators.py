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
from .calc_hero import HERO
from .calc_kv import KV_FIT
from .calc_latency import LATENCY
from .calc_quant import QUANTIZATION
from .calc_roofline import ROOFLINE
from .calc_sim import FRONTIER, SIMULATOR
from .fields import LINK_WORK_BUDGET, Calculator
from .forms import parse_values, plain_message, render_form
from .practice_page import PRACTICE

CALCULATORS: dict[str, Calculator] = {c.id: c for c in [KV_FIT, LATENCY, COST, QUANTIZATION, ROOFLINE, SIMULATOR, CAPACITY, PLAN,
                                                         CALIBRATION, COMPARE, FRONTIER, PRACTICE, HERO]}


# ----------------------------------------------------------------- entry points

def get_calculator(name: str) -> Calculator:
    if name not in CALCULATORS:
        raise ValueError(f"calculator must be one of {', '.join(sorted(CALCULATORS))}, got {name!r}")
    return CALCULATORS[name]


class Held(Exception):
    """A link asks for more work than a link starts by itself (the message says how much)."""


def render(name: str, raw: Mapping[str, object], progress: Callable | None = None,
           from_link: bool = False) -> str:
    """Result HTML of calculator ``name`` for raw (string) field values.

    ``from_link``: the values come from a link, not from the reader's hands;
    beyond :data:`~fieldguide.fields.LINK_WORK_BUDGET` the run raises
    :class:`Held` before any work.

    >>> render("simulator", {"requests": "200000", "prompt": "131072"}, from_link=True)
    Traceback (most recent call last):
        ...
    fieldguide.calculators.Held: This link asks for about 26 billion simulated tokens (requests × (prompt + output)), more than the 10 million a link starts by itself: check the values, then press Run.
    """
    calc = get_calculator(name)
    values = parse_values(calc.fields, raw)
    if from_link and calc.work is not None:
        work = calc.work(values)
        if work > LINK_WORK_BUDGET:
            raise Held(
                f"This link asks for about {_spoken(work)} simulated tokens (requests × (prompt + output)), "
                f"more than the {_spoken(LINK_WORK_BUDGET)} a link starts by itself: "
                "check the values, then press Run.")
    if calc.long_running:
        values["progress"] = progress
    return calc.compute(**values)


def render_form_html(name: str) -> str:
    """The form of calculator ``name`` with its defaults (build time)."""
    calc = get_calculator(name)
    return render_form(calc.id, calc.title, calc.fields)


def _spoken(n: float) -> str:
    """A large count as a person says it: '26 billion', '10 million'.

    >>> _spoken(26_214_400_000), _spoken(10_000_000), _spoken(1_500_000)
    ('26 billion', '10 million', '1.5 million')
    """
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if n >= size:
            return f"{n / size:.2g} {word}" if n < 10 * size else f"{n / size:,.0f} {word}"
    return f"{n:,.0f}"


def render_json(name: str, raw_json: str, progress: Callable | None = None,
                from_link: bool = False) -> str:
    """:func:`render` for the browser worker: JSON with ``html`` or ``error``
    (or ``held``: the link's values wait for Run). With ``error`` come ``field``,
    the field it is about (or None), and ``message``, the sentence shown next to it
    (:func:`blame`).

    >>> json.loads(render_json("kv_fit", '{"gpu": "h100"}'))["error"].startswith(
    ...     "ValueError: gpu must be one of")
    True
    >>> reply = json.loads(render_json("kv_fit", '{"context": "-1"}'))
    >>> reply["field"], reply["message"]
    ('context', "Context must be a whole number from 1 to 1,048,576; you entered '-1'.")
    >>> json.loads(render_json("simulator", '{"requests": "200000"}', None, True))["held"][:36]
    'This link asks for about 154 million'
    """
    try:
        raw = json.loads(raw_json)
        if not isinstance(raw, dict):
            raise ValueError("values must be a JSON object")
        return json.dumps({"html": render(name, raw, progress, from_link), "error": None})
    except Held as held:
        return json.dumps({"html": None, "error": None, "held": str(held)})
    except Exception as exc:  # noqa: BLE001 - shown to the reader under the calculator
        field, plain = blame(name, exc)
        return json.dumps({"html": None, "error": f"{type(exc).__name__}: {exc}",
                           "field": field, "message": plain})


def blame(name: str, exc: Exception) -> tuple[str | None, str]:
    """The field an error is about (None if none) and the sentence shown to the reader.

    A value the form refused carries its field; an error the library raised later
    names its argument first ("price_usd_per_hour must be ..."), which is a field
    when the calculator has one of that name. Otherwise the reader gets the
    message without the exception's type.

    >>> blame("kv_fit", ValueError("kv_heads must divide heads (4), got 3"))
    ('kv_heads', 'KV heads must divide heads (4); you entered 3.')
    >>> blame("kv_fit", ValueError("unknown field 'x'; fields are ..."))
    (None, "Unknown field 'x'; fields are ...")
    >>> blame("nope", ValueError("x"))
    (None, 'X')
    """
    if getattr(exc, "field", None) and getattr(exc, "plain", None):
        return exc.field, exc.plain  # type: ignore[attr-defined]
    text = str(exc) or type(exc).__name__
    calc = CALCULATORS.get(name)
    first = text.split(" ", 1)[0]
    for f in calc.fields if calc else ():
        if f.name == first and isinstance(exc, ValueError):
            return f.name, plain_message(f, text)
    if not isinstance(exc, ValueError):
        text = f"{type(exc).__name__}: {text}"
    return None, text[:1].upper() + text[1:]
