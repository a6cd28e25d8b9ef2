"""Reasoning workloads: hidden thinking tokens before the visible answer.

A reasoning model (DeepSeek-R1, Qwen3 in thinking mode, gpt-oss) first
generates thinking tokens the user does not see, then the answer. The engine
decodes both alike, so a request's output is ``thinking + answer`` tokens and
TTFT (the first token of any kind) says little about when the user sees
something: the **time to first answer token** (``ttfat``) does.

The simulator keeps each request's first and last token times, not every gap,
so token ``k`` is placed at ``first + (k - 1) x TPOT`` with the request's own
mean TPOT; the first answer token is token ``thinking + 1``:

    ttfat = ttft + thinking x TPOT

(exact for a request whose decode steps all take the same time; a step grows
slowly with the context, so a lone request's true time differs by a small
fraction of a step per token, and the tests bound it).

>>> from .workload import make_workload
>>> w, thinking = with_thinking(make_workload([0.0, 1.0], [100, 100], [10, 20]), 30)
>>> w.outputs, thinking
((40, 50), (30, 30))
>>> answer_times([0.0], [0.5], [4.4], [40], [30])
[3.5]
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ..validate import describe, items, non_negative_int, numbers, positive_int
from .lengths import Lengths, as_lengths
from .workload import Workload

#: Thinking lengths draw from their own generator, seeded this plus the workload's seed,
#: so adding thinking leaves arrivals, prompts and answers as they were.
THINKING_SEED_OFFSET = 1_000_003
#: The most thinking tokens a request may draw: DeepSeek-R1's evaluations capped generation
#: at 32,768 tokens (DeepSeek-AI, "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs
#: via Reinforcement Learning", arXiv:2501.12948, 2025, section 3).
MAX_THINKING = 32_768


def thinking_lengths(value: int | str | Lengths | None) -> Lengths | None:
    """``--thinking``: None or 0 for none, else a length distribution (as ``--output``).

    >>> thinking_lengths(0) is None, thinking_lengths("lognormal:2000,1.0")
    (True, LogNormal(mean_tokens=2000.0, sigma=1.0, low=1, high=32768))
    >>> thinking_lengths(40_000)
    Traceback (most recent call last):
        ...
    ValueError: thinking must be at most 32,768 tokens per request (the longest reasoning DeepSeek-R1 was evaluated with), got 40000
    >>> thinking_lengths(-5)
    Traceback (most recent call last):
        ...
    ValueError: thinking must be an integer >= 0, got -5
    """
    if value is None or (isinstance(value, str) and value.strip() == "0"):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if non_negative_int("thinking", value) == 0:
            return None
    spec = as_lengths("thinking", value)
    if spec.maximum > MAX_THINKING:
        raise ValueError(f"thinking must be at most {MAX_THINKING:,} tokens per request (the "
                         f"longest reasoning DeepSeek-R1 was evaluated with), got "
                         f"{spec.describe()}")
    return spec


def with_thinking(work: Workload, thinking: int | str | Lengths | None, seed: int = 0
                  ) -> tuple[Workload, tuple[int, ...]]:
    """``work`` with each request's output lengthened by its thinking tokens, and those
    counts (all 0 without thinking). ``seed`` picks the draws of a distribution.

    >>> from .workload import make_workload
    >>> with_thinking(make_workload([0.0], [10], [5]), None)[1]
    (0,)
    >>> with_thinking(make_workload([0.0], [10], [5]), "uniform:1-9", seed=2)[1]
    (3,)
    """
    if not isinstance(work, Workload):
        raise ValueError(f"work must be a servecalc.sim.Workload, got {describe(work)}")
    spec = thinking_lengths(thinking)
    if spec is None:
        return work, (0,) * len(work)
    rng = random.Random(THINKING_SEED_OFFSET + non_negative_int("seed", seed))
    drawn = tuple(spec.sample(rng) for _ in range(len(work)))
    outputs = tuple(o + t for o, t in zip(work.outputs, drawn))
    label = f"{work.description}, thinking {spec.describe()}".lstrip(", ")
    return Workload(work.arrivals, work.prompts, outputs, label, work.concurrency), drawn


def answer_times(sends: Sequence[float], first: Sequence[float], finish: Sequence[float],
                 outputs: Sequence[int], thinking: Sequence[int]) -> list[float]:
    """Each request's time to first answer token, from its send (see the module
    docstring): ``first - send + thinking x (finish - first) / (outputs - 1)``."""
    columns = [numbers(name, values) for name, values in
               (("sends", sends), ("first", first), ("finish", finish))]
    outs = [positive_int("outputs", o) for o in items("outputs", outputs)]
    thought = [non_negative_int("thinking", t) for t in items("thinking", thinking)]
    if len({len(c) for c in columns} | {len(outs), len(thought)}) != 1:
        raise ValueError("sends, first, finish, outputs and thinking must have one entry per "
                         f"request, got lengths {[len(c) for c in columns]}, {len(outs)} and "
                         f"{len(thought)}")
    out = []
    for s, f, e, o, t in zip(*columns, outs, thought):
        if not s <= f <= e or t >= o:
            raise ValueError(f"each request needs send <= first <= finish and thinking < "
                             f"outputs, got {s!r}, {f!r}, {e!r}, {t!r}, {o!r}")
        gap = (e - f) / (o - 1) if o > 1 else 0.0
        out.append(f - s + t * gap)
    return out
