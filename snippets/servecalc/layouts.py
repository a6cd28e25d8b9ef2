"""Replicas against tensor parallelism: one node's GPUs split into TP groups.

A node of ``total_gpus`` GPUs can run ``total_gpus / tp`` replicas of tensor
parallelism ``tp``. Each replica decodes a batch; the fleet's decode
throughput is ``replicas x batch / step time``. Which layout wins depends on
the batch each one runs: at the *same* batch per replica, smaller TP groups
spend less of each step in all-reduces; at the *largest* batch each layout
holds, larger groups have more memory left for the KV cache (the weights are
a fixed cost), so they run bigger batches. :func:`compare_layouts` computes
both, with the capacity model for the batch and the step model for the time.

>>> rows = compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8, tps=(4, 8),
...                        context=4096)
>>> [(r.tp, r.replicas, r.batch) for r in rows]
[(4, 2, 118), (8, 1, 341)]
>>> best_layout(rows).tp
8
>>> same = compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8, tps=(4, 8),
...                        context=4096, batch=32)
>>> best_layout(same).tp
4
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .capacity import fit
from .deployment import DeploymentLike, GpuLike, as_deployment
from .step import StepModel
from .validate import instance, items, positive_int

__all__ = ["LayoutRow", "compare_layouts", "best_layout"]


@dataclass(frozen=True, kw_only=True)
class LayoutRow:
    """One way to split ``total_gpus``: ``replicas`` groups of ``tp`` GPUs."""

    tp: int
    replicas: int
    batch: int                 # sequences per replica (0: the model does not fit)
    step_s: float              # decode step at that batch (0.0 when it does not fit)
    comm_s: float              # all-reduce part of the step
    fleet_tokens_per_s: float  # replicas x batch / step

    @property
    def fits(self) -> bool:
        """Whether the model fits with at least one sequence."""
        return self.batch > 0


def compare_layouts(deployment: DeploymentLike, gpu: GpuLike = None, *, total_gpus: int,
                    tps: Sequence[int], context: int,
                    batch: int | None = None) -> tuple[LayoutRow, ...]:
    """Decode throughput of each TP degree in ``tps`` on ``total_gpus`` GPUs.

    ``deployment`` gives the model, GPU, precisions and efficiencies; its
    ``gpus`` is replaced by each degree in ``tps``.

    ``batch``: sequences per replica; ``None`` runs each layout at the largest
    batch of ``context``-token sequences it holds (capped by nothing else: the
    latency target is a separate question). A layout whose ``batch`` does not
    fit in memory gets ``batch=0``.

    >>> compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8, tps=[3], context=4096)
    Traceback (most recent call last):
        ...
    ValueError: tps must divide total_gpus (8), got 3
    """
    d = as_deployment(deployment, gpu)
    positive_int("total_gpus", total_gpus)
    positive_int("context", context)
    if batch is not None:
        positive_int("batch", batch)
    degrees = items("tps", tps)
    rows = []
    for tp in degrees:
        positive_int("tps", tp)
        if total_gpus % tp:
            raise ValueError(f"tps must divide total_gpus ({total_gpus}), got {tp}")
        held = fit(d.model, d.gpu, gpus=tp, context=context, weight_dtype=d.weight_dtype,
                   kv_dtype=d.kv_dtype).max_batch
        run = held if batch is None else (batch if batch <= held else 0)
        replicas = total_gpus // tp
        if run == 0:
            rows.append(LayoutRow(tp=tp, replicas=replicas, batch=0, step_s=0.0, comm_s=0.0,
                                  fleet_tokens_per_s=0.0))
            continue
        step = StepModel(d.replace(gpus=tp)).decode(run, context)
        rows.append(LayoutRow(tp=tp, replicas=replicas, batch=run, step_s=step.seconds,
                              comm_s=step.comm_s,
                              fleet_tokens_per_s=replicas * run / step.seconds))
    return tuple(rows)


def best_layout(rows: Sequence[LayoutRow]) -> LayoutRow:
    """The row with the highest fleet throughput (ties: the smaller TP group).

    >>> best_layout([])
    Traceback (most recent call last):
        ...
    ValueError: rows must hold at least one layout that fits, got none
    """
    fitting = [r for r in items("rows", rows, empty=True)
               if instance("rows", r, LayoutRow) and r.fits]
    if not fitting:
        raise ValueError("rows must hold at least one layout that fits, got none")
    return max(fitting, key=lambda r: (r.fleet_tokens_per_s, -r.tp))
