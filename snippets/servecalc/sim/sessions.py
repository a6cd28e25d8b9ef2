"""Synthetic traffic with reusable prefixes: a shared system prompt, multi-turn chats.

Each request carries prefix block hashes (:attr:`~servecalc.sim.workload.Workload.prefix_hashes`,
one ID per ``block_tokens`` tokens) for the prefix cache (:mod:`servecalc.sim.prefix`):

* :func:`with_shared_prefix` -- every prompt begins with the same ``tokens`` tokens (a
  system prompt, a tool schema, few-shot examples);
* :func:`chat_workload` -- conversations (or agent sessions) of several turns: each
  turn's prompt is the whole conversation so far (previous prompt, its answer) plus a
  new message, so its prefix grows turn by turn.

IDs: block ``j`` of the shared prefix is ``j``; every other block gets a fresh ID, the
same for the same block of one conversation in every turn.

>>> from .workload import burst_workload
>>> w = with_shared_prefix(burst_workload(2, prompt=40, output=8), 32, block_tokens=16)
>>> w.prompts, w.prefix_hashes
((72, 72), ((0, 1, 2, 3, 4), (0, 1, 5, 6, 7)))
"""

from __future__ import annotations

import dataclasses
import math
import random

from ..validate import DURATION, REQUESTS, SEQUENCE_TOKENS, non_negative_int, non_negative_number, positive_int, positive_number
from .lengths import Fixed, Lengths, as_lengths
from .workload import Workload


def _shared(tokens: int) -> int:
    shared = non_negative_int("shared_prefix", tokens)
    if shared > SEQUENCE_TOKENS.high:
        raise ValueError(f"shared_prefix must be at most {SEQUENCE_TOKENS.high:,} "
                         f"({SEQUENCE_TOKENS.what}), got {tokens!r}")
    return shared


def with_shared_prefix(work: Workload, shared_prefix: int, *, block_tokens: int = 16) -> Workload:
    """``work`` with ``shared_prefix`` shared tokens put before every prompt (the prompts
    grow by that much), hashed in blocks of ``block_tokens``.

    >>> from .workload import burst_workload
    >>> with_shared_prefix(burst_workload(1, prompt=10, output=2), -1)
    Traceback (most recent call last):
        ...
    ValueError: shared_prefix must be an integer >= 0, got -1
    """
    shared = _shared(shared_prefix)
    hb = positive_int("block_tokens", block_tokens)
    if not isinstance(work, Workload):
        raise ValueError(f"work must be a servecalc.sim.Workload, got {work!r}")
    common = shared // hb
    fresh = common
    prompts, hashes = [], []
    for p in work.prompts:
        length = p + shared
        blocks = -(-length // hb)
        hashes.append(tuple(range(common)) + tuple(range(fresh, fresh + blocks - common)))
        fresh += blocks - common
        prompts.append(length)
    label = f"{work.description}, {shared:,} shared prefix tokens"
    return dataclasses.replace(work, prompts=tuple(prompts), prefix_hashes=tuple(hashes),
                               hash_block_tokens=hb, description=label)


def chat_workload(rate: float, requests: int, *, turns: int, think_s: float = 5.0,
                  prompt: int | str | Lengths = 256, output: int | str | Lengths = 256,
                  shared_prefix: int = 0, seed: int = 0, block_tokens: int = 16) -> Workload:
    """``requests`` requests at about ``rate`` per second from conversations of ``turns``
    turns: conversations start as a Poisson process of ``rate / turns`` per second, and
    each sends its next turn ``think_s`` seconds after the previous one (an open loop: the
    user does not wait for the answer, a simplification). Turn ``t``'s prompt is
    ``shared_prefix`` + the first ``t - 1`` turns' messages and answers + a new message
    (message lengths drawn from ``prompt``, answers from ``output``). Agent sessions are
    the same with many turns and a short ``think_s``.

    >>> w = chat_workload(1.0, 3, turns=3, prompt=20, output=12, think_s=2.0, block_tokens=16)
    >>> w.prompts, [round(t - w.arrivals[0], 6) for t in w.arrivals]
    ((20, 52, 84), [0.0, 2.0, 4.0])
    >>> w.prefix_hashes                            # the same IDs for the same blocks
    ((0, 1), (0, 1, 2, 3), (0, 1, 2, 3, 4, 5))
    >>> chat_workload(1.0, 3, turns=0)
    Traceback (most recent call last):
        ...
    ValueError: turns must be an integer >= 1, got 0
    """
    lam = positive_number("rate", rate)
    n = positive_int("requests", requests)
    t_count = positive_int("turns", turns)
    if t_count > REQUESTS.high:
        raise ValueError(f"turns must be at most {REQUESTS.high:,}, got {turns!r}")
    think = non_negative_number("think_s", think_s)
    if think > DURATION.high:
        raise ValueError(f"think_s must be at most {DURATION.high:g}, got {think_s!r}")
    shared = _shared(shared_prefix)
    seed = non_negative_int("seed", seed)
    hb = positive_int("block_tokens", block_tokens)
    messages, answers = as_lengths("prompt", prompt), as_lengths("output", output)
    sessions = -(-n // t_count)
    used = min(t_count, n)                  # turns any conversation gets to send
    gaps, rm, ro = random.Random(3 * seed), random.Random(3 * seed + 1), random.Random(3 * seed + 2)
    rows: list[tuple[float, int, int, int, tuple[int, ...]]] = []
    common = shared // hb
    fresh = common
    start = 0.0
    for s in range(sessions):
        start += -math.log(1.0 - gaps.random()) * t_count / lam
        lengths = [_draw(messages, rm) for _ in range(used)]
        replies = [_draw(answers, ro) for _ in range(used)]
        total = shared + sum(lengths) + sum(replies)
        ids = tuple(range(common)) + tuple(range(fresh, fresh + -(-total // hb) - common))
        fresh += len(ids) - common
        before = shared
        for t in range(used):
            length = before + lengths[t]
            rows.append((start + t * think, s, length, replies[t], ids[:-(-length // hb)]))
            before = length + replies[t]
    rows.sort(key=lambda r: (r[0], r[1]))
    rows = rows[:n]
    label = (f"{t_count}-turn chats, {lam:g} requests/s, {think:g} s apart, message "
             f"{messages.describe()}, answer {answers.describe()}"
             + (f", {shared:,} shared prefix tokens" if shared else ""))
    zero = rows[0][0]
    return Workload(tuple(r[0] - zero for r in rows), tuple(r[2] for r in rows),
                    tuple(r[3] for r in rows), label, prefix_hashes=tuple(r[4] for r in rows),
                    hash_block_tokens=hb)


def _draw(spec: Lengths, rng: random.Random) -> int:
    return spec.value if isinstance(spec, Fixed) else spec.sample(rng)
