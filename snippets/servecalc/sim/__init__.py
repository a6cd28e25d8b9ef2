"""A discrete-event simulator of one serving replica: queues, batches, KV blocks.

The calculators elsewhere in ``servecalc`` give steady-state answers. This
package runs a stream of requests (:mod:`servecalc.sim.workload`) through one
engine, step by step, and reports what each request saw: time to first token
(TTFT), time per output token (TPOT), end-to-end latency, and what the engine
did over time (batch size, KV-cache use, queue length).

* **Step times** come from the roofline step model
  (:class:`servecalc.step.StepModel`), so they move with the model, GPU,
  precision, tensor parallelism and the MBU/MFU assumptions.
* **KV memory** is the budget of :func:`servecalc.capacity.fit` (GPU memory x
  ``memory_utilization``, minus weights and a reserve) cut into blocks of
  ``block_size`` tokens, as in vLLM's PagedAttention. A sequence holds
  ``ceil(tokens / block_size)`` blocks and takes a new one when its last block
  fills. (Sliding-window layers are counted as full-attention layers, so such
  models come out slightly memory-pessimistic.)
* **Preemption by recomputation** (:mod:`servecalc.sim.running`).
* Token accounting follows :mod:`servecalc.latency`: a prefill of ``P``
  tokens yields the first output token; decode step ``j`` attends to
  ``P + j`` tokens; a request of ``O`` output tokens needs ``O - 1`` decode
  steps. TPOT of a request is ``(finish - first token) / (O - 1)``, the
  definition of vLLM's and most serving benchmarks.

Modules, in the order a run uses them:

* :mod:`~servecalc.sim.workload` -- arrival times (Poisson, gamma, bursts) and
  token counts (:mod:`~servecalc.sim.lengths`); :mod:`~servecalc.sim.traces` --
  recorded production traffic;
* :mod:`~servecalc.sim.engine` -- the replica (:class:`Engine`) and the per-step recorder;
* :mod:`~servecalc.sim.running` -- the running set and its KV blocks (join, preempt, end step);
* :mod:`~servecalc.sim.policies` -- one function per policy (``static``,
  ``continuous``, ``chunked``); :mod:`~servecalc.sim.single` -- the
  ``max_batch=1`` short path (an M/D/1 queue by Lindley's recursion);
  :mod:`~servecalc.sim.speculative` -- the loop with speculative decoding
  (``Engine(speculative=...)``: random accepted tokens per step, no short paths);
* :mod:`~servecalc.sim.result`, :mod:`~servecalc.sim.stats` -- what a run measured;
* :mod:`~servecalc.sim.api` -- :func:`simulate`, :func:`saturation_rate`,
  :func:`simulate_poisson`;
* :mod:`~servecalc.sim.prefix` -- automatic prefix caching in the KV pool, for
  workloads that carry prefix block hashes (:mod:`~servecalc.sim.sessions`: a
  shared system prompt, multi-turn chats; the ``mooncake-conv-2025`` trace);
* :mod:`~servecalc.sim.fleet` -- replicas behind a round-robin, least-loaded or
  prefix-aware router, simulated side by side.

>>> engine = Engine("llama-3.1-8b", "h100-sxm")
>>> work = poisson_workload(rate=4.0, requests=200, prompt=512, output=128, seed=1)
>>> r = simulate(engine, work, policy="continuous")
>>> r.requests, r.preemptions
(200, 0)
"""

from __future__ import annotations

from .api import DEFAULT_SLO, saturation_rate, simulate, simulate_poisson
from .engine import DEFAULT_CHUNK_TOKENS, DEFAULT_MAX_BATCH, POLICIES, Engine
from .result import SimResult
from .stats import Percentiles, TimelinePoint, percentile, summarize
from .lengths import Choice, Fixed, Lengths, LogNormal, Uniform, as_lengths
from .workload import Workload, burst_workload, gamma_workload, make_workload, poisson_workload

__all__ = [
    "DEFAULT_CHUNK_TOKENS", "DEFAULT_MAX_BATCH", "DEFAULT_SLO", "POLICIES", "Choice", "Engine",
    "Fixed", "Lengths", "LogNormal", "Percentiles", "SimResult", "TimelinePoint", "Uniform",
    "Workload", "as_lengths", "burst_workload", "gamma_workload", "make_workload", "percentile", "poisson_workload",
    "saturation_rate", "simulate", "simulate_poisson", "summarize",
]
