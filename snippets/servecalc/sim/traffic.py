"""Traffic for searches over the arrival rate: one request stream, any rate.

>>> t = Traffic(prompt=Fixed(100), output=Fixed(10), trace=None, cv=1.0, requests=3, seed=0)
>>> [round(x, 3) for x in t.at(2.0).arrivals] == [round(x / 2, 3) for x in t.at(1.0).arrivals]
True
>>> len(Traffic(prompt=Fixed(1), output=Fixed(2), trace="azure-code-2023", cv=1.0,
...             requests=10, seed=0).longer(4, 1, 4).base)
40
"""

from __future__ import annotations

import dataclasses
import math

from .lengths import Fixed, Lengths, as_lengths
from .traces import trace_info, trace_workload
from .workload import Workload, gamma_workload


def _wrapped(trace: str, start: int, requests: int) -> Workload:
    """``requests`` requests of ``trace`` from ``start``, wrapping to its beginning
    (one mean gap after its end) as often as needed."""
    whole = trace_workload(trace)
    n = len(whole)
    span = whole.arrivals[-1] + whole.arrivals[-1] / (n - 1)
    arrivals, prompts, outputs = [], [], []
    hashes: list[tuple[int, ...]] = []
    known = whole.prefix_hashes
    # a later lap is other users: its prefix hashes are shifted past every ID of the trace
    shift = 1 + max((max(h) for h in known if h), default=0) if known is not None else 0
    for j in range(start, start + requests):
        lap, i = divmod(j, n)
        arrivals.append(lap * span + whole.arrivals[i] - whole.arrivals[start])
        prompts.append(whole.prompts[i])
        outputs.append(whole.outputs[i])
        if known is not None:
            hashes.append(tuple(h + lap * shift for h in known[i]) if lap else known[i])
    return dataclasses.replace(whole, arrivals=tuple(arrivals), prompts=tuple(prompts),
                               outputs=tuple(outputs),
                               prefix_hashes=tuple(hashes) if known is not None else None)


class Traffic:
    """The workload at any rate: unit-rate arrivals scaled, the same lengths (common
    random numbers across rates), from a seed or a stretch of a trace."""

    def __init__(self, *, prompt: int | str | Lengths, output: int | str | Lengths,
                 trace: str | None, cv: float, requests: int, seed: int) -> None:
        prompt, output = as_lengths("prompt", prompt), as_lengths("output", output)
        if trace is not None:
            info = trace_info(trace)
            start = (seed * requests) % info.requests
            base = _wrapped(trace, start, requests)
            self.unit_rate = (len(base) - 1) / base.arrivals[-1]
            self.label = f"{info.description} ({len(base)} requests from request {start})"
        else:
            base = gamma_workload(1.0, requests, cv=cv, prompt=prompt, output=output, seed=seed)
            self.unit_rate = 1.0
            arrivals = "Poisson" if cv == 1 else f"gamma arrivals, CV {cv:g}"
            self.label = f"{arrivals}, prompt {prompt.describe()}, output {output.describe()}"
        self.base = base
        self.mean_output = math.fsum(base.outputs) / len(base)
        self._args = dict(prompt=prompt, output=output, trace=trace, cv=cv, requests=requests)
        self.seed = seed

    def longer(self, times: int, k: int, checks: int) -> Traffic:
        """``times`` as many requests from the ``k``-th of ``checks`` other seeds (a trace:
        a later stretch)."""
        args = dict(self._args, requests=times * len(self.base))
        return Traffic(seed=self.seed * (checks + 1) + k, **args)  # type: ignore[arg-type]

    def at(self, rate: float) -> Workload:
        scale = self.unit_rate / rate
        base = self.base
        return dataclasses.replace(base, arrivals=tuple(t * scale for t in base.arrivals),
                                   concurrency=None)
