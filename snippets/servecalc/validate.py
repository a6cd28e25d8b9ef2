"""Argument checks shared by every public function, and the limits they enforce.

Each check raises ``ValueError`` whose message names the argument, the value it
got and what is allowed, so a reader (or the CLI) can act on it. Nothing else
escapes for bad input: huge integers, ``None``, ``bool``, strings, NaN and
infinities all end here as ``ValueError``.

Every numeric check also applies the documented bound of :data:`LIMITS` for its
argument name (``context``, ``batch``, ``requests``, ``rate`` ...): sizes no
deployment reaches are refused before anything is allocated, so a typo cannot
make the library run out of memory or print a 309-digit figure. Names not in
the table still get :data:`ANY_NUMBER`, which keeps every result finite.

>>> positive_int("batch", 8)
8
>>> positive_int("batch", 0)
Traceback (most recent call last):
    ...
ValueError: batch must be an integer >= 1, got 0
>>> positive_int("requests", 10**11)
Traceback (most recent call last):
    ...
ValueError: requests must be at most 1,000,000 (requests in one simulation or workload; see `servecalc limits`), got 100000000000
>>> fraction("mbu", 1.5)
Traceback (most recent call last):
    ...
ValueError: mbu must be a number in (0, 1], got 1.5
>>> fraction("mbu", 5e-324)
Traceback (most recent call last):
    ...
ValueError: mbu must be at least 0.001 (an efficiency or utilization; see `servecalc limits`), got 5e-324
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """Bounds for one kind of argument: ``low`` applies to values above zero."""

    low: float
    high: float
    what: str


SEQUENCE_TOKENS = Limit(1, 2**24, "tokens in one sequence")
STEP_TOKENS = Limit(1, 2**34, "tokens in one step or batch")
BATCH = Limit(1, 2**20, "sequences in one batch")
REQUESTS = Limit(1, 10**6, "requests in one simulation or workload")
GPUS = Limit(1, 2**16, "GPUs in one group")
RATE = Limit(1e-6, 1e6, "arrivals per second")
PRICE = Limit(1e-6, 1e4, "US dollars per GPU-hour or per million tokens")
DURATION = Limit(1e-9, 1e9, "seconds")
EFFICIENCY = Limit(1e-3, 1, "an efficiency or utilization")
HARDWARE_RATE = Limit(1e3, 1e20, "bytes or FLOP per second of an accelerator or link")
POINTS = Limit(1, 10**5, "points in a chart")
MODEL_DIM = Limit(1, 2**24, "a model dimension: layers, widths, heads, vocabulary, experts")
#: A simulation's work, counted up front as its output tokens divided by the sequences
#: that can run at once (:func:`servecalc.sim.engine.check_work`).
ENGINE_STEPS = Limit(1, 10**6, "engine steps in one simulation: output tokens / sequences "
                     "that fit at once")
SIGMA = Limit(1e-3, 3, "log-normal shape; above 3 the median is under 1.2 % of the mean")
#: Any other number: finite and far enough from overflow that a product of two
#: of them stays finite (a name that divides gets its own floor above).
ANY_NUMBER = Limit(0, 1e30, "any number")

#: The documented bounds, by argument name (``servecalc limits`` prints them).
LIMITS: dict[str, Limit] = {
    **dict.fromkeys(("context", "prompt", "output", "prompts", "outputs", "values",
                     "low", "high", "past_tokens", "decode_context", "max_context", "window",
                     "mean_tokens", "block_size", "chunk", "chunk_tokens", "input_lens",
                     "output_lens"), SEQUENCE_TOKENS),
    **dict.fromkeys(("tokens", "total_context_tokens", "decode_context_tokens",
                     "max_batched_tokens"), STEP_TOKENS),
    **dict.fromkeys(("batch", "max_batch", "decode_batch", "sequences", "batches",
                     "concurrency"), BATCH),
    **dict.fromkeys(("requests", "count", "samples", "completed"), REQUESTS),
    "gpus": GPUS,
    **dict.fromkeys(("rate", "arrival_rate_per_s", "requests_per_s", "peak_requests_per_s"),
                    RATE),
    **dict.fromkeys(("price_usd_per_hour", "api_usd_per_million_input",
                     "api_usd_per_million_output"), PRICE),
    **dict.fromkeys(("ttft_s", "tpot_s", "latency_s", "duration_s", "step_s", "overhead_s",
                     "end_s"), DURATION),
    **dict.fromkeys(("mbu", "mfu", "utilization", "memory_utilization"), EFFICIENCY),
    **dict.fromkeys(("peak_bytes_per_s", "peak_flops_per_s", "bytes_per_s",
                     "bandwidth_bytes_per_s", "hbm_bandwidth_bytes_per_s", "bf16_flops_per_s",
                     "fp8_flops_per_s", "int8_ops_per_s", "interconnect_bytes_per_s",
                     "link_bytes_per_s"),
                    HARDWARE_RATE),
    **dict.fromkeys(("points", "chart_points"), POINTS),
    **dict.fromkeys(("num_layers", "hidden_size", "num_attention_heads", "num_kv_heads",
                     "head_dim", "intermediate_size", "vocab_size", "max_position_embeddings",
                     "num_experts", "experts_per_token", "moe_intermediate_size",
                     "num_shared_experts", "first_dense_layers", "kv_lora_rank", "q_lora_rank",
                     "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "sliding_window",
                     "sliding_window_layers", "norms_per_layer"), MODEL_DIM),
    "sigma": SIGMA,
    "engine_steps": ENGINE_STEPS,
}


def limit_rows() -> list[tuple[str, str, str]]:
    """(argument names, allowed range, what) for each documented limit.

    >>> [row for row in limit_rows() if "rate" in row[0]][0]
    ('rate, arrival_rate_per_s, requests_per_s, peak_requests_per_s', '1e-06 ... 1,000,000', 'arrivals per second')
    """
    grouped: dict[Limit, list[str]] = {}
    for name, limit in LIMITS.items():
        grouped.setdefault(limit, []).append(name)
    return [(", ".join(names), f"{show_number(limit.low)} ... {show_number(limit.high)}",
             limit.what) for limit, names in grouped.items()]


def limit_for(name: str) -> Limit:
    """The bound that applies to an argument called ``name``.

    ``requests[3] prompt`` and ``model.head_dim`` are bounded like ``prompt``
    and ``head_dim``; a name not in :data:`LIMITS` like any number.

    >>> limit_for("requests[3] prompt").high
    16777216
    >>> limit_for("cost_ratio") is ANY_NUMBER
    True
    """
    if not isinstance(name, str):
        return ANY_NUMBER
    if name in LIMITS:
        return LIMITS[name]
    words = re.findall(r"[A-Za-z_]\w*", name)
    return LIMITS.get(words[-1], ANY_NUMBER) if words else ANY_NUMBER


def describe(value: object) -> str:
    """``repr(value)``, shortened for huge integers and long text.

    >>> describe(10**400)
    'an integer of 401 digits'
    >>> describe("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100 characters)"
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        digits = math.floor(value.bit_length() * math.log10(2)) + 1
        return f"an integer of {digits} digits"
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:60]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """True for a finite int or float (not bool); huge ints never overflow here.

    >>> is_number(10**400), is_number(float("nan")), is_number(True), is_number("1")
    (True, False, False, False)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)




def show_number(number: float) -> str:
    """1,000,000 for round numbers under 1e15, else 1e-06 or 1.7e+10."""
    if not is_number(number) or abs(number) > ANY_NUMBER.high:
        raise ValueError(f"number must be a finite number, got {describe(number)}")
    if float(number).is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:g}"


def _check(name: str, value: object, wanted: str, *, integer: bool, zero: bool,
           high: float | None = None) -> int | float:
    """``value`` if it has the type and sign of ``wanted``, and lies within the limit."""
    if not (_is_int(value) if integer else is_number(value)) or value < 0 \
            or (value == 0 and not zero) or (high is not None and value > high):
        raise ValueError(f"{name} must be {wanted}, got {describe(value)}")
    limit = limit_for(name)
    about = "" if limit is ANY_NUMBER else f" ({limit.what}; see `servecalc limits`)"
    if value > limit.high:
        raise ValueError(f"{name} must be at most {show_number(limit.high)}{about}, "
                         f"got {describe(value)}")
    if 0 < value < limit.low:
        raise ValueError(f"{name} must be 0 or at least {show_number(limit.low)}{about}, "
                         f"got {describe(value)}" if zero else
                         f"{name} must be at least {show_number(limit.low)}{about}, "
                         f"got {describe(value)}")
    return value if integer else float(value)  # type: ignore[return-value]


def positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 1 within the limit for ``name``."""
    return _check(name, value, "an integer >= 1", integer=True, zero=False)  # type: ignore[return-value]


def non_negative_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 0 within the limit for ``name``.

    >>> non_negative_int("seed", 10**400)
    Traceback (most recent call last):
        ...
    ValueError: seed must be at most 1e+30, got an integer of 401 digits
    """
    return _check(name, value, "an integer >= 0", integer=True, zero=True)  # type: ignore[return-value]


def positive_number(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite, > 0 and within the limit for ``name``."""
    return _check(name, value, "a finite number > 0", integer=False, zero=False)  # type: ignore[return-value]


def non_negative_number(name: str, value: object) -> float:
    """Return ``value`` as a float if it is 0 or a positive number within the limit."""
    return _check(name, value, "a finite number >= 0", integer=False, zero=True)  # type: ignore[return-value]


def fraction(name: str, value: object) -> float:
    """Return ``value`` as a float if it lies in (0, 1] (and above the limit's floor)."""
    return _check(name, value, "a number in (0, 1]", integer=False, zero=False, high=1)  # type: ignore[return-value]


def unit_interval(name: str, value: object) -> float:
    """Return ``value`` as a float if it is 0 or lies in (0, 1] above the limit's floor."""
    return _check(name, value, "a number in [0, 1]", integer=False, zero=True, high=1)  # type: ignore[return-value]


def items(name: str, values: object, *, empty: bool = False) -> list:
    """Return ``values`` (a list, tuple, range or other iterable) as a list.

    At most :data:`REQUESTS`.high items, so a generator cannot run forever.

    >>> items("batches", (1, 8))
    [1, 8]
    >>> items("batches", 8)
    Traceback (most recent call last):
        ...
    ValueError: batches must be a list, got 8
    """
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list, got {describe(values)}")
    out = list(itertools.islice(values, REQUESTS.high + 1))
    if len(out) > REQUESTS.high:
        raise ValueError(f"{name} must hold at most {REQUESTS.high:,} items ({REQUESTS.what}; "
                         "see `servecalc limits`)")
    if not empty and not out:
        raise ValueError(f"{name} must hold at least one item, got none")
    return out


def instance(name: str, value: object, kind: type) -> object:
    """Return ``value`` if it is a ``kind``.

    >>> instance("deployment", "llama", dict)
    Traceback (most recent call last):
        ...
    ValueError: deployment must be a dict, got 'llama'
    """
    if not isinstance(kind, type):
        raise ValueError(f"kind must be a class, got {describe(kind)}")
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a {kind.__name__}, got {describe(value)}")
    return value


def text(name: str, value: object) -> str:
    """Return ``value`` if it is a string (a name, a source, a date).

    >>> text("source", None)
    Traceback (most recent call last):
        ...
    ValueError: source must be text, got None
    """
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {describe(value)}")
    return value


#: The longest JSON text the library parses (a calibration, a measurement file, a vLLM
#: result), in characters; a file is refused above as many bytes before it is read
#: (:func:`servecalc.files.read_text`), and the guide's boxes accept as many characters.
MAX_JSON_CHARS = 10_000_000
#: The deepest nesting of JSON arrays and objects it parses. A config.json is a few levels
#: deep; checked before parsing because in Pyodide very deep nesting overflows the
#: JavaScript stack (a fatal error) before Python's RecursionError is raised.
MAX_JSON_DEPTH = 64
#: A string literal (possessive: matched with no backtracking stack, so memory stays
#: constant however long the string) or one bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def json_depth(value: str) -> int:
    """How deeply the arrays and objects of JSON text nest (brackets in strings ignored).

    One pass over the text, no copy of it: memory stays constant whatever its length.

    >>> json_depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text("value", value)):
        bracket = value[match.start()]  # one character: a string literal is not copied
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in "]}":
            depth -= 1
    return deepest


def json_value(name: str, value: object) -> object:
    """Parse ``value``, JSON text; malformed, huge or too deeply nested text is a ValueError.

    >>> json_value("calibration", '{"mbu": 0.6}')
    {'mbu': 0.6}
    >>> json_value("calibration", "[" * 100_000)
    Traceback (most recent call last):
        ...
    ValueError: calibration is nested 100,000 levels deep; at most 64 are read
    >>> json_value("m.jsonl line 2", '{"batch": ' + "9" * 5000 + "}")
    Traceback (most recent call last):
        ...
    ValueError: m.jsonl line 2: a number has more than 4,300 digits (Python's limit for reading an integer); numbers here are at most 1e+30
    """
    text(name, value)
    if len(value) > MAX_JSON_CHARS:
        raise ValueError(f"{name} must be at most {MAX_JSON_CHARS:,} characters, got {len(value):,}")
    depth = json_depth(value)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"{name} is nested {depth:,} levels deep; at most {MAX_JSON_DEPTH} are read")
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except ValueError:  # an integer beyond int()'s digit limit (sys.get_int_max_str_digits)
        raise ValueError(f"{name}: a number has more than 4,300 digits (Python's limit for "
                         f"reading an integer); numbers here are at most "
                         f"{show_number(ANY_NUMBER.high)}") from None


def numbers(name: str, values: object) -> list[float]:
    """Return ``values`` as a list if each is a finite number >= 0 (times, counts ...).

    >>> numbers("ttfts", [0.5, 2])
    [0.5, 2]
    >>> numbers("ttfts", [0.5, float("nan")])
    Traceback (most recent call last):
        ...
    ValueError: ttfts[1] must be a finite number >= 0, got nan
    """
    listed = items(name, values, empty=True)
    try:  # the common case at C speed: three passes, no Python loop
        if not listed or (math.isfinite(math.fsum(listed)) and min(listed) >= 0
                          and max(listed) <= ANY_NUMBER.high):
            return listed
    except (TypeError, ValueError, OverflowError):
        pass
    for index, value in enumerate(listed):
        if not is_number(value) or not 0 <= value <= ANY_NUMBER.high:
            raise ValueError(f"{name}[{index}] must be a finite number >= 0, "
                             f"got {describe(value)}")
    raise ValueError(f"{name} must hold finite numbers >= 0")  # pragma: no cover


def finite_result(name: str, value: float, blame: str) -> float:
    """Return ``value`` if it is finite and >= 0, else blame the inputs named in ``blame``.

    A backstop for a result the limits did not keep finite.

    >>> finite_result("cost", float("inf"), "price_usd_per_hour")
    Traceback (most recent call last):
        ...
    ValueError: price_usd_per_hour gives a cost of inf; use a value closer to a real deployment
    """
    if not is_number(value) or not 0 <= value <= ANY_NUMBER.high:
        raise ValueError(f"{blame} gives a {name} of {describe(value)}; "
                         "use a value closer to a real deployment")
    return value


def text_fields(kind: str, spec: object, required: Iterable[str], optional: Iterable[str]) -> None:
    """Check that ``spec``'s ``required`` fields are non-empty strings and ``optional`` strings.

    >>> class Spec: id, source = "", "paper"
    >>> text_fields("model", Spec(), ["id"], ["source"])
    Traceback (most recent call last):
        ...
    ValueError: model.id must be a non-empty string, got ''
    """
    for field in items("required", required, empty=True):
        value = getattr(spec, text("field", field), None)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{kind}.{field} must be a non-empty string, got {value!r}")
    for field in items("optional", optional, empty=True):
        value = getattr(spec, text("field", field), None)
        if not isinstance(value, str):
            raise ValueError(f"{kind}.{field} must be a string, got {value!r}")


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``.

    >>> choice("phase", "decode", ["prefill", "decode"])
    'decode'
    >>> choice("phase", "train", ["prefill", "decode"])
    Traceback (most recent call last):
        ...
    ValueError: phase must be one of 'prefill', 'decode', got 'train'
    """
    options = list(allowed) if isinstance(allowed, dict) else items("allowed", allowed)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {listed}, got {describe(value)}")
    return value  # type: ignore[return-value]


def lookup(name: str, key: object, table: dict) -> object:
    """Return ``table[key]``; an unknown key names the closest known ones.

    >>> lookup("gpu", "h100", {"h100-sxm": 1, "h100-pcie": 2, "a100-80gb": 3})
    Traceback (most recent call last):
        ...
    ValueError: gpu 'h100' is not in the catalog; closest: 'h100-sxm', 'h100-pcie' (list them all with `servecalc gpus`)
    """
    import difflib

    if not isinstance(table, dict):
        raise ValueError(f"table must be a dict, got {describe(table)}")
    if isinstance(key, str) and key.lower() in table:
        return table[key.lower()]
    text = key if isinstance(key, str) else describe(key)
    wanted = text.lower()
    prefixed = [known for known in table if known.startswith(wanted)]
    contained = [known for known in table if wanted in known]
    similar = difflib.get_close_matches(wanted, list(table), n=3, cutoff=0.5)
    close = list(dict.fromkeys(prefixed + contained + similar))[:3]
    hint = "closest: " + ", ".join(repr(c) for c in close) if close else "no close match"
    raise ValueError(
        f"{name} {describe(key)} is not in the catalog; {hint} (list them all with `servecalc {name}s`)"
    )
