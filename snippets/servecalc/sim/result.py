"""What one simulation measured: :class:`SimResult` and how it is built from a run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..slo import Slo
from .engine import Engine, Recorder
from .stats import Percentiles, TimelinePoint, percentile, summarize, timeline, within_slo
from .workload import Workload


@dataclass(frozen=True, kw_only=True)
class SimResult:
    """What one simulation measured. Latencies in seconds; see :meth:`to_dict`.

    ``throughput_tokens_per_s`` counts output tokens per second and
    ``requests_per_s`` completed requests per second, both over ``duration_s``
    (first arrival to last completion). ``goodput_requests_per_s`` counts only
    requests that met ``slo`` (TTFT and TPOT both within its limits).
    ``mean_batch`` is the time-weighted mean number of sequences in the engine
    while it was busy.

    Named as vLLM's benchmark (``vllm bench serve``) names them: ``ttft_s`` from
    the client's send (the engine preset's request overhead included) to the
    first token; ``tpot_s``, per request, ``(e2e - ttft) / (output tokens - 1)``,
    requests of one output token left out; ``itl_mean_s``, the mean gap between
    consecutive tokens over every request's gaps (the token-weighted mean TPOT;
    the simulator does not keep each gap, so ITL has no percentiles here).
    ``interactivity_tokens_per_s_per_user`` is the median over requests of
    their output tokens per second after the first (``1 / TPOT``);
    ``input_throughput_tokens_per_s`` and ``output_throughput_tokens_per_s``
    count prompt and output tokens over ``duration_s``. ``concurrency`` is the
    closed loop's client count (None for an open arrival stream).
    """

    policy: str
    requests: int
    duration_s: float
    ttft_s: Percentiles
    tpot_s: Percentiles
    e2e_s: Percentiles
    queue_s: Percentiles
    output_tokens: int
    throughput_tokens_per_s: float
    requests_per_s: float
    goodput_requests_per_s: float
    slo: Slo
    slo_attainment: float
    preemptions: int
    steps: int
    busy_s: float
    mean_batch: float
    peak_batch: int
    kv_blocks: int
    peak_kv_utilization: float
    timeline: tuple[TimelinePoint, ...] = field(repr=False)
    arrivals: tuple[float, ...] = field(repr=False)
    first_token_s: tuple[float, ...] = field(repr=False)
    finish_s: tuple[float, ...] = field(repr=False)
    start_s: tuple[float, ...] = field(repr=False)
    concurrency: int | None = None
    input_tokens: int = 0
    input_throughput_tokens_per_s: float = 0.0
    output_throughput_tokens_per_s: float = 0.0
    interactivity_tokens_per_s_per_user: float = 0.0
    itl_mean_s: float = 0.0
    #: With speculative decoding: tokens a sequence advanced per verification step
    #: (1 + drafted tokens accepted), averaged over the run; None without.
    mean_accepted_tokens_per_step: float | None = None
    #: The speculative method as the CLI spells it (``eagle3``, ``draft:MODEL``, ...).
    speculative: str | None = None
    #: Fraction of prompt tokens served from the prefix cache (None: no cache ran).
    prefix_hit_rate: float | None = None

    def to_dict(self, *, timeline: bool = False) -> dict:
        """Plain JSON types: the CLI's ``--json`` output (timeline on request)."""
        data = {
            "policy": self.policy,
            "requests": self.requests,
            "duration_s": self.duration_s,
            "ttft_s": self.ttft_s.as_dict(),
            "tpot_s": self.tpot_s.as_dict(),
            "e2e_s": self.e2e_s.as_dict(),
            "queue_s": self.queue_s.as_dict(),
            "output_tokens": self.output_tokens,
            "throughput_tokens_per_s": self.throughput_tokens_per_s,
            "requests_per_s": self.requests_per_s,
            "goodput_requests_per_s": self.goodput_requests_per_s,
            "slo": self.slo.to_dict(),
            "slo_attainment": self.slo_attainment,
            "preemptions": self.preemptions,
            "steps": self.steps,
            "busy_s": self.busy_s,
            "mean_batch": self.mean_batch,
            "peak_batch": self.peak_batch,
            "kv_blocks": self.kv_blocks,
            "peak_kv_utilization": self.peak_kv_utilization,
            "concurrency": self.concurrency,
            "input_throughput_tokens_per_s": self.input_throughput_tokens_per_s,
            "output_throughput_tokens_per_s": self.output_throughput_tokens_per_s,
            "interactivity_tokens_per_s_per_user": self.interactivity_tokens_per_s_per_user,
            "itl_mean_s": self.itl_mean_s,
        }
        if self.speculative is not None:
            data["speculative"] = self.speculative
            data["mean_accepted_tokens_per_step"] = self.mean_accepted_tokens_per_step
        if self.prefix_hit_rate is not None:
            data["prefix_hit_rate"] = self.prefix_hit_rate
        if timeline:
            data["timeline"] = [
                {"t_s": p.t_s, "batch": p.batch, "kv_utilization": p.kv_utilization,
                 "waiting": p.waiting}
                for p in self.timeline
            ]
        return data


def build_result(engine: Engine, work: Workload, rec: Recorder, policy: str, target: Slo,
                 chart_points: int) -> SimResult:
    arrivals, outputs = work.arrivals, work.outputs
    first, finish, start = rec.first, rec.finish, rec.start
    n = len(work)
    ttft = [first[i] - arrivals[i] for i in range(n)]
    e2e = [finish[i] - arrivals[i] for i in range(n)]
    queue = [start[i] - arrivals[i] for i in range(n)]
    tpot_all = [(finish[i] - first[i]) / (outputs[i] - 1) if outputs[i] > 1 else 0.0
                for i in range(n)]
    tpot = [tpot_all[i] for i in range(n) if outputs[i] > 1]
    end = max(finish)
    duration = end - arrivals[0]
    output_tokens = work.output_tokens
    met = within_slo(ttft, tpot_all, target)
    gaps = math.fsum([finish[i] - first[i] for i in range(n) if outputs[i] > 1])
    gap_count = sum(outputs[i] - 1 for i in range(n) if outputs[i] > 1)
    speeds = [1.0 / t for t in tpot if t > 0]
    input_tokens = sum(work.prompts)
    busy = math.fsum(rec.step_len)
    weighted = math.fsum([b * d for b, d in zip(rec.step_batch, rec.step_len)])
    return SimResult(
        policy=policy,
        requests=n,
        duration_s=duration,
        ttft_s=summarize(ttft),
        tpot_s=summarize(tpot),
        e2e_s=summarize(e2e),
        queue_s=summarize(queue),
        output_tokens=output_tokens,
        throughput_tokens_per_s=output_tokens / duration,
        requests_per_s=n / duration,
        goodput_requests_per_s=met / duration,
        slo=target,
        slo_attainment=met / n,
        preemptions=rec.preemptions,
        steps=len(rec.step_len) + rec.extra_steps,
        busy_s=busy,
        mean_batch=weighted / busy,
        peak_batch=max(rec.step_batch),
        kv_blocks=engine.kv_blocks,
        peak_kv_utilization=max(max(rec.step_blocks), rec.peak_blocks) / engine.kv_blocks,
        timeline=timeline(rec.step_start, rec.step_len, rec.step_batch, rec.step_blocks,
                          rec.step_waiting, kv_blocks=engine.kv_blocks, end_s=end,
                          points=chart_points),
        arrivals=arrivals,
        first_token_s=tuple(first),
        finish_s=tuple(finish),
        start_s=tuple(start),
        concurrency=work.concurrency,
        input_tokens=input_tokens,
        input_throughput_tokens_per_s=input_tokens / duration,
        output_throughput_tokens_per_s=output_tokens / duration,
        interactivity_tokens_per_s_per_user=percentile(speeds, 50) if speeds else 0.0,
        itl_mean_s=gaps / gap_count if gap_count else 0.0,
        mean_accepted_tokens_per_step=(None if engine.speculation is None
                                       else rec.spec_tokens / max(1, rec.spec_steps)),
        speculative=None if engine.speculation is None else engine.speculation.name,
        prefix_hit_rate=(None if rec.prefix_hit_tokens is None else
                         sum(max(0, h) for h in rec.prefix_hit_tokens) / input_tokens),
    )
