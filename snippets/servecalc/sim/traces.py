"""Recorded production traffic: the Azure LLM inference traces of 2023 and Mooncake's
conversation trace of 2025, replayed.

Two one-hour traces of requests to LLM inference services in Azure, collected
on 2023-11-16 and published for the Splitwise paper: for each request its
arrival time and its input (context) and output (generated) token counts.

* ``azure-conv-2023`` -- a conversation (chat) service;
* ``azure-code-2023`` -- a coding assistant: long prompts, short answers.

Source and attribution: Microsoft Azure, "Azure LLM inference trace 2023",
https://github.com/Azure/AzurePublicDataset (AzureLLMInferenceDataset2023.md),
licensed CC-BY 4.0 (the license text ships next to the data,
``servecalc/sim/data/LICENSE-azure-llm-inference-2023.txt``). Please cite:
Pratyush Patel, Esha Choukse, Chaojie Zhang, Aashaka Shah, Inigo Goiri,
Saeed Maleki and Ricardo Bianchini, "Splitwise: Efficient Generative LLM
Inference Using Phase Splitting", ISCA 2024.

Changes made: arrival times are kept to the millisecond and stored as gaps
(``tools/azure_traces.py`` converts the published CSV files); token counts
are unchanged. Replays start at time zero.

* ``mooncake-conv-2025`` -- one hour of Moonshot AI's Kimi chat service as
  published for the Mooncake paper: arrival, input and output lengths, and
  for each request one hash ID per 512-token block of its prompt (equal IDs
  at the same position: a reusable prefix), which the simulator's prefix
  cache (:mod:`servecalc.sim.prefix`) reuses. Its 512-token hash blocks are
  cached as units of 32 blocks of 16 tokens (the engine's ``block_size``
  must divide 512).

Source and attribution: Moonshot AI and Tsinghua University, Mooncake,
https://github.com/kvcache-ai/Mooncake, ``FAST25-release/traces/conversation_trace.jsonl``
(commit 3b5a594), licensed Apache-2.0 (the license text ships next to the
data, ``servecalc/sim/data/LICENSE-mooncake-conv-2025.txt``). Please cite:
Ruoyu Qin et al., "Mooncake: Trading More Storage for Less Computation -- A
KVCache-centric Architecture for Serving LLM Chatbot", USENIX FAST 2025.
Changes made: the JSON lines are rewritten as CSV rows with arrival gaps and
runs of consecutive hash IDs shortened (``tools/mooncake_trace.py``); every
request, length and ID is kept.

>>> t = trace_info("azure-conv-2023")
>>> t.requests, round(t.mean_rate_per_s, 3), round(t.mean_prompt), round(t.mean_output)
(19366, 5.53, 1155, 211)
>>> w = trace_workload("azure-code-2023", requests=3)
>>> w.arrivals, w.prompts, w.outputs
((0.0, 0.052, 0.099), (4808, 3180, 110), (10, 8, 27))
>>> trace_workload("azure-code-2023", rate_scale=2.0, requests=3).arrivals
(0.0, 0.026, 0.0495)
>>> m = trace_workload("mooncake-conv-2025", requests=3)
>>> m.prompts, m.prefix_hashes[1], m.hash_block_tokens
((6758, 7322, 7236), (0, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27), 512)
>>> trace_workload("azure-chat")
Traceback (most recent call last):
    ...
ValueError: trace 'azure-chat' is not one of 'azure-conv-2023', 'azure-code-2023', 'mooncake-conv-2025'
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..validate import DURATION, describe, non_negative_int, positive_int, positive_number
from .workload import Workload

#: Trace name -> (file in ``servecalc/sim/data``, what it is).
TRACES: dict[str, tuple[str, str]] = {
    "azure-conv-2023": ("azure-conv-2023.csv.gz", "Azure LLM inference 2023, conversation"),
    "azure-code-2023": ("azure-code-2023.csv.gz", "Azure LLM inference 2023, code"),
    "mooncake-conv-2025": ("mooncake-conv-2025.csv.gz",
                           "Mooncake conversation trace 2025 (Kimi chat)"),
}
#: Tokens per prefix-hash block of the traces that carry hashes.
HASH_BLOCK_TOKENS = {"mooncake-conv-2025": 512}

SOURCE = (
    "Microsoft Azure, Azure LLM inference trace 2023, "
    "https://github.com/Azure/AzurePublicDataset (AzureLLMInferenceDataset2023.md), CC-BY 4.0; "
    "Patel et al., \"Splitwise: Efficient Generative LLM Inference Using Phase Splitting\", "
    "ISCA 2024"
)
MOONCAKE_SOURCE = (
    "Mooncake, https://github.com/kvcache-ai/Mooncake, FAST25-release/traces/"
    "conversation_trace.jsonl (commit 3b5a594), Apache-2.0; Qin et al., \"Mooncake: Trading "
    "More Storage for Less Computation - A KVCache-centric Architecture for Serving LLM "
    "Chatbot\", USENIX FAST 2025"
)


@dataclass(frozen=True, kw_only=True)
class TraceInfo:
    """What a trace holds: request count, span and mean rate, mean lengths."""

    name: str
    description: str
    requests: int
    duration_s: float
    mean_rate_per_s: float
    mean_prompt: float
    mean_output: float
    source: str = SOURCE


def _check(name: str) -> str:
    if not isinstance(name, str) or name not in TRACES:
        listed = ", ".join(repr(k) for k in TRACES)
        raise ValueError(f"trace {describe(name)} is not one of {listed}")
    return name


@lru_cache(maxsize=None)
def _load(name: str) -> Workload:
    file, description = TRACES[name]
    raw = resources.files(__package__).joinpath("data", file).read_bytes()
    lines = gzip.decompress(raw).decode("ascii").split("\n")
    arrivals, prompts, outputs = [], [], []
    hashes: list[tuple[int, ...]] = []
    fresh = 0                   # the next hash ID never seen (``+K``: K of them)
    ms = 0
    for line in lines[1:]:
        if not line:
            continue
        gap, prompt, output, *rest = line.split(",")
        ms += int(gap)
        arrivals.append(ms / 1000)
        prompts.append(int(prompt))
        outputs.append(int(output))
        if rest:
            ids: list[int] = []
            for part in rest[0].split():
                if part[0] == "+":            # K IDs never seen before
                    ids.extend(range(fresh, fresh + int(part[1:])))
                    fresh += int(part[1:])
                elif "-" in part:             # a run A..B of IDs seen before
                    low, high = part.split("-")
                    ids.extend(range(int(low), int(high) + 1))
                else:
                    ids.append(int(part))
            hashes.append(tuple(ids))
    if name in HASH_BLOCK_TOKENS:
        return Workload(tuple(arrivals), tuple(prompts), tuple(outputs), description,
                        prefix_hashes=tuple(hashes), hash_block_tokens=HASH_BLOCK_TOKENS[name])
    return Workload(tuple(arrivals), tuple(prompts), tuple(outputs), description)


def trace_info(name: str) -> TraceInfo:
    """Counts and means of trace ``name`` (one of :data:`TRACES`)."""
    work = _load(_check(name))
    n = len(work)
    span = work.arrivals[-1] - work.arrivals[0]
    return TraceInfo(name=name, description=TRACES[name][1], requests=n, duration_s=span,
                     mean_rate_per_s=(n - 1) / span, mean_prompt=math.fsum(work.prompts) / n,
                     mean_output=math.fsum(work.outputs) / n,
                     source=MOONCAKE_SOURCE if name.startswith("mooncake") else SOURCE)


def trace_workload(name: str, *, rate_scale: float = 1.0, requests: int | None = None,
                   start: int = 0) -> Workload:
    """Trace ``name`` as a workload: its arrivals divided by ``rate_scale`` (2.0 replays
    it twice as fast, the same requests in half the time), ``requests`` requests
    (default: all) from request ``start`` on, token counts as recorded. The first
    request arrives at time zero.

    >>> w = trace_workload("azure-conv-2023", requests=2, start=19365)
    >>> w.arrivals, w.prompts
    ((0.0,), (197,))
    """
    work = _load(_check(name))
    scale = positive_number("rate_scale", rate_scale)
    first = non_negative_int("start", start)
    if first >= len(work):
        raise ValueError(f"start must be an integer below {len(work)} (the trace's requests), "
                         f"got {start!r}")
    n = len(work) - first if requests is None else positive_int("requests", requests)
    end = min(first + n, len(work))
    zero = work.arrivals[first]
    span = (work.arrivals[end - 1] - zero) / scale
    if span > DURATION.high:
        raise ValueError(f"rate_scale {scale:g} stretches these {end - first:,} requests over "
                         f"{span:,.0f} s; at most {DURATION.high:,.0f} s ({DURATION.what}; see "
                         f"`servecalc limits`): use a larger rate_scale or fewer requests")
    arrivals = tuple((t - zero) / scale for t in work.arrivals[first:end])
    label = work.description if scale == 1 else f"{work.description}, rate x {scale:g}"
    hashes = None if work.prefix_hashes is None else work.prefix_hashes[first:end]
    return Workload(arrivals, work.prompts[first:end], work.outputs[first:end], label,
                    prefix_hashes=hashes, hash_block_tokens=work.hash_block_tokens)
